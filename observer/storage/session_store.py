"""A session opened for writing: every change is in its journal, fsynced, before it is applied."""

from __future__ import annotations

import contextlib
import json
import os

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

    def _start_journal(self, found: JournalRead) -> None:
        """Fold what recovery read into the checkpoint, then start the journal clean.

        The order keeps what was readable readable: the checkpoint with every good entry is on disk before
        the journal is emptied, and a damaged journal is moved aside whole (its bytes kept), never cut.
        """
        path = self.paths.journal(self.session_id)
        if found.size or self.state.warnings:
            AtomicJSONStorage(self.paths.checkpoint(self.session_id)).write(checkpoint_tables(self.state))
        if found.damaged:
            aside = move_aside(path)
            self.state.warnings.append(f"the damaged journal was moved aside to {aside.name}, unchanged")
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
            self.checkpoint()

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

    def checkpoint(self) -> None:
        """Fold the journal into the TinyDB checkpoint (atomically), then empty the journal and refresh the
        header that listings read."""
        AtomicJSONStorage(self.paths.checkpoint(self.session_id)).write(checkpoint_tables(self.state))
        try:
            os.ftruncate(self._journal_fd, 0)
            os.fsync(self._journal_fd)
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

    def close(self) -> None:
        if self._open:
            self.checkpoint()
            self._open = False
