"""Storage faults: each one gives a clear message and loses nothing already stored."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from observer.core.codebook_models import Codebook
from observer.core.errors import SessionLockedError, StorageError
from observer.live.coding import CodingSession
from observer.storage import Archive
from observer.storage.lock import holder_path

from .conftest import REPO, at, crash, current_journal, make_session


def _code_three(archive: Archive, partnership: Codebook) -> str:
    session = make_session(partnership)
    store = archive.create_session(session)
    coding = CodingSession(store)
    for second, participant in enumerate(session.participants[:3]):
        coding.speak(at(second * 10), participant_id=participant.id)
        coding.set_code(at(second * 10 + 1), "topic", "relational")
    crash(store)  # leave the journal unfolded, as after a crash
    return session.id


def test_records_survive_without_close(archive: Archive, partnership: Codebook) -> None:
    session_id = _code_three(archive, partnership)
    data = archive.load(session_id)
    assert [c.codes for c in data.contributions] == [{"topic": "relational"}] * 3
    assert [c.start_s for c in data.contributions] == [0.0, 10.0, 20.0]


def test_torn_journal_tail_is_dropped_with_a_warning(archive: Archive, partnership: Codebook) -> None:
    session_id = _code_three(archive, partnership)
    journal = current_journal(archive, session_id)
    whole = journal.read_bytes()
    journal.write_bytes(whole + b'{"seq": 99, "op": "do", "lab')
    data, warnings = archive.load_with_warnings(session_id)
    assert len(data.contributions) == 3
    assert any("incomplete last entry" in warning for warning in warnings)
    # Opening for writing cuts the torn tail, and new records land on a clean line.
    with archive.open_session(session_id) as store:
        CodingSession(store).speak(at(100), participant_id=store.session.participants[3].id)
    assert len(archive.load(session_id).contributions) == 4


def test_unreadable_session_file_is_reported_left_in_place_and_others_still_load(
    archive: Archive, partnership: Codebook
) -> None:
    good = _code_three(archive, partnership)
    bad = _code_three(archive, partnership)
    checkpoint = archive.paths.checkpoint(bad)
    checkpoint.write_text('{"meta": {"1": {"format": 1, "seq"')
    sessions, problems = archive.load_all()
    assert [data.session.id for data in sessions] == [good]
    assert len(problems) == 1 and bad in problems[0].message and "left as it is" in problems[0].message
    assert checkpoint.read_text() == '{"meta": {"1": {"format": 1, "seq"'
    # A writer cannot open it either, and leaves it too.
    with pytest.raises(StorageError, match="unreadable"):
        archive.open_session(bad)
    assert checkpoint.read_text() == '{"meta": {"1": {"format": 1, "seq"'
    assert not list(checkpoint.parent.glob("*.corrupt"))


HOLDER = """
import sys, time
from observer.storage import Archive
from observer.storage.lock import holder_path
store = Archive(sys.argv[1]).open_session(sys.argv[2])
print("holding", flush=True)
time.sleep(60)
"""


def test_second_writer_is_refused_while_the_first_lives(archive: Archive, partnership: Codebook) -> None:
    session_id = _code_three(archive, partnership)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(archive.paths.root), session_id], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(SessionLockedError, match=f"pid {holder.pid}"):
            archive.open_session(session_id)
    finally:
        holder.kill()
        holder.wait()
    # Its holder note stays behind, naming a dead process: the lock is taken over, with a warning.
    assert holder_path(archive.paths.lock(session_id)).exists()
    with archive.open_session(session_id) as store:
        assert any(f"pid {holder.pid}" in warning and "stale" in warning for warning in store.state.warnings)
        assert len(store.contributions) == 3


def test_stale_lock_from_a_dead_process_is_taken_over(archive: Archive, partnership: Codebook) -> None:
    session_id = _code_three(archive, partnership)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    holder_path(archive.paths.lock(session_id)).write_text(json.dumps({"pid": dead.pid, "host": "here", "since": "x"}))
    with archive.open_session(session_id) as store:
        assert any("stale lock" in warning for warning in store.state.warnings)
        CodingSession(store).speak(at(50), participant_id=store.session.participants[0].id)
    assert len(archive.load(session_id).contributions) == 4
    assert not holder_path(archive.paths.lock(session_id)).exists()


def test_read_only_data_directory_is_reported(archive: Archive, partnership: Codebook, monkeypatch) -> None:
    session_id = _code_three(archive, partnership)
    before = archive.paths.checkpoint(session_id).read_bytes(), current_journal(archive, session_id).read_bytes()
    real_open = os.open

    def read_only_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and str(archive.paths.root) in str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only_open)
    with pytest.raises(StorageError, match="permission denied"):
        archive.open_session(session_id)
    with pytest.raises(StorageError, match="permission denied"):
        archive.create_session(make_session(partnership))
    monkeypatch.undo()
    assert (
        archive.paths.checkpoint(session_id).read_bytes(),
        current_journal(archive, session_id).read_bytes(),
    ) == before
    assert len(archive.load(session_id).contributions) == 3


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root ignores file permissions; Windows, a folder's mode"
)
def test_really_read_only_folder(archive: Archive, partnership: Codebook) -> None:
    session_id = _code_three(archive, partnership)
    folder = archive.paths.session_dir(session_id)
    folder.chmod(0o500)
    try:
        with pytest.raises(StorageError, match="permission denied"):
            archive.open_session(session_id)
    finally:
        folder.chmod(0o700)


def test_disk_full_while_recording_leaves_the_store_as_it_was(
    archive: Archive, partnership: Codebook, monkeypatch
) -> None:
    session = make_session(partnership)
    store = archive.create_session(session)
    coding = CodingSession(store)
    coding.speak(at(0), participant_id=session.participants[0].id)
    journal = current_journal(archive, session.id)
    size_before = journal.stat().st_size
    real_write = os.write

    def half_then_full(fd, data):
        real_write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(StorageError, match=r"disk full.*not saved"):
        coding.speak(at(5), participant_id=session.participants[1].id)
    monkeypatch.undo()
    assert journal.stat().st_size == size_before  # the half line was cut away
    assert len(store.contributions) == 1  # memory did not move either
    coding.speak(at(9), participant_id=session.participants[2].id)  # and recording goes on once space is back
    store.close()
    assert [c.start_s for c in archive.load(session.id).contributions] == [0.0, 9.0]


def test_disk_full_during_checkpoint_keeps_the_old_file(archive: Archive, partnership: Codebook, monkeypatch) -> None:
    session_id = _code_three(archive, partnership)
    store = archive.open_session(session_id)
    CodingSession(store).speak(at(60), participant_id=store.session.participants[3].id)
    checkpoint_before = archive.paths.checkpoint(session_id).read_bytes()
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StorageError, match=r"disk full.*previous file was kept"):
        store.checkpoint()
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert archive.paths.checkpoint(session_id).read_bytes() == checkpoint_before
    assert not list(archive.paths.session_dir(session_id).glob(".*.tmp"))
    assert len(archive.load(session_id).contributions) == 4  # the journal still has the new one


def test_stale_temporary_files_are_cleaned_on_start(archive: Archive, partnership: Codebook) -> None:
    session_id = _code_three(archive, partnership)
    folder = archive.paths.session_dir(session_id)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = folder / f".session.json.{dead.pid}.tmp"
    live = folder / f".session.json.{os.getpid()}.tmp"
    stale.write_text("half")
    live.write_text("in progress")
    Archive(archive.paths.root).ensure()
    assert not stale.exists() and live.exists()


def test_data_directory_is_owner_only(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "fresh")
    archive.ensure()
    assert (tmp_path / "fresh").stat().st_mode & 0o777 == 0o700


def test_undo_history_survives_reopening(archive: Archive, partnership: Codebook) -> None:
    session_id = _code_three(archive, partnership)
    with archive.open_session(session_id) as store:
        coding = CodingSession(store)
        assert coding.undo() == "undone: Topic: Relational"
        assert coding.undo().startswith("undone: speaker")
    with archive.open_session(session_id) as store:
        coding = CodingSession(store)
        assert len(store.contributions) == 2
        coding.redo()
        coding.redo()
        assert [c.codes for c in coding.contributions()] == [{"topic": "relational"}] * 3


def test_recording_cost_does_not_touch_other_sessions(archive: Archive, partnership: Codebook) -> None:
    other = _code_three(archive, partnership)
    stamp = archive.paths.checkpoint(other).stat().st_mtime_ns
    time.sleep(0.01)
    session = make_session(partnership)
    with archive.create_session(session) as store:
        CodingSession(store).speak(at(0), participant_id=session.participants[0].id)
    assert archive.paths.checkpoint(other).stat().st_mtime_ns == stamp


def test_listing_holds_one_session_at_a_time(tmp_path: Path) -> None:
    """Headers and the session list read an archive one session at a time: memory stays that of one session."""
    import tracemalloc

    from observer.interop.demo import generate_demo

    archive = Archive(tmp_path / "data")
    ids = generate_demo(archive, sessions=8, contributions=300, seed=2)

    def peak(work) -> int:
        tracemalloc.start()
        try:
            work()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    one = peak(lambda: archive.load(ids[0]))
    assert peak(archive.headers) < 2 * one
    assert peak(lambda: list(archive.each_session())) > 4 * one  # all eight kept: the check can fail


@pytest.mark.parametrize("left", ["a journal", "a fold under way"])
def test_an_archive_from_before_journal_generations_reads_and_folds(
    archive: Archive, partnership: Codebook, left: str
) -> None:
    """Sessions written by the previous version hold ``journal.jsonl`` and, after a crash in the middle of a fold,
    ``journal.jsonl.folding`` (older entries) beside it: every reader reads them, and the first writer folds them
    into the checkpoint and removes them."""
    session_id = _code_three(archive, partnership)  # six entries, none folded
    folder = archive.paths.session_dir(session_id)
    lines = current_journal(archive, session_id).read_bytes().splitlines(keepends=True)
    for journal in archive.paths.journals(session_id):
        journal.unlink()
    if left == "a journal":
        (folder / "journal.jsonl").write_bytes(b"".join(lines))
    else:
        (folder / "journal.jsonl.folding").write_bytes(b"".join(lines[:4]))
        (folder / "journal.jsonl").write_bytes(b"".join(lines[4:]))
    expected = [{"topic": "relational"}] * 3
    data, warnings = archive.load_with_warnings(session_id)
    assert [c.codes for c in data.contributions] == expected and warnings == []
    assert [s.contributions for s in archive.summaries()[0]] == [3]
    with archive.open_session(session_id) as store:
        assert [c.codes for c in store.data().contributions] == expected
        assert not (folder / "journal.jsonl").exists() and not (folder / "journal.jsonl.folding").exists()
        CodingSession(store).speak(at(100), participant_id=store.session.participants[3].id)
    assert [path.name for path in archive.paths.journals(session_id)] == ["journal.1.jsonl"]
    assert len(archive.load(session_id).contributions) == 4


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the zombie in /proc")
def test_a_holder_that_died_but_was_not_yet_reaped_is_not_live(archive: Archive, partnership: Codebook) -> None:
    """A process killed (kill -9) stays a zombie until its parent reaps it (seconds, under tmux): its pid exists and
    its start time matches, so listings took the session for live (recording, its time still counting) although
    the process held nothing any more."""
    from observer.storage import lock_is_held, system

    session_id = _code_three(archive, partnership)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{zombie.pid}/stat").read_text().split()[2] != "Z":
            assert time.monotonic() < deadline, "the child never became a zombie"
            time.sleep(0.01)
        note = {"pid": zombie.pid, "host": system.host_name(), "started": system.process_started(zombie.pid)}
        holder_path(archive.paths.lock(session_id)).write_text(json.dumps(note))
        assert not lock_is_held(archive.paths.lock(session_id))
        assert archive.load(session_id).session.status.value == "paused"
    finally:
        zombie.wait()


def test_a_line_being_written_is_no_crash_to_a_reader_beside_the_writer(
    archive: Archive, partnership: Codebook
) -> None:
    """A listing or export in another window can read the journal while the writer is halfway through a line: it
    warned "dropped an incomplete last entry (the program stopped while writing it)" about a program that had not
    stopped (15 times in 190 reads beside fast coding). Beside a live writer the half line is simply not there
    yet; after a crash it is said, as before."""
    session = make_session(partnership)
    store = archive.create_session(session)
    CodingSession(store).speak(at(0), participant_id=session.participants[0].id)
    journal = current_journal(archive, session.id)
    with journal.open("ab") as halfway:
        halfway.write(b'{"seq":2,"op":"do","lab')  # the writer, caught in the middle of its next line
    data, warnings = Archive(archive.paths.root).load_with_warnings(session.id)
    assert len(data.contributions) == 1 and warnings == []
    crash(store)  # the writer dies there: now the half line is a crash's
    data, warnings = Archive(archive.paths.root).load_with_warnings(session.id)
    assert len(data.contributions) == 1
    assert any("incomplete last entry" in warning for warning in warnings)


def test_a_session_being_created_in_another_window_is_no_problem_to_a_listing(
    archive: Archive, partnership: Codebook
) -> None:
    """A listing beside ``observer new``, the demo or an import found the new session's folder before its checkpoint
    and reported "its checkpoint session.json is missing" (13 times in 186 listings while sessions were made). A
    folder whose maker is still at work is left out without a word; one left so by a maker that died is said."""
    from observer.storage.lock import SessionLock

    archive.create_session(make_session(partnership, title="Done")).close()
    being_made = make_session(partnership, title="Being made")
    folder = archive.paths.session_dir(being_made.id)
    folder.mkdir()
    maker = SessionLock(archive.paths.lock(being_made.id), being_made.id)
    maker.acquire()  # the maker holds the lock from the moment the folder exists
    try:
        summaries, problems = Archive(archive.paths.root).summaries()
        assert [s.session.title for s in summaries] == ["Done"] and problems == []
        sessions, problems = Archive(archive.paths.root).load_all()
        assert [s.session.title for s in sessions] == ["Done"] and problems == []
    finally:
        maker.release()
    # Its maker gone, and the folder not made just now: an empty folder left behind is said.
    old = time.time() - 60
    os.utime(folder, (old, old))
    summaries, problems = Archive(archive.paths.root).summaries()
    assert len(problems) == 1 and "missing" in problems[0].message


def test_a_new_session_is_locked_from_the_moment_its_folder_exists(
    archive: Archive, partnership: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    from observer.storage import archive as archive_module
    from observer.storage.lock import lock_is_held

    from .meetings import hand_meeting

    making: list[str] = []
    seen: list[bool] = []
    real_sync = archive_module.fsync_dir

    def look_then_sync(directory: Path) -> None:  # the folder made, its name being made durable
        if Path(directory) == archive.paths.sessions:
            seen.append(lock_is_held(archive.paths.lock(making[-1])))
        real_sync(directory)

    monkeypatch.setattr(archive_module, "fsync_dir", look_then_sync)
    session = make_session(partnership)
    making.append(session.id)
    archive.create_session(session).close()
    meeting = hand_meeting(partnership)
    making.append(meeting.session.id)
    archive.add_session(meeting)
    assert seen == [True, True]
