"""The journeys of a Windows laptop, under Windows' file and process rules (``tests/windows_rules.py``): a new
session, keys, folds, closing, listing beside a live session, exports, bundles and import, the trash, a closed
console window. Each finding of the first run under these rules is a test here."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.core.models import SessionStatus
from observer.live.coding import CodingSession
from observer.storage import Archive
from observer.storage.lock import holder_path
from observer.tui.app import ObserverApp

from .conftest import REPO, at, current_journal, make_session
from .tui_helpers import coding_screen, log_ids, press, settle
from .windows_rules import WindowsRules


def _cli(data_dir: Path, *arguments: str) -> str:
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), *arguments])
    assert result.exit_code == 0, result.output + (result.stderr if result.stderr_bytes else "")
    return result.stdout


def test_demo_new_sessions_and_listing_work(tmp_path: Path, windows: WindowsRules) -> None:
    """``observer demo`` stopped with "cannot write to …/session.json: permission denied": making a new name
    durable opened the session's folder, which Windows refuses."""
    data_dir = tmp_path / "data"
    _cli(data_dir, "demo", "--sessions", "2", "--contributions", "15")
    listed = json.loads(_cli(data_dir, "sessions", "--json"))
    assert len(listed) == 2
    shown = json.loads(_cli(data_dir, "show", listed[0]["id"], "--json"))
    assert shown["session_id"] == listed[0]["id"]
    assert not windows.violations


def test_opening_and_closing_a_session_never_removes_a_file_held_open(
    tmp_path: Path, partnership: Codebook, windows: WindowsRules
) -> None:
    """The lock file was removed while it was still open (a sharing violation)."""
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    store = archive.create_session(session)
    CodingSession(store).speak(at(0), participant_id=session.participants[0].id)
    store.close()
    with archive.open_session(session.id) as store:
        assert len(store.contributions) == 1
    assert not windows.violations


HOLDER = """
import sys
from observer.storage import Archive
from observer.storage.lock import holder_path
store = Archive(sys.argv[1]).open_session(sys.argv[2])
print("holding", flush=True)
sys.stdin.read()  # until the test lets go
"""


def test_listing_beside_a_session_live_in_another_window_never_calls_kill(
    tmp_path: Path, partnership: Codebook, windows: WindowsRules
) -> None:
    """The lock check a listing makes called ``os.kill(pid, 0)``: on Windows that ends the app coding the
    meeting in the other window."""
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    store = archive.create_session(session)
    CodingSession(store).speak(at(0), participant_id=session.participants[0].id)  # recording
    store.close()
    command = [sys.executable, "-c", HOLDER, str(archive.paths.root), session.id]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        try:
            assert holder.stdout.readline().strip() == "holding"
            listed = json.loads(_cli(archive.paths.root, "sessions", "--json"))
            # Live in the other window: still recording, not taken for a crash.
            assert [entry["status"] for entry in listed] == ["recording"]
            assert holder.poll() is None, "the listing ended the other window's process"
        finally:
            holder.stdin.close()
    assert not windows.kill_calls


def test_folding_while_another_program_reads_the_journal(
    tmp_path: Path, partnership: Codebook, windows: WindowsRules
) -> None:
    """The fold renamed the journal while it was open for appending (and a reader may hold it open too): a
    fold starts a new journal instead, and a journal a reader holds is removed later, not renamed or cut."""
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    store = archive.open_session(session.id)
    store.fold_every = 5
    coding = CodingSession(store)
    windows.readers_beside()
    reader = current_journal(archive, session.id).open("rb")  # another program reading, held open throughout
    try:
        ids = [coding.speak(at(n), participant_id=session.participants[n % 4].id).id for n in range(23)]
        store._wait_for_fold()
        assert store.fold_problem is None
        assert [c.id for c in Archive(archive.paths.root).load(session.id).contributions] == ids
    finally:
        reader.close()
    store.close()
    assert len(archive.paths.journals(session.id)) == 1  # what the reader held went once it let go
    assert [c.id for c in archive.load(session.id).contributions] == ids
    with archive.open_session(session.id) as reopened:
        assert list(reopened.contributions) == ids


def test_trash_and_restore(tmp_path: Path, partnership: Codebook, windows: WindowsRules) -> None:
    """Trashing renamed a folder that held an open lock file."""
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    # A listing in another window holds the checkpoint for a moment as the session is deleted.
    windows.readers_beside()
    reader = archive.paths.checkpoint(session.id).open("rb")
    threading.Timer(0.1, reader.close).start()
    trashed = archive.trash_session(session.id)
    assert trashed.parent == archive.paths.trash and archive.session_ids() == []
    assert archive.restore_session(trashed) == session.id
    assert archive.load(session.id).session.title == session.title
    assert windows.violations  # the reader's moment was waited out, not ignored


def test_exports_bundles_and_import(tmp_path: Path, windows: WindowsRules) -> None:
    data_dir = tmp_path / "data"
    _cli(data_dir, "demo", "--sessions", "2", "--contributions", "12")
    ids = [entry["id"] for entry in json.loads(_cli(data_dir, "sessions", "--json"))]
    for suffix in (".xlsx", ".csv", ".json", ".boris"):
        output = tmp_path / f"out{suffix}"
        _cli(data_dir, "export", *ids, "-o", str(output))
        assert output.stat().st_size > 0
    _cli(data_dir, "export", ids[0], "-o", str(tmp_path / "p.csv"), "--pseudonymise")
    bundle = tmp_path / "two.bundle"
    _cli(data_dir, "bundle", *ids, "-o", str(bundle))
    other = tmp_path / "other"
    _cli(other, "import", str(bundle))
    assert sorted(entry["id"] for entry in json.loads(_cli(other, "sessions", "--json"))) == sorted(ids)
    assert not windows.violations


async def test_app_new_session_keys_fold_and_leave(
    tmp_path: Path, partnership: Codebook, windows: WindowsRules
) -> None:
    """The app failed on start: it named ``signal.SIGHUP``, which Windows does not have."""
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    store = archive.create_session(session)
    store.fold_every = 4
    app = ObserverApp(archive, start="coding", session_id=session.id, store=store)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        for key in ("1", "o", "2", "p", "t", "3", "r", "ctrl+z", "4", "n"):
            await press(pilot, key)
        await settle(pilot)
        shown = log_ids(pilot)
        assert len(shown) == 4
        assert coding_screen(pilot).view.session.status == SessionStatus.RECORDING
        await press(pilot, "ctrl+w")  # home: the session is closed, listed beside the others
        stored = archive.load(session.id)
        assert [c.id for c in stored.contributions] == shown
        assert stored.session.status == SessionStatus.PAUSED
    assert not windows.violations


async def test_a_closed_console_window_closes_the_session(
    tmp_path: Path, partnership: Codebook, windows: WindowsRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not windows.imposed:
        pytest.skip("a console event is sent only where the rules are imposed")
    from observer.tui import app as app_module

    # The app gives a closing terminal 1.5 s before it ends the process for good: not this test's process.
    monkeypatch.setattr(app_module, "SIGNAL_EXIT_SECONDS", 10**6)
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    app = ObserverApp(archive, start="coding", session_id=session.id, store=archive.create_session(session))
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await press(pilot, "1")
        await press(pilot, "p")
        assert windows.console_handlers, "no handler for the console's close event"
        # Windows calls the handler on a thread of its own, and ends the process once it returns.
        started = time.monotonic()
        assert await asyncio.to_thread(windows.close_console)
        assert time.monotonic() - started < 4
    stored = archive.load(session.id)
    assert stored.session.status == SessionStatus.PAUSED
    assert [c.codes for c in stored.contributions] == [{"orientation": "partnership_first"}]
    assert not holder_path(archive.paths.lock(session.id)).exists()


TITLES = ["CON", "nul.txt", "Com1", "lpt9", "report. ", "a<b>c:d|e?f*g", "x" * 300, "한국어 " * 90, "Board…  ", "..."]


@pytest.mark.parametrize("title", TITLES, ids=range(len(TITLES)))
def test_export_names_made_from_titles_are_valid_on_windows(title: str) -> None:
    """A title that is a device name made "con.xlsx" (on Windows, the console, not a file); a long title in
    Korean made a name of 360 bytes, longer than Linux and macOS allow."""
    from observer.core.text import export_name

    assert_windows_name(export_name(title))
    assert_windows_name(export_name(f"observer-2026-03-02-{title}", ".csv"))


def test_an_export_path_stays_under_windows_limit_where_long_paths_are_off(
    tmp_path: Path, windows: WindowsRules
) -> None:
    from observer.storage.paths import export_path

    deep = tmp_path.joinpath(*["folder-of-a-long-name"] * 6)
    path = export_path(deep, "observer-2026-03-02-" + "the quarterly partnership board " * 12)
    assert len(str(path)) < 260
    assert path.parent == deep and path.name.startswith("observer-2026-03-02-the-quarterly")
    assert_windows_name(path.name)


def assert_windows_name(name: str) -> None:
    stem = name.split(".")[0].upper()
    assert stem not in {"CON", "PRN", "AUX", "NUL"} and not (
        stem[:3] in ("COM", "LPT") and stem[3:] in tuple("0123456789")
    ), name
    assert not any(ch in name for ch in '<>:"/\\|?*') and all(ord(ch) >= 32 for ch in name), name
    assert not name.endswith((".", " ")), name
    assert len(name.encode("utf-16-le")) // 2 <= 255 and len(name.encode("utf-8")) <= 255, name


def test_an_imported_session_id_differing_only_in_capitals_gets_a_folder_of_its_own(
    tmp_path: Path, partnership: Codebook
) -> None:
    """A bundle is someone else's file: its session "S-Board" beside this archive's "s-board" would be one folder
    on Windows and macOS (their file systems do not tell capitals apart); it is imported as a copy instead.
    (Ids that are device names or end in a dot are refused when any bundle is read.)"""
    from observer.interop.bundle import import_bundles, write_bundle

    from .meetings import hand_meeting

    archive = Archive(tmp_path / "data")
    mine = hand_meeting(partnership)
    mine = mine.model_copy(update={"session": mine.session.model_copy(update={"id": "s-board"})})
    archive.add_session(mine)
    theirs = mine.model_copy(update={"session": mine.session.model_copy(update={"id": "S-Board", "title": "Theirs"})})
    write_bundle([theirs], tmp_path / "theirs.bundle")
    report = import_bundles(archive, [tmp_path / "theirs.bundle"])
    assert report.imported == [] and len(report.conflicts) == 1
    original, copy, why = report.conflicts[0]
    assert original == "S-Board" and "capitals" in why
    assert copy.casefold() != "s-board" and archive.load(copy).session.title == "Theirs"
    assert archive.load("s-board").session.title == mine.session.title
