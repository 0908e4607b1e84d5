"""The fourth attack round on transcripts: hostile files read in linear time and bounded memory, damaged Word
documents said in one line, and speakers' names that must not be merged, lost or made invisible."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from observer.cli.main import main
from observer.interop.transcript_cues import MAX_DOCX_PARAGRAPHS, MAX_TURNS
from observer.interop.transcript_files import read_transcript
from observer.interop.transcript_speakers import name_key
from observer.storage import Archive

from .conftest import REPO

ROSTER = REPO / "tests" / "data" / "transcripts" / "roster.csv"
TEAMS = REPO / "tests" / "data" / "transcripts" / "teams.vtt"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELATIONSHIPS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'officeDocument" Target="word/document.xml"/></Relationships>'
)


def document_xml(body: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="'
        + W.encode()
        + b'"><w:body>'
        + body
        + (b"</w:body></w:document>")
    )


def paragraphs_xml(*texts: str) -> bytes:
    return b"".join(f"<w:p><w:r><w:t xml:space='preserve'>{text}</w:t></w:r></w:p>".encode() for text in texts)


def raw_docx(path: Path, document: bytes, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A Word package made by hand (what Word writes, and what an attacker could write instead)."""
    with zipfile.ZipFile(path, "w", compression) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", RELATIONSHIPS)
        package.writestr("word/document.xml", document)
    return path


def run(tmp_path: Path, *arguments: str):
    return CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), *arguments])


def stored_sessions(tmp_path: Path) -> list[str]:
    sessions = tmp_path / "data" / "sessions"
    return sorted(p.name for p in sessions.iterdir()) if sessions.exists() else []


def observer_process(
    tmp_path: Path, *arguments: str, timeout: float, memory_bytes: int | None = None
) -> subprocess.CompletedProcess[str]:
    """``observer ARGUMENTS`` in a process of its own, within a time limit (and an address-space limit)."""

    def limit_memory() -> None:
        if memory_bytes is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return subprocess.run(
        [sys.executable, "-m", "observer", "--data-dir", str(tmp_path / "data"), *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        preexec_fn=limit_memory if memory_bytes is not None else None,
    )


def one_clear_line(result: subprocess.CompletedProcess[str] | object, *said: str) -> None:
    output = getattr(result, "stderr", None) or getattr(result, "output", "")
    code = getattr(result, "returncode", getattr(result, "exit_code", None))
    assert code in (1, 2), output  # 2: a value an option does not take, as click says it
    assert output.strip().count("\n") == 0, output
    assert "unexpected" not in output and "Traceback" not in output, output
    for part in said:
        assert part in output, output


# ---------------------------------------------------------------- linear time


@pytest.mark.parametrize(
    ("name", "cue_text"),
    [
        ("voices.vtt", "<v " * 80_000),  # 240 KB: 120 KB took 26-29 s before, and twice as much four times that
        ("brackets.vtt", "<" * 1_000_000),  # 1 MB: many minutes before
        ("spaces.vtt", "<v Ann" + " " * 300_000 + "x"),
    ],
    ids=["voice tags", "brackets", "spaces"],
)
def test_a_hostile_cue_is_read_in_linear_time(tmp_path: Path, name: str, cue_text: str) -> None:
    vtt = tmp_path / name
    vtt.write_text(f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{cue_text}\n\n00:00:03.000 --> 00:00:04.000\nA: ok\n")
    result = observer_process(tmp_path, "transcript", "import", str(vtt), timeout=20)
    assert result.returncode == 0, result.stderr
    assert "created session" in result.stdout


def test_a_hostile_docx_speaker_line_is_read_in_linear_time(tmp_path: Path) -> None:
    docx = raw_docx(
        tmp_path / "spaces.docx",
        document_xml(paragraphs_xml("Ann Lee   0:03", "Hello.", "x" + " " * 200_000 + "y", "Bob Khan 0:09", "Hi.")),
    )
    result = observer_process(tmp_path, "transcript", "import", str(docx), timeout=20)
    assert result.returncode == 0, result.stderr
    assert "2 turns from 2 cues" in result.stdout


def test_names_with_long_runs_of_spaces_compare_in_linear_time() -> None:
    import time

    began = time.perf_counter()
    assert name_key("Ann" + " " * 200_000 + "Lee (Guest)") == "ann lee"
    assert time.perf_counter() - began < 2  # quadratic: minutes


# ---------------------------------------------------------------- bounded memory


def test_a_small_docx_of_millions_of_empty_paragraphs_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    # 5 million empty paragraphs (30 MB unpacked, a few hundred KB packed): python-docx built gigabytes of them.
    docx = raw_docx(tmp_path / "empty.docx", document_xml(b"<w:p/>" * 5_000_000))
    assert docx.stat().st_size < 1_000_000
    result = observer_process(
        tmp_path, "transcript", "import", str(docx), timeout=120, memory_bytes=1_500 * 1024 * 1024
    )
    one_clear_line(result, "empty.docx", f"{MAX_DOCX_PARAGRAPHS:,} paragraphs")
    assert stored_sessions(tmp_path) == []


def test_a_docx_of_too_many_turns_is_refused_with_the_limit(tmp_path: Path) -> None:
    lines = []
    for turn in range(MAX_TURNS + 1):
        lines += [
            f"{'Ann Lee' if turn % 2 else 'Bob Khan'}   {turn // 3600}:{turn // 60 % 60:02d}:{turn % 60:02d}",
            "Hi.",
        ]
    docx = raw_docx(tmp_path / "many.docx", document_xml(paragraphs_xml(*lines)))
    result = observer_process(tmp_path, "transcript", "import", str(docx), timeout=120)
    one_clear_line(result, "many.docx", f"{MAX_TURNS:,} turns")
    assert stored_sessions(tmp_path) == []


def test_a_vtt_of_too_many_turns_is_refused_with_the_limit(tmp_path: Path) -> None:
    cues = [
        f"{turn // 3600:02d}:{turn // 60 % 60:02d}:{turn % 60:02d}.000 --> "
        f"{turn // 3600:02d}:{turn // 60 % 60:02d}:{turn % 60:02d}.500\n<v {'AB'[turn % 2]}>x</v>\n"
        for turn in range(MAX_TURNS + 1)
    ]
    vtt = tmp_path / "many.vtt"
    vtt.write_text("WEBVTT\n\n" + "\n".join(cues))
    one_clear_line(run(tmp_path, "transcript", "import", str(vtt)), "many.vtt", f"{MAX_TURNS:,} turns")


def test_a_streamed_docx_reads_as_word_shows_it(tmp_path: Path) -> None:
    """Runs, tabs and breaks join as Word shows them; a heading before the first speaker is not a turn; text in a
    table is read; the words of one turn may span several paragraphs."""
    body = (
        paragraphs_xml("Board meeting transcript")
        + b"<w:p><w:r><w:t>Ann </w:t></w:r><w:r><w:t>Lee</w:t></w:r><w:r><w:tab/><w:t>0:03</w:t></w:r></w:p>"
        + b"<w:p><w:r><w:t>Good</w:t><w:br/><w:t>morning.</w:t></w:r></w:p>"
        + b"<w:p><w:hyperlink><w:r><w:t>Linked words.</w:t></w:r></w:hyperlink></w:p>"
        + paragraphs_xml("Bob Khan   0:00:10", "Five words are said here.")
    )
    transcript = read_transcript(raw_docx(tmp_path / "meeting.docx", document_xml(body)))
    assert [(c.speaker, c.start_s, c.end_s, c.words) for c in transcript.cues] == [
        ("Ann Lee", 3.0, 10.0, "Good morning. Linked words."),
        ("Bob Khan", 10.0, 12.0, "Five words are said here."),
    ]


# ---------------------------------------------------------------- damaged Word documents, in one line


def _deflated_member_offset(path: Path, name: str) -> tuple[int, int]:
    with zipfile.ZipFile(path) as package:
        info = package.getinfo(name)
    raw = path.read_bytes()
    header = info.header_offset
    name_length = int.from_bytes(raw[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(raw[header + 28 : header + 30], "little")
    return header, header + 30 + name_length + extra_length


def _encrypted(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    header, _ = _deflated_member_offset(path, "word/document.xml")
    raw[header + 6] |= 1  # the general-purpose flag: encrypted
    for offset in _central_entries(bytes(raw)):
        if raw[offset + 46 : offset + 46 + 17] == b"word/document.xml":
            raw[offset + 8] |= 1
    path.write_bytes(bytes(raw))


def _central_entries(raw: bytes) -> list[int]:
    entries, at = [], raw.find(b"PK\x01\x02")
    while at != -1:
        entries.append(at)
        at = raw.find(b"PK\x01\x02", at + 4)
    return entries


def _unknown_method(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    header, _ = _deflated_member_offset(path, "word/document.xml")
    raw[header + 8 : header + 10] = (97).to_bytes(2, "little")
    for offset in _central_entries(bytes(raw)):
        if raw[offset + 46 : offset + 46 + 17] == b"word/document.xml":
            raw[offset + 10 : offset + 12] = (97).to_bytes(2, "little")
    path.write_bytes(bytes(raw))


def _corrupt_deflate(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    _, data = _deflated_member_offset(path, "word/document.xml")
    for offset in range(data + 2, data + 40):
        raw[offset] ^= 0x5A
    path.write_bytes(bytes(raw))


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8))
    + b']><w:document xmlns:w="'
    + W.encode()
    + b'"><w:body><w:p><w:r><w:t>Ann Lee 0:01</w:t></w:r></w:p><w:p><w:r><w:t>&i;</w:t></w:r></w:p>'
    + b"</w:body></w:document>"
)

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]><w:document xmlns:w="'
    + W.encode()
    + b'"><w:body><w:p><w:r><w:t>Ann Lee 0:01</w:t></w:r></w:p><w:p><w:r><w:t>&x;</w:t></w:r></w:p>'
    + b"</w:body></w:document>"
)


@pytest.mark.parametrize(
    ("name", "document", "damage", "said"),
    [
        ("malformed.docx", b"<w:document><w:body><w:p>", None, "is damaged"),
        ("laughs.docx", LAUGHS, None, "entities"),
        ("xxe.docx", XXE, None, "document type declaration"),
        ("deep.docx", document_xml(b"<w:p>" + b"<w:r>" * 100_000 + b"</w:r>" * 100_000 + b"</w:p>"), None, "deep"),
        ("bigtext.docx", document_xml(paragraphs_xml("x" * (11 * 1024 * 1024))), None, "too long"),
        ("encrypted.docx", document_xml(paragraphs_xml("Ann Lee 0:01", "Hi")), _encrypted, "password"),
        ("method.docx", document_xml(paragraphs_xml("Ann Lee 0:01", "Hi")), _unknown_method, "compression"),
        ("inflate.docx", document_xml(paragraphs_xml("Ann Lee 0:01", "Hi") * 200), _corrupt_deflate, "damaged"),
    ],
    ids=["malformed", "entities", "external entity", "deep", "big text", "encrypted", "compression", "deflate"],
)
def test_a_damaged_word_document_is_one_clear_line(
    tmp_path: Path, name: str, document: bytes, damage, said: str
) -> None:
    path = raw_docx(tmp_path / name, document)
    if damage is not None:
        damage(path)
    result = observer_process(tmp_path, "transcript", "import", str(path), timeout=120)
    one_clear_line(result, f"{name}:", said)
    assert stored_sessions(tmp_path) == []


def test_a_map_field_over_the_csv_limit_is_one_clear_line(tmp_path: Path) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text("Dev Shaw," + "x" * 200_000 + "\n")
    result = run(tmp_path, "transcript", "import", str(TEAMS), "--map", str(mapping))
    one_clear_line(result, "map.csv:1:")


def test_a_control_character_in_the_map_is_reported_against_the_map(tmp_path: Path) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text("Ann Lee,Ann Lee\nBob Khan (Guest),Bob\x1b[2JKhan\n")
    result = run(tmp_path, "transcript", "import", str(TEAMS), "--map", str(mapping))
    one_clear_line(result, "map.csv:2:", "control character")


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        # Two lines for one transcript name that say different people: which one spoke is a guess.
        (
            "Ann Smith,Ann Smith,NHS Trust\nBob Khan,Bob Khan\nann  smith,Ann Smith,City Council\n",
            ["map.csv:3:", "'ann  smith'", "line 1"],
        ),
        ('Ann Smith,Ann Smith,NHS Trust\nBob Khan,"Bob Khan\n', ["map.csv:2:", "quote"]),
        ("Ann Smith,Ann Smith,NHS Trust\n,Bob Khan\n", ["map.csv:2:", "transcript name", "empty"]),
        ("Ann Smith,Ann Smith,NHS Trust\nBob Khan,  ,City Council\n", ["map.csv:2:", "attendee name", "empty"]),
        ("Ann Smith,Ann Smith,NHS Trust\nBob Khan\n", ["map.csv:2:", "attendee name"]),
    ],
)
def test_a_map_line_that_cannot_be_followed_is_refused_naming_its_line_and_field(
    tmp_path: Path, lines: str, said: list[str]
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(NAMESAKES)
    mapping = tmp_path / "map.csv"
    mapping.write_text(lines)
    vtt = vtt_of(tmp_path, ("Ann Smith", "Whose view?"), ("Bob Khan", "Mine."))
    result = run(tmp_path, "transcript", "import", str(vtt), "--roster", str(roster), "--map", str(mapping))
    one_clear_line(result, *said)
    assert stored_sessions(tmp_path) == []


def test_the_same_map_line_twice_is_no_conflict(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(NAMESAKES)
    mapping = tmp_path / "map.csv"
    mapping.write_text("Ann Smith,Ann Smith,NHS Trust\nANN SMITH,Ann  Smith,nhs trust\n")
    vtt = vtt_of(tmp_path, ("Ann Smith", "Whose view?"))
    people = imported_people(tmp_path, vtt, "--roster", str(roster), "--map", str(mapping))
    assert people == [("Ann Smith", "NHS Trust")]


def test_someone_the_map_adds_to_the_roster_is_said_so(tmp_path: Path) -> None:
    # "NHS Trus" names neither Ann Smith's organisation: the map makes a third Ann Smith, of a new
    # organisation, who takes every turn of hers; the import says so, where a typo can be seen.
    roster = tmp_path / "roster.csv"
    roster.write_text(NAMESAKES)
    mapping = tmp_path / "map.csv"
    mapping.write_text("Ann Smith,Ann Smith,NHS Trus\nBob Khan,Bob Khan\n")
    vtt = vtt_of(tmp_path, ("Ann Smith", "Whose view?"), ("Bob Khan", "Mine."))
    result = run(tmp_path, "transcript", "import", str(vtt), "--roster", str(roster), "--map", str(mapping))
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "added to the roster by the map: Ann Smith (NHS Trus)" in said, said
    assert "Bob Khan (" not in said  # on the roster: nothing to say


def test_a_map_line_giving_another_organisation_than_the_rosters_is_someone_else(tmp_path: Path) -> None:
    # The map says this Ann Smith is of Healthwatch; the roster's Ann Smith is of the City Council. As when
    # Teams places a roster name in another organisation, she is someone else: her turns were the council's.
    roster = tmp_path / "roster.csv"
    roster.write_text("name,organisation\nAnn Smith,City Council\nBob Khan,City Council\n")
    mapping = tmp_path / "map.csv"
    mapping.write_text("Ann Smith,Ann Smith,Healthwatch\nBob Khan,Bob Khan,city council\n")
    vtt = vtt_of(tmp_path, ("Ann Smith", "Whose view?"), ("Bob Khan", "Mine."))
    people = imported_people(tmp_path, vtt, "--roster", str(roster), "--map", str(mapping))
    assert people == [("Ann Smith", "Healthwatch"), ("Bob Khan", "City Council")]


def test_a_map_file_that_is_not_there_is_said_so(tmp_path: Path) -> None:
    result = run(tmp_path, "transcript", "import", str(TEAMS), "--map", str(tmp_path / "names.csv"))
    one_clear_line(result, "names.csv")
    assert "UTF-8" not in result.output and "Errno" not in result.output, result.output
    assert "no such" in result.output.casefold() or "does not exist" in result.output, result.output


def test_a_file_name_with_an_escape_gets_a_safe_title_and_file_name(tmp_path: Path) -> None:
    vtt = tmp_path / "board\x1b[2J meeting.vtt"
    vtt.write_bytes((REPO / "tests/data/transcripts/teams.vtt").read_bytes())
    result = run(tmp_path, "transcript", "import", str(vtt))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    [session_id] = stored_sessions(tmp_path)
    session = Archive(tmp_path / "data").load(session_id).session
    assert "\x1b" not in session.title and session.title.startswith("board")
    assert session.transcript is not None and "\x1b" not in session.transcript.file


def test_a_long_file_name_gives_a_shortened_title(tmp_path: Path) -> None:
    vtt = tmp_path / ("Quarterly partnership board " * 8 + ".vtt")
    vtt.write_bytes((REPO / "tests/data/transcripts/teams.vtt").read_bytes())
    result = run(tmp_path, "transcript", "import", str(vtt))
    assert result.exit_code == 0, result.output
    [session_id] = stored_sessions(tmp_path)
    title = Archive(tmp_path / "data").load(session_id).session.title
    assert len(title) <= 200 and title.startswith("Quarterly partnership board") and title.endswith("…")


def test_a_utf16_vtt_from_notepad_is_read(tmp_path: Path) -> None:
    vtt = tmp_path / "unicode.vtt"
    vtt.write_bytes("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v José Núñez>Olá.</v>\n".encode("utf-16"))
    assert [(c.speaker, c.words) for c in read_transcript(vtt).cues] == [("José Núñez", "Olá.")]
    vtt.write_bytes("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ann>Hi.</v>\n".encode("utf-16-le"))
    one_clear_line(run(tmp_path, "transcript", "import", str(vtt)), "unicode.vtt:1:", "UTF-16")


# ---------------------------------------------------------------- names


def vtt_of(tmp_path: Path, *speakers_and_words: tuple[str, str]) -> Path:
    cues = [
        f"00:00:{2 * i:02d}.000 --> 00:00:{2 * i + 1:02d}.000\n<v {speaker}>{words}</v>\n"
        for i, (speaker, words) in enumerate(speakers_and_words)
    ]
    path = tmp_path / "call.vtt"
    path.write_text("WEBVTT\n\n" + "\n".join(cues), encoding="utf-8")
    return path


def imported_people(tmp_path: Path, vtt: Path, *extra: str) -> list[tuple[str, str]]:
    """(attendee, organisation) of each turn, in order."""
    result = run(tmp_path, "transcript", "import", str(vtt), *extra)
    assert result.exit_code == 0, result.output
    data = Archive(tmp_path / "data").load(result.output.split("created session ")[1].split(":")[0])
    session = data.session
    people = {p.id: (p.name, session.organisation(p.organisation_id).name) for p in session.participants}
    return [people[c.participant_id] for c in data.contributions]


def test_a_typographic_apostrophe_matches_the_roster(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,organisation\nSiân O'Neil,City Council\n")
    vtt = vtt_of(tmp_path, ("Sian O’Neil", "Hello."))
    assert imported_people(tmp_path, vtt, "--roster", str(roster)) == [("Siân O'Neil", "City Council")]


def test_tags_inside_a_voice_name_are_left_out_of_the_name() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tags.vtt"
        path.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v <b>Bold</b> Bob>Hello.</v>\n")
        assert [(c.speaker, c.words) for c in read_transcript(path).cues] == [("Bold Bob", "Hello.")]


def test_an_invisible_speaker_name_is_not_stored_as_a_name(tmp_path: Path) -> None:
    vtt = vtt_of(tmp_path, ("\u200b", "Who said this?"), ("Ann Lee", "Me."))
    people = imported_people(tmp_path, vtt, "--roster", str(ROSTER))
    assert people[0][0] == "Unknown speaker" and people[1] == ("Ann Lee", "City Council")


def test_speakers_known_only_as_guest_or_by_organisation_stay_apart(tmp_path: Path) -> None:
    vtt = vtt_of(tmp_path, ("(Guest)", "One."), ("| NHS Trust", "Two."), ("(Guest)", "Three."))
    people = imported_people(tmp_path, vtt, "--roster", str(ROSTER))
    assert people[0] == people[2] and people[0] != people[1]


def test_text_direction_controls_in_words_are_left_out(tmp_path: Path) -> None:
    vtt = vtt_of(tmp_path, ("Ann Lee", "pay \u202egnol\u202c now"))
    result = run(tmp_path, "transcript", "import", str(vtt), "--roster", str(ROSTER))
    assert result.exit_code == 0, result.output
    [session_id] = stored_sessions(tmp_path)
    [turn] = Archive(tmp_path / "data").load(session_id).contributions
    assert turn.words == "pay gnol now"


# ---------------------------------------------------------------- namesakes


NAMESAKES = "name,organisation\nAnn Smith,City Council\nAnn Smith,NHS Trust\nBob Khan,City Council\n"


def test_namesakes_are_told_apart_by_the_organisation_teams_gives(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(NAMESAKES)
    vtt = vtt_of(
        tmp_path,
        ("Ann Smith | City Council", "The council's view."),
        ("Ann Smith | Riverside NHS Trust", "The trust's view."),
        ("Ann Smith | City Council", "Again."),
    )
    assert imported_people(tmp_path, vtt, "--roster", str(roster)) == [
        ("Ann Smith", "City Council"),
        ("Ann Smith", "NHS Trust"),
        ("Ann Smith", "City Council"),
    ]


def test_namesakes_the_transcript_cannot_tell_apart_stop_the_import_and_ask_for_a_map(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(NAMESAKES)
    vtt = vtt_of(tmp_path, ("Ann Smith", "Whose view?"), ("Bob Khan", "Mine."))
    result = run(tmp_path, "transcript", "import", str(vtt), "--roster", str(roster), "--series", "North")
    one_clear_line(
        result, "call.vtt:", "'Ann Smith' could be Ann Smith (City Council) or Ann Smith (NHS Trust)", "--map"
    )
    assert stored_sessions(tmp_path) == []

    mapping = tmp_path / "map.csv"
    mapping.write_text("Ann Smith,Ann Smith,NHS Trust\n")
    people = imported_people(tmp_path, vtt, "--roster", str(roster), "--series", "North", "--map", str(mapping))
    assert people == [("Ann Smith", "NHS Trust"), ("Bob Khan", "City Council")]
    # The series remembers which Ann Smith it was: the next import needs no map.
    assert imported_people(tmp_path, vtt, "--series", "North") == people


def test_a_map_line_naming_a_namesake_must_give_the_organisation(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(NAMESAKES)
    mapping = tmp_path / "map.csv"
    mapping.write_text("A. Smith,Ann Smith\n")
    vtt = vtt_of(tmp_path, ("A. Smith", "Hello."))
    result = run(tmp_path, "transcript", "import", str(vtt), "--roster", str(roster), "--map", str(mapping))
    one_clear_line(result, "the map's 'Ann Smith' could be", "give the organisation")


def test_accent_folded_namesakes_are_namesakes_too(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,organisation\nJosé Núñez,Healthwatch\nJose Nunez,City Council\n")
    both = vtt_of(tmp_path, ("José Núñez", "Uno."), ("Jose Nunez", "Dos."))
    assert imported_people(tmp_path, both, "--roster", str(roster)) == [
        ("José Núñez", "Healthwatch"),
        ("Jose Nunez", "City Council"),
    ]
    one = vtt_of(tmp_path, ("Jose Nunez", "Uno."))  # Teams may drop the accents of either of them
    result = run(tmp_path, "transcript", "import", str(one), "--roster", str(roster))
    one_clear_line(result, "'Jose Nunez' could be José Núñez (Healthwatch) or Jose Nunez (City Council)")


def test_a_second_person_of_one_name_from_another_organisation_is_not_merged(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,organisation\nAnn Smith,City Council\n")
    vtt = vtt_of(tmp_path, ("Ann Smith | City Council", "One."), ("Ann Smith | Healthwatch", "Two."))
    people = imported_people(tmp_path, vtt, "--roster", str(roster))
    assert people == [("Ann Smith", "City Council"), ("Ann Smith", "Not on the roster")]


def test_namesakes_escapes_and_nan_in_processes_of_their_own(tmp_path: Path) -> None:
    """As a user runs them: the import that stops for namesakes stores nothing, the map fixes it; a file name
    holding ESC imports with a clean title; nan is refused without a calibration being recorded."""
    roster = tmp_path / "roster.csv"
    roster.write_text(NAMESAKES)
    vtt = vtt_of(tmp_path, ("Ann Smith", "Whose view?"), ("Bob Khan", "Mine."))
    stopped = observer_process(tmp_path, "transcript", "import", str(vtt), "--roster", str(roster), timeout=60)
    one_clear_line(stopped, "'Ann Smith' could be Ann Smith (City Council) or Ann Smith (NHS Trust)")
    assert stored_sessions(tmp_path) == []
    mapping = tmp_path / "map.csv"
    mapping.write_text("Ann Smith,Ann Smith,City Council\n")
    mapped = observer_process(
        tmp_path, "transcript", "import", str(vtt), "--roster", str(roster), "--map", str(mapping), timeout=60
    )
    assert mapped.returncode == 0, mapped.stderr
    escaped = tmp_path / "board\x1b]0;owned\x07.vtt"
    escaped.write_bytes(TEAMS.read_bytes())
    clean = observer_process(tmp_path, "transcript", "import", str(escaped), timeout=60)
    assert clean.returncode == 0 and "\x1b" not in clean.stdout + clean.stderr, clean.stderr
    first, second = stored_sessions(tmp_path)
    refused = observer_process(tmp_path, "calibrate", first, second, "--offset", "nan", timeout=60)
    one_clear_line(refused, "--offset")
    assert not (tmp_path / "data" / "calibrations.jsonl").exists()


def test_a_transcript_of_more_speakers_than_a_session_holds_is_refused_before_matching(tmp_path: Path) -> None:
    cues = [
        f"{i // 60:02d}:{i % 60:02d}.000 --> {i // 60:02d}:{i % 60:02d}.500\nSpeaker {i}: hello\n" for i in range(3_000)
    ]
    vtt = tmp_path / "crowd.vtt"
    vtt.write_text("WEBVTT\n\n" + "\n".join(cues))
    result = observer_process(tmp_path, "transcript", "import", str(vtt), timeout=20)
    one_clear_line(result, "crowd.vtt", "3,000 speakers", "500")
