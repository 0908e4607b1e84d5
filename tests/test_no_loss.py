"""Acknowledged entries survive the rare paths: undo past the saved history, import over a damaged session, a
copied session folder. Each is a real process killed with SIGKILL, then read back as a user would."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.core.models import SessionStatus
from observer.interop.bundle import write_bundle
from observer.live.coding import CodingSession
from observer.live.coding_steps import ActionRefused
from observer.storage import HISTORY_LIMIT, Archive, SessionStore
from observer.storage import checkpoint as checkpoint_module
from observer.storage import state as state_module
from observer.tui.app import ObserverApp

from .conftest import REPO, at, crash, make_session
from .tui_helpers import FakeClock, press, settle

ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def _start_script(data_dir: Path, session_id: str, fold_every: int, *steps: str) -> subprocess.Popen[str]:
    """The scripted writer (tests/helpers/scripted.py), running: it prints what its screen shows, then waits."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.scripted", str(data_dir), session_id, str(fold_every), *steps],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=ENV,
        text=True,
    )


def _run_script_then_kill(data_dir: Path, session_id: str, fold_every: int, *steps: str) -> dict:
    """Run the scripted writer, read what its screen would show, then SIGKILL it."""
    process = _start_script(data_dir, session_id, fold_every, *steps)
    assert process.stdout is not None
    line = process.stdout.readline()
    process.kill()  # SIGKILL; on Windows TerminateProcess
    process.wait()
    assert line, process.stderr.read() if process.stderr else "the writer said nothing"
    return json.loads(line)


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "observer", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=ENV,
        timeout=120,
    )


def _stored(data_dir: Path, session_id: str) -> dict[str, dict[str, str]]:
    return {c.id: c.codes for c in Archive(data_dir).load(session_id).contributions}


def test_undo_never_reaches_past_what_a_replay_can_reproduce(tmp_path: Path, partnership: Codebook) -> None:
    """A fold keeps the last HISTORY_LIMIT steps; undoing beyond them used to work live, then replay met an undo
    of a step it did not have, called it damage and dropped every later line."""
    data_dir = tmp_path / "data"
    session = make_session(partnership)
    Archive(data_dir).create_session(session).close()
    speaks = HISTORY_LIMIT + 100  # the fold lands on the last of them
    shown = _run_script_then_kill(
        data_dir, session.id, speaks, f"speak:{speaks}", f"undo:{HISTORY_LIMIT + 50}", "speak:30", "code:7"
    )
    assert shown["refused"] == 50, "undo stops where the saved history stops"
    assert len(shown["contributions"]) == speaks - HISTORY_LIMIT + 30
    stored_now = _stored(data_dir, session.id)
    assert stored_now == shown["contributions"]
    result = _cli(data_dir, "show", session.id, "--json")
    assert result.returncode == 0, result.stderr
    assert "damaged" not in result.stderr


def test_undo_and_redo_across_folds_and_kills(tmp_path: Path, partnership: Codebook) -> None:
    data_dir = tmp_path / "data"
    session = make_session(partnership)
    Archive(data_dir).create_session(session).close()
    steps = [
        ("speak:40", "undo:25", "redo:10", "code:5"),
        ("undo:30", "speak:3", "redo:2", "undo:4"),
        ("redo:4", "code:9", "undo:12", "redo:12"),
    ]
    for script in steps:
        shown = _run_script_then_kill(data_dir, session.id, 7, *script)
        assert _stored(data_dir, session.id) == shown["contributions"]


def test_import_never_overwrites_a_session_it_cannot_read(tmp_path: Path, partnership: Codebook) -> None:
    """An import used to compare only against readable sessions: an unreadable checkpoint was overwritten and
    its journal of acknowledged entries emptied."""
    data_dir = tmp_path / "data"
    session = make_session(partnership)
    Archive(data_dir).create_session(session).close()
    # The bundle: the session as it stood before anything was coded.
    bundle = tmp_path / "other.bundle"
    write_bundle([Archive(data_dir).load(session.id)], bundle)
    shown = _run_script_then_kill(data_dir, session.id, 1000, "speak:30")
    folder = data_dir / "sessions" / session.id
    (folder / "session.json").write_bytes(b'{"meta": {"1": ')  # a checkpoint nobody can read
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert sum(len(before[path.name].splitlines()) for path in Archive(data_dir).paths.journals(session.id)) == 30

    result = _cli(data_dir, "import", str(bundle))

    assert result.returncode == 0, result.stderr
    after = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert after == before, "the damaged session's files are kept exactly as they were"
    assert "conflict" in result.stdout and session.id in result.stdout
    copies = [name for name in Archive(data_dir).session_ids() if name != session.id]
    assert len(copies) == 1 and Archive(data_dir).load(copies[0]).session.title == session.title
    # Repairing the checkpoint by hand brings back every acknowledged entry.
    assert len(shown["contributions"]) == 30


def test_import_never_overwrites_any_existing_folder(tmp_path: Path, partnership: Codebook) -> None:
    data_dir = tmp_path / "data"
    archive = Archive(data_dir)
    session = make_session(partnership)
    archive.create_session(session).close()
    bundle = tmp_path / "s.bundle"
    write_bundle([archive.load(session.id)], bundle)
    other = tmp_path / "other"
    # A folder of that id with no checkpoint in it, and a folder with the name the conflict copy would take.
    (other / "sessions" / session.id).mkdir(parents=True)
    (other / "sessions" / session.id / "journal.jsonl").write_text("kept\n")
    (other / "sessions" / f"{session.id}-conflict1").mkdir()
    (other / "sessions" / f"{session.id}-conflict1" / "note.txt").write_text("mine\n")

    result = CliRunner().invoke(main, ["--data-dir", str(other), "import", str(bundle)])

    assert result.exit_code == 0, result.output
    assert (other / "sessions" / session.id / "journal.jsonl").read_text() == "kept\n"
    assert (other / "sessions" / f"{session.id}-conflict1" / "note.txt").read_text() == "mine\n"
    assert f"{session.id}-conflict2" in result.output
    assert Archive(other).load(f"{session.id}-conflict2").session.title == session.title


def test_a_copied_session_folder_is_reported_and_never_opened(tmp_path: Path, partnership: Codebook) -> None:
    """``sessions/S.bak`` (a hand-made backup) used to crash Home and open S a second time for writing."""
    data_dir = tmp_path / "data"
    session = make_session(partnership)
    Archive(data_dir).create_session(session).close()
    _run_script_then_kill(data_dir, session.id, 1000, "speak:5")
    shutil.copytree(data_dir / "sessions" / session.id, data_dir / "sessions" / f"{session.id}.bak")

    writer = _start_script(data_dir, session.id, 1000, "speak:4")
    assert writer.stdout is not None
    shown = json.loads(writer.stdout.readline())  # S is open for writing now

    resumed = _cli(data_dir, "resume", f"{session.id}.bak")
    listed = _cli(data_dir, "sessions", "--json")
    writer.kill()  # SIGKILL; on Windows TerminateProcess
    writer.wait()

    assert resumed.returncode != 0
    assert resumed.stderr.count("\n") == 1 and "Traceback" not in resumed.stderr
    assert f"{session.id}.bak" in resumed.stderr and f"holds session {session.id}" in resumed.stderr
    assert listed.returncode == 0
    assert [row["id"] for row in json.loads(listed.stdout)] == [session.id]
    assert f"{session.id}.bak" in listed.stderr
    assert _stored(data_dir, session.id) == shown["contributions"]
    assert len(shown["contributions"]) == 9 - shown["refused"] >= 8


def test_undo_after_reopening_passes_the_pause_made_on_leaving(tmp_path: Path, partnership: Codebook) -> None:
    """ctrl+z right after resume used to undo the pause recorded at close: the clock then counted the whole
    time the app was closed, and closing had emptied the redo stack."""
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    coding = CodingSession(archive.create_session(session))
    ann, bob = session.participants[0].id, session.participants[1].id
    coding.speak(at(0), participant_id=ann)
    coding.speak(at(10), participant_id=bob)
    coding.set_code(at(12), "orientation", "org_first")
    coding.undo()  # the code, which redo can bring back
    coding.close(at(20))

    reopened = CodingSession(archive.open_session(session.id))
    assert reopened.recover_after_interruption(at(66)) is None
    assert reopened.redo() == "redone: Orientation: Organisation-first"
    assert reopened.undo() == "undone: Orientation: Organisation-first"
    assert reopened.undo() == f"undone: speaker: {session.participants[1].name}"
    assert reopened.session.status == SessionStatus.PAUSED
    assert reopened.session.clock_elapsed_s == 20
    reopened.close(at(70))
    stored = Archive(tmp_path / "data").load(session.id)
    assert [c.participant_id for c in stored.contributions] == [ann]
    assert stored.session.observed_seconds(at(500)) == 20


async def test_leaving_the_coding_screen_pauses_without_an_undo_step(tmp_path: Path, partnership: Codebook) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    clock = FakeClock(at(0))
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=clock)
    async with app.run_test() as pilot:
        await settle(pilot)
        await press(pilot, "1")
        clock.advance(20)
        await press(pilot, "ctrl+w")
    with archive.open_session(session.id) as store:
        assert store.session.status == SessionStatus.PAUSED
        assert [change.label for change in store.state.undo_stack] == [f"speaker: {session.participants[0].name}"]


def _kill(store: SessionStore) -> None:
    """What SIGKILL leaves: the journal as written, no fold, the lock free."""
    crash(store)


OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["speak", "speak", "code", "undo", "undo", "redo", "kill"]), st.integers(1, 12)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS, fold_every=st.sampled_from([2, 3, 7, 40]), history=st.sampled_from([4, 9, 500]))
def test_every_acknowledged_change_survives_undo_redo_folds_and_kills(
    tmp_path_factory: pytest.TempPathFactory, partnership: Codebook, operations: list, fold_every: int, history: int
) -> None:
    """Live state and the state a replay rebuilds after a kill agree on every contribution and on what undo and
    redo can still reach, across folds and a saved history shorter than the session."""
    archive = Archive(tmp_path_factory.mktemp("undo") / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    people = [p.id for p in session.participants]
    seconds = 0
    with (
        mock.patch.object(state_module, "HISTORY_LIMIT", history),
        mock.patch.object(checkpoint_module, "HISTORY_LIMIT", history),
    ):
        store = archive.open_session(session.id)
        store.fold_every = fold_every
        coding = CodingSession(store)
        for operation, count in operations:
            for number in range(count):
                seconds += 1
                with contextlib.suppress(ActionRefused):
                    if operation == "speak":
                        coding.speak(at(seconds), participant_id=people[(seconds + number) % len(people)])
                    elif operation == "code":
                        coding.set_code(at(seconds), "topic", "relational" if number % 2 else "transactional")
                    elif operation == "undo":
                        coding.undo()
                    elif operation == "redo":
                        coding.redo()
            if operation == "kill":
                live = store.state
                _kill(store)
                store = archive.open_session(session.id)
                store.fold_every = fold_every
                coding = CodingSession(store)
                assert store.state.contributions == live.contributions
                assert [c.label for c in store.state.undo_stack] == [c.label for c in live.undo_stack]
                assert [c.label for c in store.state.redo_stack] == [c.label for c in live.redo_stack]
                assert not store.state.warnings
        live_contributions = dict(store.state.contributions)
        _kill(store)
        assert {c.id: c for c in archive.load(session.id).contributions} == live_contributions


def test_a_fold_that_fails_in_the_background_loses_nothing(
    tmp_path: Path, partnership: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while the fold writes the checkpoint: every entry stays readable, later entries keep being
    saved, no later fold writes over the journal it left, and closing folds it all."""
    from observer.storage.checkpoint import AtomicJSONStorage

    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    real_write = AtomicJSONStorage.write

    def full_disk(self, data, in_pieces=False):  # type: ignore[no-untyped-def]
        if in_pieces:  # only the fold in the background
            raise OSError(28, "No space left on device")
        real_write(self, data, in_pieces)

    monkeypatch.setattr(AtomicJSONStorage, "write", full_disk)
    store = archive.open_session(session.id)
    store.fold_every = 5
    coding = CodingSession(store)
    ids = [coding.speak(at(n), participant_id=session.participants[n % 4].id).id for n in range(23)]
    store._wait_for_fold()
    assert store.fold_problem and "No space" in store.fold_problem
    assert len(archive.paths.journals(session.id)) > 1  # the journal it could not fold is kept
    assert [c.id for c in Archive(tmp_path / "data").load(session.id).contributions] == ids  # as a reader sees it
    _kill(store)
    reopened = archive.open_session(session.id)
    assert list(reopened.contributions) == ids
    assert len(archive.paths.journals(session.id)) == 1
    reopened.close()


def test_a_fold_puts_a_long_meeting_on_disk_a_little_at_a_time(
    tmp_path: Path, partnership: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key's journal fsync waits for whatever the disk is flushing: a fold that left a long meeting's whole
    checkpoint to one final fsync held keys ~20 ms. The fold syncs its data every quarter megabyte instead."""
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    store = archive.open_session(session.id)
    store.fold_every = 10**6  # no fold while the meeting is typed in
    coding = CodingSession(store)
    for n in range(3000):
        coding.speak(at(n), participant_id=session.participants[n % 4].id)
        coding.set_note(at(n), "a long note " * 20)
    synced: list[int] = []
    real_sync = checkpoint_module.DATA_SYNC
    monkeypatch.setattr(checkpoint_module, "DATA_SYNC", lambda fd: (synced.append(os.fstat(fd).st_size), real_sync(fd)))
    store.fold_every = 1
    coding.speak(at(3000), participant_id=session.participants[0].id)
    store._wait_for_fold()
    assert store.fold_problem is None
    size = archive.paths.checkpoint(session.id).stat().st_size
    assert size > 1_000_000
    assert len(synced) >= size // checkpoint_module.SYNC_EVERY_BYTES - 1
    steps = [later - earlier for earlier, later in zip([0, *synced], synced, strict=False)]
    assert max(steps) < 2 * checkpoint_module.SYNC_EVERY_BYTES
    store.close()
