"""Group commit: a session's journal entries are put on the disk itself by a thread of their own.

A key's entry is written to the journal at once (into the operating system's cache: it survives the program
crashing or being killed) and the screen shows it; this thread then syncs the journal, one sync covering every
entry written since the last, as PostgreSQL's ``synchronous_commit = off`` and SQLite's WAL mode do. Until then
the entry is *waiting*: a power cut may lose it, and the screen says so. A sync that fails stops coding: what
was waiting is named, and nothing more is accepted.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from observer.storage import system
from observer.storage.files import describe_os_error

# How many of the waiting actions a failed sync names.
NAMED_WHEN_FAILED = 5


@dataclass(frozen=True)
class Waiting:
    """An entry written to the journal and not yet synced."""

    seq: int
    label: str  # what the observer did, as the status line said it
    records: frozenset[str]  # the contributions it wrote
    written_at: float  # time.monotonic()


@dataclass(frozen=True)
class SyncState:
    """What the screen shows of the syncs: which contributions may still be lost to a power cut, and since when
    the oldest entry has waited."""

    waiting: int = 0  # entries written, not yet on the disk
    waiting_since: float | None = None  # time.monotonic() the oldest of them was written
    unsynced: frozenset[str] = frozenset()  # contributions written by a waiting entry
    failed: str | None = None  # why syncing stopped, naming what was not saved


class JournalSyncer:
    """Syncs a session's journals on a thread of its own, in the order their entries were written.

    The writer calls ``wrote`` after each entry, ``rotate`` when it starts a new journal (the old one is synced
    one last time and closed here, never by the writer), and ``stop`` when the session closes. ``on_change`` is
    called from this thread whenever what ``state`` says has changed.
    """

    def __init__(self, folder: Path, journal_fd: int, journal: Path, on_change: Callable[[], object] | None = None):
        self.folder = folder
        self.on_change = on_change
        self._condition = threading.Condition()
        self._current = (journal_fd, journal)
        self._retired: list[tuple[int, Path]] = []  # journals rotated away: synced once more, then closed here
        self._new_name = False  # the current journal's name is not yet synced in its folder
        self._syncing = journal  # the journal being synced (or closed), for the message should that fail
        self._waiting: deque[Waiting] = deque()
        self._written = 0
        self._failed: str | None = None
        self.unconfirmed = ""  # once a sync has failed: which actions it may have lost ("the last 2 actions …")
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="journal-sync", daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------- the writer's side

    def wrote(self, seq: int, label: str, records: frozenset[str]) -> None:
        with self._condition:
            self._waiting.append(Waiting(seq, label, records, time.monotonic()))
            self._written = seq
            self._condition.notify_all()

    def rotate(self, journal_fd: int, journal: Path) -> None:
        """Entries go to a new journal from now on: the old one is synced and closed on this thread, and the new
        one's name is synced in the folder before any entry in it counts as saved."""
        with self._condition:
            self._retired.append(self._current)
            self._current = (journal_fd, journal)
            self._new_name = True
            self._condition.notify_all()

    @property
    def failed(self) -> str | None:
        return self._failed

    def state(self) -> SyncState:
        with self._condition:
            if not self._waiting:
                return SyncState(failed=self._failed)
            return SyncState(
                len(self._waiting),
                self._waiting[0].written_at,
                frozenset().union(*(entry.records for entry in self._waiting)),
                self._failed,
            )

    def wait(self, timeout: float | None = None) -> bool:
        """Until every entry written so far is on the disk (or syncing has failed); False on a timeout."""
        target = self._written
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while self._failed is None and self._waiting and self._waiting[0].seq <= target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    def wait_retired(self) -> None:
        """Until the journals rotated away are closed (a file held open cannot be removed on Windows)."""
        with self._condition:
            while self._retired and self._failed is None:
                self._condition.wait()

    def stop(self) -> None:
        """Sync what is waiting, close the journals rotated away and end the thread (the current journal stays
        the writer's to close). Safe to call twice."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        self._thread.join()
        for fd, _ in self._retired:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._retired.clear()

    # ---------------------------------------------------------------- the syncing thread

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopping and not self._retired and not self._waiting:
                    self._condition.wait()
                if self._failed is not None or (self._stopping and not self._waiting and not self._retired):
                    return
                target = self._written
                retired = list(self._retired)
                current = self._current
                new_name = self._new_name
            try:
                self._sync(retired, current, new_name)
            except OSError as error:
                self._fail(error, self._syncing)
                return
            with self._condition:
                if new_name and self._current == current:
                    self._new_name = False
                while self._waiting and self._waiting[0].seq <= target:
                    self._waiting.popleft()
                self._condition.notify_all()
            self._changed()

    def _sync(self, retired: list[tuple[int, Path]], current: tuple[int, Path], new_name: bool) -> None:
        for journal in retired:  # older entries first: a newer journal never counts as saved before an older one
            self._syncing = journal[1]
            system.sync_file(journal[0])
            with self._condition:
                # Out of the list before it is closed: close(2) frees the descriptor even when it reports an
                # error (a network folder's refused write), and ``stop`` must not close that number again.
                self._retired.remove(journal)
                self._condition.notify_all()
            os.close(journal[0])
        self._syncing = current[1]
        if new_name:
            system.sync_names(self.folder)
        system.sync_file(current[0])

    def _fail(self, error: OSError, journal: Path) -> None:
        with self._condition:
            waiting = list(self._waiting)
            named = "; ".join(entry.label for entry in waiting[-NAMED_WHEN_FAILED:])
            more = f"{len(waiting) - NAMED_WHEN_FAILED} more and " if len(waiting) > NAMED_WHEN_FAILED else ""
            count = f"the last {len(waiting)} actions" if len(waiting) != 1 else "the last action"
            self.unconfirmed = f"{count} may not be saved ({more}{named})"
            self._failed = (
                f"{describe_os_error(error, journal)}: {self.unconfirmed}. Coding has stopped: note them down, then "
                "leave the session (ctrl+w), which tries once more to save them"
            )
            self._condition.notify_all()
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            with contextlib.suppress(Exception):  # the screen's business; syncing goes on whatever it does
                self.on_change()
