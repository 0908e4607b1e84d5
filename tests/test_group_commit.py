"""Two-step acknowledgement: an action is in the journal (the system's cache) when ``do`` returns, and on the disk
itself once the syncer has caught up; one sync covers every entry written since the last."""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path

import pytest

from observer.core.codebook_models import Codebook
from observer.core.errors import StorageError
from observer.live.coding import CodingSession
from observer.storage import Archive
from observer.storage.lock import holder_path

from .conftest import at, make_session
from .disk import Disk


def test_an_entry_is_in_the_journal_before_its_sync(tmp_path: Path, partnership: Codebook, disk: Disk) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    store = archive.create_session(session)
    disk.open.clear()  # the disk takes its time
    started = time.monotonic()
    contribution = CodingSession(store).speak(at(0), participant_id=session.participants[0].id)
    assert time.monotonic() - started < 0.5, "do() waited for the disk"
    # A reader (another process, or this one after a crash) finds it already.
    assert [c.id for c in Archive(archive.paths.root).load(session.id).contributions] == [contribution.id]
    waiting = store.sync_state()
    assert waiting.waiting == 1 and waiting.unsynced == {contribution.id}
    assert not store.wait_synced(timeout=0.2)
    disk.open.set()
    assert store.wait_synced(timeout=10)
    assert store.sync_state().waiting == 0 and not store.sync_state().unsynced
    store.close()


def test_one_sync_covers_every_entry_written_meanwhile(tmp_path: Path, partnership: Codebook, disk: Disk) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    store = archive.create_session(session)
    coding = CodingSession(store)
    disk.open.clear()
    coding.speak(at(0), participant_id=session.participants[0].id)
    time.sleep(0.1)  # the syncer is now waiting on the disk with the first entry
    for second in range(1, 40):
        coding.set_code(at(second), "orientation", "org_first" if second % 2 else "partnership_first")
    disk.open.set()
    assert store.wait_synced(timeout=10)
    assert len(disk.syncs) <= 3, f"{len(disk.syncs)} syncs for 40 entries"
    store.close()


def test_undo_redo_and_folds_while_syncs_wait(tmp_path: Path, partnership: Codebook, disk: Disk) -> None:
    """Entries keep their order across undo, redo and a fold's new journal, whatever the disk has caught up
    with; the old journal is synced before any entry of the new one counts as saved, and closed before it is
    removed; closing waits for the last sync."""
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    store = archive.create_session(session)
    store.fold_every = 7
    coding = CodingSession(store)
    disk.open.clear()
    expected: list[str] = []
    for n in range(30):
        expected.append(coding.speak(at(n * 3), participant_id=session.participants[n % 4].id).id)
        coding.set_code(at(n * 3 + 1), "topic", "relational")
        if n % 5 == 4:
            coding.undo()
            coding.undo()
            expected.pop()
            coding.redo()  # the speaker back, without the code
            expected.append(store.state.latest().id)  # type: ignore[union-attr]
    assert store.sync_state().waiting > 0
    assert [c.id for c in Archive(archive.paths.root).load(session.id).contributions] == expected
    closing = threading.Thread(target=store.close)
    closing.start()
    closing.join(0.3)
    assert closing.is_alive(), "close did not wait for the last sync"
    disk.open.set()
    closing.join(10)
    assert not closing.is_alive()
    stored = archive.load(session.id)
    assert [c.id for c in stored.contributions] == expected
    assert [bool(c.codes) for c in stored.contributions] == [n % 5 != 4 for n in range(30)]
    assert len(archive.paths.journals(session.id)) == 1


@pytest.mark.parametrize(
    ("error", "said"), [(errno.EIO, "Input/output error"), (errno.ENOSPC, "disk full")], ids=["EIO", "disk-full"]
)
def test_a_failed_sync_stops_coding_naming_what_is_not_saved(
    tmp_path: Path, partnership: Codebook, disk: Disk, error: int, said: str
) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    store = archive.create_session(session)
    coding = CodingSession(store)
    disk.open.clear()
    coding.speak(at(0), participant_id=session.participants[0].id)
    coding.set_code(at(1), "orientation", "partnership_first")
    disk.failing = OSError(error, os.strerror(error))
    disk.open.set()
    store.wait_synced(timeout=10)
    failed = store.sync_state().failed
    assert failed is not None
    assert said in failed and "the last 2 actions may not be saved" in failed
    assert f"speaker: {session.participants[0].name}" in failed and "Partnership-first" in failed
    with pytest.raises(StorageError, match="may not be saved"):
        coding.speak(at(5), participant_id=session.participants[1].id)
    # Leaving writes the checkpoint whole from memory: what the journal's sync could not save is saved there.
    disk.failing = None
    store.close()
    stored = archive.load(session.id)
    assert [(c.participant_id, c.codes) for c in stored.contributions] == [
        (session.participants[0].id, {"orientation": "partnership_first"})
    ]


def test_a_power_cut_that_kept_a_newer_journal_but_not_the_end_of_an_older_one(
    tmp_path: Path, partnership: Codebook
) -> None:
    """Entries are numbered: a later journal's entries that follow missing ones are not applied (they would
    apply over records that are not there); they are damage, kept aside by the writer."""
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    store = archive.create_session(session)
    coding = CodingSession(store)
    for n in range(4):
        coding.speak(at(n), participant_id=session.participants[n].id)
    store.close()
    older = archive.paths.journals(session.id)[-1]
    reopened = archive.open_session(session.id)
    coding = CodingSession(reopened)
    coding.speak(at(10), participant_id=session.participants[0].id)
    coding.speak(at(11), participant_id=session.participants[1].id)
    lines = archive.paths.journals(session.id)[-1].read_bytes().splitlines(keepends=True)
    from .conftest import crash

    crash(reopened)
    # As a power cut could leave it: the checkpoint from before, the second entry but not the first.
    newer = archive.paths.journals(session.id)[-1]
    newer.write_bytes(lines[1])
    data, warnings = archive.load_with_warnings(session.id)
    assert len(data.contributions) == 4
    assert any("missing" in warning for warning in warnings)
    assert older != newer
    with archive.open_session(session.id) as repaired:  # the writer keeps the entry aside, whole
        assert len(repaired.contributions) == 4
    assert [path.read_bytes() for path in newer.parent.glob("*.corrupt")] == [lines[1]]


@pytest.mark.parametrize("rules", ["posix", "windows"])
def test_readers_listing_while_the_writer_folds_see_every_entry(
    tmp_path: Path, partnership: Codebook, rules: str, request: pytest.FixtureRequest
) -> None:
    """Another window lists and reads the session over and over while this one codes and folds every few keys:
    each read sees at least what was written before it began, never an error, never a file it cannot open."""
    if rules == "windows":
        request.getfixturevalue("windows").readers_beside()  # the readers here are the other program
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    store = archive.create_session(session)
    store.fold_every = 3
    coding = CodingSession(store)
    written = [0]
    problems: list[str] = []
    stop = threading.Event()

    def read_again_and_again() -> None:
        reader = Archive(archive.paths.root)
        while not stop.is_set():
            before = written[0]
            try:
                seen = len(reader.load(session.id).contributions)
                reader.summaries()
            except Exception as error:
                problems.append(f"{type(error).__name__}: {error}")
                continue
            if seen < before:
                problems.append(f"a read saw {seen} contributions after {before} were written")

    readers = [threading.Thread(target=read_again_and_again) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for n in range(150):
            coding.speak(at(n), participant_id=session.participants[n % 4].id)
            written[0] = n + 1
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    store.close()
    assert problems == []
    assert len(archive.load(session.id).contributions) == 150
    assert store.fold_problem is None


def test_leaving_after_a_failed_sync_saves_what_it_could_not_and_says_so(
    tmp_path: Path, partnership: Codebook, disk: Disk
) -> None:
    """After a failed sync, leaving writes the checkpoint whole from memory. It used to fail all the same: the pause
    made on leaving was refused like any action, so closing raised the sync's error ("may not be saved") although
    the checkpoint then saved everything, and the session was left recording, its time after the last key lost."""
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    store = archive.create_session(session)
    coding = CodingSession(store)
    disk.open.clear()
    coding.speak(at(0), participant_id=session.participants[0].id)
    coding.set_code(at(1), "orientation", "partnership_first")
    disk.failing = OSError(errno.EIO, "Input/output error")
    disk.open.set()
    store.wait_synced(timeout=10)
    assert store.sync_state().failed is not None
    disk.failing = None  # the disk is back (a network folder reconnected)
    coding.close(at(60))  # no error: everything is saved
    stored = archive.load(session.id)
    assert [(c.participant_id, c.codes) for c in stored.contributions] == [
        (session.participants[0].id, {"orientation": "partnership_first"})
    ]
    assert stored.session.status.value == "paused" and stored.session.clock_elapsed_s == 60
    with archive.open_session(session.id) as reopened:  # no interruption to recover from: it was left properly
        assert CodingSession(reopened).recover_after_interruption(at(120)) is None


def test_leaving_after_a_failed_sync_on_a_disk_still_failing_says_what_may_be_lost(
    tmp_path: Path, partnership: Codebook, disk: Disk, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    store = archive.create_session(session)
    coding = CodingSession(store)
    disk.open.clear()
    coding.speak(at(0), participant_id=session.participants[0].id)
    disk.failing = OSError(errno.EIO, "Input/output error")
    disk.open.set()
    store.wait_synced(timeout=10)
    from observer.storage import files

    def no_disk(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(files.system, "sync_file", no_disk)  # the checkpoint cannot be saved either
    with pytest.raises(StorageError) as raised:
        coding.close(at(60))
    said = str(raised.value)
    assert "session.json" in said and "may not be saved" in said and f"speaker: {session.participants[0].name}" in said
    assert not store.is_open and not holder_path(archive.paths.lock(session.id)).exists()


def test_a_journal_whose_close_fails_counts_as_a_failed_sync_and_is_closed_once(
    tmp_path: Path, partnership: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A network folder reports a write the server refused when the file is closed (EIO from close). The journal a
    fold rotated away was then taken for saved, and stayed in the list of journals still to close: closing the
    session closed its descriptor number a second time, by then perhaps another file's (the new journal's)."""
    from observer.storage import syncer as syncer_module

    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    store = archive.create_session(session)
    store.fold_every = 2
    coding = CodingSession(store)
    first_journal_fd = store._journal_fd
    closed: list[int] = []
    real_close = os.close

    def close(fd: int) -> None:
        closed.append(fd)
        real_close(fd)
        if fd == first_journal_fd and closed.count(fd) == 1:
            raise OSError(errno.EIO, "Input/output error")  # closed all the same, as close(2) does

    class SyncersOs:  # the syncer's view of os: its closes seen, the rest as they are
        def __getattr__(self, name: str) -> object:
            return close if name == "close" else getattr(os, name)

    monkeypatch.setattr(syncer_module, "os", SyncersOs())
    coding.speak(at(0), participant_id=session.participants[0].id)
    coding.speak(at(1), participant_id=session.participants[1].id)  # the second entry folds: journal 1 retires
    store.wait_synced(timeout=10)
    store._wait_for_fold()
    failed = store.sync_state().failed
    assert failed is not None and "journal.1.jsonl: Input/output error" in failed
    store.close()
    assert closed.count(first_journal_fd) == 1, "a descriptor was closed twice"
