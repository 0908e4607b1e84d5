"""The whole archive as one verified file, and back into an empty data folder.

A backup is a zip file: every file of the data folder (sessions with their journals and anything set aside, the
trash, the pseudonym key, calibrations, the user's codebooks) under its path in the folder, and a manifest
(``observer-backup.json``) listing each with its size and SHA-256. It is written beside its final name, read
back and checked against the manifest, and only then put in place (atomically: an old backup of that name stays
whole until the new one is good). What is left out is what only a running process means: locks and their
holder notes, temporary files.

Restoring checks the whole file against its manifest before it writes anything, refuses a data folder that
holds any file, unpacks into a folder beside it and moves that into place in one step: a restore that fails
leaves no half archive behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from observer import __version__
from observer.core.errors import InputError, StorageError
from observer.storage import system
from observer.storage.files import atomic_replace, describe_os_error, fsync_dir
from observer.storage.header import session_stamp
from observer.storage.lock import lock_is_held
from observer.storage.paths import DataPaths

MANIFEST = "observer-backup.json"
BACKUP_FORMAT = 1
CHUNK = 1024 * 1024
# What only a running process means (a writer's lock, a note of who holds it), and files being written.
LEFT_OUT_NAMES = frozenset({"session.lock", "session.holder"})
READ_ATTEMPTS = 5


@dataclass
class BackupReport:
    files: int = 0
    bytes: int = 0
    sessions: int = 0
    trashed: int = 0
    live: list[str] = field(default_factory=list)  # sessions open for writing meanwhile (as they stood)


def _left_out(relative: PurePosixPath) -> bool:
    name = relative.name
    return (
        name in LEFT_OUT_NAMES
        or (name.startswith(".") and name.endswith(".tmp"))
        or any(
            part.startswith(".observer-scratch.") or part.startswith(".observer-restore.") for part in relative.parts
        )
    )


def _archive_files(root: Path) -> Iterator[tuple[Path, PurePosixPath]]:
    """Every regular file under ``root`` worth keeping, with its path in the backup, in a stable order."""
    for folder, folders, names in os.walk(root):
        folders.sort()
        here = Path(folder)
        for name in sorted(names):
            path = here / name
            relative = PurePosixPath(path.relative_to(root).as_posix())
            if not _left_out(relative) and path.is_file() and not path.is_symlink():
                yield path, relative


def _read_session(paths: DataPaths, session_id: str) -> dict[str, bytes]:
    """A session's files as of one moment: listed and read again while a writer folds meanwhile (its checkpoint,
    journals or header change), so that no backup holds a checkpoint with journals from another moment, nor
    misses a journal a fold made after the archive was first listed."""
    contents: dict[str, bytes] = {}
    for _ in range(READ_ATTEMPTS):
        before = session_stamp(paths, session_id)
        contents = {}
        files = [
            (path, PurePosixPath("sessions", session_id, *relative.parts))
            for path, relative in _archive_files(paths.session_dir(session_id))
        ]
        for path, relative in files:
            with contextlib.suppress(FileNotFoundError):  # a journal a fold removed: the stamp tells
                contents[str(relative)] = path.read_bytes()
        if session_stamp(paths, session_id) == before:
            break
    return contents


def write_backup(root: Path, target: Path, step: Callable[[], None] | None = None) -> BackupReport:
    """Write the archive under ``root`` to ``target`` as one verified file."""
    paths = DataPaths(root)
    if not root.is_dir():
        raise InputError(f"there is no archive at {root} to back up")
    report = BackupReport()
    grouped: dict[str, list[tuple[Path, PurePosixPath]]] = {}
    for path, relative in _archive_files(root):
        parts = relative.parts
        group = f"{parts[0]}/{parts[1]}" if parts[0] == "sessions" and len(parts) > 2 else str(relative)
        grouped.setdefault(group, []).append((path, relative))
    manifest: dict[str, Any] = {
        "format": BACKUP_FORMAT,
        "made_by": f"observer {__version__}",
        "made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": {},
    }

    def write(handle: BinaryIO) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as backup:
            for group, files in grouped.items():
                if group.startswith("sessions/"):
                    session_id = group.split("/", 1)[1]
                    contents = _read_session(paths, session_id)
                    report.sessions += 1
                    if lock_is_held(paths.lock(session_id)):
                        report.live.append(session_id)
                else:
                    contents = {}
                    for path, relative in files:
                        with contextlib.suppress(FileNotFoundError):
                            contents[str(relative)] = path.read_bytes()
                for name, data in contents.items():
                    backup.writestr(_member(name), data)
                    manifest["files"][name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                    report.files += 1
                    report.bytes += len(data)
                if step is not None:
                    step()
            report.trashed = _folders(manifest["files"], "trash")
            backup.writestr(_member(MANIFEST), json.dumps(manifest, indent=1, ensure_ascii=False))

    atomic_replace(target, write, check=verify_backup)
    return report


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # the same archive, the same bytes
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


@dataclass(frozen=True)
class BackupContents:
    made_by: str
    made_at: str
    files: dict[str, dict[str, Any]]

    @property
    def sessions(self) -> int:
        return _folders(self.files, "sessions")

    @property
    def trashed(self) -> int:
        return _folders(self.files, "trash")


def _folders(names: Iterable[str], under: str) -> int:
    """How many folders directly under ``under`` hold the files ``names``."""
    return len(
        {
            name.split("/")[1]
            for name in names
            if isinstance(name, str) and name.startswith(f"{under}/") and name.count("/") >= 2
        }
    )


def verify_backup(path: Path, restoring: bool = False) -> BackupContents:
    """Check every file of a backup against its manifest; one line naming the first problem otherwise.
    ``restoring``: also that this platform can write every file under its name."""
    try:
        with zipfile.ZipFile(path) as backup:
            names = backup.namelist()
            if MANIFEST not in names:
                raise InputError(f"{path}: not an observer backup (no {MANIFEST} in it)")
            try:
                manifest = json.loads(backup.read(MANIFEST))
                files = manifest["files"]
                if manifest.get("format") != BACKUP_FORMAT or not isinstance(files, dict):
                    raise ValueError(f"unknown backup format {manifest.get('format')!r}")
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
                raise InputError(f"{path}: its manifest is unreadable ({error})") from None
            listed = set(files)
            present = set(names) - {MANIFEST}
            if len(names) != len(set(names)):
                raise InputError(f"{path}: a file is in it twice; it was not made by observer")
            for name, entry in files.items():
                if not (
                    isinstance(entry, dict)
                    and type(entry.get("size")) is int
                    and entry["size"] >= 0
                    and isinstance(entry.get("sha256"), str)
                ):
                    raise InputError(f"{path}: its manifest's entry for {name!r} is not a size and a checksum")
            folded: dict[str, str] = {}
            for name in sorted(listed) if restoring and (system.WINDOWS or system.MACOS) else ():
                # Windows and macOS do not tell capitals apart: two such names would be one file there.
                if (other := folded.setdefault(name.casefold(), name)) != name:
                    raise InputError(
                        f"{path}: {other!r} and {name!r} differ only in capitals (one file on Windows and macOS); "
                        "it was not made by observer"
                    )
            if present - listed:
                raise InputError(f"{path}: {sorted(present - listed)[0]} is in it but not in its manifest")
            if listed - present:
                raise InputError(f"{path}: {sorted(listed - present)[0]} is in its manifest but missing from it")
            for name in sorted(listed):
                _check_name(path, name, restoring)
                expected = files[name]
                damaged = f"{path}: {name} is damaged (its checksum does not match the manifest)"
                # The size the zip declares first: a member that unpacks to more than the manifest says (a zip
                # bomb) is refused before a byte of it is unpacked; reading stops at the declared size.
                if backup.getinfo(name).file_size != expected["size"]:
                    raise InputError(damaged)
                digest = hashlib.sha256()
                size = 0
                with backup.open(name) as member:
                    while chunk := member.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                if size != expected["size"] or digest.hexdigest() != expected["sha256"]:
                    raise InputError(damaged)
            return BackupContents(str(manifest.get("made_by", "")), str(manifest.get("made_at", "")), files)
    except zipfile.BadZipFile as error:
        raise InputError(f"{path}: not an observer backup, or damaged ({error})") from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, RuntimeError) as error:
        raise InputError(f"{path}: cannot be read as a backup ({error})") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder; give the backup file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error})") from None


# Names Windows gives no file or folder (with any extension), and characters it allows in none.
_WINDOWS_DEVICE = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
_NOT_IN_NAMES = frozenset('<>:"|?*\\')


def _check_name(path: Path, name: str, restoring: bool) -> None:
    """A member must name a file inside the data folder; one restored must also be one this platform can write
    as it is named (Windows opens a device for ``con.toml`` and drops a name's trailing dot)."""
    parts = PurePosixPath(name).parts
    if (
        not parts
        or name.startswith("/")
        or name.endswith("/")
        or "\\" in name
        or any(part in ("", ".", "..") or ":" in part for part in parts)
        or _left_out(PurePosixPath(name))
    ):
        raise InputError(f"{path}: {name!r} would be written outside the data folder; it was not made by observer")
    for part in parts if restoring else ():
        if not part.isprintable() or (
            system.WINDOWS
            and (part.endswith((".", " ")) or _NOT_IN_NAMES.intersection(part) or _WINDOWS_DEVICE.match(part))
        ):
            raise InputError(
                f"{path}: {name!r} is not a file name observer writes on every platform; it was not made by observer"
            )


def _holds_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    if not root.is_dir():
        raise InputError(f"{root} is a file, not a folder")
    return [Path(folder) / name for folder, _, names in os.walk(root) for name in names][:3]


def restore_backup(path: Path, root: Path) -> BackupContents:
    """Bring a backup back into ``root``, which must hold no file; nothing is written unless all of it checks."""
    contents = verify_backup(path, restoring=True)
    found = _holds_files(root)
    if found:
        raise InputError(
            f"the data folder {root} is not empty (it holds {found[0].relative_to(root)}); a backup is restored only "
            "into an empty one: give another --data-dir, or move this folder away first"
        )
    parent = root.parent
    staging = parent / f".observer-restore.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        needed = sum(int(entry["size"]) for entry in contents.files.values())
        free = shutil.disk_usage(parent).free
        if needed > free:
            raise InputError(
                f"{path} unpacks to {needed / 1e6:,.1f} MB and {parent} has {free / 1e6:,.1f} MB free; nothing was "
                "restored"
            )
        staging.mkdir(mode=0o700)
        with zipfile.ZipFile(path) as backup:
            for name, expected in sorted(contents.files.items()):
                _unpack(backup, name, expected, staging)
        for folder in ("sessions", "trash"):
            (staging / folder).mkdir(mode=0o700, exist_ok=True)
        for folder, _, _ in os.walk(staging):
            fsync_dir(Path(folder))
        if root.exists():
            _remove_empty_tree(root)
        system.replace(staging, root)
        fsync_dir(parent)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise StorageError(describe_os_error(error, root) + "; nothing was restored") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return contents


def _unpack(backup: zipfile.ZipFile, name: str, expected: dict[str, Any], staging: Path) -> None:
    parts = PurePosixPath(name).parts
    folder = staging
    for part in parts[:-1]:  # owner-only, every one of them: they hold personal data
        folder = folder / part
        folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / parts[-1]
    digest = hashlib.sha256()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | system.BINARY, 0o600)
    with os.fdopen(fd, "wb") as out, backup.open(name) as member:
        while chunk := member.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        system.sync_file(out.fileno())
    if digest.hexdigest() != expected["sha256"]:  # the file changed since it was checked
        raise InputError(f"{name} changed while it was restored; nothing was restored")


def _remove_empty_tree(root: Path) -> None:
    """Remove ``root`` and the empty folders in it (it holds no file: checked before)."""
    for folder, _, _ in sorted(os.walk(root), key=lambda entry: -len(entry[0])):
        os.rmdir(folder)
