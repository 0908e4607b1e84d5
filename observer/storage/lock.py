"""Only one process writes a session: an flock held for the life of the process, plus the holder's name."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path

from observer.errors import SessionLockedError, StorageError
from observer.files import describe_os_error, pid_alive
from observer.models import utc_now

try:
    import fcntl
except ImportError:  # Windows: fall back to pid checks only
    fcntl = None  # type: ignore[assignment]

LOCK_ATTEMPTS = 5


def lock_is_held(path: Path) -> bool:
    """Whether a running process has the session open for writing; takes nothing and creates nothing."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False  # no lock file: nobody has it open
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        pid = _holder_pid(SessionLock._read_holder(fd))
        return pid is not None and pid_alive(pid)
    finally:
        os.close(fd)


class SessionLock:
    """Only one process writes a session: an flock held for the life of the process, plus the holder's name.

    The kernel drops an flock when its process dies, so a lock file left by a dead process is simply taken
    over; the pid and host written into it are for the message the next user sees.
    """

    def __init__(self, path: Path, session_id: str) -> None:
        self.path = path
        self.session_id = session_id
        self.fd: int | None = None
        self.took_over_from: str | None = None

    def acquire(self) -> None:
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as error:
                raise StorageError(
                    describe_os_error(error, self.path) + "; the session was not opened for writing"
                ) from None
            holder = self._read_holder(fd)
            if not self._lock(fd, holder):
                os.close(fd)
                raise SessionLockedError(
                    f"session {self.session_id} is open for writing in another observer process "
                    f"({holder or 'unknown holder'}); close it there first"
                )
            # The file may have been removed by a releasing holder between open and lock: retry then.
            try:
                same_file = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same_file = False
            if same_file:
                break
            os.close(fd)
        if holder:
            self.took_over_from = holder
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": utc_now().isoformat()})
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, record.encode(), 0)
            os.fsync(fd)
        except OSError as error:
            os.close(fd)
            raise StorageError(describe_os_error(error, self.path)) from None
        self.fd = fd

    def _lock(self, fd: int, holder: str) -> bool:
        if fcntl is not None:
            # A reader checking whether the session is live holds a shared lock for microseconds: try again
            # briefly before calling the session taken.
            for attempt in range(LOCK_ATTEMPTS):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if attempt + 1 < LOCK_ATTEMPTS:
                        time.sleep(0.02)
            return False
        pid = _holder_pid(holder)
        return pid is None or pid == os.getpid() or not pid_alive(pid)

    @staticmethod
    def _read_holder(fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            return f"pid {info['pid']} on {info['host']}"
        except (ValueError, KeyError, TypeError, OSError):
            return ""

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self.fd)
        self.fd = None


def _holder_pid(holder: str) -> int | None:
    parts = holder.split()
    return int(parts[1]) if len(parts) > 1 and parts[0] == "pid" and parts[1].isdigit() else None
