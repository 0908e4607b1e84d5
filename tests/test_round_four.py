"""The fourth attack round beyond transcript files: records that stop round-tripping, values no command should
take, codings of one meeting counted once, and the small things a first-time user tripped on."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from observer.cli import main
from observer.coding import ActionRefused, CodingSession
from observer.models import SessionData
from observer.storage import Archive

from .conftest import REPO

TEAMS = REPO / "tests" / "data" / "transcripts" / "teams.vtt"
ROSTER = REPO / "tests" / "data" / "transcripts" / "roster.csv"
MOMENT = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


def run(data_dir: Path, *arguments: str):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *arguments])


def observer_process(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "observer", "--data-dir", str(data_dir), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def one_line(output: str, *said: str) -> None:
    assert output.strip().count("\n") == 0, output
    assert "unexpected" not in output and "Traceback" not in output, output
    for part in said:
        assert part in output, output


def imported(data_dir: Path, *extra: str, file: Path = TEAMS) -> str:
    result = run(data_dir, "transcript", "import", str(file), "--roster", str(ROSTER), *extra)
    assert result.exit_code == 0, result.output
    return result.output.split("created session ")[1].split(":")[0]


# ---------------------------------------------------------------- 1. a turn's start past its end


def test_a_turn_start_cannot_be_moved_past_its_end(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    session_id = imported(data_dir)
    with Archive(data_dir).open_session(session_id) as store:
        coding = CodingSession(store)
        first = coding.contributions()[0]  # 1.25–7.333 s
        with pytest.raises(ActionRefused, match=r"the turn ends at 0:07; its start must come before"):
            coding.set_start(MOMENT, first.id, 8.0)
        coding.set_start(MOMENT, first.id, 3.0)  # within the turn: it starts later, and ends where it did
        moved = coding.contributions()[0]
        assert (moved.start_s, moved.end_s) == (3.0, 7.333)


async def test_t_past_the_turns_end_is_refused_on_the_transcript_screen(tmp_path: Path) -> None:
    from observer.tui.app import ObserverApp

    from .tui_helpers import FakeClock, settle, status_text, type_text

    data_dir = tmp_path / "data"
    session_id = imported(data_dir)
    archive = Archive(data_dir)
    store = archive.open_session(session_id)  # as `observer resume` opens it: the transcript screen
    app = ObserverApp(archive, start="coding", session_id=session_id, store=store, clock=FakeClock())
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await pilot.pause()
        await pilot.press(*["backspace"] * 12)
        await type_text(pilot, "0:08")
        await pilot.press("enter")
        await settle(pilot)
        assert "its start must come before" in status_text(pilot)
    first = archive.load(session_id).contributions[0]
    assert (first.start_s, first.end_s) == (1.25, 7.333)


def test_a_bundle_is_never_written_with_what_import_would_refuse(tmp_path: Path) -> None:
    """A session stored before the fix (a turn 0:08–0:05) is not bundled; once its start is fixed, it is, and the
    bundle imports: in processes of their own, as a user runs them."""
    data_dir = tmp_path / "data"
    session_id = imported(data_dir)
    archive = Archive(data_dir)
    data = archive.load(session_id)
    broken = data.contributions[0].model_copy(update={"start_s": 8.0})
    archive.trash_session(session_id)
    archive.add_session(SessionData(session=data.session, contributions=[broken, *data.contributions[1:]]))

    bundle = tmp_path / "pack.bundle"
    refused = observer_process(data_dir, "bundle", session_id, "-o", str(bundle))
    assert refused.returncode == 1
    one_line(refused.stderr, session_id, "before it starts", "T on that turn")
    assert not bundle.exists()

    with archive.open_session(session_id) as store:
        CodingSession(store).set_start(MOMENT, broken.id, 1.25)
    assert observer_process(data_dir, "bundle", session_id, "-o", str(bundle)).returncode == 0
    other = tmp_path / "other"
    imported_again = observer_process(other, "import", str(bundle))
    assert imported_again.returncode == 0, imported_again.stderr
    assert json.loads(observer_process(other, "sessions", "--json").stdout)[0]["id"] == session_id
