"""Krippendorff's α for nominal data, with a bootstrap interval over units (see the metric definitions).

A unit is what the observers judged (a slice of time, a matched contribution); each observer gave it a value, or
none (missing: ``None``). Units are given as how many times each combination of values occurs, so that a
million one-second slices are a few dozen counts. Pure functions over plain values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded where alpha is computed: a listing or the coding screen need not load it
    import numpy as np


BOOTSTRAP_REPLICATES = 2000
BOOTSTRAP_SEED = 1  # the same units give the same interval, every time
BOOTSTRAP_CHUNK = 200  # resamplings drawn at once
INTERVAL_LEVEL = 0.95

Units = Mapping[tuple[str | None, ...], int]  # each unit's values (None: missing) -> how many such units


@dataclass(frozen=True)
class Alpha:
    """α (None where undefined, and ``note`` says why in words), its 95% bootstrap interval, and the number of
    units that count (those at least two observers gave a value)."""

    value: float | None
    interval: tuple[float, float] | None
    units: int
    note: str | None = None


@dataclass(frozen=True)
class _Patterns:
    weights: np.ndarray  # how many units of each pattern
    values: np.ndarray  # pattern × category: how many observers gave the unit that value
    disagreements: np.ndarray  # per pattern: ordered pairs of differing values / (values − 1)
    categories: list[str]


def _patterns(units: Units) -> _Patterns:
    import numpy as np

    pairable = [(values, count) for values, count in units.items() if count and sum(v is not None for v in values) >= 2]
    categories = sorted({value for values, _ in pairable for value in values if value is not None})
    where = {category: position for position, category in enumerate(categories)}
    matrix = np.zeros((len(pairable), len(categories)))
    for row, (values, _) in enumerate(pairable):
        for value in values:
            if value is not None:
                matrix[row, where[value]] += 1
    given = matrix.sum(axis=1)
    disagreements = (given**2 - (matrix**2).sum(axis=1)) / np.maximum(given - 1, 1)
    weights = np.array([float(count) for _, count in pairable])
    return _Patterns(weights, matrix, disagreements, categories)


def _alphas(weights: np.ndarray, patterns: _Patterns) -> np.ndarray:
    """α for each row of ``weights`` (how many units of each pattern): 1 − (n − 1)·D / (n² − Σ n_c²), with n_c
    the values of category c, n their total, and D the off-diagonal total of the coincidence matrix; NaN where
    every value is the same."""
    import numpy as np

    by_category = weights @ patterns.values
    n = by_category.sum(axis=-1)
    expected = n**2 - (by_category**2).sum(axis=-1)
    observed = weights @ patterns.disagreements
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > 0, 1 - (n - 1) * observed / np.where(expected > 0, expected, 1), np.nan)


def nominal_alpha(units: Units, replicates: int = BOOTSTRAP_REPLICATES, seed: int = BOOTSTRAP_SEED) -> Alpha:
    """Krippendorff's α (nominal) over ``units``, and the 2.5th and 97.5th percentiles of α over ``replicates``
    resamplings of the units with replacement (drawn from ``seed``)."""
    import numpy as np

    patterns = _patterns(units)
    total = int(patterns.weights.sum())
    if not total:
        return Alpha(None, None, 0, "α undefined: no unit has values from two observers")
    value = float(_alphas(patterns.weights, patterns))
    if np.isnan(value):
        only = patterns.categories[0]
        return Alpha(None, None, total, f"α undefined: every value the same ({only})")
    rng = np.random.default_rng(seed)
    chunks = []
    for start in range(0, replicates, BOOTSTRAP_CHUNK):  # a few at a time: thousands of patterns stay small
        size = min(BOOTSTRAP_CHUNK, replicates - start)
        draws = rng.multinomial(total, patterns.weights / total, size=size).astype(float)
        chunks.append(_alphas(draws, patterns))
    resampled = np.concatenate(chunks)
    resampled = resampled[~np.isnan(resampled)]
    tail = (1 - INTERVAL_LEVEL) / 2 * 100
    interval = (
        (float(np.percentile(resampled, tail)), float(np.percentile(resampled, 100 - tail))) if resampled.size else None
    )
    return Alpha(value, interval, total)


def units_of_pairs(pairs: Mapping[tuple[str, str], int]) -> Counter[tuple[str | None, ...]]:
    """Two observers' pairs as units (every value given: none is missing)."""
    return Counter({(a, b): count for (a, b), count in pairs.items()})


def units_of_rows(rows: Sequence[Sequence[str | None]]) -> Counter[tuple[str | None, ...]]:
    """Observers × units (each row one observer's values, None where they gave none) as counted units."""
    return Counter(tuple(column) for column in zip(*rows, strict=True))
