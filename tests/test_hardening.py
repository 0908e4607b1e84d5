"""Hostile and unlucky input: typed text stays data, limits hold, messages say what to do."""

from __future__ import annotations

import csv
import inspect
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from rich.console import Console
from textual import events
from textual.screen import Screen

from observer.cli.main import main
from observer.core.clock import parse_clock
from observer.core.codebook_models import Codebook
from observer.core.errors import InputError
from observer.core.models import Participant, Session, SessionData
from observer.core.text import search_key
from observer.interop.bundle import _conflict_id, import_bundles, write_bundle
from observer.interop.roster import read_roster
from observer.live.coding import CodingSession
from observer.live.coding_steps import ActionRefused
from observer.storage import Archive
from observer.tui import coding_screen, home, new_session, review, transcript_screen
from observer.tui.app import ObserverApp

from .conftest import REPO, at, make_session
from .tui_helpers import FakeClock, press, screen_text, settle, status_text
from .tui_helpers import coding_screen as coding_screen_of

MARKUP_NAME = "[/b]Evil"


def _run(data_dir: Path, *args: str, **kwargs: object):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], catch_exceptions=False, **kwargs)


def _coding_app(data_dir: Path, session: Session) -> tuple[Archive, ObserverApp]:
    """``session`` stored in a new archive, and the app opened on its coding screen with a fixed clock."""
    archive = Archive(data_dir)
    archive.create_session(session).close()
    return archive, ObserverApp(archive, start="coding", session_id=session.id, clock=FakeClock(at(0)))


def test_no_screen_shadows_a_textual_attribute() -> None:
    """Textual keeps private state on its objects (``_closed`` stops a screen's messages): ours must not clash."""
    base = vars(Screen())
    ours = [
        coding_screen.CodingScreen,
        transcript_screen.TranscriptScreen,
        home.HomeScreen,
        new_session.NewSessionScreen,
        review.ReviewScreen,
    ]
    for cls in ours:
        assigned = {
            name
            for line in inspect.getsource(cls).splitlines()
            if "self._" in line and "=" in line.split("self._", 1)[1]
            for name in [line.split("self.", 1)[1].split("=")[0].split(":")[0].strip()]
        }
        assert not assigned & set(base), f"{cls.__name__} sets Textual's {assigned & set(base)}"
    # The coding screen's panels: only the hooks Textual means to be overridden.
    from textual.widget import Widget

    from observer.tui import panels
    from observer.tui.turn_panel import TurnPanel

    class Bare(Widget):  # what Textual itself puts on every widget class
        pass

    # notify_style_update: "implement this in a subclass to clear cached data when the CSS is reloaded".
    # compose: how a container widget (the turn panel) says what it holds.
    hooks = {"render", "compose", "DEFAULT_CSS", "COMPONENT_CLASSES", "notify_style_update"} | set(vars(Bare))
    for panel in (panels.Panel, panels.ClockBar, panels.AttendeesPanel, panels.CurrentContribution, TurnPanel):
        defined = {name for name in vars(panel) if not name.startswith("__")}
        assert defined & set(dir(Widget)) <= hooks, f"{panel.__name__} redefines {defined & set(dir(Widget))}"


async def test_markup_in_names_titles_and_agenda_is_shown_as_typed(tmp_path: Path, partnership: Codebook) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership, title="[/i]S", series="[red]North")
    evil = Participant(id="p-evil", name=MARKUP_NAME, organisation_id=session.organisations[0].id)
    session = session.model_copy(update={"participants": [evil, *session.participants]})
    with archive.create_session(session) as store:
        coding = CodingSession(store)
        coding.speak(at(0), participant_id="p-evil")
        coding.start_agenda_item(at(1), "Finance [/shared] review")
    app = ObserverApp(archive, clock=FakeClock(at(60)))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert "[/i]S" in screen_text(pilot)
        await press(pilot, "enter")  # open it on the coding screen
        await press(pilot, "1")  # the status line says who speaks
        assert f"{MARKUP_NAME} speaking" in status_text(pilot)
        text = screen_text(pilot)
        assert MARKUP_NAME in text and "Finance [/shared] review" in text
        await press(pilot, "N")
        assert f"Note on {MARKUP_NAME}" in screen_text(pilot)
        await press(pilot, "escape")
        await press(pilot, "question_mark")
        await press(pilot, "escape")
    show = _run(tmp_path / "data", "show", session.id)
    assert show.exit_code == 0 and MARKUP_NAME in show.output and "Finance [/shared] review" in show.output


def test_control_characters_are_refused_on_entry(tmp_path: Path) -> None:
    for option, value in (("--title", "Board\x1b]0;owned\x07"), ("--series", "A\x1b[2J"), ("--observer", "x\x00y")):
        args = ["--title", "Board", option, value] if option != "--title" else [option, value]
        result = _run(tmp_path / "data", "new", *args, "--no-open")
        assert result.exit_code == 1
        assert "control character" in result.output and "Traceback" not in result.output
    roster = tmp_path / "roster.csv"
    roster.write_text("name,organisation\nAnn\x1b[2J,Council\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, field 'name': contains the control character U\+001B"):
        read_roster(roster)
    assert not (tmp_path / "data" / "sessions").exists() or not any((tmp_path / "data" / "sessions").iterdir())


def test_csv_neutralises_formulas_by_default_and_keeps_raw_text_on_request(
    tmp_path: Path, partnership: Codebook
) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    notes = ["=1+1", "+SUM(1)", "-2+3", "@cmd", "\tTAB", "plain, ordinary note", "Siân’s point"]
    with archive.create_session(session) as store:
        coding = CodingSession(store)
        for second, note in enumerate(notes):
            coding.speak(at(second * 5), participant_id=session.participants[second % 4].id)
            coding.set_note(at(second * 5 + 1), f"{note}!" if note.startswith("\t") else note)
    out = tmp_path / "out"
    out.mkdir()
    assert _run(tmp_path / "data", "export", session.id, "-o", str(out / "safe.csv")).exit_code == 0
    assert _run(tmp_path / "data", "export", session.id, "-o", str(out / "raw.csv"), "--raw-text").exit_code == 0
    raw_bytes = (out / "safe.csv").read_bytes()
    assert raw_bytes.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the accents right
    with (out / "safe.csv").open(encoding="utf-8-sig", newline="") as handle:
        safe = [row["note"] for row in csv.DictReader(handle)]
    with (out / "raw.csv").open(encoding="utf-8-sig", newline="") as handle:
        raw = [row["note"] for row in csv.DictReader(handle)]
    assert safe == ["'=1+1", "'+SUM(1)", "'-2+3", "'@cmd", "TAB!", "plain, ordinary note", "Siân’s point"]
    assert raw == ["=1+1", "+SUM(1)", "-2+3", "@cmd", "TAB!", "plain, ordinary note", "Siân’s point"]
    # In the workbook the same cells are text with Excel's quote prefix, so editing them keeps them text.
    assert _run(tmp_path / "data", "export", session.id, "-o", str(out / "book.xlsx")).exit_code == 0
    sheet = load_workbook(out / "book.xlsx")["Contributions"]
    note_column = [cell.value for cell in sheet[1]].index("note") + 1
    cells = [sheet.cell(row, note_column) for row in range(2, 2 + len(notes))]
    assert [cell.data_type for cell in cells] == ["s"] * len(notes)
    assert [cell.quotePrefix for cell in cells[:4]] == [True] * 4 and not cells[5].quotePrefix


def test_exports_refuse_paths_inside_the_data_folder(tmp_path: Path, partnership: Codebook) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    checkpoint = archive.paths.checkpoint(session.id)
    before = checkpoint.read_bytes()
    for args in (
        ["export", session.id, "-o", str(checkpoint)],
        ["export", session.id, "-o", str(tmp_path / "data" / "x.csv")],
        ["bundle", session.id, "-o", str(tmp_path / "data" / "b.json")],
        ["trends", "-o", str(tmp_path / "data" / "t.xlsx")],
    ):
        result = _run(tmp_path / "data", *args)
        assert result.exit_code == 1 and "inside the data folder" in result.output, args
    assert checkpoint.read_bytes() == before


def test_a_huge_roster_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    roster = tmp_path / "huge.csv"
    with roster.open("w", encoding="utf-8") as handle:
        handle.write("name,organisation\n")
        for number in range(200_000):
            handle.write(f"Person {number},Org {number % 7}\n")
    with pytest.raises(InputError, match="more than 500 attendees"):
        read_roster(roster)
    exactly = tmp_path / "ok.csv"
    exactly.write_text("name,organisation\n" + "".join(f"P{n},O\n" for n in range(500)), encoding="utf-8")
    assert len(read_roster(exactly)) == 500


def test_late_arrivals_stop_at_the_attendee_limit(tmp_path: Path, partnership: Codebook) -> None:
    archive = Archive(tmp_path / "data")
    with archive.create_session(make_session(partnership)) as store:
        coding = CodingSession(store)
        for number in range(500 - 4):
            coding.add_attendee(at(1), f"Guest {number}", "Visitors")
        with pytest.raises(ActionRefused, match="at most 500"):
            coding.add_attendee(at(2), "One more", "Visitors")


def test_import_edge_cases(tmp_path: Path, partnership: Codebook) -> None:
    # A conflict copy of a long id is still a valid id.
    long_id = "s" + "x" * 63
    copy = _conflict_id(long_id, {long_id})
    assert len(copy) <= 64 and copy.endswith("-conflict1")
    Participant(id=copy, name="ok", organisation_id="o")  # validates
    # Deeply nested JSON: one line, not RecursionError.
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    archive = Archive(tmp_path / "data")
    with pytest.raises(InputError, match="nested too deeply"):
        import_bundles(archive, [deep])
    # Ids that are not valid file names on Windows are refused.
    session = make_session(partnership)
    bundle = tmp_path / "b.json"
    write_bundle([SessionData(session=session, contributions=[])], bundle)
    document = json.loads(bundle.read_text())
    document["sessions"][0]["session"]["id"] = "con."
    bad = tmp_path / "bad.json"
    import hashlib

    from observer.interop.bundle import _canonical

    document["sha256"] = hashlib.sha256(_canonical(document["sessions"])).hexdigest()
    bad.write_text(json.dumps(document))
    with pytest.raises(InputError, match="not a valid file name"):
        import_bundles(archive, [bad])
    assert not archive.paths.sessions.exists() or not any(archive.paths.sessions.iterdir())


def test_time_and_search_messages() -> None:
    with pytest.raises(ValueError, match="type the time as m:ss"):
        parse_clock("ten past")
    assert parse_clock("1:15") == 75
    assert "sian" in search_key("Siân Jones") and "oneil" in search_key("Máire O’Neil")
    assert "oneil" in search_key("Pat O'Neil")


async def test_key_help_speaks_in_symbols_and_lists_leaving(tmp_path: Path, partnership: Codebook) -> None:
    session = make_session(partnership)
    _, app = _coding_app(tmp_path / "data", session)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        console = Console(width=160, record=True, file=io.StringIO())
        console.print(pilot.app.screen._keys())
        help_text = f" {' '.join(console.export_text().split())} "  # every key and word between spaces
        for symbol in (" / ", " + ", " ? ", "ctrl+w", "ctrl+q", "backspace", " - "):
            assert symbol in help_text, symbol
        for name in ("slash", "plus", "question_mark"):
            assert name not in help_text


async def test_speaker_search_ignores_accents_and_apostrophes(tmp_path: Path, partnership: Codebook) -> None:
    session = make_session(partnership)
    people = [
        Participant(id="p-sian", name="Siân Evans", organisation_id=session.organisations[0].id),
        Participant(id="p-oneil", name="Pat O’Neil", organisation_id=session.organisations[0].id),
    ]
    session = session.model_copy(update={"participants": [*session.participants, *people]})
    _, app = _coding_app(tmp_path / "data", session)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        for typed, expected in (("sian", "p-sian"), ("oneil", "p-oneil")):
            await press(pilot, "slash")
            await pilot.press(*typed)
            await press(pilot, "enter")
            assert coding_screen_of(pilot).view.data.contributions[-1].participant_id == expected


async def test_a_multi_line_paste_into_a_note_keeps_every_line(tmp_path: Path, partnership: Codebook) -> None:
    session = make_session(partnership)
    archive, app = _coding_app(tmp_path / "data", session)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "1")
        await press(pilot, "N")
        pilot.app.post_message(events.Paste("first line\r\nsecond line\nthird"))  # as a terminal delivers it
        await pilot.pause()
        await press(pilot, "enter")
        assert "note saved" in status_text(pilot)
    assert archive.load(session.id).contributions[0].note == "first line\nsecond line\nthird"


def test_codebooks_show_prints_toml_that_check_accepts(tmp_path: Path) -> None:
    for name in ("partnership", "bales-ipa"):
        shown = _run(tmp_path / "data", "codebooks", "show", name)
        assert shown.exit_code == 0
        path = tmp_path / f"{name}.toml"
        path.write_text(shown.output, encoding="utf-8")
        checked = _run(tmp_path / "data", "codebooks", "check", str(path))
        assert checked.exit_code == 0 and ": ok" in checked.output, checked.output


def test_a_data_dir_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    result = CliRunner().invoke(main, ["sessions"], env={"OBSERVER_DATA_DIR": str(not_a_folder)})
    assert result.exit_code == 1 and "is a file, not a folder" in result.output


DISK_FULL_EXPORT = """
import errno, io, os, sys
import observer.storage.files as files
real_fdopen = os.fdopen
class Full(io.RawIOBase):
    def __init__(self, fd): self.fd, self.written = fd, 0
    def writable(self): return True
    def write(self, data):
        self.written += len(data)
        if self.written > 3000:
            raise OSError(errno.ENOSPC, "No space left on device")
        return os.write(self.fd, data)
    def fileno(self): return self.fd
    def close(self):
        if not self.closed:
            os.close(self.fd)
        super().close()
def fdopen(fd, mode="r", *args, **kwargs):
    return io.BufferedWriter(Full(fd)) if "w" in mode else real_fdopen(fd, mode, *args, **kwargs)
files.os.fdopen = fdopen
from observer.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_failed_export_prints_one_line(tmp_path: Path, partnership: Codebook) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    with archive.create_session(session) as store:
        coding = CodingSession(store)
        for second in range(40):
            coding.speak(at(second * 3), participant_id=session.participants[second % 4].id)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            DISK_FULL_EXPORT,
            "--data-dir",
            str(tmp_path / "data"),
            "export",
            session.id,
            "-o",
            str(tmp_path / "out.xlsx"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"observer: error: disk full while writing {tmp_path / 'out.xlsx'}; the previous file was kept"
    ]
    assert list(tmp_path.glob("*.xlsx")) == [] and list(tmp_path.glob(".*.tmp")) == []


async def test_status_line_wraps_a_disk_full_message_instead_of_cutting_it(
    partnership: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os
    import tempfile

    short = Path(tempfile.mkdtemp(prefix="o", dir="/tmp"))  # a short path, so words are what wraps
    session = make_session(partnership)
    archive, app = _coding_app(short / "data", session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        real_write = os.write

        def disk_full(fd: int, data: bytes) -> int:
            if b'"seq"' in data:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_write(fd, data)

        monkeypatch.setattr(os, "write", disk_full)
        await press(pilot, "1")
        message = status_text(pilot)
        assert message.startswith("NOT SAVED: disk full while writing") and "that action was not saved" in message
        shown = " ".join(screen_text(pilot).split())
        for word in message.split():
            assert word in shown, f"'{word}' is not on screen"
        monkeypatch.undo()
    assert archive.load(session.id).contributions == []  # not acknowledged, not stored


async def test_leaving_on_a_full_disk_says_closing_failed_and_loses_nothing(
    tmp_path: Path, partnership: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    from observer.core.errors import StorageError
    from observer.storage import checkpoint as store_module

    session = make_session(partnership)
    archive, app = _coding_app(tmp_path / "data", session)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "1", "p")

        def disk_full(self: object, data: object) -> None:
            raise StorageError("disk full while writing session.json; the previous file was kept")

        monkeypatch.setattr(store_module.AtomicJSONStorage, "write", disk_full)
        await pilot.press("ctrl+w")
        await pilot.pause()
        told = [notification.message for notification in pilot.app._notifications]
        assert any("Closing session" in message and "disk full" in message for message in told), told
        monkeypatch.undo()
        await pilot.press("ctrl+q")
    assert app.return_code == 0
    data = archive.load(session.id)  # everything acknowledged is there, from the journal
    assert [c.codes for c in data.contributions] == [{"orientation": "partnership_first"}]


async def test_a_session_left_or_ended_can_be_reopened_from_home(tmp_path: Path, partnership: Codebook) -> None:
    session = make_session(partnership)
    archive, app = _coding_app(tmp_path / "data", session)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "1", "p")
        await press(pilot, "ctrl+w")  # back to Home: the session is closed
        assert archive.load(session.id).session.status.value == "paused"
        await press(pilot, "enter")  # and opens again in the same process
        assert "open for writing" not in status_text(pilot)
        await press(pilot, "2", "E")
        await press(pilot, "y")
        await press(pilot, "escape")
        await press(pilot, "enter")
        assert "open for writing" not in status_text(pilot)
        assert coding_screen_of(pilot).view.session.status.value == "ended"
        await press(pilot, "ctrl+q")
    assert app.return_code == 0
    assert len(archive.load(session.id).contributions) == 2


def test_a_failed_import_names_only_the_sessions_it_wrote(
    tmp_path: Path, partnership: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    from observer.core.errors import StorageError

    sessions = [SessionData(session=make_session(partnership, title=f"M{n}"), contributions=[]) for n in range(3)]
    bundle = tmp_path / "three.json"
    write_bundle(sessions, bundle)
    archive = Archive(tmp_path / "data")
    real_replace = Archive.add_session
    calls: list[str] = []

    def fail_second(self: Archive, data: SessionData) -> None:
        calls.append(data.session.id)
        if len(calls) == 2:
            raise StorageError("disk full while writing session.json")
        real_replace(self, data)

    monkeypatch.setattr(Archive, "add_session", fail_second)
    with pytest.raises(StorageError) as raised:
        import_bundles(archive, [bundle])
    assert f"sessions imported before this one: {calls[0]})" in str(raised.value)
    assert calls[1] not in str(raised.value).split("before this one")[1]
