"""The screen never waits for the disk, and says honestly what the disk has not caught up with: each row not yet
synced is marked, the header says "saving…" past half a second and that the disk is slow past five, and a failed
sync stops coding with one line naming what is not saved."""

from __future__ import annotations

import asyncio
import errno
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot

from observer.core.codebook_models import Codebook
from observer.storage import Archive
from observer.tui import saving as saving_module
from observer.tui.app import ObserverApp
from observer.tui.log_view import UNSAVED_MARK, ContributionLog

from .conftest import make_session
from .disk import Disk
from .tui_helpers import coding_screen, log_ids, panel_text, press, settle, status_text, wait_idle


async def _shown(pilot: Pilot) -> None:
    """Until every key pressed is on screen (its action done and drawn), without waiting for the disk."""
    screen = coding_screen(pilot)
    assert screen.runner is not None
    deadline = time.monotonic() + 10
    while True:
        await pilot.pause()
        if screen.runner.idle and screen.view is not None:
            return
        assert time.monotonic() < deadline
        await asyncio.to_thread(wait_idle, screen.runner, 1.0)


def _marked(pilot: Pilot) -> list[bool]:
    """Per row of the log as drawn, whether it carries the mark of a change not yet on the disk."""
    log = coding_screen(pilot).query_one(ContributionLog)
    drawn = [log.render_line(y).text for y in range(1, len(log.ids) + 1)]
    return [row[7] == UNSAVED_MARK for row in drawn]


async def test_rows_show_at_once_marked_until_synced_and_the_header_says_saving(
    tmp_path: Path, partnership: Codebook, disk: Disk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "saving…" after 1.5 s here, not 0.5 s: a loaded machine may take half a second to show the first keys.
    monkeypatch.setattr(saving_module, "SAVING_SHOWN_SECONDS", 1.5)
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    app = ObserverApp(archive, start="coding", session_id=session.id, store=archive.create_session(session))
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        disk.open.clear()  # from here the disk keeps every sync waiting
        started = time.monotonic()
        await pilot.press("1", "o")
        await _shown(pilot)
        assert time.monotonic() - started < 1.0
        assert len(log_ids(pilot)) == 1 and _marked(pilot) == [True]
        assert "saving" not in panel_text(pilot, "#clock-bar")  # not at once
        await pilot.press("2", "p", "3")
        await _shown(pilot)
        assert _marked(pilot) == [True, True, True]
        await asyncio.sleep(1.6)
        await pilot.pause()
        assert "saving…" in panel_text(pilot, "#clock-bar")
        disk.open.set()
        await settle(pilot)
        assert _marked(pilot) == [False, False, False]
        assert "saving" not in panel_text(pilot, "#clock-bar")


async def test_a_slow_disk_says_how_many_actions_wait(
    tmp_path: Path, partnership: Codebook, disk: Disk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(saving_module, "DISK_SLOW_SECONDS", 0.6)  # five seconds, in a tenth of the time
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    app = ObserverApp(archive, start="coding", session_id=session.id, store=archive.create_session(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        disk.open.clear()
        await pilot.press("1", "o", "t")
        await _shown(pilot)
        await asyncio.sleep(0.9)
        await pilot.pause()
        assert "disk slow: 3 actions waiting to be saved" in panel_text(pilot, "#clock-bar")
        disk.open.set()
        await settle(pilot)
        assert "disk slow" not in panel_text(pilot, "#clock-bar")


async def test_a_failed_sync_stops_coding_with_one_line(tmp_path: Path, partnership: Codebook, disk: Disk) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    app = ObserverApp(archive, start="coding", session_id=session.id, store=archive.create_session(session))
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        disk.open.clear()
        await pilot.press("1", "p")
        await _shown(pilot)
        disk.failing = OSError(errno.EIO, "Input/output error")
        disk.open.set()
        screen = coding_screen(pilot)
        deadline = time.monotonic() + 10
        while screen.saving.failed is None:
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        line = status_text(pilot)
        assert line.startswith("NOT SAVED:") and "\n" not in line
        assert "the last 2 actions may not be saved" in line and session.participants[0].name in line
        assert "NOT SAVED" in panel_text(pilot, "#clock-bar")
        assert _marked(pilot) == [True]  # still not known to be on the disk
        await pilot.press("2")  # refused: coding has stopped
        await _shown(pilot)
        assert len(log_ids(pilot)) == 1 and status_text(pilot).startswith("NOT SAVED:")
        # Leaving writes the checkpoint whole from memory, which saves what the journal's sync could not.
        disk.failing = None
        await press(pilot, "ctrl+w")
    stored = archive.load(session.id)
    assert [(c.participant_id, c.codes) for c in stored.contributions] == [
        (session.participants[0].id, {"orientation": "partnership_first"})
    ]


@pytest.mark.parametrize("disk_back", [True, False], ids=["disk-back", "disk-still-failing"])
async def test_leaving_after_a_failed_sync_says_whether_it_saved(
    tmp_path: Path, partnership: Codebook, disk: Disk, monkeypatch: pytest.MonkeyPatch, disk_back: bool
) -> None:
    """Leaving after a failed sync said "Closing session … failed: … may not be saved …; everything recorded is kept
    in its journal" even when the checkpoint it wrote had just saved everything; and when it had not, the journal
    it pointed to was the very file the disk had failed to confirm."""
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    app = ObserverApp(archive, start="coding", session_id=session.id, store=archive.create_session(session))
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        disk.open.clear()
        await pilot.press("1", "p")
        await _shown(pilot)
        disk.failing = OSError(errno.EIO, "Input/output error")
        disk.open.set()
        screen = coding_screen(pilot)
        deadline = time.monotonic() + 10
        while screen.saving.failed is None:
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        if disk_back:
            disk.failing = None
        else:
            from observer.storage import files

            def no_disk(fd: int) -> None:
                raise OSError(errno.EIO, "Input/output error")

            monkeypatch.setattr(files.system, "sync_file", no_disk)
        app._notifications.clear()
        await press(pilot, "ctrl+w")
        await pilot.pause()
        said = " | ".join(notice.message for notice in app._notifications)
    if disk_back:
        assert "failed" not in said and "saved on leaving" in said, said
        stored = archive.load(session.id)
        assert [c.codes for c in stored.contributions] == [{"orientation": "partnership_first"}]
    else:
        assert "may not be saved" in said and "kept in its journal" not in said, said
        assert session.participants[0].name in said
