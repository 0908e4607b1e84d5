"""Every file path under the data directory, in one place."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from observer.errors import InputError

DATA_DIR_ENV = "OBSERVER_DATA_DIR"


def default_data_dir() -> Path:
    """The data directory: ``OBSERVER_DATA_DIR`` if set, else the platform's user data directory."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path("observer", appauthor=False)


def shown(path: Path) -> str:
    """A path as a person reads it: from "~" when it is under the home folder (a narrow screen has room for it)."""
    try:
        return f"~{os.sep}{path.relative_to(Path.home())}"
    except (ValueError, RuntimeError):  # elsewhere, or no home folder to speak of
        return str(path)


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def sessions(self) -> Path:
        return self.root / "sessions"

    @property
    def trash(self) -> Path:
        return self.root / "trash"

    @property
    def codebooks(self) -> Path:
        """User codebooks: every ``*.toml`` here is offered next to the shipped ones."""
        return self.root / "codebooks"

    def session_dir(self, session_id: str) -> Path:
        return self.sessions / session_id

    def checkpoint(self, session_id: str) -> Path:
        return self.session_dir(session_id) / "session.json"

    def journal(self, session_id: str) -> Path:
        return self.session_dir(session_id) / "journal.jsonl"

    def folding_journal(self, session_id: str) -> Path:
        """The journal a fold is folding into the checkpoint, while new entries go to a fresh one."""
        return self.session_dir(session_id) / "journal.jsonl.folding"

    def header(self, session_id: str) -> Path:
        """What a listing needs of the session, kept by its writer (a cache: see storage/header.py)."""
        return self.session_dir(session_id) / "header.json"

    def lock(self, session_id: str) -> Path:
        return self.session_dir(session_id) / "session.lock"

    def check_output(self, path: Path) -> Path:
        """The file to write when asked to write ``path``: a symlink's target (so the link stays a link).

        Refused, with one line: a place inside the data folder (``-o sessions/S/session.json`` would replace
        one of the archive's own files), a folder, a device or pipe (``/dev/null`` would become a plain file),
        and a file we could not write in place: read-only, or someone else's (replacing it would make it ours).
        """
        refuse_links_the_kernel_would_not_follow(path.expanduser())
        target = Path(os.path.realpath(path.expanduser()))
        root = Path(os.path.realpath(self.root.expanduser()))
        if target == root or root in target.parents:
            raise InputError(f"{path}: that is inside the data folder {self.root}; choose a file outside it")
        try:
            found = os.stat(target)
        except FileNotFoundError:
            return target
        except OSError as error:
            raise InputError(f"{path}: cannot be written ({error.strerror or error})") from None
        if stat.S_ISDIR(found.st_mode):
            raise InputError(f"{path}: is a folder; give the name of a file to write")
        if not stat.S_ISREG(found.st_mode):
            raise InputError(f"{path}: is not a regular file (a device or a pipe); choose a file to write")
        if hasattr(os, "geteuid") and found.st_uid != os.geteuid():
            raise InputError(f"{path}: belongs to another user; it was not replaced")
        if not found.st_mode & stat.S_IWUSR:
            raise InputError(f"{path}: is read-only; it was not replaced")
        return target


MAX_LINKS = 40  # as the kernel: more links than this in one path is a loop


def refuse_links_the_kernel_would_not_follow(path: Path) -> None:
    """InputError for a path through a symbolic link that Linux's fs.protected_symlinks would not follow: a link
    in a sticky, world-writable folder (/tmp), owned neither by us nor by the folder's owner. The file written is
    the link's target, found here in user space; without this, an export went wherever another user's link in
    /tmp pointed, which the kernel itself refuses to follow."""
    if not hasattr(os, "geteuid"):
        return  # Windows has no such folders
    me = os.geteuid()
    resolved = Path(Path(os.path.abspath(path)).anchor)
    pending = list(Path(os.path.abspath(path)).parts[1:])
    links = 0
    while pending:
        name = pending.pop(0)
        if name in ("", "."):
            continue
        if name == "..":
            resolved = resolved.parent
            continue
        candidate = resolved / name
        try:
            found = os.lstat(candidate)
        except OSError:
            resolved = candidate  # not there (yet): what is missing is made, or refused, later
            continue
        if not stat.S_ISLNK(found.st_mode):
            resolved = candidate
            continue
        links += 1
        folder = os.stat(resolved)
        shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
        if links > MAX_LINKS:
            raise InputError(f"{path}: more than {MAX_LINKS} links in a row (a loop?); choose another file")
        if shared and found.st_uid not in (me, folder.st_uid):
            raise InputError(
                f"{path}: goes through {candidate}, a link another user made in a shared folder; it was not followed"
            )
        target = Path(os.readlink(candidate))
        if target.is_absolute():
            resolved = Path(target.anchor)
            pending = list(target.parts[1:]) + pending
        else:
            pending = list(target.parts) + pending
