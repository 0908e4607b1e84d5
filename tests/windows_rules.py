"""Windows' documented file and process rules, imposed on Linux, so that every journey can be run under them here.

Under these rules, as on Windows:
- there is no ``fcntl`` module, no SIGHUP (there is SIGBREAK) and no event-loop signal handlers;
- ``os.kill(pid, 0)`` would terminate ``pid``: it is recorded and refused, and the test fails;
- a folder cannot be opened as a file;
- a descriptor is opened in text mode unless ``O_BINARY`` is given (each "\\n" written becoming "\\r\\n"): a file
  opened for writing without it is recorded as a violation;
- a file held open (by any descriptor or file object of this process: a reader in another process is played
  by the test holding the file open) cannot be renamed, replaced, or removed, nor can a folder holding one be
  renamed or removed: a sharing violation, PermissionError;
- ``os.rename`` onto an existing file fails (only ``os.replace`` replaces);
- ``observer.storage.system`` reports Windows, and a console close event can be sent to the handler the app registered.

Two libraries have a half for each platform, and their Windows halves cannot run here: psutil's Linux code asks
``os.kill(pid, 0)`` whether a process exists, where its Windows code asks the kernel (OpenProcess), stood in for
by a look in /proc; and filelock's Linux lock probes its folder by removing a file it holds open, where its
Windows lock (``LockFileEx`` on byte 0, the file removed on release if nobody holds it) is played with ``flock``.

The rules are imposed on Linux only; on Windows itself the real ones apply (``imposed`` says which).
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import errno
import io
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
import weakref
from collections.abc import Callable
from typing import Any

import filelock
import psutil
import pytest

try:
    import fcntl as real_fcntl
except ImportError:  # on Windows itself
    real_fcntl = None  # type: ignore[assignment]

from observer.storage import system

O_BINARY = 0x8000  # Windows' value
SHARING_VIOLATION = "The process cannot access the file because it is being used by another process"

Identity = tuple[int, int]  # (device, inode)


def _identity(path: Any, dir_fd: int | None = None) -> Identity | None:
    try:
        found = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
    except (OSError, TypeError, ValueError):
        return None
    return found.st_dev, found.st_ino


class EmulatedWindowsFileLock:
    """filelock's ``WindowsFileLock`` as it behaves: an exclusive lock on the open file, taken without waiting
    and tried again until the timeout; on release, unlocked, closed, then the file removed if nobody holds it."""

    def __init__(self, lock_file: str, timeout: float = -1, *args: Any, **kwargs: Any) -> None:
        self.lock_file = lock_file
        self.timeout = timeout
        self._fd: int | None = None

    @property
    def is_locked(self) -> bool:
        return self._fd is not None

    def acquire(self, timeout: float | None = None, poll_interval: float = 0.05) -> EmulatedWindowsFileLock:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while self._fd is None:
            fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
            try:
                real_fcntl.flock(fd, real_fcntl.LOCK_EX | real_fcntl.LOCK_NB)
                self._fd = fd
            except BlockingIOError:
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise filelock.Timeout(self.lock_file) from None
                time.sleep(poll_interval)
        return self

    def release(self, force: bool = False) -> None:
        if self._fd is None:
            return
        real_fcntl.flock(self._fd, real_fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
        with contextlib.suppress(OSError):
            os.unlink(self.lock_file)


class WindowsRules:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.kill_calls: list[tuple[int, int]] = []
        self.console_handlers: list[Callable[[int], bool]] = []
        self.violations: list[str] = []
        self.readers_played = False  # see ``readers_beside``
        self._fds: dict[int, tuple[Identity, str]] = {}  # descriptor -> (identity, path) while open
        self._files: list[tuple[weakref.ref[Any], Identity, str]] = []
        self._real = {name: getattr(os, name) for name in ("open", "close", "rename", "replace", "unlink", "rmdir")}
        self._real_open = builtins.open
        self.imposed = sys.platform.startswith("linux")
        if self.imposed:
            self._impose(monkeypatch)

    # ---------------------------------------------------------------- what is open

    def open_paths(self) -> list[tuple[Identity, str]]:
        """Every file held open now, as (identity, path)."""
        held: list[tuple[Identity, str]] = []
        for fd, (identity, path) in list(self._fds.items()):
            try:
                found = os.fstat(fd)
            except OSError:
                self._fds.pop(fd, None)  # closed behind our back (a file object's close)
                continue
            if (found.st_dev, found.st_ino) == identity:
                held.append((identity, path))
        alive = []
        for reference, identity, path in self._files:
            handle = reference()
            if handle is not None and not handle.closed:
                alive.append((reference, identity, path))
                held.append((identity, path))
        self._files = alive
        return held

    def _held(self, path: Any, dir_fd: int | None = None) -> bool:
        identity = _identity(path, dir_fd)
        if identity is None:
            return False
        held = self.open_paths()
        if any(found == identity for found, _ in held):
            return True
        try:
            is_folder = stat.S_ISDIR(os.stat(path, dir_fd=dir_fd, follow_symlinks=False).st_mode)
        except OSError:
            return False
        if is_folder and dir_fd is None:
            folder = os.path.realpath(path) + os.sep
            return any(os.path.realpath(opened).startswith(folder) for _, opened in held)
        return False

    def _refuse_if_held(self, operation: str, *paths: Any, dir_fd: int | None = None) -> None:
        for path in paths:
            if self._held(path, dir_fd):
                self.violations.append(f"{operation} {path}")
                raise PermissionError(errno.EACCES, SHARING_VIOLATION, str(path))

    # ---------------------------------------------------------------- the rules

    def _impose(self, monkeypatch: pytest.MonkeyPatch) -> None:
        rules = self
        real = self._real
        real_open = self._real_open

        def os_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
            try:
                is_folder = stat.S_ISDIR(os.stat(path, dir_fd=dir_fd).st_mode)
            except (OSError, TypeError, ValueError):
                is_folder = False
            if is_folder:
                raise PermissionError(errno.EACCES, "Access is denied (a folder cannot be opened)", str(path))
            if flags & (os.O_WRONLY | os.O_RDWR) and not flags & O_BINARY:
                rules.violations.append(f"opened in text mode for writing: {path}")
            fd = real["open"](path, flags & ~O_BINARY, mode, dir_fd=dir_fd)
            found = os.fstat(fd)
            rules._fds[fd] = ((found.st_dev, found.st_ino), os.fspath(path) if dir_fd is None else str(path))
            return fd

        def os_close(fd: int) -> None:
            rules._fds.pop(fd, None)
            real["close"](fd)

        def os_rename(source: Any, target: Any, *, src_dir_fd: Any = None, dst_dir_fd: Any = None) -> None:
            rules._refuse_if_held("rename", source, dir_fd=src_dir_fd)
            if os.path.lexists(target) if dst_dir_fd is None else _identity(target, dst_dir_fd):
                raise FileExistsError(errno.EEXIST, "Cannot create a file when that file already exists", str(target))
            real["rename"](source, target, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

        def os_replace(source: Any, target: Any, *, src_dir_fd: Any = None, dst_dir_fd: Any = None) -> None:
            rules._refuse_if_held("replace", source, dir_fd=src_dir_fd)
            rules._refuse_if_held("replace onto", target, dir_fd=dst_dir_fd)
            real["replace"](source, target, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

        def os_unlink(path: Any, *, dir_fd: int | None = None) -> None:
            rules._refuse_if_held("remove", path, dir_fd=dir_fd)
            real["unlink"](path, dir_fd=dir_fd)

        def os_rmdir(path: Any, *, dir_fd: int | None = None) -> None:
            rules._refuse_if_held("remove folder", path, dir_fd=dir_fd)
            real["rmdir"](path, dir_fd=dir_fd)

        def tracked_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if not isinstance(file, int) and kwargs.get("opener") is None:  # an opener opens what it likes
                try:
                    if stat.S_ISDIR(os.stat(file).st_mode):
                        raise PermissionError(errno.EACCES, "Access is denied (a folder cannot be opened)", str(file))
                except (OSError, TypeError, ValueError) as error:
                    if isinstance(error, PermissionError):
                        raise
            handle = real_open(file, mode, *args, **kwargs)
            if not isinstance(file, int) and kwargs.get("opener") is None:
                with_fd = getattr(handle, "fileno", None)
                if with_fd is not None:
                    found = os.fstat(with_fd())
                    rules._files.append((weakref.ref(handle), (found.st_dev, found.st_ino), os.fspath(file)))
            return handle

        def kill(pid: int, signum: int) -> None:
            rules.kill_calls.append((pid, signum))
            raise AssertionError(f"os.kill({pid}, {signum}) was called: on Windows it terminates the process")

        def no_signal_handlers(self: Any, *args: Any, **kwargs: Any) -> None:
            raise NotImplementedError("no event-loop signal handlers on Windows")

        def console_handler(handler: Callable[[int], bool]) -> Callable[[], None]:
            rules.console_handlers.append(handler)
            return lambda: rules.console_handlers.remove(handler)

        monkeypatch.setattr(os, "open", os_open)
        monkeypatch.setattr(os, "close", os_close)
        monkeypatch.setattr(os, "rename", os_rename)
        monkeypatch.setattr(os, "replace", os_replace)
        monkeypatch.setattr(os, "unlink", os_unlink)
        monkeypatch.setattr(os, "remove", os_unlink)
        monkeypatch.setattr(os, "rmdir", os_rmdir)
        monkeypatch.setattr(os, "kill", kill)
        monkeypatch.setattr(os, "O_BINARY", O_BINARY, raising=False)
        monkeypatch.setattr(system, "BINARY", O_BINARY)
        monkeypatch.setattr(tempfile, "_bin_openflags", tempfile._bin_openflags | O_BINARY)  # as on Windows
        for missing in ("fchmod", "pread", "pwrite", "geteuid"):  # POSIX calls Windows' Python does not have
            monkeypatch.delattr(os, missing, raising=False)
        monkeypatch.setattr(builtins, "open", tracked_open)
        monkeypatch.setattr(io, "open", tracked_open)
        monkeypatch.setattr(shutil, "_use_fd_functions", False)  # shutil.rmtree as on Windows: by name
        monkeypatch.setitem(sys.modules, "fcntl", None)
        for name, module in list(sys.modules.items()):  # what our modules imported before the rules came in
            if name.startswith("observer") and getattr(module, "fcntl", None) is not None:
                monkeypatch.setattr(module, "fcntl", None)
        monkeypatch.delattr(signal, "SIGHUP", raising=False)
        monkeypatch.setattr(signal, "SIGBREAK", 21, raising=False)
        monkeypatch.setattr(asyncio.unix_events._UnixSelectorEventLoop, "add_signal_handler", no_signal_handlers)
        monkeypatch.setattr(system, "WINDOWS", True)
        monkeypatch.setattr(system, "MACOS", False)
        monkeypatch.setattr(system, "install_console_handler", console_handler)
        monkeypatch.setattr(psutil._psplatform, "pid_exists", lambda pid: os.path.exists(f"/proc/{pid}"))
        monkeypatch.setattr(filelock, "FileLock", EmulatedWindowsFileLock)

    def close_console(self, event: int = 2) -> bool:
        """Send the console's close event (CTRL_CLOSE_EVENT) to the handlers, as Windows does: from a thread of
        its own, each in turn until one says it handled it."""
        return any(handler(event) for handler in list(reversed(self.console_handlers)))

    def readers_beside(self) -> None:
        """The test plays another program holding files open: the sharing violations it causes are expected (and
        waited out or left for later by the code under test), not the code's own."""
        self.readers_played = True

    def check(self) -> None:
        """At the end of every test under these rules: no ``os.kill``, and, unless the test played a reader, no
        file renamed, replaced or removed while this process held it open, and none opened in text mode."""
        assert not self.kill_calls, f"os.kill was called: {self.kill_calls}"
        if not self.readers_played:
            assert not self.violations, f"what Windows would refuse: {self.violations}"
