"""The journal: one JSON line per change, appended and fsynced; replayed over the checkpoint when read."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from observer.core.errors import StorageError
from observer.storage import system
from observer.storage.changes import parse_change
from observer.storage.checkpoint import short_reason
from observer.storage.files import fsync_dir
from observer.storage.state import SessionState


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def move_aside(path: Path) -> Path:
    """Rename a corrupt file to a dated ``*.corrupt`` name that no later write will touch."""
    stamp = _stamp()
    target = path.with_name(f"{path.name}.{stamp}.corrupt")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.{stamp}-{counter}.corrupt")
    try:
        system.replace(path, target)
    except OSError as error:
        raise StorageError(
            f"cannot move the damaged {path} aside: {error.strerror or error} (is it open in another program?)"
        ) from None
    with contextlib.suppress(OSError):
        fsync_dir(path.parent)
    return target


def torn_tail_warning(path: Path) -> str:
    """What a reader says of a journal whose last line is incomplete (beside a live writer it is not said: the
    writer is in the middle of that line)."""
    return f"{path.name}: dropped an incomplete last entry (the program stopped while writing it)"


class MissingEntries(ValueError):
    """A whole entry whose predecessors are not there: damage, never a torn write."""


@dataclass
class JournalRead:
    """What replaying a journal found: how big it is, and whether it holds damage."""

    size: int = 0  # bytes in the file (in both files, for ``replay_journals``)
    damaged: bool = False  # a bad entry before the last line: not a crash signature, keep the file
    damaged_file: Path | None = None  # which file, for ``replay_journals``


def replay_journal(path: Path, state: SessionState) -> JournalRead:
    """Apply the journal's entries newer than the checkpoint. Reads only: the file is never changed here.

    A torn last line (the process died mid-write) is dropped with a warning. A bad line anywhere else is
    damage: the entries before it are applied, the rest are not, and the warning says where.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return JournalRead()
    except OSError as error:
        raise StorageError(f"{path}: cannot read: {error.strerror or error}") from None
    result = JournalRead(size=len(raw))
    torn = torn_tail_warning(path)
    lines = raw.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    for number, line in enumerate(complete, start=1):
        try:
            doc = json.loads(line)
            seq = int(doc["seq"])
            if seq > state.seq + 1:
                # Entries are numbered one after another: a later one without those before it (a power cut that
                # kept a newer journal's entries but not the end of an older one) cannot be applied on its own.
                raise MissingEntries(f"entry {seq} follows entry {state.seq}: the entries between them are missing")
            if seq > state.seq:
                operation, change = parse_change(doc, state.session.codebook)
                state.apply(operation, change)
                state.seq = seq
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, ValidationError, RecursionError) as error:
            if number == len(complete) and not tail and not isinstance(error, MissingEntries):
                state.warnings.append(torn)
                return result
            result.damaged = True
            state.warnings.append(
                f"{path} line {number} is damaged ({short_reason(error)}); the {number - 1} entries before it were "
                "read, those after it were not"
            )
            return result
    if tail:
        state.warnings.append(torn)
    return result


def set_aside_files(directory: Path) -> list[Path]:
    """Damaged files moved aside earlier (``*.corrupt``): kept, and named to the user on every read."""
    return sorted(directory.glob("*.corrupt")) if directory.is_dir() else []


def replay_journals(journals: list[Path], state: SessionState) -> JournalRead:
    """Apply a session's journals in order (``paths.journal_files``): those a fold had not yet removed, then
    the current one. Damage in one stops the reading there: the journals after it are not applied either."""
    total = JournalRead()
    for number, journal in enumerate(journals):
        found = replay_journal(journal, state)
        total.size += found.size
        if found.damaged:
            total.damaged, total.damaged_file = True, journal
            state.warnings += [
                f"{later.name} was not read: it follows damage in {journal.name}" for later in journals[number + 1 :]
            ]
            break
    return total
