"""Agreement between observers who coded the same meeting (see the metric definitions).

Two methods, each per dimension: time-sliced (the value running at the midpoint of every slice of the
common observed span; "who is speaking" too) and contribution-matched (contributions paired by speaker and
start within a tolerance, closest first). For each: observed agreement Po, Cohen's kappa, PABAK, the
confusion matrix and the Landis & Koch label, and Krippendorff's α beside κ; with three or more observers, one α
over them all. Pure functions over the models.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from observer.analysis import timing
from observer.analysis.reliability import Alpha, nominal_alpha, units_of_pairs
from observer.core.errors import InputError
from observer.core.fields import MAX_CLOCK_S
from observer.core.models import SessionData

NONE = "none"
SPEAKER = "speaker"
FLAG_PREFIX = "flag:"  # a flag compared as a dimension of two values, present or absent
DEFAULT_SLICE_S = 1.0
DEFAULT_TOLERANCE_S = 3.0
# What the options take: a slice under a tenth of a second says nothing a tenth does not (and a meeting of
# 46 minutes cut into millisecond slices held 2.3 GB); a tolerance or offset past these is no meeting's.
MIN_SLICE_S, MAX_SLICE_S = 0.1, 60.0
MAX_TOLERANCE_S = 600.0
MAX_OFFSET_S = MAX_CLOCK_S
MAX_SLICES = 1_000_000
MIN_OVERLAP_SHARE = 0.5  # below this share of the shorter session in common, say so


def landis_koch(kappa: float | None) -> str:
    """Landis & Koch (1977): <0 poor, 0-0.20 slight, 0.21-0.40 fair, 0.41-0.60 moderate, 0.61-0.80
    substantial, 0.81-1 almost perfect; blank when undefined."""
    if kappa is None:
        return ""
    if kappa < 0:
        return "poor"
    for limit, label in ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial")):
        if kappa <= limit:
            return label
    return "almost perfect"


@dataclass
class Agreement:
    """Agreement over a list of (observer A's value, observer B's value) pairs."""

    categories: list[str]
    confusion: dict[str, dict[str, int]]  # A's value -> B's value -> count
    n: int
    po: float | None
    pe: float | None
    kappa: float | None
    pabak: float | None
    # Krippendorff's α (nominal) over the same pairs, its 95% bootstrap interval over them, and why it is
    # undefined where it is (None otherwise).
    alpha: float | None = None
    alpha_ci: tuple[float, float] | None = None
    alpha_note: str | None = None

    @property
    def label(self) -> str:
        return landis_koch(self.kappa)


def agreement(pairs: Iterable[tuple[str, str]]) -> Agreement:
    """Po, Cohen's kappa (Pe from the two observers' marginals) and PABAK over ``pairs``.

    kappa is undefined when Pe = 1 (both observers used one and the same category throughout); PABAK when
    there is only one category; everything when there are no pairs.
    """
    return agreement_of_counts(Counter(pairs))


def agreement_of_counts(counts: Counter[tuple[str, str]]) -> Agreement:
    """``agreement`` over pairs given as how many times each occurs (a million slices are a few counts)."""
    categories = sorted({value for pair in counts for value in pair})
    confusion = {a: dict.fromkeys(categories, 0) for a in categories}
    for (a, b), count in counts.items():
        confusion[a][b] += count
    n = sum(counts.values())
    alpha = nominal_alpha(units_of_pairs(counts))
    if n == 0:
        return Agreement(categories, confusion, 0, None, None, None, None, None, None, alpha.note)
    po = sum(confusion[c][c] for c in categories) / n
    first: Counter[str] = Counter()
    second: Counter[str] = Counter()
    for (a, b), count in counts.items():
        first[a] += count
        second[b] += count
    pe = sum(first[c] * second[c] for c in categories) / (n * n)
    kappa = (po - pe) / (1 - pe) if pe < 1 else None
    k = len(categories)
    pabak = (k * po - 1) / (k - 1) if k > 1 else None
    return Agreement(categories, confusion, n, po, pe, kappa, pabak, alpha.value, alpha.interval, alpha.note)


# ---------------------------------------------------------------- what each observer recorded


def speaker_of(data: SessionData, span: timing.Span) -> str:
    """Who spoke, by name and organisation: ids differ between observers' archives, names do not."""
    session = data.session
    contribution = span.contribution
    organisation = session.organisation(contribution.organisation_id)
    organisation_name = (organisation.name if organisation else contribution.organisation_id).casefold()
    participant = session.participant(contribution.participant_id)
    if participant is None:
        return f"({organisation_name})"
    return f"{participant.name.casefold()} ({organisation_name})"


def value_of(data: SessionData, span: timing.Span, dimension: str) -> str:
    if dimension == SPEAKER:
        return speaker_of(data, span)
    if dimension.startswith(FLAG_PREFIX):
        return "present" if dimension.removeprefix(FLAG_PREFIX) in span.contribution.flags else "absent"
    return span.contribution.codes.get(dimension) or NONE


def absent(dimension: str) -> str:
    """What a dimension reads where an observer recorded nothing (no contribution running, or none matched)."""
    return "absent" if dimension.startswith(FLAG_PREFIX) else NONE


class Timeline:
    """One observer's spans, for looking up what was running at a moment of their clock."""

    def __init__(self, data: SessionData) -> None:
        self.data = data
        self.spans = timing.contribution_spans(data)
        self.starts = [span.start_s for span in self.spans]
        self.observed_s = data.session.observed_seconds()

    def at(self, clock_s: float) -> timing.Span | None:
        index = bisect.bisect_right(self.starts, clock_s) - 1
        if index < 0:
            return None
        span = self.spans[index]
        return span if span.start_s <= clock_s < span.end_s else None


# ---------------------------------------------------------------- the comparison


@dataclass
class DimensionAgreement:
    dimension: str
    time_sliced: Agreement
    matched: Agreement | None  # None for "speaker": matching already requires the same speaker


@dataclass
class Comparison:
    session_a: str
    session_b: str
    offset_s: float  # B's clock + offset = A's clock
    slice_s: float
    tolerance_s: float
    common_start_s: float
    common_end_s: float
    overlap_share: float
    matched_pairs: int
    unmatched_a: int
    unmatched_b: int
    dimensions: list[DimensionAgreement] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # How people read them: each observer (their name, else the session's title), each dimension and flag,
    # and each code (dimension id -> code id -> label).
    name_a: str = ""
    name_b: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    code_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def in_order(self, dimension: str, categories: list[str]) -> list[str]:
        """A dimension's categories as its codebook lists its codes ("none" last), for tables people read."""
        known = list(self.code_labels.get(dimension, {}))
        return [c for c in known if c in categories] + [c for c in categories if c not in known]

    @property
    def slices(self) -> int:
        return int((self.common_end_s - self.common_start_s) // self.slice_s) if self.slice_s else 0


def check_comparable(a: SessionData, b: SessionData, force: bool = False) -> None:
    """Refuse sessions that were not coded on the same codebook (a version difference only with force)."""
    book_a, book_b = a.session.codebook, b.session.codebook
    if book_a.name != book_b.name:
        raise InputError(
            f"sessions {a.session.id} and {b.session.id} use different codebooks "
            f"('{book_a.name}' and '{book_b.name}'): their codes cannot be compared"
        )
    if book_a.version != book_b.version and not force:
        raise InputError(
            f"sessions {a.session.id} and {b.session.id} use codebook '{book_a.name}' in versions "
            f"{book_a.version} and {book_b.version}; add --force to compare them anyway"
        )


def check_seconds(slice_s: float, tolerance_s: float, offset_s: float | None) -> None:
    """The widths and offsets a comparison takes, as the command line's options take them."""
    if not (math.isfinite(slice_s) and MIN_SLICE_S <= slice_s <= MAX_SLICE_S):
        raise InputError(f"--slice must be {MIN_SLICE_S:g} to {MAX_SLICE_S:g} seconds, not {slice_s}")
    if not (math.isfinite(tolerance_s) and 0 <= tolerance_s <= MAX_TOLERANCE_S):
        raise InputError(f"--tolerance must be 0 to {MAX_TOLERANCE_S:g} seconds, not {tolerance_s}")
    if offset_s is not None and not (math.isfinite(offset_s) and abs(offset_s) <= MAX_OFFSET_S):
        raise InputError(f"--offset must be a number of seconds within a week either way, not {offset_s}")


def clock_offset(a: SessionData, b: SessionData) -> float:
    """Seconds to add to B's clock to read A's: the difference of their start wall-clock times; 0 for two
    codings of one transcript file, or two transcript codings linked as one meeting's (each observer's download
    of its transcript, named as each browser named it), whose clocks are both the recording's."""
    source_a, source_b = a.session.transcript, b.session.transcript
    one_recording = source_a is not None and source_b is not None and source_a.file == source_b.file
    if one_recording or (source_a is not None and source_b is not None and a.session.meeting == b.session.meeting):
        return 0.0
    for data in (a, b):
        if data.session.transcript is not None:
            raise InputError(
                f"session {data.session.id} was coded from a transcript, whose clock starts with the recording, "
                "not at a time of day: give --offset (seconds to add to B's clock to read A's)"
            )
    if a.session.started_at is None or b.session.started_at is None:
        raise InputError("a session that was never started has no clock to align; give --offset")
    return (b.session.started_at - a.session.started_at).total_seconds()


Pairs = list[tuple[timing.Span, timing.Span]]


def compare(
    a: SessionData,
    b: SessionData,
    slice_s: float = DEFAULT_SLICE_S,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    offset_s: float | None = None,
    force: bool = False,
) -> Comparison:
    """Both agreement methods, per dimension of the shared codebook, each flag, and the speaker (time-sliced)."""
    return compare_with_pairs(a, b, slice_s, tolerance_s, offset_s, force)[0]


def compare_with_pairs(
    a: SessionData,
    b: SessionData,
    slice_s: float = DEFAULT_SLICE_S,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    offset_s: float | None = None,
    force: bool = False,
) -> tuple[Comparison, Pairs]:
    """``compare``, and the contributions it matched (A's, B's), for a caller that goes through them."""
    check_seconds(slice_s, tolerance_s, offset_s)
    check_comparable(a, b, force)
    offset = clock_offset(a, b) if offset_s is None else offset_s
    timeline_a, timeline_b = Timeline(a), Timeline(b)
    start = max(0.0, offset)
    end = min(timeline_a.observed_s, timeline_b.observed_s + offset)
    shorter = min(timeline_a.observed_s, timeline_b.observed_s)
    overlap = max(0.0, end - start)
    share = overlap / shorter if shorter else 0.0
    codebook = a.session.codebook
    dimensions = [SPEAKER, *codebook.dimension_ids, *(FLAG_PREFIX + flag for flag in codebook.flag_ids)]
    comparison = Comparison(
        a.session.id,
        b.session.id,
        offset,
        slice_s,
        tolerance_s,
        start,
        end,
        share,
        0,
        0,
        0,
        name_a=a.session.observer or a.session.title,
        name_b=b.session.observer or b.session.title,
        labels={SPEAKER: "Speaker"}
        | {d.id: d.label for d in codebook.dimensions}
        | {FLAG_PREFIX + f.id: f"{f.label} (flag)" for f in codebook.flags},
        code_labels={d.id: {c.id: c.label for c in d.codes} | {NONE: "(none)"} for d in codebook.dimensions},
    )
    if overlap <= 0:
        raise InputError(
            f"sessions {a.session.id} and {b.session.id} do not overlap in time (offset {offset:+.0f} s); "
            "check that they are the same meeting, or give --offset"
        )
    if share < MIN_OVERLAP_SHARE:
        comparison.warnings.append(
            f"the sessions overlap for only {overlap / 60:.1f} min ({share:.0%} of the shorter one): "
            "are they the same meeting? (--offset aligns clocks by hand)"
        )

    slices = int(overlap // slice_s)
    if slices > MAX_SLICES:
        raise InputError(
            f"--slice {slice_s:g} cuts the {overlap / 60:,.0f} minutes in common into {slices:,} slices (the most is "
            f"{MAX_SLICES:,}); give a wider --slice, at least {math.ceil(overlap / MAX_SLICES * 10) / 10:g}"
        )
    sliced: dict[str, Counter[tuple[str, str]]] = {dimension: Counter() for dimension in dimensions}
    for index in range(slices):
        midpoint = start + (index + 0.5) * slice_s
        span_a = timeline_a.at(midpoint)
        span_b = timeline_b.at(midpoint - offset)
        for dimension in dimensions:
            value_a = value_of(a, span_a, dimension) if span_a else absent(dimension)
            value_b = value_of(b, span_b, dimension) if span_b else absent(dimension)
            sliced[dimension][value_a, value_b] += 1

    pairs, unmatched_a, unmatched_b = match_contributions(timeline_a, timeline_b, offset, tolerance_s, start, end)
    comparison.matched_pairs, comparison.unmatched_a, comparison.unmatched_b = (
        len(pairs),
        len(unmatched_a),
        len(unmatched_b),
    )
    for dimension in dimensions:
        matched = None
        if dimension != SPEAKER:
            matched = agreement(
                [(value_of(a, x, dimension), value_of(b, y, dimension)) for x, y in pairs]
                + [(value_of(a, x, dimension), absent(dimension)) for x in unmatched_a]
                + [(absent(dimension), value_of(b, y, dimension)) for y in unmatched_b]
            )
        comparison.dimensions.append(DimensionAgreement(dimension, agreement_of_counts(sliced[dimension]), matched))
    return comparison, pairs


def match_contributions(
    timeline_a: Timeline, timeline_b: Timeline, offset: float, tolerance: float, start: float, end: float
) -> tuple[list[tuple[timing.Span, timing.Span]], list[timing.Span], list[timing.Span]]:
    """Pair contributions naming the same speaker whose starts lie within ``tolerance``, closest first."""
    spans_a = [s for s in timeline_a.spans if start - tolerance <= s.start_s <= end + tolerance]
    spans_b = [s for s in timeline_b.spans if start - tolerance <= s.start_s + offset <= end + tolerance]
    starts_b = [s.start_s + offset for s in spans_b]
    candidates: list[tuple[float, int, int]] = []
    for index_a, span_a in enumerate(spans_a):
        speaker_a = speaker_of(timeline_a.data, span_a)
        low = bisect.bisect_left(starts_b, span_a.start_s - tolerance)
        high = bisect.bisect_right(starts_b, span_a.start_s + tolerance)
        for index_b in range(low, high):
            if speaker_of(timeline_b.data, spans_b[index_b]) == speaker_a:
                candidates.append((abs(starts_b[index_b] - span_a.start_s), index_a, index_b))
    candidates.sort()
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[timing.Span, timing.Span]] = []
    for _, index_a, index_b in candidates:
        if index_a in used_a or index_b in used_b:
            continue
        used_a.add(index_a)
        used_b.add(index_b)
        pairs.append((spans_a[index_a], spans_b[index_b]))
    unmatched_a = [span for index, span in enumerate(spans_a) if index not in used_a]
    unmatched_b = [span for index, span in enumerate(spans_b) if index not in used_b]
    return pairs, unmatched_a, unmatched_b


@dataclass
class PairwiseMatrix:
    """Three or more observers of one meeting: time-sliced kappa for every pair, per dimension."""

    sessions: list[str]
    kappa: dict[str, dict[tuple[str, str], float | None]]  # dimension -> (a, b) -> kappa
    warnings: list[str]
    # dimension -> one α over every observer, time-sliced, a slice an observer had nothing running or coded for
    # counting as missing for that observer (not as a category)
    alpha: dict[str, Alpha] = field(default_factory=dict)


def pairwise(
    sessions: list[SessionData],
    slice_s: float = DEFAULT_SLICE_S,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    force: bool = False,
    offset_s: float | None = None,
) -> PairwiseMatrix:
    """Every pair compared, each pair's clocks aligned as ``compare`` aligns them, or by ``offset_s`` (the same
    for every pair: the sessions' clocks are taken to differ by it pairwise)."""
    ids = [data.session.id for data in sessions]
    codebook = sessions[0].session.codebook
    dimensions = [SPEAKER, *codebook.dimension_ids, *(FLAG_PREFIX + flag for flag in codebook.flag_ids)]
    kappa: dict[str, dict[tuple[str, str], float | None]] = {d: {} for d in dimensions}
    warnings: list[str] = []
    for first, second in combinations(sessions, 2):
        result = compare(first, second, slice_s, tolerance_s, offset_s, force=force)
        warnings += [f"{first.session.id} × {second.session.id}: {w}" for w in result.warnings]
        for row in result.dimensions:
            kappa[row.dimension][first.session.id, second.session.id] = row.time_sliced.kappa
    return PairwiseMatrix(ids, kappa, warnings, all_observers_alpha(sessions, dimensions, slice_s, offset_s))


def all_observers_alpha(
    sessions: list[SessionData], dimensions: list[str], slice_s: float, offset_s: float | None
) -> dict[str, Alpha]:
    """One α per dimension over every observer: each slice of the span all of them observed is a unit, and an
    observer's value there is what they had running and coded (missing where nothing was). Each clock is
    aligned to the first observer's as ``compare`` aligns a pair (or by ``offset_s``)."""
    first = sessions[0]
    timelines = [Timeline(data) for data in sessions]
    offsets = [0.0] + [clock_offset(first, data) if offset_s is None else offset_s for data in sessions[1:]]
    start = max(0.0, *offsets)
    end = min(timeline.observed_s + offset for timeline, offset in zip(timelines, offsets, strict=True))
    units: dict[str, Counter[tuple[str | None, ...]]] = {dimension: Counter() for dimension in dimensions}
    slices = int(max(0.0, end - start) // slice_s)
    if slices > MAX_SLICES:
        slices = 0  # each pair was refused already; nothing to count
    for index in range(slices):
        midpoint = start + (index + 0.5) * slice_s
        spans = [timeline.at(midpoint - offset) for timeline, offset in zip(timelines, offsets, strict=True)]
        for dimension in dimensions:
            values: list[str | None] = []
            for data, span in zip(sessions, spans, strict=True):
                value = value_of(data, span, dimension) if span else None
                values.append(None if value == NONE else value)
            units[dimension][tuple(values)] += 1
    return {dimension: nominal_alpha(counted) for dimension, counted in units.items()}
