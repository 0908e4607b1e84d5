"""The session workbook's rows, computed apart from writing them (no openpyxl here).

Writing a workbook is openpyxl's work; reading, summarising and laying out each session is ours. For an
export of many sessions from the archive, a helper process does our part for the next sessions while this
one writes: on a machine with two cores or more, the export then takes little longer than the writing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from observer.analysis import metrics, sequence_words
from observer.core import columns
from observer.core.errors import StorageError
from observer.core.models import SessionData
from observer.interop.export.records import tidy_rows
from observer.interop.export.sources import ArchiveSessions
from observer.privacy.naming import Naming
from observer.storage import Archive

WALL_TIME_COLUMN = next(i for i, column in enumerate(columns.CONTRIBUTION_LEAD) if column.id == "wall_time")

# A helper process takes about half a second to start and saves about 45 ms per 300 KB stored session (a
# meeting of 1,000 contributions): for less than this much to read it would cost more than it saves.
HELPER_FROM_BYTES = 4_000_000
# Sessions the helper may prepare ahead of the writer: enough to keep it busy, few enough to keep memory flat.
HELPER_AHEAD = 3


@dataclass
class Digest:
    """What the Summary sheet needs of a session once its rows are written: no contributions kept."""

    header: SessionData  # the session, with an empty contribution list
    summary: metrics.SessionSummary  # without its spans
    findings: list[str] = field(default_factory=list)  # the sequences' notable patterns, where asked for

    def headline(self) -> Digest:
        """What the many-meeting Summary shows of a session (its indices, flags, counts and 2×2): kept for each
        of hundreds of meetings, the people, agenda and time bins would make the export's memory grow."""
        slim = dataclasses.replace(
            self.summary, participants=[], organisations=[], coordinator_candidates=[], agenda=[], bins=[]
        )
        return Digest(self.header, slim, self.findings)


# Each table's declared columns as typed values, in the order ``core/columns.py`` declares them (a test holds the
# field names to the column ids): a value cannot land under another heading, and a missing one fails to build.


@dataclass(frozen=True, slots=True)
class OrganisationValues:
    session_id: str
    organisation_id: str
    organisation: str
    attendees_present: int
    share_of_room: float | None
    contributions: int
    share_contributions: float | None
    airtime_s: float
    share_airtime: float | None
    participation_ratio: float | None
    airtime_ratio: float | None


@dataclass(frozen=True, slots=True)
class ParticipantValues:
    session_id: str
    participant_id: str
    participant: str
    organisation: str
    present: int
    contributions: int
    share_contributions: float | None
    airtime_s: float
    share_airtime: float | None


@dataclass(frozen=True, slots=True)
class TimelineValues:
    session_id: str
    label: str
    start_s: float
    end_s: float
    contributions: int


@dataclass(frozen=True, slots=True)
class FlagValues:
    session_id: str
    flag: str
    label: str
    count: int
    per_hour: float | None


def values(row: Any) -> list[Any]:
    """A row's values in its fields' order, which is its table's column order."""
    return [getattr(row, column.name) for column in dataclasses.fields(row)]


@dataclass
class SessionRows:
    """One session's rows for each table of the session workbook, and its digest for the Summary sheet."""

    digest: Digest
    contributions: list[list[Any]]
    organisations: list[list[Any]]
    participants: list[list[Any]]
    agenda: list[list[Any]]
    timeline: list[list[Any]]
    flags: list[list[Any]]


def session_rows(
    data: SessionData,
    naming: Naming,
    dimensions: list[str],
    flags: list[str],
    index_ids: list[str],
    with_findings: bool = False,
) -> SessionRows:
    # The door, first: here, so that the helper process pseudonymises what it reads too; nothing after it
    # meets a name.
    data = naming.redact(data)
    summary = metrics.summarise(data)
    findings = sequence_words.findings([data]) if with_findings else []
    contributions = list(tidy_rows(data, dimensions, flags, naming.with_text, spans=summary.spans, empty=None))
    for row in contributions:
        row[WALL_TIME_COLUMN] = excel_time(row[WALL_TIME_COLUMN])
    return SessionRows(
        digest=Digest(
            SessionData(session=data.session, contributions=[]), dataclasses.replace(summary, spans=[]), findings
        ),
        contributions=contributions,
        organisations=organisation_rows(data, summary, flags, index_ids),
        participants=participant_rows(data, summary, flags, index_ids),
        agenda=timeline_rows(data, summary.agenda, flags, index_ids),
        timeline=timeline_rows(data, summary.bins, flags, index_ids),
        flags=[
            values(
                FlagValues(
                    session_id=data.session.id,
                    flag=flag.id,
                    label=flag.label,
                    count=summary.flag_counts[flag.id],
                    per_hour=summary.flags_per_hour[flag.id],
                )
            )
            for flag in data.session.codebook.flags
        ],
    )


def excel_time(value: dt.datetime) -> dt.datetime:
    """Excel has no time zones: times are written as UTC (the About sheet says so)."""
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def organisation_rows(
    data: SessionData, summary: metrics.SessionSummary, flags: list[str], index_ids: list[str]
) -> list[list[Any]]:
    rows = []
    for row in summary.organisations:
        lead = OrganisationValues(
            session_id=data.session.id,
            organisation_id=row.id,
            organisation=row.name,
            attendees_present=row.attendees_present,
            share_of_room=row.share_of_room,
            contributions=row.contributions,
            share_contributions=row.share_contributions,
            airtime_s=row.airtime_s,
            share_airtime=row.share_airtime,
            participation_ratio=row.participation_ratio,
            airtime_ratio=row.airtime_ratio,
        )
        rows.append(
            [
                *values(lead),
                *[row.indices.get(index_id) for index_id in index_ids],
                *[row.flag_counts.get(flag, 0) for flag in flags],
            ]
        )
    return rows


def participant_rows(
    data: SessionData, summary: metrics.SessionSummary, flags: list[str], index_ids: list[str]
) -> list[list[Any]]:
    reasons = {c.participant_id: "; ".join(c.reasons) for c in summary.coordinator_candidates}
    organisations = {o.id: o.name for o in data.session.organisations}
    rows = []
    for row in summary.participants:
        lead = ParticipantValues(
            session_id=data.session.id,
            participant_id=row.id,
            participant=row.name,
            organisation=organisations.get(row.organisation_id, ""),
            present=row.attendees_present,
            contributions=row.contributions,
            share_contributions=row.share_contributions,
            airtime_s=row.airtime_s,
            share_airtime=row.share_airtime,
        )
        rows.append(
            [
                *values(lead),
                *[row.indices.get(index_id) for index_id in index_ids],
                reasons.get(row.id, ""),
                *[row.flag_counts.get(flag, 0) for flag in flags],
            ]
        )
    return rows


def timeline_rows(
    data: SessionData, rows: list[metrics.TimelineRow], flags: list[str], index_ids: list[str]
) -> list[list[Any]]:
    return [
        [
            *values(
                TimelineValues(
                    session_id=data.session.id,
                    label=row.label,
                    start_s=row.start_s,
                    end_s=row.end_s,
                    contributions=row.contributions,
                )
            ),
            *[row.indices.get(index_id) for index_id in index_ids],
            row.flags,
            *[row.flag_counts.get(flag, 0) for flag in flags],
        ]
        for row in rows
    ]


# ---------------------------------------------------------------- many sessions: a helper process


def rows_of_sessions(
    sessions: Iterable[SessionData],
    naming: Naming,
    dimensions: list[str],
    flags: list[str],
    index_ids: list[str],
    with_findings: bool = False,
) -> Iterator[SessionRows]:
    """Each session's rows, in order. Sessions read from an archive, if there is enough to read, are read
    and summarised by a helper process ahead of the writer."""
    if (
        isinstance(sessions, ArchiveSessions)
        and (os.cpu_count() or 1) > 1
        and os.environ.get("OBSERVER_EXPORT_HELPER", "1") != "0"
        and sum(sessions.archive.stored_bytes(session_id) for session_id in sessions.session_ids) >= HELPER_FROM_BYTES
    ):
        yield from _rows_from_helper(sessions, naming, dimensions, flags, index_ids, with_findings)
        return
    for data in sessions:
        yield session_rows(data, naming, dimensions, flags, index_ids, with_findings)


def rows_from_archive(
    root: Path,
    session_id: str,
    naming: Naming,
    dimensions: list[str],
    flags: list[str],
    index_ids: list[str],
    with_findings: bool = False,
) -> tuple[SessionRows, list[str]]:
    """Run in the helper process: one session read from the archive at ``root``, as rows, and what the read
    stepped around."""
    data, warnings = Archive(root).load_with_warnings(session_id)
    return session_rows(data, naming, dimensions, flags, index_ids, with_findings), warnings


def _helper_started() -> None:
    # Ctrl-C is for the writing process: it stops the export, and the export stops this helper.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _rows_from_helper(
    sessions: ArchiveSessions,
    naming: Naming,
    dimensions: list[str],
    flags: list[str],
    index_ids: list[str],
    with_findings: bool,
) -> Iterator[SessionRows]:
    # Spawned, never forked: forking a process that runs threads (the app does) can deadlock the child.
    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_helper_started
    )
    root = sessions.archive.paths.root
    waiting = iter(sessions.session_ids)
    pending: deque[tuple[str, Future[tuple[SessionRows, list[str]]]]] = deque()

    def ask_for_next() -> None:
        session_id = next(waiting, None)
        if session_id is not None:
            future = pool.submit(
                rows_from_archive, root, session_id, naming, dimensions, flags, index_ids, with_findings
            )
            pending.append((session_id, future))

    try:
        for _ in range(HELPER_AHEAD):
            ask_for_next()
        while pending:
            session_id, future = pending.popleft()
            ask_for_next()
            try:
                rows, sessions.warnings[session_id] = future.result()
            except BrokenProcessPool:
                raise StorageError("the export's reading process stopped unexpectedly; no file was written") from None
            yield rows
            if sessions.progress is not None:
                sessions.progress()
    finally:
        # Also when the writer stops early (an error, or the file cannot be written): no work left behind.
        pool.shutdown(wait=True, cancel_futures=True)
