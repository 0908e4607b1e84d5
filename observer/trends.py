"""Trends across the meetings of a series: each index per meeting, its change and its test for trend."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

from observer.metrics import (
    IndexCounts,
    Indices,
    declared_indices,
    summarise,
    time_key,
)
from observer.models import (
    Codebook,
    IndexDefinition,
    Session,
    SessionData,
    SessionStatus,
)


@dataclass
class TrendRow:
    session_id: str
    meeting_date: dt.date
    title: str
    contributions: int
    observed_minutes: float
    indices: Indices  # by count and by time, per index of the series (None where a session's codebook lacks it)
    flags_per_hour: float | None
    organisation_airtime_share: dict[str, float | None]
    organisation_participation_ratio: dict[str, float | None]
    index_counts: IndexCounts = field(default_factory=dict)  # by count: (counted, inside), for tests of change
    organisation_indices: dict[str, Indices] = field(default_factory=dict)  # by count, per organisation


@dataclass
class Trend:
    series: str
    rows: list[TrendRow]
    organisations: dict[str, str]  # id -> name, in order of first appearance
    change: dict[str, float | None]  # first -> last, per index (by count and by time)
    slope: dict[str, float | None]  # least-squares change per meeting, per index (by count and by time)
    index_definitions: list[IndexDefinition] = field(default_factory=list)  # every session's, first seen first
    codebooks: list[Codebook] = field(default_factory=list)  # one of each name and version, first seen first
    trend: dict[str, TrendTest] = field(default_factory=dict)  # per index by count: over every meeting
    left_out: int = 0  # unfinished sessions of the series not counted (the caller says how many)
    second_codings: int = 0  # another observer's coding of a meeting already counted, not counted again

    @property
    def index_keys(self) -> list[str]:
        """The indices by count, then by time: the trend's columns."""
        return [index.id for index in self.index_definitions] + [time_key(i.id) for i in self.index_definitions]


# The two-proportion test's normal approximation needs this many expected contributions on each side of the
# index in each meeting (n·p and n·(1−p) with the pooled share p); below it, "too few contributions to tell".
MIN_EXPECTED = 5


def two_proportion_p(counted_a: int, inside_a: int, counted_b: int, inside_b: int) -> float | None:
    """Two-sided p of the difference of two shares (pooled two-proportion z-test); None where the test does not
    hold: fewer than MIN_EXPECTED expected contributions on either side of the index in either meeting (which
    includes an empty meeting, and both shares 0 or both 1)."""
    pooled = (counted_a + counted_b) / (inside_a + inside_b) if inside_a + inside_b else 0.0
    if min(inside_a, inside_b) * min(pooled, 1 - pooled) < MIN_EXPECTED:
        return None
    variance = pooled * (1 - pooled) * (1 / inside_a + 1 / inside_b)
    z = (counted_b / inside_b - counted_a / inside_a) / math.sqrt(variance)
    return 2 * (1 - NormalDist().cdf(abs(z)))


TREND_TEST = "Cochran-Armitage"
# Below this many expected contributions on the smaller side of an index, over the whole series, no test.
TREND_MIN_EXPECTED = 5


@dataclass(frozen=True)
class TrendTest:
    """An index over every meeting of a series: its least-squares slope per meeting, and the two-sided p of the
    Cochran–Armitage test for a trend in the proportion over meeting order (None where it does not hold)."""

    slope_per_meeting: float | None
    p_value: float | None
    test: str = TREND_TEST


def cochran_armitage_p(counts: Sequence[tuple[int, int]]) -> float | None:
    """Two-sided p of the Cochran–Armitage test for trend: ``counts`` are (counted, of) per meeting in order,
    scored 0, 1, 2…; meetings with nothing coded for the index are left out. None with fewer than two meetings
    that have, or fewer than TREND_MIN_EXPECTED expected on the smaller side."""
    scored = [(float(score), counted, total) for score, (counted, total) in enumerate(counts) if total]
    total = sum(n for _, _, n in scored)
    if len(scored) < 2 or not total:
        return None
    share = sum(x for _, x, _ in scored) / total
    if total * min(share, 1 - share) < TREND_MIN_EXPECTED:
        return None
    statistic = sum(t * (x - n * share) for t, x, n in scored)
    spread = sum(n * t * t for t, _, n in scored) - sum(n * t for t, _, n in scored) ** 2 / total
    variance = share * (1 - share) * spread
    if variance <= 0:
        return None
    z = statistic / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


def least_squares_slope(values: list[float | None]) -> float | None:
    """Slope per meeting of the defined values against their meeting number; None with fewer than two."""
    points = [(float(index), value) for index, value in enumerate(values) if value is not None]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else None


@dataclass(frozen=True)
class TrendChoice:
    counted: list[str]  # the session ids the trends count, in the order given
    left_out: int  # unfinished sessions not counted
    none_ended: bool  # no session has ended, so the unfinished ones are counted (the caller says so)
    to_code: int = 0  # of those left out, transcripts whose turns are not all coded yet

    @property
    def to_code_note(self) -> str:
        """What the caller says of transcripts left out, as they are the unfinished sessions least expected."""
        if not self.to_code:
            return ""
        which = "1 transcript" if self.to_code == 1 else f"{self.to_code} transcripts"
        return (
            f"{which} of this series still to code, left out of the trends until every turn is coded (or E on the "
            "transcript screen finishes it)"
        )


def trend_choice(sessions: Sequence[Session], include_unfinished: bool = False) -> TrendChoice:
    """Which sessions of a series count in its trends: the finished ones, since an unfinished session's numbers
    may still change (paused, being recorded, never started, a transcript still to code); every one on request,
    or when none has ended (the unfinished ones then, said to be, rather than nothing)."""
    finished = [s.id for s in sessions if include_unfinished or s.status == SessionStatus.ENDED]
    if not finished:
        return TrendChoice([s.id for s in sessions], 0, bool(sessions))
    to_code = 0 if include_unfinished else sum(1 for s in sessions if s.status == SessionStatus.TO_CODE)
    return TrendChoice(finished, len(sessions) - len(finished), False, to_code)


def series_trend(sessions: Iterable[SessionData], series: str = "", left_out: int = 0) -> Trend:
    """One row per session in meeting-date order, first-to-last change and slope of the indices; ``left_out``:
    how many unfinished sessions of the series the caller did not pass (the pages say so).

    Sessions are read one at a time (an archive's worth need not fit in memory).
    """
    organisations: dict[str, str] = {}
    codebooks: dict[tuple[str, str], Codebook] = {}
    dated_rows: list[tuple[tuple[dt.date, dt.datetime], TrendRow]] = []
    # A meeting coded by two observers is one meeting: its first coding counts (the one whose id is the
    # meeting's; else, if that one is not here, the earliest made), the others are said to be left out.
    counted_coding: dict[str, tuple[bool, dt.datetime, str]] = {}
    codings = 0
    for data in sessions:
        session = data.session
        codings += 1
        preference = (session.id != session.meeting, session.created_at, session.id)
        if session.meeting in counted_coding and counted_coding[session.meeting] <= preference:
            continue  # a second coding of a meeting already here: not summarised
        counted_coding[session.meeting] = preference
        summary = summarise(data)
        for organisation in data.session.organisations:
            organisations.setdefault(organisation.id, organisation.name)
        codebooks.setdefault((data.session.codebook.name, data.session.codebook.version), data.session.codebook)
        dated_rows.append(
            (
                (data.session.meeting_date, data.session.created_at),
                TrendRow(
                    session_id=data.session.id,
                    meeting_date=data.session.meeting_date,
                    title=data.session.title,
                    contributions=summary.contributions,
                    observed_minutes=summary.observed_s / 60,
                    indices=summary.indices,
                    flags_per_hour=summary.total_flags_per_hour,
                    organisation_airtime_share={o.id: o.share_airtime for o in summary.organisations},
                    organisation_participation_ratio={o.id: o.participation_ratio for o in summary.organisations},
                    index_counts=summary.index_counts,
                    organisation_indices={o.id: o.indices for o in summary.organisations},
                ),
            )
        )
    counted = {session_id for _, _, session_id in counted_coding.values()}
    rows = [row for _, row in sorted(dated_rows, key=lambda pair: pair[0]) if row.session_id in counted]
    trend = Trend(series, rows, organisations, {}, {}, declared_indices(codebooks.values()), list(codebooks.values()))
    trend.left_out = left_out
    trend.second_codings = codings - len(rows)
    for row in rows:  # a session on another codebook has no value for an index it does not declare
        row.indices = {key: row.indices.get(key) for key in trend.index_keys}
    for name in trend.index_keys:
        values = [row.indices[name] for row in rows]
        first, last = (values[0], values[-1]) if values else (None, None)
        trend.change[name] = last - first if first is not None and last is not None and len(values) > 1 else None
        trend.slope[name] = least_squares_slope(values)
    for index in trend.index_definitions:
        counts = [row.index_counts.get(index.id, (0, 0)) for row in rows]
        trend.trend[index.id] = TrendTest(trend.slope[index.id], cochran_armitage_p(counts))
    return trend
