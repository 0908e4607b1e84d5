"""Every number the tool shows, defined once (see the metric definitions in the design notes).

Pure functions over the models: the live panel, the review screens, the command line and every export call
these, so they can never disagree. A value whose denominator is zero is ``None`` (shown blank or "—").
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from observer.models import AgendaItem, Attendance, Contribution, Pause, Session, SessionData

ORIENTATION = "orientation"
PARTNERSHIP_FIRST = "partnership_first"
ORG_FIRST = "org_first"
NEUTRAL = "neutral"
TOPIC = "topic"
RELATIONAL = "relational"
TRANSACTIONAL = "transactional"
COORDINATOR_FLAG = "coordinator"
UNCODED = "uncoded"
DEFAULT_BIN_SECONDS = 300.0


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None (undefined) when the denominator is zero."""
    return numerator / denominator if denominator else None


# ---------------------------------------------------------------- time


@dataclass(frozen=True)
class Span:
    contribution: Contribution
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def pause_ends(pause: Pause, contribution: Contribution) -> bool:
    """Did this pause end the contribution? (A pause at the very instant it started counts only if later.)"""
    if pause.at_s != contribution.start_s:
        return pause.at_s > contribution.start_s
    return pause.wall_time > contribution.wall_time


def _end_of(ordered: list[Contribution], index: int, pauses: list[Pause], observed_s: float) -> float:
    """The end of ``ordered[index]``: the next start, the first pause that ends it, or the session end.

    ``pauses`` are in clock order: only those from the contribution's start on can end it.
    """
    contribution = ordered[index]
    end = observed_s
    if index + 1 < len(ordered):
        end = min(end, ordered[index + 1].start_s)
    for position in range(bisect.bisect_left(pauses, contribution.start_s, key=_pause_clock), len(pauses)):
        pause = pauses[position]
        if pause.at_s >= end:
            break
        if pause_ends(pause, contribution):
            end = pause.at_s
            break
    return max(contribution.start_s, end)


def _pause_clock(pause: Pause) -> float:
    return pause.at_s


def _clock_order(contribution: Contribution) -> tuple[float, dt.datetime]:
    return contribution.start_s, contribution.wall_time


def contribution_spans(data: SessionData, now: dt.datetime | None = None) -> list[Span]:
    """Each contribution with its end: the next start, the next pause, or the session end, whichever first."""
    observed = data.session.observed_seconds(now)
    ordered = sorted(data.contributions, key=_clock_order)
    pauses = sorted(data.session.pauses, key=_pause_clock)
    return [Span(c, c.start_s, _end_of(ordered, index, pauses, observed)) for index, c in enumerate(ordered)]


def span_at(data: SessionData, index: int, now: dt.datetime | None = None) -> Span:
    """One contribution's span (``data.contributions`` in clock order), without computing all the others."""
    pauses = sorted(data.session.pauses, key=_pause_clock)
    contribution = data.contributions[index]
    end = _end_of(data.contributions, index, pauses, data.session.observed_seconds(now))
    return Span(contribution, contribution.start_s, end)


def flag_counts(spans: Iterable[Span]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for span in spans:
        if span.contribution.flags:  # most contributions carry none
            counts.update(span.contribution.flags)
    return counts


def was_present(attendance: Attendance, observed_s: float) -> bool:
    """Attended at some moment of the observed time (someone marked as left before arriving never was)."""
    arrived = attendance.arrived_s or 0.0
    if attendance.arrived_s is not None and attendance.arrived_s > observed_s:
        return False
    return attendance.left_s is None or attendance.left_s > arrived


# ---------------------------------------------------------------- dimensions


@dataclass
class DimensionStats:
    dimension_id: str
    counts: dict[str, int]
    airtime_s: dict[str, float]
    coded: int
    uncoded: int
    shares: dict[str, float | None]
    airtime_shares: dict[str, float | None]


def dimension_stats(spans: list[Span], dimension_id: str, code_ids: list[str]) -> DimensionStats:
    counts = dict.fromkeys(code_ids, 0)
    airtime = dict.fromkeys(code_ids, 0.0)
    uncoded = 0
    for span in spans:
        code = span.contribution.codes.get(dimension_id)
        if code in counts:
            counts[code] += 1
            airtime[code] += span.duration_s
        else:
            uncoded += 1
    coded = sum(counts.values())
    coded_time = sum(airtime.values())
    return DimensionStats(
        dimension_id=dimension_id,
        counts=counts,
        airtime_s=airtime,
        coded=coded,
        uncoded=uncoded,
        shares={code: ratio(count, coded) for code, count in counts.items()},
        airtime_shares={code: ratio(seconds, coded_time) for code, seconds in airtime.items()},
    )


@dataclass
class Indices:
    """Partnership-first and relational indices, by count and by time (None: undefined)."""

    pfi: float | None
    pfi_time: float | None
    ri: float | None
    ri_time: float | None


def indices(spans: Iterable[Span]) -> Indices:
    # One pass with plain counters: called for every participant, organisation, agenda item and bin.
    partnership = org = relational = transactional = 0
    partnership_s = org_s = relational_s = transactional_s = 0.0
    for span in spans:
        codes = span.contribution.codes
        if not codes:
            continue
        seconds = span.end_s - span.start_s
        orientation = codes.get(ORIENTATION)
        if orientation == PARTNERSHIP_FIRST:
            partnership += 1
            partnership_s += seconds
        elif orientation == ORG_FIRST:
            org += 1
            org_s += seconds
        topic = codes.get(TOPIC)
        if topic == RELATIONAL:
            relational += 1
            relational_s += seconds
        elif topic == TRANSACTIONAL:
            transactional += 1
            transactional_s += seconds
    return Indices(
        pfi=ratio(partnership, partnership + org),
        pfi_time=ratio(partnership_s, partnership_s + org_s),
        ri=ratio(relational, relational + transactional),
        ri_time=ratio(relational_s, relational_s + transactional_s),
    )


@dataclass
class QuadrantTable:
    """Orientation × topic counts; ``shares`` are of the 2×2 core (org/partnership × transactional/relational)."""

    rows: list[str]  # org_first, partnership_first, neutral, uncoded
    columns: list[str]  # transactional, relational, uncoded
    counts: dict[str, dict[str, int]]
    shares: dict[str, dict[str, float | None]]
    core_total: int
    row_totals: dict[str, int]
    column_totals: dict[str, int]


def quadrant_table(spans: list[Span]) -> QuadrantTable:
    counts = {row: dict.fromkeys(QUADRANT_COLUMNS, 0) for row in QUADRANT_ROWS}
    for span in spans:
        orientation = span.contribution.codes.get(ORIENTATION, UNCODED)
        topic = span.contribution.codes.get(TOPIC, UNCODED)
        row = orientation if orientation in counts else UNCODED
        column = topic if topic in QUADRANT_COLUMNS else UNCODED
        counts[row][column] += 1
    return _quadrant_from_counts(counts)


def combine_quadrants(tables: list[QuadrantTable]) -> QuadrantTable:
    """The quadrant table of several sessions together: counts summed, shares of the summed 2×2."""
    counts = {
        row: {column: sum(t.counts[row][column] for t in tables) for column in QUADRANT_COLUMNS}
        for row in QUADRANT_ROWS
    }
    return _quadrant_from_counts(counts)


QUADRANT_ROWS = [ORG_FIRST, PARTNERSHIP_FIRST, NEUTRAL, UNCODED]
QUADRANT_ROW_LABELS = {
    ORG_FIRST: "org-first",
    PARTNERSHIP_FIRST: "partnership-first",
    NEUTRAL: "neutral",
    UNCODED: "uncoded",
}
QUADRANT_COLUMNS = [TRANSACTIONAL, RELATIONAL, UNCODED]


def _quadrant_from_counts(counts: dict[str, dict[str, int]]) -> QuadrantTable:
    core_rows, core_columns = QUADRANT_ROWS[:2], QUADRANT_COLUMNS[:2]
    core_total = sum(counts[row][column] for row in core_rows for column in core_columns)
    shares = {row: {column: ratio(counts[row][column], core_total) for column in core_columns} for row in core_rows}
    return QuadrantTable(
        rows=list(QUADRANT_ROWS),
        columns=list(QUADRANT_COLUMNS),
        counts=counts,
        shares=shares,
        core_total=core_total,
        row_totals={row: sum(counts[row].values()) for row in QUADRANT_ROWS},
        column_totals={column: sum(counts[row][column] for row in QUADRANT_ROWS) for column in QUADRANT_COLUMNS},
    )


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
    pfi: float | None = None
    ri: float | None = None
    flag_counts: dict[str, int] = field(default_factory=dict)
    attendees_present: int = 0  # organisations: present attendees; participants: 1 if present
    share_of_room: float | None = None
    participation_ratio: float | None = None
    airtime_ratio: float | None = None


def _group_stats(
    key: str, name: str, organisation_id: str, spans: list[Span], totals: tuple[int, float], flag_ids: list[str]
) -> GroupStats:
    total_count, total_time = totals
    counted = indices(spans)
    flags = flag_counts(spans)
    airtime = sum(span.end_s - span.start_s for span in spans)
    return GroupStats(
        id=key,
        name=name,
        organisation_id=organisation_id,
        contributions=len(spans),
        airtime_s=airtime,
        share_contributions=ratio(len(spans), total_count),
        share_airtime=ratio(airtime, total_time),
        pfi=counted.pfi,
        ri=counted.ri,
        flag_counts={flag: flags[flag] for flag in flag_ids},
    )


def participant_stats(data: SessionData, spans: list[Span], observed_s: float) -> list[GroupStats]:
    """Every participant on the roster, silent ones included, in roster order."""
    session = data.session
    totals = (len(spans), sum(span.duration_s for span in spans))
    by_participant: defaultdict[str, list[Span]] = defaultdict(list)
    for span in spans:
        if span.contribution.participant_id is not None:
            by_participant[span.contribution.participant_id].append(span)
    present = [a for a in session.attendance if was_present(a, observed_s)]
    stats = []
    for participant in session.participants:
        row = _group_stats(
            participant.id,
            participant.name,
            participant.organisation_id,
            by_participant.get(participant.id, []),
            totals,
            session.codebook.flag_ids,
        )
        row.attendees_present = int(any(a.participant_id == participant.id for a in present))
        stats.append(row)
    return stats


def organisation_stats(data: SessionData, spans: list[Span], observed_s: float) -> list[GroupStats]:
    """Each organisation: its talk (organisation-only contributions included) against its share of the room."""
    session = data.session
    totals = (len(spans), sum(span.duration_s for span in spans))
    by_organisation: defaultdict[str, list[Span]] = defaultdict(list)
    for span in spans:
        by_organisation[span.contribution.organisation_id].append(span)
    present_by_org: Counter[str] = Counter()
    for attendance in session.attendance:
        participant = session.participant(attendance.participant_id)
        if participant is not None and was_present(attendance, observed_s):
            present_by_org[participant.organisation_id] += 1
    room = sum(present_by_org.values())
    stats = []
    for organisation in session.organisations:
        row = _group_stats(
            organisation.id,
            organisation.name,
            organisation.id,
            by_organisation.get(organisation.id, []),
            totals,
            session.codebook.flag_ids,
        )
        row.attendees_present = present_by_org[organisation.id]
        row.share_of_room = ratio(row.attendees_present, room)
        if row.share_of_room:
            row.participation_ratio = ratio(row.share_contributions or 0.0, row.share_of_room) if totals[0] else None
            row.airtime_ratio = ratio(row.share_airtime or 0.0, row.share_of_room) if totals[1] else None
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
    candidates = []
    for participant in data.session.participants:
        own = by_participant.get(participant.id, [])
        oriented = [s for s in own if s.contribution.codes.get(ORIENTATION) in (PARTNERSHIP_FIRST, ORG_FIRST)]
        pfi = indices(own).pfi
        flags = sum(COORDINATOR_FLAG in s.contribution.flags for s in own)
        reasons = []
        if len(oriented) >= settings.min_coded and pfi is not None and pfi >= settings.min_pfi:
            reasons.append(f"PFI {pfi:.2f} over {len(oriented)} coded contributions")
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
    pfi: float | None
    ri: float | None
    flags: int
    flag_counts: dict[str, int]


def _timeline_row(label: str, start: float, end: float, spans: list[Span], flag_ids: list[str]) -> TimelineRow:
    counted = indices(spans)
    flags = flag_counts(spans)
    return TimelineRow(
        label=label,
        start_s=start,
        end_s=end,
        contributions=len(spans),
        pfi=counted.pfi,
        ri=counted.ri,
        flags=sum(flags.values()),
        flag_counts={flag: flags[flag] for flag in flag_ids},
    )


def agenda_timeline(data: SessionData, spans: list[Span], observed_s: float) -> list[TimelineRow]:
    """One row per agenda item (plus the time before the first, if anything was said then)."""
    session = data.session
    observed = observed_s
    items: list[AgendaItem] = sorted(session.agenda_items, key=lambda item: item.start_s)
    flag_ids = session.codebook.flag_ids
    # Each span goes to the last item started at or before it (items sorted; spans need not be).
    starts = [item.start_s for item in items]
    grouped: defaultdict[int, list[Span]] = defaultdict(list)
    for span in spans:
        grouped[bisect.bisect_right(starts, span.start_s) - 1].append(span)
    rows = []
    first_start = items[0].start_s if items else observed
    before = grouped.get(-1, [])
    if before or not items:
        rows.append(_timeline_row("(no agenda item)", 0.0, first_start, before, flag_ids))
    for index, item in enumerate(items):
        end = items[index + 1].start_s if index + 1 < len(items) else max(observed, item.start_s)
        rows.append(_timeline_row(item.title, item.start_s, end, grouped.get(index, []), flag_ids))
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
    flag_ids = data.session.codebook.flag_ids
    return [
        _timeline_row(
            f"{_minutes(index * bin_s)}–{_minutes((index + 1) * bin_s)}",
            index * bin_s,
            min((index + 1) * bin_s, observed),
            grouped.get(index, []),
            flag_ids,
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
    dimensions: dict[str, DimensionStats]
    quadrant: QuadrantTable
    flag_counts: dict[str, int]
    flags_per_hour: dict[str, float | None]
    total_flags_per_hour: float | None
    participants: list[GroupStats]
    organisations: list[GroupStats]
    coordinator_candidates: list[CoordinatorCandidate]
    agenda: list[TimelineRow]
    bins: list[TimelineRow]
    spans: list[Span] = field(repr=False)


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
    return SessionSummary(
        session_id=session.id,
        title=session.title,
        series=session.series,
        meeting_date=session.meeting_date,
        observed_s=observed,
        contributions=len(spans),
        indices=indices(spans),
        dimensions={
            d.id: dimension_stats(spans, d.id, [code.id for code in d.codes]) for d in session.codebook.dimensions
        },
        quadrant=quadrant_table(spans),
        flag_counts={flag: flags[flag] for flag in flag_ids},
        flags_per_hour={flag: ratio(flags[flag], hours) for flag in flag_ids},
        total_flags_per_hour=ratio(sum(flags[flag] for flag in flag_ids), hours),
        participants=participant_stats(data, spans, observed),
        organisations=organisation_stats(data, spans, observed),
        coordinator_candidates=coordinator_candidates(data, spans, coordinator_settings),
        agenda=agenda_timeline(data, spans, observed),
        bins=binned_timeline(data, spans, observed, bin_s),
        spans=spans,
    )


@dataclass
class LiveBalance:
    """The subset of the summary the coding screen's live panel shows, from the same functions."""

    observed_s: float
    contributions: int
    indices: Indices
    quadrant: QuadrantTable
    participants: list[GroupStats]
    organisations: list[GroupStats]


def live_balance(data: SessionData, now: dt.datetime | None = None) -> LiveBalance:
    spans = contribution_spans(data, now)
    observed = data.session.observed_seconds(now)
    return LiveBalance(
        observed_s=observed,
        contributions=len(spans),
        indices=indices(spans),
        quadrant=quadrant_table(spans),
        participants=participant_stats(data, spans, observed),
        organisations=organisation_stats(data, spans, observed),
    )


# ---------------------------------------------------------------- trends across sessions


@dataclass
class TrendRow:
    session_id: str
    meeting_date: dt.date
    title: str
    contributions: int
    observed_minutes: float
    pfi: float | None
    ri: float | None
    pfi_time: float | None
    ri_time: float | None
    flags_per_hour: float | None
    organisation_airtime_share: dict[str, float | None]
    organisation_participation_ratio: dict[str, float | None]


@dataclass
class Trend:
    series: str
    rows: list[TrendRow]
    organisations: dict[str, str]  # id -> name, in order of first appearance
    change: dict[str, float | None]  # first -> last, per index
    slope: dict[str, float | None]  # least-squares change per meeting, per index


TREND_INDICES = ("pfi", "ri", "pfi_time", "ri_time")


def least_squares_slope(values: list[float | None]) -> float | None:
    """Slope per meeting of the defined values against their meeting number; None with fewer than two."""
    points = [(float(index), value) for index, value in enumerate(values) if value is not None]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else None


def series_trend(sessions: Iterable[SessionData], series: str = "") -> Trend:
    """One row per session in meeting-date order, first-to-last change and slope of the indices.

    Sessions are read one at a time (an archive's worth need not fit in memory).
    """
    organisations: dict[str, str] = {}
    dated_rows: list[tuple[tuple[dt.date, dt.datetime], TrendRow]] = []
    for data in sessions:
        summary = summarise(data)
        for organisation in data.session.organisations:
            organisations.setdefault(organisation.id, organisation.name)
        dated_rows.append(
            (
                (data.session.meeting_date, data.session.created_at),
                TrendRow(
                    session_id=data.session.id,
                    meeting_date=data.session.meeting_date,
                    title=data.session.title,
                    contributions=summary.contributions,
                    observed_minutes=summary.observed_s / 60,
                    pfi=summary.indices.pfi,
                    ri=summary.indices.ri,
                    pfi_time=summary.indices.pfi_time,
                    ri_time=summary.indices.ri_time,
                    flags_per_hour=summary.total_flags_per_hour,
                    organisation_airtime_share={o.id: o.share_airtime for o in summary.organisations},
                    organisation_participation_ratio={o.id: o.participation_ratio for o in summary.organisations},
                ),
            )
        )
    rows = [row for _, row in sorted(dated_rows, key=lambda pair: pair[0])]
    change: dict[str, float | None] = {}
    slope: dict[str, float | None] = {}
    for name in TREND_INDICES:
        values = [getattr(row, name) for row in rows]
        first, last = (values[0], values[-1]) if values else (None, None)
        change[name] = last - first if first is not None and last is not None and len(values) > 1 else None
        slope[name] = least_squares_slope(values)
    return Trend(series=series, rows=rows, organisations=organisations, change=change, slope=slope)
