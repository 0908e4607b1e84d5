"""Every number the tool shows, defined once (see the metric definitions in the design notes).

Pure functions over the models: the live panel, the review screens, the command line and every export call
these, so they can never disagree. A value whose denominator is zero is ``None`` (shown blank or "—").
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from observer.core import columns
from observer.core.codebook_models import Codebook, IndexDefinition
from observer.core.models import (
    AgendaItem,
    Attendance,
    Contribution,
    Pause,
    Session,
    SessionData,
    clock_order,
    count_turns_to_code,
)

COORDINATOR_FLAG = "coordinator"
COORDINATOR_INDEX = "pfi"  # the index whose high value marks a coordinator candidate, where a codebook has it
UNCODED = "uncoded"
DEFAULT_BIN_SECONDS = 300.0
# An organisation speaking for more than this many times its share of the room is marked in the live panel.
OVERREPRESENTED_AIRTIME_RATIO = 1.5


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


def end_of(ordered: list[Contribution], index: int, pauses: list[Pause], observed_s: float) -> float:
    """The end of ``ordered[index]``: its own end if it has one (a transcript turn); else the next start, the
    first pause that ends it, or the session end.

    ``pauses`` are in clock order: only those from the contribution's start on can end it.
    """
    contribution = ordered[index]
    if contribution.end_s is not None:  # from a transcript: its own length; silence between turns is nobody's
        return max(contribution.start_s, min(contribution.end_s, observed_s))
    end = observed_s
    if index + 1 < len(ordered):
        end = min(end, ordered[index + 1].start_s)
    for position in range(bisect.bisect_left(pauses, contribution.start_s, key=pause_clock), len(pauses)):
        pause = pauses[position]
        if pause.at_s >= end:
            break
        if pause_ends(pause, contribution):
            end = pause.at_s
            break
    return max(contribution.start_s, end)


def pause_clock(pause: Pause) -> float:
    return pause.at_s


def contribution_spans(data: SessionData, now: dt.datetime | None = None) -> list[Span]:
    """Each contribution with its end: the next start, the next pause, or the session end, whichever first."""
    observed = data.session.observed_seconds(now)
    ordered = sorted(data.contributions, key=clock_order)
    pauses = sorted(data.session.pauses, key=pause_clock)
    return [Span(c, c.start_s, end_of(ordered, index, pauses, observed)) for index, c in enumerate(ordered)]


def span_at(data: SessionData, index: int, now: dt.datetime | None = None) -> Span:
    """One contribution's span (``data.contributions`` in clock order), without computing all the others."""
    pauses = sorted(data.session.pauses, key=pause_clock)
    contribution = data.contributions[index]
    end = end_of(data.contributions, index, pauses, data.session.observed_seconds(now))
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


# Each index a codebook declares, by count under its id and by time under ``<id>_time`` (None: undefined).
Indices = dict[str, float | None]
IndexCounts = dict[str, tuple[int, int]]  # per index: (contributions counted, contributions inside it)


def time_key(index_id: str) -> str:
    return f"{index_id}{columns.BY_TIME}"


def indices(spans: Iterable[Span], definitions: Sequence[IndexDefinition]) -> Indices:
    """Every declared index over these spans: ``counts`` over ``counts`` plus ``against`` on its dimension."""
    return tally_of(spans, definitions).indices(definitions)


def tally_of(spans: Iterable[Span], definitions: Sequence[IndexDefinition]) -> Tally:
    rules = IndexRules(definitions)
    tally = Tally(len(definitions))
    for span in spans:
        tally.add(span.contribution, span.end_s - span.start_s, rules.memberships(span.contribution))
    return tally


def declared_indices(codebooks: Iterable[Codebook]) -> list[IndexDefinition]:
    """Every index these codebooks declare, once each (by id), in order of first appearance."""
    found: dict[str, IndexDefinition] = {}
    for codebook in codebooks:
        for index in codebook.indices:
            found.setdefault(index.id, index)
    return list(found.values())


def count_indices(values: Indices, definitions: Sequence[IndexDefinition]) -> Indices:
    """Only the by-count values, which is what a row per person, organisation or agenda item shows."""
    return {index.id: values[index.id] for index in definitions}


@dataclass
class QuadrantTable:
    """The codebook's first index dimension × its second (for partnership: orientation × topic).

    Rows and columns are the dimensions' codes, those of the 2×2 first, then "uncoded"; ``core_rows`` and
    ``core_columns`` are the codes each index counts or measures against (the 2×2), and ``shares`` are of the
    2×2's total.
    """

    row_dimension: str
    column_dimension: str
    rows: list[str]
    columns: list[str]
    core_rows: list[str]
    core_columns: list[str]
    counts: dict[str, dict[str, int]]
    shares: dict[str, dict[str, float | None]]
    core_total: int
    row_totals: dict[str, int]
    column_totals: dict[str, int]

    def title(self, codebook: Codebook) -> str:
        """What it crosses, in the codebook's words: "Orientation × topic"."""
        rows, columns = codebook.dimension(self.row_dimension), codebook.dimension(self.column_dimension)
        row_label = rows.label if rows is not None else self.row_dimension
        column_label = columns.label if columns is not None else self.column_dimension
        return f"{row_label} × {column_label.lower()}"


def code_heading(code_id: str) -> str:
    """How a code id reads as a table heading: "org_first" → "org-first"."""
    return code_id.replace("_", "-")


def _quadrant_shape(codebook: Codebook) -> QuadrantTable | None:
    pair = codebook.quadrant_indices()
    if pair is None:
        return None
    row_index, column_index = pair
    row_dimension = codebook.dimension(row_index.dimension)
    column_dimension = codebook.dimension(column_index.dimension)
    assert row_dimension is not None and column_dimension is not None  # the codebook checked them
    # The 2×2's codes first (in codebook order), then the rest, then "uncoded": the 2×2 is one block.
    core_rows = [c.id for c in row_dimension.codes if c.id in row_index.against or c.id in row_index.counts]
    core_columns = [c.id for c in column_dimension.codes if c.id in column_index.against or c.id in column_index.counts]
    rows = [*core_rows, *[c.id for c in row_dimension.codes if c.id not in core_rows], UNCODED]
    columns = [*core_columns, *[c.id for c in column_dimension.codes if c.id not in core_columns], UNCODED]
    return QuadrantTable(
        row_dimension=row_dimension.id,
        column_dimension=column_dimension.id,
        rows=rows,
        columns=columns,
        core_rows=core_rows,
        core_columns=core_columns,
        counts={row: dict.fromkeys(columns, 0) for row in rows},
        shares={},
        core_total=0,
        row_totals={},
        column_totals={},
    )


def combine_quadrants(tables: list[QuadrantTable]) -> QuadrantTable:
    """The quadrant table of several sessions together (of one shape): counts summed, shares of the summed 2×2."""
    first = tables[0]
    counts = {
        row: {column: sum(t.counts.get(row, {}).get(column, 0) for t in tables) for column in first.columns}
        for row in first.rows
    }
    return _with_totals(dataclasses.replace(first, counts=counts))


def _with_totals(table: QuadrantTable) -> QuadrantTable:
    counts = table.counts
    core_total = sum(counts[row][column] for row in table.core_rows for column in table.core_columns)
    table.shares = {
        row: {column: ratio(counts[row][column], core_total) for column in table.core_columns}
        for row in table.core_rows
    }
    table.core_total = core_total
    table.row_totals = {row: sum(counts[row].values()) for row in table.rows}
    table.column_totals = {column: sum(counts[row][column] for row in table.rows) for column in table.columns}
    return table


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


class IndexRules:
    """A codebook's indices as sets, to tell quickly which of them a contribution counts in."""

    def __init__(self, definitions: Sequence[IndexDefinition]) -> None:
        self.rules = [(index.dimension, frozenset(index.counts), frozenset(index.against)) for index in definitions]

    def memberships(self, contribution: Contribution) -> list[tuple[int, bool]]:
        """(index position, counted?) for every index this contribution is inside."""
        codes = contribution.codes
        if not codes:
            return []
        found = []
        for position, (dimension, counts, against) in enumerate(self.rules):
            code = codes.get(dimension)
            if code in counts:
                found.append((position, True))
            elif code in against:
                found.append((position, False))
        return found


class Tally:
    """Sums over a group of contributions (one person, one organisation, or all): what their shares are made of.

    Contributions can be taken out again with ``sign=-1``, which is how the live panel follows each change.
    """

    __slots__ = ("airtime_s", "count", "counted", "counted_s", "flags", "total", "total_s")

    def __init__(self, indices: int) -> None:
        self.count = 0
        self.airtime_s = 0.0
        self.counted = [0] * indices
        self.total = [0] * indices
        self.counted_s = [0.0] * indices
        self.total_s = [0.0] * indices
        self.flags: Counter[str] = Counter()

    def add(
        self, contribution: Contribution, seconds: float, memberships: list[tuple[int, bool]], sign: int = 1
    ) -> None:
        self.count += sign
        self.airtime_s += sign * seconds
        for position, counted in memberships:
            self.total[position] += sign
            self.total_s[position] += sign * seconds
            if counted:
                self.counted[position] += sign
                self.counted_s[position] += sign * seconds
        for flag in contribution.flags:
            self.flags[flag] += sign
        if sign < 0:  # taken out: an emptied sum is exactly zero again, not a rounding remainder
            if not self.count:
                self.airtime_s = 0.0
            for position, _ in memberships:
                if not self.total[position]:
                    self.total_s[position] = self.counted_s[position] = 0.0
                elif not self.counted[position]:
                    self.counted_s[position] = 0.0

    def counts(self, definitions: Sequence[IndexDefinition]) -> IndexCounts:
        """(contributions counted, contributions inside the index) per index: what a test of a share needs."""
        return {index.id: (self.counted[p], self.total[p]) for p, index in enumerate(definitions)}

    def indices(self, definitions: Sequence[IndexDefinition]) -> Indices:
        values: Indices = {}
        for position, index in enumerate(definitions):
            values[index.id] = ratio(self.counted[position], self.total[position])
            values[time_key(index.id)] = ratio(self.counted_s[position], self.total_s[position])
        return values


@dataclass
class Tallies:
    """A session's contributions summed: overall, per participant and per organisation, and the 2×2's cells."""

    all: Tally
    participants: dict[str, Tally]
    organisations: dict[str, Tally]
    quadrant: QuadrantTable | None  # counts only; totals and shares are added when it is shown

    @classmethod
    def empty(cls, codebook: Codebook) -> Tallies:
        return cls(Tally(len(codebook.indices)), {}, {}, _quadrant_shape(codebook))

    def add(self, contribution: Contribution, seconds: float, rules: IndexRules, sign: int = 1) -> None:
        memberships = rules.memberships(contribution)
        size = len(rules.rules)
        self.all.add(contribution, seconds, memberships, sign)
        if contribution.participant_id is not None:
            person = self.participants.get(contribution.participant_id)
            if person is None:
                person = self.participants[contribution.participant_id] = Tally(size)
            person.add(contribution, seconds, memberships, sign)
        organisation = self.organisations.get(contribution.organisation_id)
        if organisation is None:
            organisation = self.organisations[contribution.organisation_id] = Tally(size)
        organisation.add(contribution, seconds, memberships, sign)
        if self.quadrant is not None:
            counts = self.quadrant.counts
            row = contribution.codes.get(self.quadrant.row_dimension, UNCODED)
            column = contribution.codes.get(self.quadrant.column_dimension, UNCODED)
            counts[row if row in counts else UNCODED][column if column in counts[UNCODED] else UNCODED] += sign

    @classmethod
    def of(cls, spans: Iterable[Span], codebook: Codebook) -> Tallies:
        tallies = cls.empty(codebook)
        rules = IndexRules(codebook.indices)
        for span in spans:
            tallies.add(span.contribution, span.end_s - span.start_s, rules)
        return tallies

    def quadrant_table(self) -> QuadrantTable | None:
        if self.quadrant is None:
            return None
        counts = {row: dict(cells) for row, cells in self.quadrant.counts.items()}
        return _with_totals(dataclasses.replace(self.quadrant, counts=counts))


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
