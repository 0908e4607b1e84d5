from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from observer.core.codebook_models import Codebook
from observer.core.codebooks import resolve_codebook
from observer.core.models import Session
from observer.interop.roster import RosterEntry, build_session
from observer.live.coding import CodingSession
from observer.storage import Archive, MemorySessionStore, SessionStore

from .disk import Disk
from .windows_rules import WindowsRules

REPO = Path(__file__).resolve().parent.parent
T0 = dt.datetime(2026, 3, 2, 10, 0, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    """The wall-clock moment ``seconds`` after 10:00 on the test meeting day."""
    return T0 + dt.timedelta(seconds=seconds)


def crash(store: SessionStore) -> None:
    """What kill -9 leaves of a session open for writing: its journal as written (the system's cache keeps what
    the program wrote), a fold as done or not begun (its files are written atomically), the lock free."""
    store._wait_for_fold()
    if store._syncer is not None:
        store._syncer.stop()
    os.close(store._journal_fd)
    store._journal_fd = -1
    store._lock.release()


def current_journal(archive: Archive, session_id: str) -> Path:
    """The journal new entries of a session go to (the newest generation)."""
    return archive.paths.journals(session_id)[-1]


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> Iterator[WindowsRules]:
    """Windows' file and process rules for the length of a test (``tests/windows_rules.py``)."""
    rules = WindowsRules(monkeypatch)
    yield rules
    rules.check()


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Disk]:
    """The journal's syncs, held (``disk.open.clear()``), failed or let go at the test's command."""
    disk = Disk(monkeypatch)
    yield disk
    disk.open.set()


@pytest.fixture
def partnership() -> Codebook:
    return resolve_codebook("partnership", None)


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "data")
    archive.ensure()
    return archive


ROSTER = [
    RosterEntry("Ann Lee", "City Council", "Director"),
    RosterEntry("Bob Khan", "City Council"),
    RosterEntry("Cath Diaz", "NHS Trust", "Chief executive"),
    RosterEntry("Dev Shah", "Voluntary Sector Alliance"),
]


def make_session(codebook: Codebook, title: str = "Board", series: str = "North") -> Session:
    return build_session(
        title=title, codebook=codebook, meeting_date=dt.date(2026, 3, 2), series=series, roster=list(ROSTER)
    )


@pytest.fixture
def coding(partnership: Codebook) -> CodingSession:
    """A state machine over a session held in memory: no files, no lock."""
    return CodingSession(MemorySessionStore(make_session(partnership)))
