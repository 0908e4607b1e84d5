"""A change to a session: what each write was and is, as journal lines and back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from observer.models import Codebook, Contribution, RecordKind, Session, utc_now

# "auto": a change the program made, not the observer (the pause after an interruption): never undone.
Operation = Literal["do", "undo", "redo", "auto"]


@dataclass(frozen=True)
class Write:
    """One record replaced: ``before`` is None for a new record, ``after`` is None for a deleted one."""

    kind: RecordKind
    record_id: str
    before: Session | Contribution | None
    after: Session | Contribution | None


@dataclass(frozen=True)
class Change:
    """What one user action did to the stored records; undo applies the ``before`` side."""

    label: str
    writes: tuple[Write, ...]
    clock_s: float
    wall_time: dt.datetime = field(default_factory=utc_now)


def record_doc(record: Session | Contribution | None) -> dict[str, Any] | None:
    if record is None:
        return None
    if isinstance(record, Session):
        # The frozen codebook copy is stored once per session, not with every change.
        return record.model_dump(mode="json", exclude={"codebook"})
    return record.model_dump(mode="json")


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
                "before": record_doc(write.before),
                "after": record_doc(write.after),
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
        return Contribution.model_validate(doc)
    raise ValueError(f"unknown record kind '{kind}'")


def parse_change(doc: dict[str, Any], codebook: Codebook) -> tuple[Operation, Change]:
    writes = tuple(
        Write(
            kind=write["kind"],
            record_id=write["id"],
            before=_parse_record(write["kind"], write["before"], codebook),
            after=_parse_record(write["kind"], write["after"], codebook),
        )
        for write in doc["writes"]
    )
    operation = doc["op"]
    if operation not in ("do", "undo", "redo", "auto"):
        raise ValueError(f"unknown operation '{operation}'")
    change = Change(doc["label"], writes, float(doc["clock_s"]), dt.datetime.fromisoformat(doc["wall"]))
    return operation, change
