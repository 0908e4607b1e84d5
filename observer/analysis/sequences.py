"""Sequences: what follows what, who follows whom, and what the talk is like after a flagged contribution.

Lag-sequential analysis over one or more sessions, pooled without ever pairing across sessions. Every
definition is in docs/metrics.md ("Sequences"). The permutation test shuffles which contributions carry the
flag thousands of times; numpy does that in milliseconds where a Python loop would take minutes.
What they say in words is ``sequence_words``; the command line's checks and JSON are ``cli.sequence_requests``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from observer.analysis.tallies import IndexRules, ratio
from observer.core.codebook_models import Codebook, IndexDefinition
from observer.core.models import SessionData, clock_order

if TYPE_CHECKING:
    import numpy as np

ORGANISATION = "organisation"
SPEAKER = "speaker"
DEFAULT_LAG = 1
DEFAULT_WINDOW = 5
DEFAULT_PERMUTATIONS = 2_000
DEFAULT_SEED = 1
MAX_PERMUTATIONS = 1_000_000
# An adjusted residual is read against the normal distribution only where its cell expects at least this many
# pairs (the usual rule of thumb for the normal approximation); below it the residual is shown, never claimed.
MIN_EXPECTED = 5.0
NOTABLE_Z = 1.96  # |z| at or above it: beyond what chance gives, two-sided at 5%
NOTABLE_P = 0.05
# Each group needs this many contributions inside an index for its permutation test to mean anything.
MIN_GROUP = 5
# Largest number of permutation × position cells held at once: bounds memory at a few tens of megabytes.
_CHUNK_CELLS = 4_000_000
# Up to this window the after-positions are found by shifting the flags (cheapest for short windows); beyond
# it from running counts, whose cost does not grow with the window.
_SHIFTED_WINDOWS = 16
_TOLERANCE = 1e-9  # a permuted difference this close to the observed one counts as "as extreme"


# ---------------------------------------------------------------- what a position's value is


def by_choices(codebook: Codebook) -> list[str]:
    return [*(dimension.id for dimension in codebook.dimensions), ORGANISATION, SPEAKER]


def position_values(data: SessionData, by: str) -> list[str | None]:
    """A session's sequence in start order: each contribution's value (None: it has none)."""
    ordered = sorted(data.contributions, key=clock_order)
    if by == SPEAKER:
        return [contribution.participant_id for contribution in ordered]
    if by == ORGANISATION:  # the organisation's name, as in the CSV's organisation column
        names = {organisation.id: organisation.name for organisation in data.session.organisations}
        return [names.get(contribution.organisation_id) for contribution in ordered]
    return [contribution.codes.get(by) for contribution in ordered]


def value_labels(sessions: Sequence[SessionData], by: str) -> dict[str, str]:
    """How each value reads in words: a code's label, an organisation's name, a participant's name."""
    if by == SPEAKER:
        return {p.id: p.name for data in sessions for p in data.session.participants}
    if by == ORGANISATION:
        return {o.name: o.name for data in sessions for o in data.session.organisations}
    dimension = sessions[0].session.codebook.dimension(by) if sessions else None
    return {code.id: code.label for code in dimension.codes} if dimension else {}


# ---------------------------------------------------------------- lag tables


@dataclass(frozen=True)
class Transition:
    """One cell of a lag table: ``source`` at position t, ``target`` at t + lag. None: undefined."""

    source: str
    target: str
    count: int
    expected: float | None
    probability: float | None
    adjusted_residual: float | None
    yules_q: float | None

    @property
    def testable(self) -> bool:
        """Enough expected pairs for the residual to be read as a z-score."""
        return self.expected is not None and self.expected >= MIN_EXPECTED

    @property
    def notable(self) -> bool:
        return self.testable and self.adjusted_residual is not None and abs(self.adjusted_residual) >= NOTABLE_Z


@dataclass(frozen=True)
class LagTable:
    by: str
    lag: int
    sessions: list[str]
    n: int  # pairs counted
    values: list[str]  # in the order the table shows them
    labels: dict[str, str]
    transitions: list[Transition]  # every (source, target) of ``values``, row by row
    possible: int = 0  # pairs the sessions hold, counted or not: n of them had a value at both positions

    @property
    def dropped(self) -> int:
        return max(0, self.possible - self.n)

    def cell(self, source: str, target: str) -> Transition:
        width = len(self.values)
        return self.transitions[self.values.index(source) * width + self.values.index(target)]

    def label(self, value: str) -> str:
        return self.labels.get(value) or value

    @property
    def testable(self) -> bool:
        return any(transition.testable for transition in self.transitions)


def lag_counts(sessions: Sequence[SessionData], by: str, lag: int) -> tuple[Counter[tuple[str, str]], int]:
    """x_ij: pairs (t, t + lag) within each session; a pair with a position that has no value is dropped.
    Also how many pairs there were, dropped or not."""
    counts: Counter[tuple[str, str]] = Counter()
    possible = 0
    for data in sessions:
        values = position_values(data, by)
        possible += max(0, len(values) - lag)
        for source, target in zip(values, values[lag:], strict=False):
            if source is not None and target is not None:
                counts[source, target] += 1
    return counts, possible


def lag_table(sessions: Sequence[SessionData], by: str, lag: int = DEFAULT_LAG) -> LagTable:
    counts, possible = lag_counts(sessions, by, lag)
    labels = value_labels(sessions, by)
    occurring: set[str] = {value for pair in counts for value in pair}
    if by in (ORGANISATION, SPEAKER):
        values = sorted(sorted(occurring), key=lambda value: (labels.get(value) or value).casefold())
    else:  # codebook order, then anything the codebook no longer lists
        values = [code for code in labels if code in occurring] + sorted(occurring - labels.keys())
    n = sum(counts.values())
    rows = Counter[str]()
    columns = Counter[str]()
    for (source, target), count in counts.items():
        rows[source] += count
        columns[target] += count
    transitions = [
        _transition(source, target, counts[source, target], rows[source], columns[target], n)
        for source in values
        for target in values
    ]
    return LagTable(by, lag, [data.session.id for data in sessions], n, values, labels, transitions, possible)


def _transition(source: str, target: str, count: int, row: int, column: int, n: int) -> Transition:
    expected = row * column / n if n else None
    residual = None
    if expected:
        variance = expected * (1 - row / n) * (1 - column / n)
        residual = (count - expected) / math.sqrt(variance) if variance > 0 else None
    a, b, c = count, row - count, column - count
    d = n - row - column + count
    return Transition(
        source=source,
        target=target,
        count=count,
        expected=expected,
        probability=ratio(count, row),
        adjusted_residual=residual,
        yules_q=ratio(a * d - b * c, a * d + b * c),
    )


# ---------------------------------------------------------------- after a flag


@dataclass(frozen=True)
class IndexAfterFlag:
    """One index over the contributions after the flag and over those elsewhere. None: undefined."""

    index: IndexDefinition
    after: float | None
    elsewhere: float | None
    after_n: int  # contributions of the group inside the index
    elsewhere_n: int
    p_value: float | None  # None: no test (see ``note``)
    note: str = ""
    code_labels: dict[str, str] = field(default_factory=dict)  # the index's codes in words

    @property
    def difference(self) -> float | None:
        if self.after is None or self.elsewhere is None:
            return None
        return self.after - self.elsewhere


@dataclass(frozen=True)
class AfterFlag:
    flag: str
    flag_label: str
    window: int
    events: int  # contributions carrying the flag
    after_contributions: int  # the union of their windows, less the flagged ones
    elsewhere_contributions: int
    permutations: int
    seed: int
    indices: list[IndexAfterFlag] = field(default_factory=list)


def after_flag(
    sessions: Sequence[SessionData],
    flag: str,
    window: int = DEFAULT_WINDOW,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
) -> AfterFlag:
    """Each index after the flag against elsewhere, with a two-sided permutation p-value: the flag's positions
    shuffled within each session, ``permutations`` times, from ``seed`` (same input and seed, same p)."""
    import numpy as np

    codebook = sessions[0].session.codebook
    definitions = codebook.indices
    columns = 2 * len(definitions)  # per index: contributions counted, contributions inside it
    rules = IndexRules(definitions)
    flagged_masks: list[np.ndarray] = []
    tallies: list[np.ndarray] = []
    for data in sessions:
        ordered = sorted(data.contributions, key=clock_order)
        flagged_masks.append(np.array([flag in c.flags for c in ordered], dtype=bool))
        tally = np.zeros((len(ordered), columns), dtype=np.float32)
        for position, contribution in enumerate(ordered):
            for column, is_counted in rules.memberships(contribution):
                tally[position, 2 * column + 1] = 1
                if is_counted:
                    tally[position, 2 * column] = 1
        tallies.append(tally)

    everything = np.zeros(columns)
    observed_after = np.zeros(columns)
    observed_flagged = np.zeros(columns)
    after_contributions = events = positions = 0
    for flagged, tally in zip(flagged_masks, tallies, strict=True):
        after = _after_masks(flagged[np.newaxis, :], window)[0]
        everything += tally.sum(axis=0)
        observed_after += after @ tally
        observed_flagged += flagged @ tally
        after_contributions += int(after.sum())
        events += int(flagged.sum())
        positions += len(flagged)
    observed_elsewhere = everything - observed_after - observed_flagged

    permuted_after, permuted_elsewhere = _permuted_sums(
        flagged_masks, tallies, window, permutations, np.random.default_rng(seed)
    )
    results = []
    for column, index in enumerate(definitions):
        counted, inside = 2 * column, 2 * column + 1
        after_n, elsewhere_n = int(observed_after[inside]), int(observed_elsewhere[inside])
        after_value = ratio(float(observed_after[counted]), after_n)
        elsewhere_value = ratio(float(observed_elsewhere[counted]), elsewhere_n)
        p_value, note = None, ""
        if min(after_n, elsewhere_n) < MIN_GROUP:
            note = (
                f"too few contributions for a test: {after_n} after and {elsewhere_n} elsewhere inside "
                f"{index.short}, {MIN_GROUP} each needed"
            )
        elif after_value is not None and elsewhere_value is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                differences = (
                    permuted_after[:, counted] / permuted_after[:, inside]
                    - permuted_elsewhere[:, counted] / permuted_elsewhere[:, inside]
                )
            defined = differences[~np.isnan(differences)]
            extreme = np.abs(defined) >= abs(after_value - elsewhere_value) - _TOLERANCE
            p_value = (1 + int(extreme.sum())) / (1 + len(defined))
        dimension = codebook.dimension(index.dimension)
        labels = {code.id: code.label for code in dimension.codes} if dimension else {}
        results.append(IndexAfterFlag(index, after_value, elsewhere_value, after_n, elsewhere_n, p_value, note, labels))
    flag_code = next(code for code in codebook.flags if code.id == flag)
    return AfterFlag(
        flag=flag,
        flag_label=flag_code.label,
        window=window,
        events=events,
        after_contributions=after_contributions,
        elsewhere_contributions=positions - events - after_contributions,
        permutations=permutations,
        seed=seed,
        indices=results,
    )


def _after_masks(flagged: np.ndarray, window: int) -> np.ndarray:
    """Rows of positions: True where a position is within ``window`` after a flagged one and is not flagged."""
    import numpy as np

    positions = flagged.shape[1]
    if window <= _SHIFTED_WINDOWS:
        after = np.zeros_like(flagged)
        for step in range(1, min(window, positions - 1) + 1):
            after[:, step:] |= flagged[:, :-step]
    else:  # flagged positions in [t - window, t - 1], from running counts: one pass whatever the window
        running = np.cumsum(flagged, axis=1, dtype=np.int32)
        up_to_before = np.zeros_like(running)
        up_to_before[:, 1:] = running[:, :-1]
        before_window = np.zeros_like(running)
        if window + 1 < positions:
            before_window[:, window + 1 :] = running[:, : positions - window - 1]
        after = up_to_before > before_window
    after &= ~flagged
    return after


def _random_subsets(rng: np.random.Generator, positions: int, chosen: int, rows: int) -> np.ndarray:
    """``rows`` independent uniformly random sets of ``chosen`` of ``positions``, as boolean rows.

    A partial Fisher–Yates shuffle run on all rows at once: as many steps as the smaller of the set and its
    complement, each step one vectorised swap.
    """
    import numpy as np

    take = min(chosen, positions - chosen)
    order = np.tile(np.arange(positions, dtype=np.int32), (rows, 1))
    row_index = np.arange(rows)
    for step in range(take):
        swap = rng.integers(step, positions, size=rows)
        picked = order[row_index, swap]
        order[row_index, swap] = order[:, step]
        order[:, step] = picked
    mask = np.zeros((rows, positions), dtype=bool)
    mask[row_index[:, np.newaxis], order[:, :take]] = True
    return mask if take == chosen else ~mask


def _permuted_sums(
    flagged_masks: list[np.ndarray],
    tallies: list[np.ndarray],
    window: int,
    permutations: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Per permutation, the sums of the after group and of the elsewhere group."""
    import numpy as np

    columns = tallies[0].shape[1] if tallies else 0
    after = np.zeros((permutations, columns))
    elsewhere = np.zeros((permutations, columns))
    longest = max((len(mask) for mask in flagged_masks), default=1)
    chunk = max(1, min(permutations, _CHUNK_CELLS // max(1, longest)))
    for flagged, tally in zip(flagged_masks, tallies, strict=True):
        events, positions = int(flagged.sum()), len(flagged)
        if events in (0, positions):  # nothing to shuffle: the session is the same in every permutation
            fixed_after = _after_masks(flagged[np.newaxis, :], window)[0]
            after += fixed_after @ tally
            elsewhere += (~fixed_after & ~flagged) @ tally
            continue
        for start in range(0, permutations, chunk):
            rows = min(chunk, permutations - start)
            shuffled = _random_subsets(rng, positions, events, rows)
            in_window = _after_masks(shuffled, window)
            after[start : start + rows] += in_window.astype(np.float32) @ tally
            elsewhere[start : start + rows] += (~(in_window | shuffled)).astype(np.float32) @ tally
    return after, elsewhere
