"""A session opened for writing: every change is in its journal, fsynced, before it is applied."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import threading
from pathlib import Path

from observer.errors import StorageError
from observer.files import describe_os_error, fsync_dir
from observer.models import Contribution, Session, SessionData
from observer.paths import DataPaths
from observer.storage.changes import Change, Operation, change_doc
from observer.storage.checkpoint import AtomicJSONStorage, checkpoint_tables
from observer.storage.header import write_header
from observer.storage.journal import JournalRead, move_aside
from observer.storage.lock import SessionLock
from observer.storage.state import SessionState

FOLD_EVERY = 1000  # journal entries before an automatic checkpoint


class SessionStore:
    """A session opened for writing. Every ``do``/``undo``/``redo`` is on disk before it returns."""

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
        try:
            self._start_journal(journal or JournalRead())
        except BaseException:
            if self._journal_fd >= 0:
                os.close(self._journal_fd)
            lock.release()
            raise
        self._entries_since_checkpoint = 0
        self._folder: threading.Thread | None = None
        self.fold_problem: str | None = None  # why the last fold in the background failed, if it did

    def _start_journal(self, found: JournalRead) -> None:
        """Fold what recovery read into the checkpoint, then start the journal clean.

        The order keeps what was readable readable: the checkpoint with every good entry is on disk before
        the journal is emptied, and a damaged journal is moved aside whole (its bytes kept), never cut.
        """
        path = self.paths.journal(self.session_id)
        folding = self.paths.folding_journal(self.session_id)
        if found.size or self.state.warnings:
            AtomicJSONStorage(self.paths.checkpoint(self.session_id)).write(checkpoint_tables(self.state))
        for journal in (folding, path) if found.damaged else ():
            if journal.exists() and (journal == found.damaged_file or found.damaged_file == folding):
                # Damage, and (after damage in the folding journal) everything that followed it: kept whole.
                aside = move_aside(journal)
                self.state.warnings.append(f"the damaged journal was moved aside to {aside.name}, unchanged")
        try:
            if folding.exists():  # a fold the last process did not finish: its entries are in the checkpoint now
                folding.unlink()
                fsync_dir(folding.parent)
        except OSError as error:
            raise StorageError(describe_os_error(error, folding)) from None
        try:
            existed = path.exists()
            self._journal_fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            if os.fstat(self._journal_fd).st_size:
                # Everything good is in the checkpoint now; a torn tail goes with the rest.
                os.ftruncate(self._journal_fd, 0)
                os.fsync(self._journal_fd)
            if not existed:
                fsync_dir(path.parent)
        except OSError as error:
            raise StorageError(describe_os_error(error, path)) from None
        write_header(self.paths, self.state)  # a new session, or one that recovery just folded

    # -- reading

    @property
    def session(self) -> Session:
        return self.state.session

    @property
    def contributions(self) -> dict[str, Contribution]:
        return self.state.contributions

    def data(self) -> SessionData:
        return self.state.data()

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
        seq = self.state.seq + 1
        line = (json.dumps(change_doc(change, operation, seq), separators=(",", ":")) + "\n").encode()
        self._append(line)
        # Only now, with the entry on disk, does the in-memory state move.
        self.state.apply(operation, change)
        self.state.seq = seq
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
            os.fsync(fd)
        except OSError as error:
            # Leave the journal exactly as it was: no half line for recovery to trip over.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size_before)
                os.fsync(fd)
            raise StorageError(
                describe_os_error(error, self.paths.journal(self.session_id)) + "; that action was not saved"
            ) from None

    def _fold_soon(self) -> None:
        """Fold the journal into the checkpoint without keeping the next key waiting.

        On this thread, only what must come before the next entry: the journal is renamed to the folding
        journal and a fresh one started (one rename, one directory fsync). A thread of its own then writes the
        checkpoint from a snapshot and removes the folding journal. Every moment in between reads whole:
        readers replay the folding journal and then the fresh one over whichever checkpoint they find, and
        skip by sequence number what a checkpoint already holds.
        """
        if self._folder is not None and self._folder.is_alive():
            return  # the last fold is still writing: this one waits for a later entry
        folding = self.paths.folding_journal(self.session_id)
        if folding.exists():
            return  # a fold that failed left its journal: never write over it (close folds it, on this thread)
        try:
            self._rotate_journal(folding)
        except OSError as error:
            # The entry that asked for the fold is saved whatever happens here: a fold that cannot start leaves
            # every entry in a journal that readers replay, and closing folds them all.
            self.fold_problem = str(error)
            return
        self._entries_since_checkpoint = 0
        self._folder = threading.Thread(target=self._fold, args=(self.state.snapshot(),), name="fold", daemon=True)
        self._folder.start()

    def _rotate_journal(self, folding: Path) -> None:
        """Rename the journal to ``folding`` and start a fresh one; on failure, put things back as they were."""
        path = self.paths.journal(self.session_id)
        os.rename(path, folding)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:
            os.rename(folding, path)  # entries keep going to the journal they were in
            raise
        try:
            fsync_dir(path.parent)  # the fresh journal's name on disk before any entry it takes is acknowledged
        except OSError:
            os.close(fd)
            os.unlink(path)
            os.rename(folding, path)
            raise
        os.close(self._journal_fd)
        self._journal_fd = fd

    def _fold(self, snapshot: SessionState) -> None:
        folding = self.paths.folding_journal(self.session_id)
        # A fold makes a dict per record, all freed by reference counting: left on, the cyclic collector would
        # run full collections over them meanwhile, pausing the screen's thread for tens of milliseconds.
        collecting = gc.isenabled()
        gc.disable()
        try:
            AtomicJSONStorage(self.paths.checkpoint(self.session_id)).write(checkpoint_tables(snapshot), in_pieces=True)
            folding.unlink()
            fsync_dir(folding.parent)
            write_header(self.paths, snapshot)
        except Exception as error:  # the journals still hold everything; close folds them on this thread
            self.fold_problem = str(error)
        finally:
            if collecting:
                gc.enable()

    def _wait_for_fold(self) -> None:
        if self._folder is not None:
            self._folder.join()
            self._folder = None

    def checkpoint(self) -> None:
        """Fold the journal into the TinyDB checkpoint (atomically), then empty the journal and refresh the
        header that listings read. Waits for a fold under way in the background first."""
        self._wait_for_fold()
        AtomicJSONStorage(self.paths.checkpoint(self.session_id)).write(checkpoint_tables(self.state))
        folding = self.paths.folding_journal(self.session_id)
        path = self.paths.journal(self.session_id)
        try:
            if folding.exists():  # a background fold that failed: its entries are in this checkpoint
                folding.unlink()
            if not path.exists():  # a rotation that could not be put back: entries went on into ``folding``
                fresh = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                os.close(self._journal_fd)
                self._journal_fd = fresh
            os.ftruncate(self._journal_fd, 0)
            os.fsync(self._journal_fd)
            fsync_dir(folding.parent)
        except OSError:
            pass  # entries already in the checkpoint are skipped by their sequence numbers on replay
        else:
            write_header(self.paths, self.state)
        self._entries_since_checkpoint = 0

    def close(self) -> None:
        if self._journal_fd < 0:
            return
        try:
            self.checkpoint()
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
        self.folds = 0
        self._open = True
        self._entries_since_checkpoint = 0

    @property
    def is_open(self) -> bool:
        return self._open

    def _append(self, line: bytes) -> None:
        self.journal.append(line)

    def checkpoint(self) -> None:
        self.journal.clear()
        self.folds += 1
        self._entries_since_checkpoint = 0

    def _fold_soon(self) -> None:
        self.checkpoint()  # nothing to write in memory: a fold is immediate

    def close(self) -> None:
        if self._open:
            self.checkpoint()
            self._open = False
