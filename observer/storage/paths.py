"""Every file path under the data directory, in one place."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from observer.core.errors import InputError
from observer.core.text import export_name
from observer.storage import system

DATA_DIR_ENV = "OBSERVER_DATA_DIR"


def default_data_dir() -> Path:
    """The data directory: ``OBSERVER_DATA_DIR`` if set, else the platform's user data directory."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path("observer", appauthor=False)


def export_path(folder: Path, stem: str, suffix: str = ".xlsx") -> Path:
    """A file in ``folder`` named from a title (``text.export_name``), short enough that the whole path stays under
    Windows' limit where long paths are off (the name gives way; a folder that long needs another folder)."""
    limit = 120
    if not system.long_paths_enabled():
        limit = min(limit, max(8, system.MAX_PATH - 1 - len(str(folder)) - len(os.sep) - len(suffix) - 1))
    return folder / export_name(stem, suffix, limit)


def shown(path: Path) -> str:
    """A path as a person reads it: from "~" when it is under the home folder (a narrow screen has room for it)."""
    try:
        return f"~{os.sep}{path.relative_to(Path.home())}"
    except (ValueError, RuntimeError):  # elsewhere, or no home folder to speak of
        return str(path)


OLDER_JOURNALS = ("journal.jsonl.folding", "journal.jsonl")  # what versions before generations wrote
_GENERATION = re.compile(r"^journal\.(?P<generation>[0-9]{1,18})\.jsonl$")


def journal_generation(path: Path) -> int | None:
    """A journal's generation from its name; older versions' journals count as generation 0, other files None."""
    if path.name in OLDER_JOURNALS:
        return 0
    match = _GENERATION.match(path.name)
    return int(match["generation"]) if match else None


def journal_files(directory: Path) -> list[Path]:
    """The journals in ``directory``, in the order they are replayed."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    older = [directory / name for name in OLDER_JOURNALS if name in names]
    generations = sorted(
        (generation, directory / name)
        for name in names
        if (match := _GENERATION.match(name)) and (generation := int(match["generation"])) > 0
    )
    return older + [path for _, path in generations]


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

    def journal(self, session_id: str, generation: int) -> Path:
        """The journal of one generation: a fold starts the next generation rather than renaming the journal (a
        file held open cannot be renamed on Windows), and removes the ones it folded."""
        return self.session_dir(session_id) / f"journal.{generation}.jsonl"

    def journals(self, session_id: str) -> list[Path]:
        """The session's journals in the order they are replayed: those of older versions (a fold's
        ``journal.jsonl.folding``, then ``journal.jsonl``), then each generation in turn."""
        return journal_files(self.session_dir(session_id))

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
