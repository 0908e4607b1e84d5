"""The app killed with SIGKILL mid-meeting: everything the log had shown is there on resume."""

from __future__ import annotations

from pathlib import Path

from observer.core.codebook_models import Codebook
from observer.core.models import SessionStatus
from observer.storage import Archive
from observer.tui.app import ObserverApp

from .conftest import make_session
from .helpers import start_helper
from .tui_helpers import coding_screen, log_ids, settle, status_text


async def test_app_killed_then_resumed_keeps_everything_shown(tmp_path: Path, partnership: Codebook) -> None:
    data_dir = tmp_path / "data"
    session = make_session(partnership)
    Archive(data_dir).create_session(session).close()
    process = start_helper("tui_coder", str(data_dir), session.id)
    assert process.stdout is not None
    shown: list[str] = []
    for line in process.stdout:
        shown.append(line.split()[1])
        if len(shown) >= 12:
            break
    process.kill()  # SIGKILL; on Windows TerminateProcess
    process.wait()

    app = ObserverApp(Archive(data_dir), start="coding", session_id=session.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = coding_screen(pilot)
        on_screen = set(log_ids(pilot))
        assert set(shown) <= on_screen
        # It was recording when killed: now paused at the last recorded moment, and the screen says so.
        assert screen.view.session.status == SessionStatus.PAUSED
        assert screen.view.session.pauses[-1].interrupted
        assert "stopped while recording" in status_text(pilot)
        # And coding goes on from there.
        await pilot.press("space", "2", "o")
        await settle(pilot)
        assert len(log_ids(pilot)) == len(on_screen) + 1
