"""What followed what (``analysis.sequences``) as tables a person reads: the lag table's squares, every
transition against chance, and the indices after a flag against elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from observer.analysis.sequences import MIN_EXPECTED, NOTABLE_Z, AfterFlag, LagTable, Transition
from observer.core import columns
from observer.core.columns import Column, Kind
from observer.present.tables import ReportTable

FROM, TO, COUNT, EXPECTED, PROBABILITY, ADJUSTED_RESIDUAL, YULES_Q = columns.TRANSITION_ROW


def lag_square(
    lag: LagTable,
    title: str,
    value: Callable[[Transition], Any],
    kind: Kind,
    totals: bool = False,
    mute_untestable: bool = False,
) -> ReportTable:
    """A square of the lag table: a row per value at position t, a column per value at t + lag (each headed by
    its label: a code, or a name as typed). ``totals``: a total column and row; ``mute_untestable``: the values
    with too few pairs expected to be read as a test, greyed."""
    shown = (
        replace(FROM, heading=""),
        *[Column(f"to_{position}", lag.label(target), kind) for position, target in enumerate(lag.values)],
        *([columns.TOTAL] if totals else []),
    )
    rows: list[tuple[Any, ...]] = []
    muted = set()
    for row, source in enumerate(lag.values):
        cells = [lag.cell(source, target) for target in lag.values]
        rows.append(
            (lag.label(source), *[value(cell) for cell in cells], *([sum(c.count for c in cells)] if totals else []))
        )
        muted |= {(row, 1 + place) for place, cell in enumerate(cells) if mute_untestable and not cell.testable}
    if totals:
        column_totals = [sum(lag.cell(source, target).count for source in lag.values) for target in lag.values]
        rows.append(("total", *column_totals, lag.n))
    return ReportTable(title=title, columns=shown, rows=tuple(rows), muted=frozenset(muted))


def counts(lag: LagTable) -> ReportTable:
    """The pairs counted, with their totals."""
    return lag_square(lag, "Counts (rows: position t; columns: t + lag)", lambda t: t.count, Kind.COUNT, totals=True)


def transitions(lag: LagTable) -> ReportTable:
    """Every pair of values, with its count, what chance would give, and how far from chance."""
    return ReportTable(
        title=f"Transitions (bold: |z| ≥ {NOTABLE_Z} where at least {MIN_EXPECTED:g} pairs are expected)",
        columns=(
            FROM,
            TO,
            COUNT,
            replace(EXPECTED, optional=True),
            replace(PROBABILITY, heading="P(to | from)"),
            replace(ADJUSTED_RESIDUAL, heading="z"),
            replace(YULES_Q, optional=True),
        ),
        rows=tuple(
            (
                lag.label(t.source),
                lag.label(t.target),
                t.count,
                t.expected,
                t.probability,
                t.adjusted_residual,
                t.yules_q,
            )
            for t in lag.transitions
        ),
        strong=frozenset((row, 5) for row, t in enumerate(lag.transitions) if t.notable),
    )


def after_flag_comparison(after: AfterFlag) -> ReportTable:
    """Each index over the contributions after the flag and over those elsewhere, with the permutation p."""
    return ReportTable(
        title=(
            f"After a {after.flag_label} flag ({after.events} flagged): the next {after.window} contributions; "
            f"{after.after_contributions} after, {after.elsewhere_contributions} elsewhere; "
            f"{after.permutations:,} permutations, seed {after.seed}"
        ),
        columns=(
            columns.INDEX_NAME,
            Column("after", "After", Kind.RATIO),
            Column("elsewhere", "Elsewhere", Kind.RATIO),
            Column("difference", "Difference", Kind.RATIO),
            Column("p", "p", Kind.P),
            Column("after_n", "After: contributions in the index", Kind.COUNT, short="n after", optional=True),
            Column(
                "elsewhere_n", "Elsewhere: contributions in the index", Kind.COUNT, short="n elsewhere", optional=True
            ),
            Column("caveat", "Note", Kind.WORDS),  # the program's own: not an observer's note
        ),
        rows=tuple(
            (r.index.heading, r.after, r.elsewhere, r.difference, r.p_value, r.after_n, r.elsewhere_n, r.note)
            for r in after.indices
        ),
    )
