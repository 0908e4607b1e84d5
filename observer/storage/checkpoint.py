"""The checkpoint: a TinyDB file, replaced atomically, holding the session as of the last fold."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pydantic_core
from pydantic import TypeAdapter, ValidationError
from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage

from observer.core.codebook_models import Codebook
from observer.core.errors import CorruptFileError
from observer.core.models import Contribution, Session
from observer.storage.changes import change_doc, parse_change, record_doc
from observer.storage.files import atomic_replace
from observer.storage.state import HISTORY_LIMIT, SessionState

CHECKPOINT_FORMAT = 1
SYNC_EVERY_BYTES = 256 * 1024  # a fold beside live coding puts the checkpoint on disk this much at a time
DATA_SYNC = getattr(os, "fdatasync", os.fsync)  # the file's data, not its times (macOS has no fdatasync)
# One validator for a whole table of contributions: a single call instead of one per document.
CONTRIBUTION_LIST = TypeAdapter(list[Contribution])


class AtomicJSONStorage(Storage):
    """TinyDB storage that replaces its file atomically instead of rewriting it in place."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw.strip():
            return None
        # pydantic's JSON parser: the same result as json.loads, in less than half the time.
        data = pydantic_core.from_json(raw)
        if not isinstance(data, dict):
            raise ValueError("the top level is not a table")
        return data

    def write(self, data: dict[str, dict[str, Any]], in_pieces: bool = False) -> None:
        """Replace the file with ``data``; ``in_pieces``: encode a little at a time (slower in all, but a
        thread doing it never holds up the others for long), for a fold beside live coding."""

        def dump(handle: BinaryIO) -> None:
            if in_pieces:
                unsynced = 0
                for piece in encoded_tables(data):
                    handle.write(piece)
                    unsynced += len(piece)
                    if unsynced >= SYNC_EVERY_BYTES:
                        # A key's journal fsync waits for whatever the disk is flushing meanwhile: several
                        # megabytes flushed at the end held a key ~20 ms; a quarter megabyte at a time, a few.
                        handle.flush()
                        DATA_SYNC(handle.fileno())
                        unsynced = 0
            else:
                handle.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

        atomic_replace(self.path, dump)


def encoded_tables(data: dict[str, dict[str, Any]]) -> Iterator[bytes]:
    """The same bytes as ``json.dumps(data, separators=(",", ":"))``, a small piece at a time: a fold running
    beside live coding never holds the interpreter for the length of a whole session's (or history's) encoding."""
    for piece in _pieces(data, CHUNK_DEPTH):
        yield piece.encode("utf-8")


CHUNK_DEPTH = 5  # tables, documents, fields, list items (the undo history), their fields


def _pieces(value: Any, depth: int) -> Iterator[str]:
    if depth and isinstance(value, dict) and value:
        for number, (key, item) in enumerate(value.items()):
            yield f"{',' if number else '{'}{json.dumps(key, ensure_ascii=False)}:"
            yield from _pieces(item, depth - 1)
        yield "}"
    elif depth and isinstance(value, list) and value:
        for number, item in enumerate(value):
            yield "," if number else "["
            yield from _pieces(item, depth - 1)
        yield "]"
    else:
        yield json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def checkpoint_tables(state: SessionState) -> dict[str, dict[str, Any]]:
    """The checkpoint in TinyDB's own layout: one dict per table, documents keyed by doc id."""

    def table(docs: list[Any]) -> dict[str, Any]:
        return {str(index): doc for index, doc in enumerate(docs, start=1)}

    history = {
        "undo": [change_doc(change, "do", 0) for change in state.undo_stack[-HISTORY_LIMIT:]],
        "redo": [change_doc(change, "do", 0) for change in state.redo_stack[-HISTORY_LIMIT:]],
    }
    return {
        "meta": table(
            [
                {
                    "format": CHECKPOINT_FORMAT,
                    "seq": state.seq,
                    "last_clock_s": state.last_clock_s,
                    "last_wall_time": state.last_wall_time.isoformat() if state.last_wall_time else None,
                }
            ]
        ),
        "codebook": table([state.session.codebook.model_dump(mode="json")]),
        "session": table([record_doc(state.session)]),
        "contributions": table([c.model_dump(mode="json") for c in state.data().contributions]),
        "history": table([history]),
    }


def read_checkpoint(path: Path) -> SessionState:
    try:
        # Each table access reads the storage: the cache parses the file once for all five tables.
        with TinyDB(path, storage=CachingMiddleware(AtomicJSONStorage)) as db:
            meta = db.table("meta").all()[0]
            if meta.get("format") != CHECKPOINT_FORMAT:
                raise ValueError(f"unknown checkpoint format {meta.get('format')!r}")
            codebook = Codebook.model_validate(db.table("codebook").all()[0])
            session = Session.model_validate({**db.table("session").all()[0], "codebook": codebook})
            contributions = CONTRIBUTION_LIST.validate_python(db.table("contributions").all())
            history_docs = db.table("history").all()
            history = history_docs[0] if history_docs else {"undo": [], "redo": []}
            undo_stack = [parse_change(doc, codebook)[1] for doc in history["undo"]]
            redo_stack = [parse_change(doc, codebook)[1] for doc in history["redo"]]
    except FileNotFoundError:
        raise
    except (ValueError, KeyError, IndexError, TypeError, ValidationError, RecursionError) as error:
        raise CorruptFileError(f"{path} is unreadable ({short_reason(error)}); it was left as it is") from None
    return SessionState(
        session=session,
        contributions={c.id: c for c in contributions},
        undo_stack=undo_stack,
        redo_stack=redo_stack,
        seq=int(meta["seq"]),
        last_clock_s=float(meta.get("last_clock_s", 0.0)),
        last_wall_time=dt.datetime.fromisoformat(meta["last_wall_time"]) if meta.get("last_wall_time") else None,
    )


def short_reason(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:160]
