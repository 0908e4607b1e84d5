"""Every number the tool shows of one meeting, defined once (see the metric definitions in the design notes):
the rows per person and organisation, coordinator candidates, the timelines, and the session summary.

Pure functions over the models: the live panel, the review screens, the command line and every export call
these, so they can never disagree. A value whose denominator is zero is ``None`` (shown blank or "—"). The spans
they are measured over are ``timing``'s; the sums they are made of, ``tallies``'.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from observer.analysis.tallies import (
    DimensionStats,
    IndexCounts,
    Indices,
    QuadrantTable,
    Tallies,
    Tally,
    count_indices,
    dimension_stats,
    indices,
    ratio,
    tally_of,
)
from observer.analysis.timing import Span, contribution_spans, flag_counts, was_present
from observer.core.codebook_models import Codebook
from observer.core.models import AgendaItem, Attendance, Session, SessionData, count_turns_to_code

COORDINATOR_FLAG = "coordinator"
COORDINATOR_INDEX = "pfi"  # the index whose high value marks a coordinator candidate, where a codebook has it
DEFAULT_BIN_SECONDS = 300.0
# An organisation speaking for more than this many times its share of the room is marked in the live panel.
OVERREPRESENTED_AIRTIME_RATIO = 1.5


# ---------------------------------------------------------------- people and organisations


@dataclass
class GroupStats:
    """One participant's or one organisation's share of the talk."""

    id: str
    name: str
    organisation_id: str
    contributions: int = 0
    airtime_s: float = 0.0
    share_contributions: float | None = None
    share_airtime: float | None = None
    indices: Indices = field(default_factory=dict)  # by count, per declared index
    flag_counts: dict[str, int] = field(default_factory=dict)
    attendees_present: int = 0  # organisations: present attendees; participants: 1 if present
    share_of_room: float | None = None
    participation_ratio: float | None = None
    airtime_ratio: float | None = None


def _group_stats(
    key: str, name: str, organisation_id: str, tally: Tally | None, overall: Tally, codebook: Codebook
) -> GroupStats:
    definitions = codebook.indices
    tally = tally or Tally(len(definitions))
    return GroupStats(
        id=key,
        name=name,
        organisation_id=organisation_id,
        contributions=tally.count,
        airtime_s=tally.airtime_s,
        share_contributions=ratio(tally.count, overall.count),
        share_airtime=ratio(tally.airtime_s, overall.airtime_s),
        indices=count_indices(tally.indices(definitions), definitions),
        flag_counts={flag: tally.flags[flag] for flag in codebook.flag_ids},
    )


def participant_rows(session: Session, tallies: Tallies, observed_s: float) -> list[GroupStats]:
    present = {a.participant_id for a in session.attendance if was_present(a, observed_s)}
    stats = []
    for participant in session.participants:
        row = _group_stats(
            participant.id,
            participant.name,
            participant.organisation_id,
            tallies.participants.get(participant.id),
            tallies.all,
            session.codebook,
        )
        row.attendees_present = int(participant.id in present)
        stats.append(row)
    return stats


def presence_seconds(attendance: Attendance, start_s: float, end_s: float) -> float:
    """How long an attendee was in the room between ``start_s`` and ``end_s`` on the session clock."""
    arrived = max(start_s, attendance.arrived_s or 0.0)
    left = min(end_s, attendance.left_s if attendance.left_s is not None else end_s)
    return max(0.0, left - arrived)


def room_shares(session: Session, start_s: float, end_s: float) -> dict[str, float]:
    """Each organisation's share of the room from ``start_s`` to ``end_s``: its people's seconds present over
    everyone's. An attendee who came halfway counts half; with nobody arriving or leaving, this is the share of
    the people present. Over no time at all, the share of the people present."""
    seconds: dict[str, float] = defaultdict(float)
    heads: dict[str, float] = defaultdict(float)
    for attendance in session.attendance:
        participant = session.participant(attendance.participant_id)
        if participant is None or not was_present(attendance, end_s):
            continue
        seconds[participant.organisation_id] += presence_seconds(attendance, start_s, end_s)
        heads[participant.organisation_id] += 1
    weights = seconds if sum(seconds.values()) > 0 else heads
    total = sum(weights.values())
    return {organisation: weight / total for organisation, weight in weights.items()} if total else {}


def attendance_changed(session: Session, observed_s: float) -> bool:
    """Someone arrived after the start or left before the end: shares of the room are then by time present."""
    return any(
        (a.arrived_s or 0.0) > 0.0 or (a.left_s is not None and a.left_s < observed_s) for a in session.attendance
    )


def organisation_rows(session: Session, tallies: Tallies, observed_s: float) -> list[GroupStats]:
    present_by_org: Counter[str] = Counter()
    for attendance in session.attendance:
        participant = session.participant(attendance.participant_id)
        if participant is not None and was_present(attendance, observed_s):
            present_by_org[participant.organisation_id] += 1
    shares = room_shares(session, 0.0, observed_s)
    overall = tallies.all
    stats = []
    for organisation in session.organisations:
        row = _group_stats(
            organisation.id,
            organisation.name,
            organisation.id,
            tallies.organisations.get(organisation.id),
            overall,
            session.codebook,
        )
        row.attendees_present = present_by_org[organisation.id]
        row.share_of_room = shares.get(organisation.id, 0.0) if shares else None
        if row.share_of_room:
            spoke = overall.count
            row.participation_ratio = ratio(row.share_contributions or 0.0, row.share_of_room) if spoke else None
            row.airtime_ratio = ratio(row.share_airtime or 0.0, row.share_of_room) if overall.airtime_s else None
        stats.append(row)
    return stats


@dataclass(frozen=True)
class CoordinatorSettings:
    min_coded: int = 5
    min_pfi: float = 0.75
    min_coordinator_flags: int = 2


@dataclass
class CoordinatorCandidate:
    participant_id: str
    name: str
    reasons: list[str]


def coordinator_candidates(
    data: SessionData, spans: list[Span], settings: CoordinatorSettings = CoordinatorSettings()
) -> list[CoordinatorCandidate]:
    by_participant: defaultdict[str | None, list[Span]] = defaultdict(list)
    for span in spans:
        by_participant[span.contribution.participant_id].append(span)
    index = data.session.codebook.index(COORDINATOR_INDEX)
    candidates = []
    for participant in data.session.participants:
        own = by_participant.get(participant.id, [])
        flags = sum(COORDINATOR_FLAG in s.contribution.flags for s in own)
        reasons = []
        if index is not None:
            measured = index.counts + index.against
            oriented = [s for s in own if s.contribution.codes.get(index.dimension) in measured]
            value = indices(own, [index])[index.id]
            if len(oriented) >= settings.min_coded and value is not None and value >= settings.min_pfi:
                reasons.append(f"{index.short} {value:.2f} over {len(oriented)} coded contributions")
        if flags >= settings.min_coordinator_flags:
            reasons.append(f"{flags} coordinator flags")
        if reasons:
            candidates.append(CoordinatorCandidate(participant.id, participant.name, reasons))
    return candidates


# ---------------------------------------------------------------- timeline


@dataclass
class TimelineRow:
    label: str
    start_s: float
    end_s: float
    contributions: int
    indices: Indices  # by count, per declared index
    flags: int
    flag_counts: dict[str, int]
    index_counts: IndexCounts = field(default_factory=dict)


def _timeline_row(label: str, start: float, end: float, spans: list[Span], codebook: Codebook) -> TimelineRow:
    flags = flag_counts(spans)
    tally = tally_of(spans, codebook.indices)
    return TimelineRow(
        label=label,
        start_s=start,
        end_s=end,
        contributions=len(spans),
        indices=count_indices(tally.indices(codebook.indices), codebook.indices),
        flags=sum(flags.values()),
        flag_counts={flag: flags[flag] for flag in codebook.flag_ids},
        index_counts=tally.counts(codebook.indices),
    )


def agenda_timeline(data: SessionData, spans: list[Span], observed_s: float) -> list[TimelineRow]:
    """One row per agenda item (plus the time before the first, if anything was said then)."""
    session = data.session
    observed = observed_s
    items: list[AgendaItem] = sorted(session.agenda_items, key=lambda item: item.start_s)
    # Each span goes to the last item started at or before it (items sorted; spans need not be).
    starts = [item.start_s for item in items]
    grouped: defaultdict[int, list[Span]] = defaultdict(list)
    for span in spans:
        grouped[bisect.bisect_right(starts, span.start_s) - 1].append(span)
    rows = []
    first_start = items[0].start_s if items else observed
    before = grouped.get(-1, [])
    if before or not items:
        rows.append(_timeline_row("(no agenda item)", 0.0, first_start, before, session.codebook))
    for index, item in enumerate(items):
        end = items[index + 1].start_s if index + 1 < len(items) else max(observed, item.start_s)
        rows.append(_timeline_row(item.title, item.start_s, end, grouped.get(index, []), session.codebook))
    return rows


def binned_timeline(
    data: SessionData, spans: list[Span], observed_s: float, bin_s: float = DEFAULT_BIN_SECONDS
) -> list[TimelineRow]:
    """Fixed bins of session clock; a contribution belongs to the bin in which it starts."""
    observed = observed_s
    last_start = max((s.start_s for s in spans), default=0.0)
    bins = max(1, math.ceil(max(observed, last_start + 1e-9) / bin_s))
    grouped: defaultdict[int, list[Span]] = defaultdict(list)
    for span in spans:
        grouped[min(int(span.start_s // bin_s), bins - 1)].append(span)
    return [
        _timeline_row(
            f"{_minutes(index * bin_s)}–{_minutes((index + 1) * bin_s)}",
            index * bin_s,
            min((index + 1) * bin_s, observed),
            grouped.get(index, []),
            data.session.codebook,
        )
        for index in range(bins)
    ]


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}m"


# ---------------------------------------------------------------- session summary


@dataclass
class SessionSummary:
    session_id: str
    title: str
    series: str
    meeting_date: dt.date
    observed_s: float
    contributions: int
    indices: Indices
    index_counts: IndexCounts  # by count: (counted, inside) per index
    dimensions: dict[str, DimensionStats]
    quadrant: QuadrantTable | None  # only for a codebook whose first two indices are on two dimensions
    flag_counts: dict[str, int]
    flags_per_hour: dict[str, float | None]
    total_flags_per_hour: float | None
    participants: list[GroupStats]
    organisations: list[GroupStats]
    coordinator_candidates: list[CoordinatorCandidate]
    agenda: list[TimelineRow]
    bins: list[TimelineRow]
    spans: list[Span] = field(repr=False)
    attendance_changed: bool = False  # someone came late or left early: shares of the room are by time present
    turns_to_code: int | None = None  # a transcript's turns not coded on every dimension (None: coded live)


def summarise(
    data: SessionData,
    now: dt.datetime | None = None,
    coordinator_settings: CoordinatorSettings = CoordinatorSettings(),
    bin_s: float = DEFAULT_BIN_SECONDS,
) -> SessionSummary:
    """Everything the review screen and the session workbook show about one session."""
    session: Session = data.session
    spans = contribution_spans(data, now)
    observed = session.observed_seconds(now)
    flag_ids = session.codebook.flag_ids
    flags = flag_counts(spans)
    hours = observed / 3600
    tallies = Tallies.of(spans, session.codebook)
    return SessionSummary(
        session_id=session.id,
        title=session.title,
        series=session.series,
        meeting_date=session.meeting_date,
        observed_s=observed,
        contributions=len(spans),
        indices=tallies.all.indices(session.codebook.indices),
        index_counts=tallies.all.counts(session.codebook.indices),
        dimensions={
            d.id: dimension_stats(spans, d.id, [code.id for code in d.codes]) for d in session.codebook.dimensions
        },
        quadrant=tallies.quadrant_table(),
        flag_counts={flag: flags[flag] for flag in flag_ids},
        flags_per_hour={flag: ratio(flags[flag], hours) for flag in flag_ids},
        total_flags_per_hour=ratio(sum(flags[flag] for flag in flag_ids), hours),
        participants=participant_rows(session, tallies, observed),
        organisations=organisation_rows(session, tallies, observed),
        coordinator_candidates=coordinator_candidates(data, spans, coordinator_settings),
        agenda=agenda_timeline(data, spans, observed),
        bins=binned_timeline(data, spans, observed, bin_s),
        attendance_changed=attendance_changed(session, observed),
        spans=spans,
        turns_to_code=count_turns_to_code(data),
    )
