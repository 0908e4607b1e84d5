"""Only one process writes a session: an operating-system lock held for the life of the session, plus a note
beside it naming the holder.

The lock is ``filelock``'s (``flock`` on POSIX, ``LockFileEx`` on Windows): the system drops it when its
process dies, so a lock left by a crash is simply taken over. Windows lets no other process read a locked
byte, so the holder's name (pid, host, when the process started) is kept in ``session.holder`` beside the
lock, for the message a second writer sees and for readers asking whether the session is live.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from observer.core.errors import SessionLockedError, StorageError
from observer.core.fields import utc_now
from observer.storage import system
from observer.storage.files import describe_os_error, write_cache_file

# How long a second writer waits for the lock before it is told who holds it.
LOCK_WAIT_SECONDS = 0.1
HOLDER_NAME = "session.holder"
# Two readings of one process's start time differ by rounding only.
STARTED_TOLERANCE_SECONDS = 1.0

_held: set[Path] = set()  # the locks this process holds (a holder note naming us is true only for these)
_held_guard = threading.Lock()


@dataclass(frozen=True)
class Holder:
    """What a holder note says."""

    pid: int
    host: str
    started: float | None  # when the process started: a pid the system later gives another process is not it

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}"

    def running(self, lock_path: Path) -> bool:
        """Whether the process this note names still holds the lock, as far as this machine can tell."""
        if self.host != system.host_name():
            return True  # another computer sharing the folder: it cannot be asked, so it is taken at its word
        if self.pid == os.getpid():
            with _held_guard:
                return Path(os.path.abspath(lock_path)) in _held
        if not system.pid_alive(self.pid):
            return False
        started = system.process_started(self.pid)
        return self.started is None or started is None or abs(started - self.started) < STARTED_TOLERANCE_SECONDS


def holder_path(lock_path: Path) -> Path:
    return lock_path.with_name(HOLDER_NAME)


def read_holder(lock_path: Path) -> Holder | None:
    """The note beside the lock; None when there is none, or it cannot be read (a writer is writing it)."""
    try:
        document = json.loads(holder_path(lock_path).read_bytes())
        started = document.get("started")
        return Holder(int(document["pid"]), str(document["host"]), float(started) if started is not None else None)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def lock_is_held(lock_path: Path) -> bool:
    """Whether a running process has the session open for writing; takes nothing and creates nothing."""
    holder = read_holder(lock_path)
    return holder is not None and holder.running(lock_path)


class SessionLock:
    """The lock of one session, and its holder note."""

    def __init__(self, path: Path, session_id: str) -> None:
        self.path = Path(os.path.abspath(path))
        self.session_id = session_id
        self.took_over_from: str | None = None
        import filelock  # here: it loads asyncio, which a listing or an export need not wait for

        # Not thread-local: a session opened on one thread is closed on another (the app's action thread).
        self._lock = filelock.FileLock(str(path), thread_local=False)

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self) -> None:
        import filelock

        try:
            self._lock.acquire(timeout=LOCK_WAIT_SECONDS)
        except filelock.Timeout:
            holder = read_holder(self.path)
            raise SessionLockedError(
                f"session {self.session_id} is open for writing in another observer process "
                f"({holder.describe() if holder else 'unknown holder'}); close it there first"
            ) from None
        except OSError as error:
            raise StorageError(
                describe_os_error(error, self.path) + "; the session was not opened for writing"
            ) from None
        previous = read_holder(self.path)
        if previous is not None and previous.pid != os.getpid():
            self.took_over_from = previous.describe()  # the lock was free: that process has ended
        note = {
            "pid": os.getpid(),
            "host": system.host_name(),
            "started": system.process_started(os.getpid()),
            "since": utc_now().isoformat(),
        }
        with _held_guard:
            _held.add(self.path)
        try:
            write_cache_file(holder_path(self.path), json.dumps(note).encode())
        except OSError as error:
            self.release()
            raise StorageError(
                describe_os_error(error, holder_path(self.path)) + "; the session was not opened for writing"
            ) from None

    def release(self) -> None:
        """The note goes first, while the lock is still ours: no later holder's note can be removed by us."""
        if not self._lock.is_locked:
            return
        with contextlib.suppress(OSError):
            system.remove(holder_path(self.path))
        with _held_guard:
            _held.discard(self.path)
        with contextlib.suppress(OSError):
            self._lock.release(force=True)
