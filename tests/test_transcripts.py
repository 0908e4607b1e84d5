"""A recorded meeting coded from its transcript: reading Teams and Zoom files, turns, names, the words kept out
of exports, the transcript screen, and calibration against a reference coding."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from observer.analysis.metrics import summarise
from observer.cli.main import main
from observer.interop.transcript import turns_of
from observer.interop.transcript_cues import clock_ms
from observer.interop.transcript_files import read_transcript
from observer.interop.transcript_speakers import name_key
from observer.live.coding import CodingSession
from observer.storage import Archive

from .conftest import REPO

FILES = REPO / "tests" / "data" / "transcripts"
ROSTER = FILES / "roster.csv"


def run(tmp_path: Path, *arguments: str):
    return CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), *arguments])


def imported(tmp_path: Path, name: str, *extra: str) -> str:
    result = run(tmp_path, "transcript", "import", str(FILES / name), "--roster", str(ROSTER), *extra)
    assert result.exit_code == 0, result.output
    return result.output.split("created session ")[1].split(":")[0]


def load(tmp_path: Path, session_id: str):
    return Archive(tmp_path / "data").load(session_id)


def airtime_by_person(data) -> dict[str, float]:
    summary = summarise(data)
    return {row.name: round(row.airtime_s, 3) for row in summary.participants if row.airtime_s}


# ---------------------------------------------------------------- reading the files


def test_clock_readings_keep_their_milliseconds() -> None:
    assert clock_ms("00:00:13.540") == 13_540
    assert clock_ms("0:0:13.540") == 13_540  # the older Teams clock
    assert clock_ms("0:1:02.5") == 62_500
    assert clock_ms("01:02.25") == 62_250  # mm:ss.ttt
    assert clock_ms("1:00:00,001") == 3_600_001
    assert clock_ms("12:75") is None and clock_ms("soon") is None


def test_a_teams_vtt_becomes_turns_with_their_own_ends(tmp_path: Path) -> None:
    session_id = imported(tmp_path, "teams.vtt")
    data = load(tmp_path, session_id)
    people = {p.id: p.name for p in data.session.participants}
    turns = [(people[c.participant_id], c.start_s, c.end_s, c.words) for c in data.contributions]
    assert turns == [
        # two cues 0.8 s apart (under the 2 s merge gap): one turn, start of the first to end of the second
        ("Ann Lee", 1.25, 7.333, "Welcome everyone, thanks for coming. Let's start with the budget."),
        ("Bob Khan", 7.5, 12.0, "The council cannot fund it & keep the service."),  # "(Guest)" ignored
        ("Cath Diaz", 11.0, 15.512, "We could pool it."),  # "| NHS Trust" ignored; overlaps Bob
        ("Ann Lee", 20.0, 22.0, "Good idea."),  # 12.7 s later, after others: a new turn
    ]
    # Airtime is each turn's own length, overlaps included; the silence between is nobody's.
    assert airtime_by_person(data) == {"Ann Lee": 8.083, "Bob Khan": 4.5, "Cath Diaz": 4.512}
    # Its length is known, its coding is not done: "to code" (not ended) until every turn is coded.
    assert data.session.status == "to_code" and data.session.clock_elapsed_s == 22.0
    assert data.session.observed_seconds() == 22.0
    assert data.session.transcript is not None and data.session.transcript.file == "teams.vtt"


def test_a_zoom_vtt_names_speakers_in_the_text_and_carries_a_nameless_cue(tmp_path: Path) -> None:
    data = load(tmp_path, imported(tmp_path, "zoom.vtt"))
    people = {p.id: p.name for p in data.session.participants}
    assert [(people[c.participant_id], c.start_s, c.end_s) for c in data.contributions] == [
        ("Ann Lee", 0.0, 5.0),
        ("Dev Shah", 5.0, 10.0),  # "and a second one." has no name: still Dev's, 0.05 s later
        ("Dev Shah", 14.0, 16.0),  # 4 s after: over the gap, a turn of its own
    ]
    assert data.contributions[1].words == "Yes, the voluntary sector has a point to raise. and a second one."


def test_the_older_clock_and_a_wider_merge_gap(tmp_path: Path) -> None:
    data = load(tmp_path, imported(tmp_path, "old-clock.vtt"))
    assert [(c.start_s, c.end_s) for c in data.contributions] == [(13.54, 17.85), (62.5, 65.25)]
    cues = read_transcript(FILES / "zoom.vtt").cues
    assert len(turns_of(cues, merge_gap_s=5.0)) == 2  # Dev's turns 4 s apart become one
    assert len(turns_of(cues, merge_gap_s=0.0)) == 5  # any gap splits: Ann's 0.1 s, Dev's 0.05 s


def test_a_cue_with_two_voices_is_shared_by_what_each_said(tmp_path: Path) -> None:
    data = load(tmp_path, imported(tmp_path, "two-voices.vtt"))
    # 4 s shared 7 : 21 characters ("Agreed?" and "Agreed, fully agreed.")
    assert [(c.start_s, c.end_s, c.words) for c in data.contributions] == [
        (10.0, 11.0, "Agreed?"),
        (11.0, 14.0, "Agreed, fully agreed."),
    ]


def write_docx(path: Path, paragraphs: list[str]) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Board meeting transcript")  # a heading before the first speaker line
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))


def test_a_teams_docx_gives_starts_and_each_turn_ends_where_the_next_begins(tmp_path: Path) -> None:
    transcript = tmp_path / "meeting.docx"
    write_docx(
        transcript,
        ["Ann Lee   0:03", "Good morning.", "Welcome.", "Bob Khan   0:00:10", "Five words are said here."],
    )
    result = run(tmp_path, "transcript", "import", str(transcript), "--roster", str(ROSTER))
    assert result.exit_code == 0, result.output
    assert "2 turns from 2 cues" in result.output
    data = load(tmp_path, result.output.split("created session ")[1].split(":")[0])
    assert [(c.start_s, c.end_s, c.words) for c in data.contributions] == [
        (3.0, 10.0, "Good morning. Welcome."),
        (10.0, 12.0, "Five words are said here."),  # the last: 5 words at 2.5 a second
    ]


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("notes.vtt", b"Minutes of the meeting\n", "notes.vtt:1: not a WebVTT transcript"),
        ("blob.vtt", b"WEBVTT\n\x00\x01\x02", "blob.vtt:1: a binary file, not a transcript"),
        ("empty.vtt", b"", "empty.vtt: the file is empty"),
        ("nocues.vtt", b"WEBVTT\n\nNOTE nothing\n", "nocues.vtt:1: a WebVTT file with no cues"),
        (
            "backwards.vtt",
            b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>ok</v>\n\n00:00:09.000 --> 00:00:05.000\n<v A>no</v>\n",
            "backwards.vtt:6: the cue ends (00:00:05.000) before it starts (00:00:09.000)",
        ),
        (
            "latin1.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nJosé: olá\n".encode("latin-1"),
            "latin1.vtt:4: not UTF-8",
        ),
        ("fake.docx", b"PK\x03\x04 not really a zip", "fake.docx:1: not a Word document"),
    ],
)
def test_bad_files_get_one_line_and_leave_no_session(tmp_path: Path, name: str, content: bytes, said: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = run(tmp_path, "transcript", "import", str(path))
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and said in result.output, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "data" / "sessions").exists() or not any((tmp_path / "data" / "sessions").iterdir())


def test_a_docx_with_no_speaker_lines_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "letter.docx"
    write_docx(path, ["Dear colleagues,", "Please find the minutes attached."])
    result = run(tmp_path, "transcript", "import", str(path))
    assert result.exit_code == 1
    assert "letter.docx:1: no speaker lines" in result.output


# ---------------------------------------------------------------- names


def test_names_match_ignoring_case_accents_spaces_and_what_teams_adds() -> None:
    assert name_key("  JOSÉ   da Silva (Guest)") == name_key("José da Silva") == "jose da silva"
    assert name_key("Cath Diaz | NHS Trust") == "cath diaz"
    assert name_key("Bob Khan (External) (Unverified)") == "bob khan"


def test_names_not_on_the_roster_are_listed_with_their_map_line_and_a_map_is_remembered(tmp_path: Path) -> None:
    vtt = tmp_path / "call.vtt"
    vtt.write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ann Lee>Hello.</v>\n\n"
        "00:00:04.000 --> 00:00:06.000\n<v Dev Shaw (Guest)>Hi, Dev here.</v>\n\n"
        "00:00:07.000 --> 00:00:09.000\n<v Priya Rao>Priya, from Healthwatch.</v>\n"
    )
    first = run(tmp_path, "transcript", "import", str(vtt), "--roster", str(ROSTER), "--series", "North")
    assert first.exit_code == 0, first.output
    assert "2 names not on the roster" in first.output
    assert "  Dev Shaw (Guest),Dev Shah\n" in first.output  # the near roster name suggested
    assert "  Priya Rao,ATTENDEE NAME,ORGANISATION\n" in first.output
    data = load(tmp_path, first.output.split("created session ")[1].split(":")[0])
    organisation_of = {p.name: data.session.organisation(p.organisation_id).name for p in data.session.participants}
    assert organisation_of["Priya Rao"] == "Not on the roster"

    mapping = tmp_path / "map.csv"
    mapping.write_text(
        "transcript name,attendee name,organisation\nDev Shaw (Guest),Dev Shah\nPriya Rao,Priya Rao,Healthwatch\n"
    )
    second = run(
        tmp_path, "transcript", "import", str(vtt), "--roster", str(ROSTER), "--series", "North", "--map", str(mapping)
    )
    assert second.exit_code == 0 and "not on the roster" not in second.output, second.output
    data = load(tmp_path, second.output.split("created session ")[1].split(":")[0])
    people = {p.id: p.name for p in data.session.participants}
    assert [people[c.participant_id] for c in data.contributions] == ["Ann Lee", "Dev Shah", "Priya Rao"]
    organisation_of = {p.name: data.session.organisation(p.organisation_id).name for p in data.session.participants}
    assert organisation_of["Priya Rao"] == "Healthwatch" and organisation_of["Dev Shah"] == "Voluntary Sector Alliance"

    # The series' next import remembers the map (and the roster): no --map, nothing unmatched.
    third = run(tmp_path, "transcript", "import", str(vtt), "--series", "North")
    assert third.exit_code == 0 and "not on the roster" not in third.output, third.output


def test_a_malformed_map_is_refused_with_its_line(tmp_path: Path) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text("Dev Shaw,Dev Shah\nonly one column\n")
    result = run(tmp_path, "transcript", "import", str(FILES / "teams.vtt"), "--map", str(mapping))
    assert (
        result.exit_code == 1 and "map.csv:2: expected 'transcript name,attendee name[,organisation]'" in result.output
    )


# ---------------------------------------------------------------- the words and exports


def test_the_words_are_in_no_export_unless_asked_and_never_when_pseudonymised(tmp_path: Path) -> None:
    session_id = imported(tmp_path, "teams.vtt")
    phrases = ["Welcome everyone", "cannot fund it", "pool it", "Good idea"]

    def every_part(path: Path) -> str:
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
        return path.read_text(encoding="utf-8-sig")

    for suffix in (".csv", ".json", ".xlsx", ".boris"):
        for extra in ([], ["--pseudonymise"], ["--pseudonymise", "--with-text", "--keep-notes"]):
            out = tmp_path / f"out{len(extra)}{suffix}"
            result = run(tmp_path, "export", session_id, "-o", str(out), *extra)
            assert result.exit_code == 0, result.output
            text = every_part(out).replace("&amp;", "&")
            assert not [p for p in phrases if p in text], (suffix, extra)
            if "--with-text" in extra:
                assert "--with-text is ignored with --pseudonymise" in result.output
    with_text = tmp_path / "words.csv"
    assert run(tmp_path, "export", session_id, "-o", str(with_text), "--with-text").exit_code == 0
    rows = list(csv.DictReader(io.StringIO(with_text.read_text(encoding="utf-8-sig"))))
    assert [row["text"] for row in rows][2:] == ["We could pool it.", "Good idea."]
    as_json = tmp_path / "words.json"
    assert run(tmp_path, "export", session_id, "-o", str(as_json), "--with-text").exit_code == 0
    document = json.loads(as_json.read_text())
    assert document["words_included"] is True
    assert document["sessions"][0]["contributions"][0]["text"].startswith("Welcome everyone")
    from openpyxl import load_workbook

    book_path = tmp_path / "words.xlsx"
    assert run(tmp_path, "export", session_id, "-o", str(book_path), "--with-text").exit_code == 0
    sheet = load_workbook(book_path, read_only=True)["Contributions"]
    header, *body = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert body[-1][header.index("text")] == "Good idea."


# ---------------------------------------------------------------- coding it


def transcript_app(tmp_path: Path):
    """The Teams transcript imported, and the app opened on it as ``observer resume`` opens it."""
    from observer.tui.app import ObserverApp

    from .tui_helpers import FakeClock

    session_id = imported(tmp_path, "teams.vtt")
    archive = Archive(tmp_path / "data")
    app = ObserverApp(
        archive, start="coding", session_id=session_id, store=archive.open_session(session_id), clock=FakeClock()
    )
    return archive, session_id, app


def test_join_and_split_keep_the_words_and_undo_restores(tmp_path: Path) -> None:
    session_id = imported(tmp_path, "teams.vtt")
    archive = Archive(tmp_path / "data")
    moment = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    with archive.open_session(session_id) as store:
        coding = CodingSession(store)
        first, second = coding.contributions()[:2]
        coding.join_with_next(moment, first.id)
        joined = coding.contributions()[0]
        assert (joined.start_s, joined.end_s, len(coding.contributions())) == (1.25, 12.0, 3)
        assert joined.words.endswith("budget. The council cannot fund it & keep the service.")
        coding.undo()
        assert [c.id for c in coding.contributions()][:2] == [first.id, second.id]
        coding.split_turn(moment, first.id, 5)  # before "Let's"
        head, tail = coding.contributions()[:2]
        # The time follows the words: "Welcome everyone, thanks for coming." is 36 of the turn's 65 characters,
        # so the cut is 36/65 of the way through its 6.083 s: 1.25 + 3.369 = 4.619.
        assert (head.end_s, tail.start_s, tail.end_s) == (4.619, 4.619, 7.333)
        assert head.words == "Welcome everyone, thanks for coming." and tail.words == "Let's start with the budget."
        assert tail.participant_id == first.participant_id and tail.codes == {}


async def test_the_transcript_screen_codes_turns_and_moves_on_by_itself(tmp_path: Path) -> None:
    from observer.tui.transcript_screen import TranscriptScreen

    from .tui_helpers import press, settle, turn_panel

    archive, session_id, app = transcript_app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TranscriptScreen)
        assert "Welcome everyone" in turn_panel(pilot)
        await press(pilot, "o", "t")  # turn 1: both dimensions coded; it stays, the next turn shown below it
        assert "↓ next code → turn 2 · Bob Khan" in turn_panel(pilot)
        await press(pilot, "p")  # the next code: turn 2
        await press(pilot, "c")  # a flag does not move on
        assert "cannot fund it" in turn_panel(pilot).splitlines()[1]
        await press(pilot, "r")  # turn 2 done; it stays for its flags
        await press(pilot, "tab")  # on to turn 3
        await press(pilot, "1")  # turn 3 is Cath's in the transcript: 1 re-attributes it to Ann
        await press(pilot, "n", "r")
        clock_bar = str(screen.query_one("#clock-bar").render())
        assert "turn 3 of 4 · 3 coded" in clock_bar
    data = archive.load(session_id)
    people = {p.id: p.name for p in data.session.participants}
    stored = [(people[c.participant_id], c.codes, c.flags) for c in data.contributions]
    assert stored[:3] == [
        ("Ann Lee", {"orientation": "org_first", "topic": "transactional"}, []),
        ("Bob Khan", {"orientation": "partnership_first", "topic": "relational"}, ["coordinator"]),
        ("Ann Lee", {"orientation": "neutral", "topic": "relational"}, []),
    ]
    assert stored[3][1] == {}


# ---------------------------------------------------------------- calibration


def code(archive: Archive, session_id: str, orientation: list[str], observer: str = "") -> None:
    moment = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    with archive.open_session(session_id) as store:
        coding = CodingSession(store)
        for turn, value in zip(coding.contributions(), orientation, strict=True):
            coding.set_code(moment, "orientation", value, turn.id)
            coding.set_code(moment, "topic", "relational", turn.id)
            if value == "org_first":
                coding.set_note(moment, "defends the council's budget", turn.id)


def test_calibrate_a_hand_built_pair_passing_and_failing(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    # Four turns are too few to judge by default (10): a trainer's codebook may ask for fewer.
    book = tmp_path / "partnership.toml"
    book.write_text(
        (REPO / "codebooks" / "partnership.toml").read_text().replace("[calibration]", "[calibration]\nmin_turns = 4")
    )
    reference = imported(tmp_path, "teams.vtt", "--observer", "Trainer", "--codebook", str(book))
    close = imported(tmp_path, "teams.vtt", "--observer", "Kim", "--codebook", str(book))
    far = imported(tmp_path, "teams.vtt", "--observer", "Lou", "--codebook", str(book))
    code(archive, reference, ["org_first", "partnership_first", "partnership_first", "neutral"])
    code(archive, close, ["org_first", "partnership_first", "partnership_first", "neutral"])
    code(archive, far, ["org_first", "partnership_first", "org_first", "neutral"])

    passing = run(tmp_path, "calibrate", reference, close, "--json")
    assert passing.exit_code == 0, passing.output
    result = json.loads(passing.output)
    assert result["passed"] is True
    assert result["thresholds"] == {"min_kappa": 0.6, "min_agreement": 0.8, "min_turns": 4}
    assert result["dimensions"]["orientation"] == {
        **result["dimensions"]["orientation"],
        "kappa": 1.0,
        "agreement": 1.0,
    }

    failing = json.loads(run(tmp_path, "calibrate", reference, far, "--json").output)
    # Pairs (ref, trainee): org/org, part/part, part/org, neu/neu. Po = 3/4. Marginals: reference org 1,
    # part 2, neu 1; trainee org 2, part 1, neu 1. Pe = (1·2 + 2·1 + 1·1)/16 = 5/16.
    # kappa = (3/4 − 5/16) / (1 − 5/16) = 7/11.
    orientation = failing["dimensions"]["orientation"]
    assert orientation["kappa"] == pytest.approx(7 / 11) and orientation["agreement"] == 0.75
    assert orientation["passed"] is False and failing["passed"] is False  # 0.75 < 0.8, though kappa ≥ 0.6
    assert orientation["confusion"]["Partnership-first"] == {
        "Neutral": 0,
        "Organisation-first": 1,
        "Partnership-first": 1,
    }
    topic = failing["dimensions"]["topic"]
    assert topic["kappa"] is None and topic["agreement"] == 1.0 and topic["passed"] is True  # one code throughout
    [difference] = failing["differences"]
    assert difference["start_s"] == 11.0 and difference["reference"] == "Partnership-first"
    assert difference["trainee"] == "Organisation-first" and difference["speaker"].startswith("cath diaz")

    out = tmp_path / "calibration.xlsx"
    words = run(tmp_path, "calibrate", reference, far, "-o", str(out))
    assert words.exit_code == 0 and words.output.startswith("NOT PASSED: Lou")
    from openpyxl import load_workbook

    book = load_workbook(out)
    assert book["Calibration"]["A1"].value == "Calibration: NOT PASSED"
    assert [c.value for c in book["Differences"][2]][:5] == [
        "0:11",
        "cath diaz (nhs trust)",
        "Orientation",
        "Partnership-first",
        "Organisation-first",
    ]

    history = run(tmp_path, "calibrate", "--history", "--observer", "lou")
    assert history.exit_code == 0 and history.output.count("\n") == 2  # both of Lou's runs, none of Kim's
    assert "Lou" in history.output and "not passed" in history.output and "Kim" not in history.output


def test_a_training_pack_is_a_transcript_and_a_reference_bundle(tmp_path: Path) -> None:
    trainer, trainee = tmp_path / "trainer", tmp_path / "trainee"
    trainer.mkdir()
    trainee.mkdir()
    reference = imported(trainer, "teams.vtt", "--observer", "Trainer")
    code(Archive(trainer / "data"), reference, ["org_first", "partnership_first", "partnership_first", "neutral"])
    pack = tmp_path / "pack.bundle"
    assert run(trainer, "bundle", reference, "-o", str(pack)).exit_code == 0
    mine = imported(trainee, "teams.vtt", "--observer", "Sam")
    code(Archive(trainee / "data"), mine, ["org_first", "partnership_first", "partnership_first", "org_first"])
    result = run(trainee, "calibrate", str(pack), mine, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["dimensions"]["orientation"]["agreement"] == 0.75


def test_agreement_of_a_live_and_a_transcript_coding_needs_the_offset(tmp_path: Path) -> None:
    session_id = imported(tmp_path, "teams.vtt")
    other = imported(tmp_path, "teams.vtt")
    # Two codings of one transcript file share its clock: no offset to give.
    assert run(tmp_path, "agreement", session_id, other).exit_code == 0
    live = run(tmp_path, "new", "--title", "Live", "--roster", str(ROSTER), "--no-open")
    live_id = live.output.split("created session ")[1].split(":")[0]
    with Archive(tmp_path / "data").open_session(live_id) as store:
        coding = CodingSession(store)
        coding.speak(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC), participant_id=coding.session.participants[0].id)
        coding.end_session(dt.datetime(2026, 3, 2, 12, 0, 20, tzinfo=dt.UTC))
    refused = run(tmp_path, "agreement", session_id, live_id)
    assert refused.exit_code == 1 and "give --offset" in refused.output
    assert run(tmp_path, "agreement", session_id, live_id, "--offset", "0").exit_code == 0


def test_the_demo_writes_a_second_observer_for_agreement(tmp_path: Path) -> None:
    result = run(tmp_path, "demo", "--sessions", "2", "--contributions", "30", "--second-observer")
    assert result.exit_code == 0, result.output
    first, second = result.output.split("try: observer agreement ")[1].split()
    assert second == f"{first}-b"
    compared = json.loads(run(tmp_path, "agreement", first, second, "--json").output)
    kappas = {row["dimension"]: row["time_sliced"]["kappa"] for row in compared["dimensions"]}
    assert all(0.3 < kappas[dimension] < 1.0 for dimension in ("orientation", "topic"))  # perturbed, not unrelated


def test_hostile_names_and_words_are_stored_as_plain_text(tmp_path: Path) -> None:
    long_name = "Ann " + "x" * 10_000
    vtt = tmp_path / "hostile.vtt"
    vtt.write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n"
        f"<v \x1b[2J\u202eEvil\u202c Name>wipe \x1b]0;title\x07the screen</v>\n\n"
        f"00:00:03.000 --> 00:00:04.000\n<v {long_name}>long</v>\n\n"
        '00:00:05.000 --> 00:00:06.000\n<v =HYPERLINK("x")>[bold red]markup[/] 🎉 مرحبا</v>\n'
    )
    result = run(tmp_path, "transcript", "import", str(vtt))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output
    data = load(tmp_path, result.output.split("created session ")[1].split(":")[0])
    names = [p.name for p in data.session.participants]
    assert names[0] == "[2JEvil Name" and len(names[1]) == 200 and names[2] == '=HYPERLINK("x")'
    assert [c.words for c in data.contributions] == ["wipe ]0;title the screen", "long", "[bold red]markup[/] 🎉 مرحبا"]
    out = tmp_path / "out.csv"
    assert run(tmp_path, "export", data.session.id, "-o", str(out), "--with-text").exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[2]["participant"] == '\'=HYPERLINK("x")'  # a formula stays text in a spreadsheet


def test_a_docx_that_unpacks_to_too_much_is_refused_before_it_is_read(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/document.xml", b"\0" * (201 * 1024 * 1024))
    result = run(tmp_path, "transcript", "import", str(bomb))
    assert result.exit_code == 1 and "bomb.docx:1: unpacks to" in result.output


def test_turns_coded_on_the_transcript_screen_survive_kill_9(tmp_path: Path) -> None:

    from .helpers import start_helper

    vtt = tmp_path / "long.vtt"
    cues = [
        f"00:{i // 6:02d}:{i % 6 * 10:02d}.000 --> 00:{i // 6:02d}:{i % 6 * 10 + 8:02d}.000\n"
        f"<v {['Ann Lee', 'Bob Khan', 'Cath Diaz'][i % 3]}>Point {i}.</v>\n"
        for i in range(60)
    ]
    vtt.write_text("WEBVTT\n\n" + "\n".join(cues))
    result = run(tmp_path, "transcript", "import", str(vtt), "--roster", str(ROSTER))
    session_id = result.output.split("created session ")[1].split(":")[0]
    process = start_helper("transcript_coder", str(tmp_path / "data"), session_id)
    assert process.stdout is not None
    shown: dict[str, str] = {}
    for line in process.stdout:
        _, turn, short = line.split()
        shown[turn] = short
        if len(shown) >= 8:
            break
    process.kill()  # SIGKILL; on Windows TerminateProcess
    process.wait()
    data = load(tmp_path, session_id)
    stored = {c.id: c.codes for c in data.contributions}
    short_of = {"org_first": "ORG", "partnership_first": "PART"}
    assert {turn: short_of[stored[turn]["orientation"]] for turn in shown} == shown
    assert all(stored[turn]["topic"] == "transactional" for turn in shown)


async def test_home_opens_a_transcript_session_on_the_transcript_screen(tmp_path: Path) -> None:
    from textual.widgets import DataTable

    from observer.tui.app import ObserverApp
    from observer.tui.home import HomeScreen
    from observer.tui.transcript_screen import TranscriptScreen

    from .tui_helpers import FakeClock, press, settle, shown, until

    session_id = imported(tmp_path, "teams.vtt")
    archive = Archive(tmp_path / "data")
    app = ObserverApp(archive, clock=FakeClock())
    async with app.run_test(size=(120, 35)) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        await until(pilot, lambda: bool(home.sessions), "Home's list")  # read off the event loop
        home.query_one("#sessions", DataTable).move_cursor(row=0)
        await pilot.press("enter")
        await shown(pilot, TranscriptScreen)
        await settle(pilot)
        # A starts an agenda item at the turn shown: this turn and the ones after are filed under it.
        await press(pilot, "tab", "tab")
        await pilot.press("A")
        await pilot.pause()
        await pilot.press(*"Budget", "enter")
        await settle(pilot)
    data = archive.load(session_id)
    [item] = data.session.agenda_items
    assert (item.title, item.start_s) == ("Budget", 11.0)
    assert [c.agenda_item_id for c in data.contributions] == [None, None, item.id, item.id]


async def test_the_transcript_screen_opens_its_session_once(tmp_path: Path) -> None:
    import threading

    from .tui_helpers import settle

    before = sum(thread.name == "observer-actions" for thread in threading.enumerate())
    _, _, app = transcript_app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        # One worker saving keys, not two (Textual runs each class's on_mount: the subclass must not call it too).
        assert sum(thread.name == "observer-actions" for thread in threading.enumerate()) == before + 1


async def test_s_splits_the_turn_shown_between_two_words_the_time_following_them(tmp_path: Path) -> None:
    from .tui_helpers import settle, status_text

    archive, session_id, app = transcript_app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("S")  # turn 1, ten words: the cut starts in the middle, before "Let's"
        await pilot.pause()
        title = str(app.screen.query_one("#cut-title").content)
        assert title.startswith("Split at 0:04.6, before word 6 of 10"), title
        await pilot.press("right", "left", "left")  # a word on, two back: before "coming."
        await pilot.pause()
        assert str(app.screen.query_one("#cut-title").content).startswith("Split at 0:03.9, before word 5")
        await pilot.press("enter")
        await settle(pilot)
        assert "turn 1 · Ann Lee: split at 0:03.9, before 'coming.'" in status_text(pilot)
    turns = archive.load(session_id).contributions
    # "Welcome everyone, thanks for" is 28 of 65 characters: 1.25 + 6.083 × 28/65 = 3.870
    assert [(c.start_s, c.end_s, c.words) for c in turns[:2]] == [
        (1.25, 3.87, "Welcome everyone, thanks for"),
        (3.87, 7.333, "coming. Let's start with the budget."),
    ]
    assert len(turns) == 5


def test_a_vtt_header_with_metadata_lines_is_read(tmp_path: Path) -> None:
    vtt = tmp_path / "captions.vtt"
    vtt.write_text("WEBVTT\nKind: captions\nLanguage: en\n\n00:00:01.000 --> 00:00:02.500\n<v Ann Lee>Hello.</v>\n")
    assert [(c.speaker, c.start_s, c.end_s) for c in read_transcript(vtt).cues] == [("Ann Lee", 1.0, 2.5)]
