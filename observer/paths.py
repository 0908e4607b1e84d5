"""Every file path under the data directory, in one place."""

from __future__ import annotations

import os
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

    def lock(self, session_id: str) -> Path:
        return self.session_dir(session_id) / "session.lock"

    def check_output(self, path: Path) -> Path:
        """``path`` for a file we are asked to write, refused inside the data folder: an export must never
        replace one of the archive's own files (``-o sessions/S/session.json`` would)."""
        target = path.expanduser().resolve()
        root = self.root.expanduser().resolve()
        if target == root or root in target.parents:
            raise InputError(f"{path}: that is inside the data folder {self.root}; choose a file outside it")
        return path
