"""Durable file primitives: atomic replacement, directory fsync, stale temporary files."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from observer.core.errors import StorageError
from observer.storage import system

_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.tmp$")
_SCRATCH_PREFIX = ".observer-scratch."
_SCRATCH_NAME = re.compile(r"^\.observer-scratch\.(?P<pid>\d+)\.[0-9a-f]+$")


def describe_os_error(error: OSError, path: Path) -> str:
    """One line for an OSError, with the advice a user needs for the common ones."""
    if error.errno == errno.ENOSPC:
        return f"disk full while writing {path}"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write to {path}: permission denied (is the folder read-only?)"
    return f"cannot write to {path}: {error.strerror or error}"


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` survive a power cut (where the platform needs telling)."""
    system.sync_names(directory)


def temp_path_for(path: Path) -> Path:
    """The temporary sibling used while replacing ``path``; it names our pid so others can tell it is stale."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def atomic_replace(
    path: Path, write: Callable[[BinaryIO], object], check: Callable[[Path], object] | None = None
) -> None:
    """Write ``path`` through a temporary file: readers see the old file or the new one, never half of one.

    ``check`` reads the written file back before it takes the name (and raises if it is not what was meant).
    On any failure the temporary file is removed, the old file is untouched and StorageError says why.
    """
    temp = temp_path_for(path)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | system.BINARY, 0o600)
        with contextlib.suppress(OSError, AttributeError):  # no fchmod on older Windows Pythons
            # A file replaced keeps its permissions (an export someone shared stays shared).
            os.fchmod(fd, stat.S_IMODE(os.stat(path).st_mode))
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            system.sync_file(handle.fileno())
        if check is not None:
            check(temp)
        system.replace(temp, path)
        fsync_dir(path.parent)
    except BaseException as error:  # Ctrl-C included: no temporary file is left behind
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(error, OSError):
            raise StorageError(describe_os_error(error, path) + "; the previous file was kept") from None
        raise


def write_cache_file(path: Path, data: bytes) -> None:
    """Replace a file that is only a cache or a note (a listing's header, a lock's holder) atomically, without
    syncing it: a reader sees the old file or the new one, and one lost to a power cut is simply not trusted.
    On failure the temporary file is removed and the OSError raised."""
    temp = temp_path_for(path)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | system.BINARY, 0o600)
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
        finally:
            os.close(fd)
        system.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def pid_alive(pid: int) -> bool:
    return system.pid_alive(pid)


def remove_stale_temp_files(directory: Path) -> list[Path]:
    """Delete temporary files left by processes that died mid-write; returns what was removed."""
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    for candidate in directory.glob(".*.tmp"):
        match = _TEMP_NAME.match(candidate.name)
        if match and not pid_alive(int(match["pid"])):
            with contextlib.suppress(OSError):
                candidate.unlink()
                removed.append(candidate)
    return removed


@contextlib.contextmanager
def scratch_dir_beside(path: Path) -> Iterator[Path]:
    """A private folder beside ``path`` for the temporary files a writer makes (openpyxl writes every sheet to
    one before zipping it): they hold personal data, so not in the shared temporary folder, where a kill -9
    would leave them. Folders left by processes that died are removed the next time one is made here."""
    parent = path.parent
    for stale in parent.glob(f"{_SCRATCH_PREFIX}*"):
        match = _SCRATCH_NAME.match(stale.name)
        if match and not pid_alive(int(match["pid"])):
            shutil.rmtree(stale, ignore_errors=True)
    scratch = parent / f"{_SCRATCH_PREFIX}{os.getpid()}.{secrets.token_hex(4)}"
    try:
        scratch.mkdir(mode=0o700)
    except OSError as error:
        raise StorageError(describe_os_error(error, scratch)) from None
    previous = tempfile.tempdir
    tempfile.tempdir = str(scratch)
    try:
        yield scratch
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(scratch, ignore_errors=True)
