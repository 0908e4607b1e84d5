"""A session opened for writing: every change is in its journal before it is applied, and synced to the disk
by a thread of its own."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from observer.core.errors import StorageError
from observer.core.models import Contribution, Session, SessionData
from observer.storage import system
from observer.storage.changes import Change, Operation, change_doc
from observer.storage.checkpoint import AtomicJSONStorage, checkpoint_tables
from observer.storage.files import describe_os_error, fsync_dir
from observer.storage.header import write_header
from observer.storage.journal import JournalRead, move_aside
from observer.storage.lock import SessionLock
from observer.storage.paths import DataPaths, journal_generation
from observer.storage.state import SessionState
from observer.storage.syncer import JournalSyncer, SyncState

FOLD_EVERY = 1000  # journal entries before an automatic checkpoint


class SessionStore:
    """A session opened for writing. Every ``do``/``undo``/``redo`` is in the journal (the operating system's
    cache: it survives the program's death) before it returns; a syncer thread then puts it on the disk itself
    (``sync_state`` says what still waits for that, ``wait_synced`` waits)."""

    def __init__(
        self,
        paths: DataPaths,
        state: SessionState,
        lock: SessionLock,
        journal: JournalRead | None = None,
        fold_every: int = FOLD_EVERY,
    ) -> None:
        self.paths = paths
        self.fold_every = fold_every
        self.state = state
        self._lock = lock
        self.session_id = state.session.id
        self._journal_fd = -1
        self._generation = 0
        try:
            self._start_journal(journal or JournalRead())
        except BaseException:
            if self._journal_fd >= 0:
                os.close(self._journal_fd)
            lock.release()
            raise
        self._syncer: JournalSyncer | None = JournalSyncer(
            paths.session_dir(self.session_id), self._journal_fd, self._journal_path
        )
        self._entries_since_checkpoint = 0
        self._folder: threading.Thread | None = None
        self._fold_failed = False
        self.fold_problem: str | None = None  # why the last fold in the background failed, if it did

    @property
    def _journal_path(self) -> Path:
        return self.paths.journal(self.session_id, self._generation)

    def _start_journal(self, found: JournalRead) -> None:
        """Fold what recovery read into the checkpoint, then start a journal of a new generation.

        The order keeps what was readable readable: the checkpoint with every good entry is on disk before the
        journals are removed, and a damaged journal is moved aside whole (its bytes kept), never cut. A journal
        that cannot be removed (another program is reading it, on Windows) stays: every entry in it is in the
        checkpoint now, so replay skips it, and the next fold removes it.
        """
        journals = self.paths.journals(self.session_id)
        # Generations only go up: a name is never used twice, so no reader can take a new journal for an old one.
        self._generation = max((journal_generation(path) or 0 for path in journals), default=0) + 1
        if found.size or self.state.warnings:
            AtomicJSONStorage(self.paths.checkpoint(self.session_id)).write(checkpoint_tables(self.state))
        if found.damaged and found.damaged_file in journals:
            # Damage, and every journal after it (never read): kept whole.
            for journal in journals[journals.index(found.damaged_file) :]:
                aside = move_aside(journal)
                self.state.warnings.append(f"the damaged journal was moved aside to {aside.name}, unchanged")
        self._remove_folded_journals()
        path = self._journal_path
        try:
            self._journal_fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | system.BINARY, 0o600)
            fsync_dir(path.parent)  # the new journal's name is on disk before any entry in it counts as saved
        except OSError as error:
            raise StorageError(describe_os_error(error, path)) from None
        write_header(self.paths, self.state)  # a new session, or one that recovery just folded

    def _remove_folded_journals(self, before_generation: int | None = None) -> None:
        """Remove the journals whose entries are all in the checkpoint (all of them, or those older than
        ``before_generation``). One another program holds open stays; its entries are skipped on replay."""
        for journal in self.paths.journals(self.session_id):
            generation = journal_generation(journal) or 0
            if before_generation is None or generation < before_generation:
                with contextlib.suppress(OSError):
                    system.remove(journal)

    # -- reading

    @property
    def session(self) -> Session:
        return self.state.session

    @property
    def contributions(self) -> dict[str, Contribution]:
        return self.state.contributions

    def data(self) -> SessionData:
        return self.state.data()

    # -- syncing

    def sync_state(self) -> SyncState:
        """What the screen shows: which contributions a power cut could still take, since when, whether syncing
        has failed."""
        return self._syncer.state() if self._syncer is not None else SyncState()

    def wait_synced(self, timeout: float | None = None) -> bool:
        """Until every entry written so far is on the disk (or syncing failed); False on a timeout."""
        return self._syncer.wait(timeout) if self._syncer is not None else True

    @property
    def sync_failed(self) -> bool:
        """A sync has failed: coding has stopped, and only closing (which writes the checkpoint whole) saves."""
        return self._syncer is not None and self._syncer.failed is not None

    def on_sync_change(self, callback: Callable[[], object] | None) -> None:
        """Call ``callback`` (from the syncer's thread) whenever ``sync_state`` has changed."""
        if self._syncer is not None:
            self._syncer.on_change = callback

    # -- writing

    def do(self, change: Change) -> None:
        self._commit("do", change)

    def record(self, change: Change) -> None:
        """A change the program makes on its own (the pause after an interruption): saved, never undone."""
        self._commit("auto", change)

    def undo(self) -> Change | None:
        """Undo the latest change, durably; None when there is nothing to undo."""
        return self._step("undo", self.state.undo_stack)

    def redo(self) -> Change | None:
        """Redo the latest undone change, durably; None when there is nothing to redo."""
        return self._step("redo", self.state.redo_stack)

    def _step(self, operation: Operation, stack: list[Change]) -> Change | None:
        if not stack:
            return None
        change = stack[-1]
        self._commit(operation, change)
        return change

    @property
    def is_open(self) -> bool:
        return self._journal_fd >= 0

    def _commit(self, operation: Operation, change: Change) -> None:
        if not self.is_open:
            raise StorageError(f"session {self.session_id} is closed")
        failed = self._syncer.failed if self._syncer is not None else None
        if failed is not None:
            if operation != "auto":
                raise StorageError(failed)  # coding has stopped: the disk may have lost what it was syncing
            # The program's own step (the pause made on leaving) after a failed sync: the journal is no longer
            # to be trusted, so it goes into memory only, for the checkpoint that closing writes whole from there.
            self.state.apply(operation, change)
            return
        seq = self.state.seq + 1
        line = (json.dumps(change_doc(change, operation, seq), separators=(",", ":")) + "\n").encode()
        self._append(line)
        # Only now, with the entry in the journal, does the in-memory state move.
        self.state.apply(operation, change)
        self.state.seq = seq
        if self._syncer is not None:
            label = change.label if operation in ("do", "auto") else f"{operation}: {change.label}"
            contributions = frozenset(write.record_id for write in change.writes if write.kind == "contribution")
            self._syncer.wrote(seq, label, contributions)
        self._entries_since_checkpoint += 1
        if self._entries_since_checkpoint >= self.fold_every:
            self._fold_soon()

    def _append(self, line: bytes) -> None:
        fd = self._journal_fd
        size_before = os.fstat(fd).st_size
        try:
            written = 0
            while written < len(line):
                written += os.write(fd, line[written:])
        except OSError as error:
            # Leave the journal exactly as it was: no half line for recovery to trip over.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size_before)
            raise StorageError(describe_os_error(error, self._journal_path) + "; that action was not saved") from None

    def _fold_soon(self) -> None:
        """Fold the journal into the checkpoint without keeping the next key waiting.

        On this thread, only what must come before the next entry: a journal of the next generation is made
        (nothing is renamed: Windows refuses to rename a file held open, a reader's included) and the syncer
        told, which syncs the old journal one last time, closes it and syncs the new name. A thread of its own
        then writes the checkpoint from a snapshot and removes the journals it folded. Every moment in between
        reads whole: readers replay every journal over whichever checkpoint they find, and skip by sequence
        number what a checkpoint already holds.
        """
        if self._folder is not None and self._folder.is_alive():
            return  # the last fold is still writing: this one waits for a later entry
        if self._fold_failed:
            return  # a fold failed: its journals stay as they are until close folds them, on this thread
        generation = self._generation + 1
        path = self.paths.journal(self.session_id, generation)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | system.BINARY, 0o600)
        except OSError as error:
            # The entry that asked for the fold is saved whatever happens here: a fold that cannot start leaves
            # every entry in a journal that readers replay, and closing folds them all.
            self.fold_problem = describe_os_error(error, path)
            return
        self._generation, self._journal_fd = generation, fd
        assert self._syncer is not None
        self._syncer.rotate(fd, path)
        self._entries_since_checkpoint = 0
        self._folder = threading.Thread(
            target=self._fold, args=(self.state.snapshot(), generation), name="fold", daemon=True
        )
        self._folder.start()

    def _fold(self, snapshot: SessionState, generation: int) -> None:
        # A fold makes a dict per record, all freed by reference counting: left on, the cyclic collector would
        # run full collections over them meanwhile, pausing the screen's thread for tens of milliseconds.
        collecting = gc.isenabled()
        gc.disable()
        try:
            AtomicJSONStorage(self.paths.checkpoint(self.session_id)).write(checkpoint_tables(snapshot), in_pieces=True)
            if self._syncer is not None:
                self._syncer.wait_retired()  # the old journal is closed before it is removed
            self._remove_folded_journals(before_generation=generation)
            write_header(self.paths, snapshot)
        except Exception as error:  # the journals still hold everything; close folds them on this thread
            self.fold_problem = str(error)
            self._fold_failed = True
        finally:
            if collecting:
                gc.enable()

    def _wait_for_fold(self) -> None:
        if self._folder is not None:
            self._folder.join()
            self._folder = None

    def checkpoint(self) -> None:
        """Fold the journals into the TinyDB checkpoint (atomically), then empty the current journal, remove
        the older ones and refresh the header that listings read. Waits for a fold under way first."""
        self._wait_for_fold()
        AtomicJSONStorage(self.paths.checkpoint(self.session_id)).write(checkpoint_tables(self.state))
        try:
            # Cut, not removed: the writer holds it open (and a reader may be reading it). Not synced: lines a
            # power cut brings back are in the checkpoint, and replay skips them.
            os.ftruncate(self._journal_fd, 0)
        except OSError:
            pass  # entries already in the checkpoint are skipped by their sequence numbers on replay
        else:
            if self._syncer is not None:
                self._syncer.wait_retired()
            self._remove_folded_journals(before_generation=self._generation)
            write_header(self.paths, self.state)
        self._entries_since_checkpoint = 0
        self._fold_failed = False

    def close(self) -> None:
        """Wait for the last sync, fold everything into the checkpoint, free the lock. If a sync failed, the
        checkpoint (written whole from memory, and synced) saves what it could not; should that fail too, the
        error names the actions that may be lost (the journal holding them was not confirmed by the disk)."""
        if self._journal_fd < 0:
            return
        try:
            if self._syncer is not None:
                self._syncer.stop()
            try:
                self.checkpoint()
            except StorageError as error:
                if self.sync_failed:
                    assert self._syncer is not None
                    raise StorageError(f"{error}: {self._syncer.unconfirmed}") from None
                raise
        finally:
            os.close(self._journal_fd)
            self._journal_fd = -1
            self._lock.release()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class MemorySessionStore(SessionStore):
    """A session open for writing that lives in memory only: the same changes, journal lines, undo and folding
    as ``SessionStore``, without files or a lock (as TinyDB's ``MemoryStorage`` stands in for its JSON file).
    For state-machine tests and anything that must not touch the archive."""

    def __init__(self, session: Session, fold_every: int = FOLD_EVERY) -> None:  # no super(): no files
        self.fold_every = fold_every
        self.state = SessionState(session=session, contributions={})
        self.session_id = session.id
        self.journal: list[bytes] = []  # the lines a SessionStore would have appended since the last fold
        self._open = True
        self._entries_since_checkpoint = 0
        self._syncer = None  # nothing to sync: every entry counts as saved at once

    @property
    def is_open(self) -> bool:
        return self._open

    def _append(self, line: bytes) -> None:
        self.journal.append(line)

    def checkpoint(self) -> None:
        self.journal.clear()
        self._entries_since_checkpoint = 0

    def _fold_soon(self) -> None:
        self.checkpoint()  # nothing to write in memory: a fold is immediate

    def close(self) -> None:
        if self._open:
            self.checkpoint()
            self._open = False
