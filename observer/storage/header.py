"""A session's header: what a listing needs (the session record, how many contributions, how long observed),
kept by the writer in a small file beside the checkpoint so that listing an archive reads no contributions.

The header is only a cache. The writer rewrites it after every fold and on close; a reader trusts it only
while the checkpoint is the very file it was written from (inode, size, modification time) and the journal
holds nothing since. Otherwise the reader reads the session itself, and writes nothing: the next writer
refreshes the header. So a crash anywhere (between a journal append and the header, between a fold and the
header) can make a listing slower for that session, never wrong.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from observer.core.codebook_models import Codebook
from observer.core.models import Session, SessionData, SessionStatus
from observer.storage.changes import record_doc
from observer.storage.files import write_cache_file
from observer.storage.paths import DataPaths
from observer.storage.state import SessionState

HEADER_FORMAT = 1


@dataclass(frozen=True)
class ListedSession:
    """A session as a listing shows it, without its contributions."""

    session: Session
    contributions: int
    observed_s: float

    def as_data(self) -> SessionData:
        """The session record alone, for code that takes a SessionData (rosters carried over, trend choice)."""
        return SessionData.model_construct(session=self.session, contributions=[])

    @classmethod
    def of(cls, data: SessionData) -> ListedSession:
        return cls(data.session, len(data.contributions), data.session.observed_seconds())


def _file_identity(path: Path) -> list[int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return [found.st_ino, found.st_size, found.st_mtime_ns]


# What a listing may reuse of an earlier listing: per session id, the files' stamp then and the summary.
ListingCache = dict[str, tuple[object, ListedSession]]


def session_stamp(paths: DataPaths, session_id: str) -> object:
    """The identities of a session's files: any write to the session (a key, a fold, a repair) changes it."""
    files = [paths.checkpoint(session_id), paths.header(session_id), *paths.journals(session_id)]
    return tuple((path.name, _file_identity(path)) for path in files)


def write_header(paths: DataPaths, state: SessionState) -> None:
    """Record the session as it stands once folded: only the writer calls this, right after a fold."""
    session_id = state.session.id
    checkpoint = _file_identity(paths.checkpoint(session_id))
    if checkpoint is None:
        return
    document = {
        "format": HEADER_FORMAT,
        "checkpoint": checkpoint,
        "seq": state.seq,
        "contributions": len(state.contributions),
        "observed_s": state.session.observed_seconds(),
        "codebook": state.session.codebook.model_dump(mode="json"),
        "session": record_doc(state.session),
    }
    # A cache: replaced atomically (never half a file), not fsynced (a stale one is simply not trusted).
    with contextlib.suppress(OSError):
        write_cache_file(
            paths.header(session_id), json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        )


@functools.lru_cache(maxsize=64)
def _codebook_from_text(text: str) -> Codebook:
    return Codebook.model_validate_json(text)


def _codebook(document: object) -> Codebook:
    """An archive's sessions share a few codebooks: each is validated once per listing, not once per session."""
    return _codebook_from_text(json.dumps(document, sort_keys=True, ensure_ascii=False))


def trusted_header(paths: DataPaths, session_id: str) -> ListedSession | None:
    """The session's header when it still says what the session's files say; None means: read the session."""
    try:
        document = json.loads(paths.header(session_id).read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    try:
        if document["format"] != HEADER_FORMAT or document["checkpoint"] != _file_identity(
            paths.checkpoint(session_id)
        ):
            return None
        for journal in paths.journals(session_id):
            if journal.exists() and journal.stat().st_size:
                return None  # entries since the fold (or in a fold under way): only a read counts them
        codebook = _codebook(document["codebook"])
        session = Session.model_validate({**document["session"], "codebook": codebook})
        if session.id != session_id or session.status == SessionStatus.RECORDING:
            return None  # a copied folder, or a session a writer holds or left running: read it
        return ListedSession(session, int(document["contributions"]), float(document["observed_s"]))
    except (KeyError, TypeError, ValueError, ValidationError, OSError, RecursionError):
        return None
