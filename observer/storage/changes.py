"""A change to a session: what each write was and is, as journal lines and back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from observer.core.codebook_models import Codebook
from observer.core.fields import utc_now
from observer.core.models import Contribution, RecordKind, Session

# "auto": a change the program made, not the observer (the pause after an interruption): never undone.
Operation = Literal["do", "undo", "redo", "auto"]


@dataclass(frozen=True)
class Write:
    """One record replaced: ``before`` is None for a new record, ``after`` is None for a deleted one."""

    kind: RecordKind
    record_id: str
    before: Session | Contribution | None
    after: Session | Contribution | None
    # The record's words are as they stand when the write is applied: a change that kept a turn's words (a code,
    # a flag) is journalled without them (else each key on a long turn wrote its whole text twice).
    words_kept: bool = False


@dataclass(frozen=True)
class Change:
    """What one user action did to the stored records; undo applies the ``before`` side."""

    label: str
    writes: tuple[Write, ...]
    clock_s: float
    wall_time: dt.datetime = field(default_factory=utc_now)


def record_doc(record: Session | Contribution | None, words_kept: bool = False) -> dict[str, Any] | None:
    if record is None:
        return None
    if isinstance(record, Session):
        # The frozen codebook copy is stored once per session, not with every change.
        return record.model_dump(mode="json", exclude={"codebook"})
    if words_kept:
        # null, never a string: a reader that does not know this refuses the line instead of losing the words.
        return {**record.model_dump(mode="json", exclude={"words"}), "words": None}
    return record.model_dump(mode="json")


def _keeps_words(write: Write) -> bool:
    before, after = write.before, write.after
    return write.words_kept or (
        isinstance(before, Contribution)
        and isinstance(after, Contribution)
        and bool(before.words)
        and before.words == after.words
    )


def change_doc(change: Change, operation: Operation, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "op": operation,
        "label": change.label,
        "clock_s": change.clock_s,
        "wall": change.wall_time.isoformat(),
        "writes": [
            {
                "kind": write.kind,
                "id": write.record_id,
                "before": record_doc(write.before, _keeps_words(write)),
                "after": record_doc(write.after, _keeps_words(write)),
            }
            for write in change.writes
        ],
    }


def _parse_record(kind: str, doc: dict[str, Any] | None, codebook: Codebook) -> Session | Contribution | None:
    if doc is None:
        return None
    if kind == "session":
        return Session.model_validate({**doc, "codebook": codebook})
    if kind == "contribution":
        return Contribution.model_validate({**doc, "words": ""} if doc.get("words", "") is None else doc)
    raise ValueError(f"unknown record kind '{kind}'")


def _words_kept(write: dict[str, Any]) -> bool:
    return any(
        isinstance(doc, dict) and "words" in doc and doc["words"] is None for doc in (write["before"], write["after"])
    )


def parse_change(doc: dict[str, Any], codebook: Codebook) -> tuple[Operation, Change]:
    writes = tuple(
        Write(
            kind=write["kind"],
            record_id=write["id"],
            before=_parse_record(write["kind"], write["before"], codebook),
            after=_parse_record(write["kind"], write["after"], codebook),
            words_kept=_words_kept(write),
        )
        for write in doc["writes"]
    )
    operation = doc["op"]
    if operation not in ("do", "undo", "redo", "auto"):
        raise ValueError(f"unknown operation '{operation}'")
    change = Change(doc["label"], writes, float(doc["clock_s"]), dt.datetime.fromisoformat(doc["wall"]))
    return operation, change
