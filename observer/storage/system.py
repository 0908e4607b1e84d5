"""What differs between Windows, macOS and Linux, in one place; everything else calls these.

Most of observer is the same everywhere. These few primitives are not, and each says why:

- making data and new names durable (a power cut must not lose what was marked saved);
- whether a process is alive (``os.kill(pid, 0)`` would *end* it on Windows);
- renaming or removing a file another process may be reading (Windows refuses while it is open);
- leaving when the terminal is closed (SIGHUP on POSIX; the console's close event on Windows).

The platform is read at call time (``WINDOWS``, ``MACOS``), not fixed at import, so that the tests can run
every journey under Windows' rules on Linux.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # asyncio and psutil are loaded where they are used: every command starts without them
    import asyncio


try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

WINDOWS = sys.platform == "win32"
MACOS = sys.platform == "darwin"

# Windows opens a descriptor in text mode unless told otherwise: every "\n" written would become "\r\n" (a zip
# file or a journal changed on its way to the disk). Every descriptor observer writes through adds this.
BINARY = getattr(os, "O_BINARY", 0)

# A reader holds a file for milliseconds; on Windows a rename or removal meanwhile is refused (a sharing
# violation), so it is tried again for a little under a second before the caller hears of it.
SHARING_RETRY_SECONDS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


def sync_file(fd: int) -> None:
    """Put a file's data on the disk itself, so that it survives a power cut.

    On macOS ``fsync`` only hands the data to the drive, whose cache a power cut empties; ``F_FULLFSYNC`` asks
    the drive to write it. Where a file system does not offer that (some network shares), ``fsync`` is what
    there is. Elsewhere ``fsync`` reaches the disk.
    """
    if MACOS and fcntl is not None and hasattr(fcntl, "F_FULLFSYNC"):
        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
            return
        except OSError:
            pass
    os.fsync(fd)


def sync_names(directory: Path) -> None:
    """Make a file created, renamed or removed in ``directory`` survive a power cut.

    POSIX: the folder is a file of names, synced like any other. Windows: NTFS journals a name as part of the
    operation itself, and a folder cannot be opened as a file there, so there is nothing to do.
    """
    if WINDOWS:
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        sync_file(fd)
    finally:
        os.close(fd)


def replace(source: Path, target: Path) -> None:
    """``os.replace``, waiting out a reader: Windows refuses to replace a file another process has open."""
    _patiently(lambda: os.replace(source, target))


def remove(path: Path) -> None:
    """Remove a file, waiting out a reader as ``replace`` does; a file already gone is not an error."""
    with contextlib.suppress(FileNotFoundError):
        _patiently(lambda: os.unlink(path))


def _patiently(operation: Callable[[], None]) -> None:
    for delay in (*SHARING_RETRY_SECONDS, None):
        try:
            operation()
            return
        except PermissionError:
            # On POSIX a permission error is the folder's permissions, and trying again will not change them.
            if not WINDOWS or delay is None:
                raise
            time.sleep(delay)


# Windows' limit on a whole path (with its drive and the terminating NUL) unless long paths are turned on.
MAX_PATH = 260


def long_paths_enabled() -> bool:
    """Whether a path may be longer than ``MAX_PATH``: always on POSIX; on Windows only where the system's
    LongPathsEnabled setting is on (Python itself is ready for long paths; Windows is not by default)."""
    if not WINDOWS:
        return True
    try:
        import winreg

        with winreg.OpenKey(  # type: ignore[attr-defined]
            winreg.HKEY_LOCAL_MACHINE,  # type: ignore[attr-defined]
            r"SYSTEM\CurrentControlSet\Control\FileSystem",
        ) as key:
            return bool(winreg.QueryValueEx(key, "LongPathsEnabled")[0] == 1)  # type: ignore[attr-defined]
    except (ImportError, OSError):
        return False


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` is running. Never ``os.kill(pid, 0)``: on Windows that terminates the process.

    A process that has ended but not yet been reaped by its parent (a zombie: seconds, after kill -9 under tmux)
    still has its pid, and holds nothing: it is not running."""
    import psutil

    if pid <= 0 or not psutil.pid_exists(pid):
        return False
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except (psutil.Error, OSError):
        return True  # it exists, and cannot be asked more (another user's): taken as running


def process_started(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), to tell it from a later one given the same pid."""
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError, ValueError):
        return None


def host_name() -> str:
    return socket.gethostname()


# ---------------------------------------------------------------- leaving on a closed terminal

# Windows' console events that mean the window is going away: ctrl+break, close, log off, shut down.
CONSOLE_CLOSING_EVENTS = frozenset({1, 2, 5, 6})
# Windows ends the process once the handler returns, and after 5 s whatever it does: close within that.
CONSOLE_CLOSE_SECONDS = 4.5
CONSOLE_CLOSED = int(getattr(signal, "SIGBREAK", 21))  # the exit status says which: 128 + SIGBREAK's number


def leave_when_terminal_closes(loop: asyncio.AbstractEventLoop, leave: Callable[[int], None]) -> Callable[[], None]:
    """Call ``leave(signal number)`` on the event loop when the terminal goes away or the process is asked to
    end politely, instead of the process ending mid-meeting. Returns what undoes it.

    POSIX: SIGHUP (a closed terminal, a dropped SSH connection) and SIGTERM, through the event loop. Windows has
    neither, nor event-loop signal handlers: the console's close event instead. ``signal.SIGBREAK`` alone would
    not do, since Windows ends the process as soon as the C runtime's handler returns, before Python's handler
    has closed anything: the console handler here waits until ``leave`` has run.
    """
    if WINDOWS:
        return _leave_on_console_close(loop, leave)
    installed: list[int] = []
    for name in ("SIGHUP", "SIGTERM"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, leave, int(signum))
            installed.append(int(signum))

    def undo() -> None:
        for signum in installed:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)

    return undo


def _leave_on_console_close(loop: asyncio.AbstractEventLoop, leave: Callable[[int], None]) -> Callable[[], None]:
    def on_console_event(event: int) -> bool:
        if event not in CONSOLE_CLOSING_EVENTS:
            return False  # ctrl+c: the terminal's key, handled by the app
        done = threading.Event()

        def run() -> None:
            try:
                leave(CONSOLE_CLOSED)
            finally:
                done.set()

        try:
            loop.call_soon_threadsafe(run)
        except RuntimeError:  # the loop has already stopped: nothing is open any more
            return False
        done.wait(CONSOLE_CLOSE_SECONDS)
        return True

    return install_console_handler(on_console_event) or (lambda: None)


def install_console_handler(handler: Callable[[int], bool]) -> Callable[[], None] | None:
    """Register ``handler`` for Windows' console events (it runs on a thread Windows starts); returns what
    removes it, or None where there is no console to ask."""
    try:
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        routine = ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.DWORD)(  # type: ignore[attr-defined]
            lambda event: bool(handler(int(event)))
        )
        if not kernel32.SetConsoleCtrlHandler(routine, True):
            return None
    except (ImportError, AttributeError, OSError):
        return None

    def remove() -> None:
        kernel32.SetConsoleCtrlHandler(routine, False)

    return remove
