"""The third attack round's files and names: -o through links and devices, codebooks nested to the bottom,
rosters from European Excel, zip bombs and formulas, text-direction controls, wide characters, and the
analyses that could still print real names."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from rich.cells import cell_len

from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.core.errors import InputError
from observer.interop.demo import generate_demo
from observer.interop.roster import read_roster
from observer.live.coding_steps import ActionRefused
from observer.storage import Archive
from observer.tui.app import ObserverApp
from observer.tui.log_view import _fit, column_widths
from observer.tui.new_session import NewSessionScreen

from .conftest import REPO, make_session
from .meetings import hand_meeting


def _run(data_dir: Path, *args: str):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])


@pytest.fixture
def stored(tmp_path: Path, partnership: Codebook) -> Path:
    data_dir = tmp_path / "data"
    Archive(data_dir).add_session(hand_meeting(partnership))
    return data_dir


# ---------------------------------------------------------------- -o


def test_output_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path: Path, stored: Path) -> None:
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    target.chmod(0o644)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    result = _run(stored, "export", "s-hand", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text(encoding="utf-8-sig").startswith("session_id")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # a replaced file keeps its permissions


@pytest.mark.parametrize("kind", ["device", "read-only", "another user's"])
def test_output_that_cannot_be_written_in_place_is_refused(tmp_path: Path, stored: Path, kind: str) -> None:
    if kind == "device":
        target = Path(os.devnull)
    else:
        target = tmp_path / "theirs.csv"
        target.write_text("theirs\n")
        target.chmod(0o444 if kind == "read-only" else 0o644)
        if kind == "another user's":
            if os.geteuid() != 0:
                pytest.skip("making a file someone else's needs root")
            os.chown(target, 65534, 65534)
    before = target.lstat()
    result = _run(stored, "export", "s-hand", "-o", str(target))
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and str(target) in result.output
    after = target.lstat()
    assert (after.st_mode, after.st_uid, after.st_ino) == (before.st_mode, before.st_uid, before.st_ino)
    if kind in ("read-only", "another user's"):
        assert target.read_text() == "theirs\n"


def test_an_xlsx_export_killed_midway_leaves_no_personal_data_in_the_temporary_folder(
    tmp_path: Path,
) -> None:
    data_dir, temp = tmp_path / "data", tmp_path / "tmp"
    temp.mkdir()
    ids = generate_demo(Archive(data_dir), sessions=6, contributions=400, seed=4)
    out = tmp_path / "out" / "all.xlsx"
    out.parent.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(temp)}
    process = subprocess.Popen(
        [sys.executable, "-m", "observer", "--data-dir", str(data_dir), "export", *ids, "-o", str(out)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list(out.parent.glob(".observer-scratch.*/*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    process.kill()  # SIGKILL; on Windows TerminateProcess
    process.wait()
    assert not list(temp.iterdir()), "openpyxl's sheet files went to the shared temporary folder"
    left = list(out.parent.glob(".observer-scratch.*"))
    assert left, "the export was killed before it wrote a sheet: make the archive larger"
    # The next export beside it cleans up what the killed one left.
    result = _run(data_dir, "export", ids[0], "-o", str(out))
    assert result.exit_code == 0, result.output
    assert [path.name for path in out.parent.iterdir()] == ["all.xlsx"]


# ---------------------------------------------------------------- codebooks


def test_a_deeply_nested_codebook_file_is_named_and_skipped(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "codebooks").mkdir(parents=True)
    (data_dir / "codebooks" / "deep.toml").write_text("a = " + "[" * 5000 + "]" * 5000)
    listed = _run(data_dir, "codebooks", "list")
    assert listed.exit_code == 0 and "deep.toml" in listed.output and "nested too deeply" in listed.output
    assert "partnership" in listed.output
    assert _run(data_dir, "codebooks", "show", "partnership").exit_code == 0
    created = _run(data_dir, "new", "--title", "T", "--codebook", "bales-ipa", "--no-open")
    assert created.exit_code == 0, created.output
    checked = _run(data_dir, "codebooks", "check", str(data_dir / "codebooks" / "deep.toml"))
    assert checked.exit_code == 1 and checked.output.count("\n") == 1 and "deep.toml" in checked.output


async def test_the_new_session_form_opens_beside_a_broken_codebook(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    archive.ensure()
    archive.paths.codebooks.mkdir()
    (archive.paths.codebooks / "deep.toml").write_text("a = " + "[" * 5000 + "]" * 5000)
    app = ObserverApp(archive)
    async with app.run_test() as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NewSessionScreen)
        notices = [notice.message for notice in app._notifications]
        assert any("deep.toml" in message and "nested too deeply" in message for message in notices)


# ---------------------------------------------------------------- rosters


def test_a_semicolon_roster_from_european_excel_is_read(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name;organisation;role\nAnn Lee;City Council;Chair\nBo Ek;NHS Trust, North;\n", encoding="utf-8")
    entries = read_roster(roster)
    assert [(e.name, e.organisation, e.role) for e in entries] == [
        ("Ann Lee", "City Council", "Chair"),
        ("Bo Ek", "NHS Trust, North", ""),
    ]


def test_an_xlsx_roster_with_formulas_reads_their_saved_values_or_says_there_are_none(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "organisation"])
    sheet.append(["Ann Lee", '=CONCAT("City ", "Council")'])
    path = tmp_path / "formulas.xlsx"
    book.save(path)  # openpyxl saves no computed value: as a file from a script, not from Excel
    with pytest.raises(InputError, match=r"row 2: a formula cell .* no saved value"):
        read_roster(path)
    # As Excel saves it: the formula and the value it computed.
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    sheet_xml = members["xl/worksheets/sheet1.xml"].decode()
    sheet_xml = sheet_xml.replace("</f>", "</f><v>City Council</v>").replace('<c r="B2"', '<c r="B2" t="str"')
    members["xl/worksheets/sheet1.xml"] = sheet_xml.encode()
    saved = tmp_path / "saved.xlsx"
    with zipfile.ZipFile(saved, "w") as target:
        for name, content in members.items():
            target.writestr(name, content)
    assert [(e.name, e.organisation) for e in read_roster(saved)] == [("Ann Lee", "City Council")]


def test_an_xlsx_roster_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["name", "organisation"])
    path = tmp_path / "bomb.xlsx"
    book.save(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/padding.bin", b"\0" * 60_000_000)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(InputError, match="unpacks to 60 MB"):
        read_roster(path)


# ---------------------------------------------------------------- names


def test_text_direction_controls_are_refused_where_names_are_typed(tmp_path: Path, partnership: Codebook) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,organisation\nAnn \u202eeeL,City Council\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, field 'name': .*U\+202E"):
        read_roster(roster)
    from observer.live.coding import CodingSession
    from observer.storage import MemorySessionStore

    from .conftest import at

    coding = CodingSession(MemorySessionStore(make_session(partnership)))
    with pytest.raises(ActionRefused, match="U\\+2067"):
        coding.add_attendee(at(1), "Ann", "Council \u2067x")
    # Right-to-left names themselves are welcome.
    assert coding.add_attendee(at(2), "שרה כהן", "עיריית חיפה").name == "שרה כהן"


def test_a_stored_name_with_a_direction_control_is_printed_made_safe(tmp_path: Path, partnership: Codebook) -> None:
    data = hand_meeting(partnership)
    people = [p.model_copy(update={"name": "Ann \u202eeeL"}) if p.id == "pa" else p for p in data.session.participants]
    data = data.model_copy(update={"session": data.session.model_copy(update={"title": "Board \u202e"})})
    data.session.participants[:] = people
    Archive(tmp_path / "data").add_session(data)
    listed = _run(tmp_path / "data", "sessions")
    assert listed.exit_code == 0 and "\u202e" not in listed.output and "Board ?" in listed.output
    shown = _run(tmp_path / "data", "show", "s-hand")  # its heading, its sentences and its tables
    assert shown.exit_code == 0 and "\u202e" not in shown.output and "Board ?" in shown.output


def test_wide_names_keep_the_log_columns_aligned() -> None:
    """CJK and emoji take two cells each: padded by characters, they pushed the codes out of their column."""
    rows = [
        ("0:01", "王小明王小明王小明", "医院医院医院医院", "ORG TRX", "", ""),
        ("0:02", "Ann", "🏥🏥🏥🏥🏥🏥🏥🏥🏥🏥🏥🏥", "PART REL", "", ""),
        ("0:03", "Bob", "Council", "NEU", "", ""),
    ]
    widths = column_widths(100)
    lines = [" ".join(_fit(cell, width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    assert {cell_len(line) for line in lines} == {sum(widths) + len(widths) - 1}
    codes_at = [cell_len(line[: line.index(code)]) for line, code in zip(lines, ("ORG", "PART", "NEU"), strict=True)]
    assert len(set(codes_at)) == 1


# ---------------------------------------------------------------- analyses


def test_sequences_by_speaker_can_be_pseudonymised(tmp_path: Path, partnership: Codebook) -> None:
    data_dir = tmp_path / "data"
    first = hand_meeting(partnership)
    Archive(data_dir).add_session(first)
    names = [p.name for p in first.session.participants] + [o.name for o in first.session.organisations]
    out = tmp_path / "sequences.xlsx"
    sequences = _run(data_dir, "sequences", "s-hand", "--by", "speaker", "--pseudonymise", "-o", str(out))
    assert sequences.exit_code == 0, sequences.output
    workbook_text = " ".join(
        str(cell)
        for sheet in load_workbook(out).worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    )
    assert "P01" in workbook_text and not any(name in workbook_text for name in names)
    assert "P01" in sequences.output and not any(name in sequences.output for name in names)
    by_organisation = _run(data_dir, "sequences", "s-hand", "--by", "organisation", "--pseudonymise", "--json")
    assert "O01" in by_organisation.output and not any(name in by_organisation.output for name in names)


def test_a_folder_name_with_escapes_is_printed_made_safe(tmp_path: Path, stored: Path) -> None:
    strange = stored / "sessions" / "x\x1b]0;owned\x07"
    strange.mkdir()
    for command in (["sessions"], ["trends", "--json"]):
        result = CliRunner().invoke(main, ["--data-dir", str(stored), *command])
        assert "\x1b" not in result.stderr and "\x07" not in result.stderr, command
        assert "x?]0;owned?" in result.stderr, command


async def test_ctrl_c_says_how_to_quit_in_plain_words(tmp_path: Path, partnership: Codebook) -> None:
    """Textual's hint is markup ("[b]ctrl+q[/b]"); our notices are plain text, so it showed the brackets."""
    from .tui_helpers import FakeClock, settle

    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=FakeClock())
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        messages = [notice.message for notice in app._notifications]
        assert any("ctrl+q" in message for message in messages), messages
        assert not any("[b]" in message for message in messages), messages
