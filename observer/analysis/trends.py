"""Trends across the meetings of a series: each index per meeting, its change and its test for trend."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

from observer.analysis.metrics import summarise
from observer.analysis.tallies import IndexCounts, Indices, declared_indices, time_key
from observer.core.codebook_models import Codebook, IndexDefinition
from observer.core.models import Session, SessionData, SessionStatus


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
    # By count, per index: Wilson's 95% interval, widened by √φ where the series measured φ; None: undefined.
    interval: dict[str, tuple[float, float] | None] = field(default_factory=dict)
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


def two_proportion_p(
    counted_a: int, inside_a: int, counted_b: int, inside_b: int, dispersion: float = 1.0
) -> float | None:
    """Two-sided p of the difference of two shares (pooled two-proportion z-test, its variance multiplied by
    ``dispersion``: the series' φ where it is known); None where the test does not hold: fewer than MIN_EXPECTED
    expected contributions on either side of the index in either meeting (which includes an empty meeting, and
    both shares 0 or both 1)."""
    pooled = (counted_a + counted_b) / (inside_a + inside_b) if inside_a + inside_b else 0.0
    if min(inside_a, inside_b) * min(pooled, 1 - pooled) < MIN_EXPECTED:
        return None
    variance = dispersion * pooled * (1 - pooled) * (1 / inside_a + 1 / inside_b)
    z = (counted_b / inside_b - counted_a / inside_a) / math.sqrt(variance)
    return 2 * (1 - NormalDist().cdf(abs(z)))


TREND_TEST = "quasi-binomial trend"
# A trend over meetings needs this many meetings with the index coded: the spread between meetings (φ) is
# measured on k − 2 degrees of freedom, and with fewer than 2 it cannot be measured at all.
MIN_TREND_MEETINGS = 4
# Each meeting's index carries an interval of this coverage (Wilson's, widened by √φ where φ is known).
INTERVAL_Z = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class TrendTest:
    """An index over every meeting of a series: its least-squares slope per meeting (of the values, as the table
    shows them), and the two-sided p of the quasi-binomial trend over meeting order, the meeting the unit (None
    where it cannot be made: ``note`` says why in words). ``dispersion``: φ, how much more the meetings differ
    than their counts alone would say (1: as binomial); ``meetings``: how many had the index coded."""

    slope_per_meeting: float | None
    p_value: float | None
    test: str = TREND_TEST
    dispersion: float | None = None
    meetings: int = 0
    note: str | None = None

    @property
    def widening(self) -> float:
        """What the two-meeting comparisons and the intervals multiply their variance by: φ, where the series
        measured it, but never below 1 (a φ under 1 from a handful of meetings is chance, not evidence that
        meetings agree better than binomial)."""
        return max(1.0, self.dispersion) if self.dispersion is not None else 1.0


@dataclass(frozen=True)
class QuasiBinomialFit:
    """``glm(cbind(x, n − x) ~ meeting, family = quasibinomial)``: the slope β on the logit scale, its standard
    error as binomial, the dispersion φ = Pearson X² / (k − 2), t = β / (se·√φ) and its two-sided p on k − 2
    degrees of freedom."""

    slope: float
    standard_error: float
    dispersion: float
    t: float | None
    p_value: float | None  # None: no spread to test against (``note`` says so)
    meetings: int
    note: str | None = None


def quasi_binomial_trend(counts: Sequence[tuple[int, int]]) -> QuasiBinomialFit | str:
    """The quasi-binomial trend of ``counts`` — (counted, of) per meeting in order, scored 0, 1, 2…; meetings
    with nothing coded for the index are left out — fitted by iteratively reweighted least squares (as R's glm
    does). Where no test can be made, why, in words."""
    scored = [(float(score), counted, total) for score, (counted, total) in enumerate(counts) if total]
    k = len(scored)
    if k < MIN_TREND_MEETINGS:
        return f"too few meetings to tell a trend: {k}, and a trend needs {MIN_TREND_MEETINGS}"
    import numpy as np  # here: a listing or the coding screen need not load it

    scores = np.array([t for t, _, _ in scored])
    counted = np.array([float(x) for _, x, _ in scored])
    trials = np.array([float(n) for _, _, n in scored])
    if counted.sum() == 0 or counted.sum() == trials.sum():
        return "every contribution was on one side of the index: there is no trend to test"
    design = np.column_stack([np.ones(k), scores])
    share = (counted + 0.5) / (trials + 1.0)  # R's start: never 0 or 1
    eta = np.log(share / (1 - share))
    beta = np.zeros(2)
    with np.errstate(all="ignore"):  # counts all on one side run the logit to infinity: caught below
        for _ in range(100):
            mu = 1 / (1 + np.exp(-eta))
            weight = trials * mu * (1 - mu)
            working = eta + (counted / trials - mu) / (mu * (1 - mu))
            information = design.T @ (weight[:, None] * design)
            if not np.all(np.isfinite(information)) or not np.all(np.isfinite(working)):
                break
            try:
                new_beta = np.linalg.solve(information, design.T @ (weight * working))
            except np.linalg.LinAlgError:  # every weight gone to 0: the probabilities ran to 0 or 1
                beta = np.full(2, np.nan)
                break
            converged = np.max(np.abs(new_beta - beta)) < 1e-10 * (1 + np.max(np.abs(new_beta)))
            beta, eta = new_beta, design @ new_beta
            if converged:
                break
        mu = 1 / (1 + np.exp(-eta))
    if not np.all(np.isfinite(beta)) or np.any(mu < 1e-10) or np.any(mu > 1 - 1e-10):
        return "the meetings' counts lie all on one side of the index and then the other: no trend can be fitted"
    weight = trials * mu * (1 - mu)
    try:
        covariance = np.linalg.inv(design.T @ (weight[:, None] * design))
    except np.linalg.LinAlgError:
        return "the meetings' counts lie all on one side of the index and then the other: no trend can be fitted"
    standard_error = math.sqrt(covariance[1, 1])
    pearson = float(np.sum((counted - trials * mu) ** 2 / weight))
    dispersion = pearson / (k - 2)
    if dispersion < 1e-12:  # every meeting on the fitted line (the same share each time, most often)
        alike = abs(beta[1]) < 1e-9
        note = "the same in every meeting" if alike else "every meeting exactly on a line, nothing to test"
        return QuasiBinomialFit(float(beta[1]), standard_error, 0.0, None, None, k, note)
    t = float(beta[1]) / (standard_error * math.sqrt(dispersion))
    # Imported here: scipy.stats takes most of a second to import, which the coding screen should not wait for.
    from scipy import stats

    p_value = float(2 * stats.t.sf(abs(t), k - 2))
    return QuasiBinomialFit(float(beta[1]), standard_error, dispersion, t, p_value, k)


def wilson_interval(counted: int, inside: int, dispersion: float = 1.0) -> tuple[float, float] | None:
    """Wilson's 95% interval of counted / inside, widened by √dispersion (it is Wilson's with inside / dispersion
    contributions: the same as z·√φ in place of z); None with nothing inside."""
    if not inside:
        return None
    z = INTERVAL_Z * math.sqrt(dispersion)
    share = counted / inside
    scale = 1 + z * z / inside
    centre = (share + z * z / (2 * inside)) / scale
    half = z / scale * math.sqrt(share * (1 - share) / inside + z * z / (4 * inside * inside))
    return max(0.0, centre - half), min(1.0, centre + half)


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
        fit = quasi_binomial_trend(counts)
        meetings = sum(1 for _, inside in counts if inside)
        if isinstance(fit, str):
            result = TrendTest(trend.slope[index.id], None, meetings=meetings, note=fit)
        else:
            result = TrendTest(
                trend.slope[index.id], fit.p_value, dispersion=fit.dispersion, meetings=meetings, note=fit.note
            )
        trend.trend[index.id] = result
        for row, (counted_here, inside) in zip(rows, counts, strict=True):
            row.interval[index.id] = wilson_interval(counted_here, inside, result.widening)
    return trend
