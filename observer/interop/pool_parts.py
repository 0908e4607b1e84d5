"""One input of a pool, read and written as its part of the package: its own contributions, sessions and
agenda CSVs, and what the whole needs from it (its people, organisations, codebooks, sessions' digests and the
names behind each pseudonym). Parts are made side by side, a process each (``pool.py`` joins them), so a
programme's inputs are read on every core; each holds one session in memory at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from observer.core.codebook_models import Codebook
from observer.core.errors import InputError, StorageError
from observer.core.models import SessionData
from observer.core.text import terminal_safe
from observer.interop.bundle import each_session, record_digest
from observer.interop.export.records import neutralised, tidy_rows
from observer.interop.pool_schema import AGENDA_COLUMNS, SESSION_COLUMNS, contribution_columns
from observer.privacy.keyed_sessions import named_field
from observer.privacy.naming import Naming
from observer.privacy.programme_key import KeyedPseudonyms, ProgrammeKey
from observer.storage import Archive

# Typed text: kept text, never a formula, when a spreadsheet opens the file.
TEXT_COLUMNS = frozenset({"participant", "organisation", "agenda_item", "session_title", "series", "observer", "note"})
DATE_COLUMNS = frozenset({"wall_time", "meeting_date"})


@dataclass(frozen=True)
class PoolInput:
    path: Path
    is_archive: bool
    key_id: str | None  # a bundle pseudonymised under this programme key

    @property
    def shown(self) -> str:
        return terminal_safe(str(self.path))


@dataclass
class Part:
    """What one input gives the pool beside its CSV files."""

    folder: Path
    contributions_header: list[str] = field(default_factory=list)
    sessions: list[tuple[str, str]] = field(default_factory=list)  # (session id, digest), in order
    contributions: int = 0
    codebooks: dict[str, Codebook] = field(default_factory=dict)  # its JSON -> the codebook
    counts: dict[str, int] = field(default_factory=dict)  # session id -> its contributions
    people: dict[str, tuple[str, str]] = field(default_factory=dict)  # participant id -> (shown, organisation id)
    organisations: dict[str, str] = field(default_factory=dict)  # organisation id -> shown
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # pseudonym -> the names it stands for
    warnings: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)  # sessions met twice in this input, identical
    skip: set[str] = field(default_factory=set)  # sessions an earlier input holds (set when the parts are joined)


class CsvTable:
    """A table's CSV, rows written as they come: dates as ISO 8601, typed text kept text in a spreadsheet."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.handle: TextIO = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle, lineterminator="\n")
        self.writer.writerow(header)
        self.typed = [index for index, name in enumerate(header) if name in TEXT_COLUMNS]
        self.dates = [index for index, name in enumerate(header) if name in DATE_COLUMNS]

    def write(self, row: list[Any]) -> None:
        for index in self.dates:
            value = row[index]
            if isinstance(value, dt.date):
                row[index] = value.isoformat()
        for index in self.typed:
            value = row[index]
            if isinstance(value, str) and value:
                row[index] = neutralised(value)
        self.writer.writerow(row)

    def close(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()


def sessions_of(item: PoolInput, warn: Callable[[str], None]) -> Iterator[tuple[SessionData, str]]:
    if not item.is_archive:
        yield from each_session(item.path)
        return
    archive = Archive(item.path)
    for session_id in archive.session_ids():
        try:
            data, warnings = archive.load_with_warnings(session_id)
        except StorageError as error:
            raise InputError(f"{item.path}: session {session_id} cannot be read ({error})") from None
        for line in warnings:
            warn(f"{item.path}: {line}")
        yield data, record_digest(data)


def write_part(item: PoolInput, folder: Path, key: ProgrammeKey | None) -> Part:
    """Read ``item`` and write its part of the package into ``folder`` (made here)."""
    folder.mkdir(mode=0o700)
    part = Part(folder)
    pseudonyms = KeyedPseudonyms(key) if key is not None and item.key_id is None else None
    # With a key, names become pseudonyms as they are written (the keyed export's way); a keyed bundle's
    # sessions, and names with --names, are written as they are. Notes and words never.
    naming = Naming(pseudonyms, keep_notes=False, keep_titles=False) if pseudonyms else Naming(keep_notes=False)
    sessions = CsvTable(folder / "sessions.csv", SESSION_COLUMNS)
    agenda = CsvTable(folder / "agenda.csv", AGENDA_COLUMNS)
    contributions: CsvTable | None = None
    layout: tuple[list[str], list[str]] = ([], [])
    seen: set[str] = set()
    try:
        for data, digest in sessions_of(item, part.warnings.append):
            if item.key_id is not None:
                named = named_field(data.session)
                if named is not None:
                    raise InputError(
                        f"{item.path}: says it is pseudonymised (key {item.key_id}) but session "
                        f"{terminal_safe(data.session.id)} has names ({named}); only 'observer bundle --key' makes "
                        "such a bundle"
                    )
                if any(c.note or c.words for c in data.contributions):
                    raise InputError(
                        f"{item.path}: says it is pseudonymised (key {item.key_id}) but session "
                        f"{terminal_safe(data.session.id)} has notes or words; only 'observer bundle --key' makes "
                        "such a bundle"
                    )
            if data.session.id in seen:  # an archive and a conflict copy cannot; a hand-made bundle could
                part.repeated.append(data.session.id)
                continue
            seen.add(data.session.id)
            part.sessions.append((data.session.id, digest))
            codebook = data.session.codebook
            part.codebooks.setdefault(codebook.model_dump_json(), codebook)
            columns, dimensions, flags = contribution_columns(list(part.codebooks.values()))
            if contributions is None or (dimensions, flags) != layout:
                # A codebook with other dimensions or flags: a file of its own, joined by column names later.
                if contributions is not None:
                    contributions.close()
                layout = (dimensions, flags)
                part.contributions_header = [column.id for column in columns]
                name = f"contributions-{len(part.sessions)}.csv"
                contributions = CsvTable(folder / name, part.contributions_header)
            if pseudonyms is not None:
                pseudonyms.learn(data.session)  # two attendees one pseudonym: refused, as in an export
            data = naming.redact(data)  # the door: nothing after it meets a name it should not
            _roster(data, part)
            session = data.session
            sessions.write(
                [
                    session.id,
                    session.meeting,
                    session.observer,
                    session.series,
                    session.title,
                    session.meeting_date,
                    session.status.value,
                    "transcript" if session.transcript is not None else "live",
                    session.codebook.name,
                    session.codebook.version,
                    round(session.observed_seconds(), 3),
                    len(data.contributions),
                ]
            )
            for position, agenda_item in enumerate(sorted(session.agenda_items, key=lambda i: i.start_s), start=1):
                agenda.write([session.id, agenda_item.id, position, agenda_item.title, agenda_item.start_s])
            for row in tidy_rows(data, dimensions, flags, with_session_fields=True):
                contributions.write(row)
            part.contributions += len(data.contributions)
            part.counts[session.id] = len(data.contributions)
    finally:
        for table in (sessions, agenda, contributions):
            if table is not None and not table.handle.closed:
                table.close()
    if pseudonyms is not None:
        part.names = pseudonyms.names
    return part


def _roster(data: SessionData, part: Part) -> None:
    session = data.session
    for organisation in session.organisations:
        part.organisations.setdefault(organisation.id, organisation.name)
    for person in session.participants:
        part.people.setdefault(person.id, (person.name, person.organisation_id))


def part_files(folder: Path) -> list[Path]:
    """The part's contributions files, in the order they were written."""
    return sorted(folder.glob("contributions-*.csv"), key=lambda path: int(path.stem.split("-")[1]))
