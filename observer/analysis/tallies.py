"""The sums every share is made of: a codebook's indices, each dimension's codes, the 2×2 of the first two
indices, and the tallies per person, per organisation and overall that the summary and the live panel keep.

A value whose denominator is zero is ``None`` (shown blank or "—").
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from observer.analysis.timing import Span
from observer.core import columns
from observer.core.codebook_models import Codebook, IndexDefinition
from observer.core.models import Contribution

UNCODED = "uncoded"


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None (undefined) when the denominator is zero."""
    return numerator / denominator if denominator else None


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
