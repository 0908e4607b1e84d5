"""Two codings of one meeting compared, as tables a person reads: two observers' agreement (``analysis.agreement``)
and a trainee's against a reference (``analysis.calibration``)."""

from __future__ import annotations

from observer.analysis.agreement import Agreement, Comparison, PairwiseMatrix
from observer.analysis.calibration import Calibration, Score
from observer.core import columns
from observer.core.columns import Column, Kind
from observer.present.tables import ReportTable, interval_words, number

DIMENSION_OR_FLAG = Column("dimension_label", "Dimension or flag", Kind.TEXT)
N = Column("n", "n", Kind.COUNT)
KAPPA = Column("kappa", "kappa", Kind.RATIO)


def by_dimension(comparison: Comparison) -> ReportTable:
    """Each dimension and flag: how often the two observers agreed, by slices of time and by contributions."""
    rows = []
    for row in comparison.dimensions:
        for method, result in (("time-sliced", row.time_sliced), ("contribution-matched", row.matched)):
            if result is not None:
                label = comparison.labels.get(row.dimension, row.dimension)
                alpha = alpha_words(result.alpha_ci, result.alpha_note)
                rows.append(
                    (label, method, result.n, result.po, result.kappa, result.pabak, result.label, result.alpha, alpha)
                )
    return ReportTable(
        title="By dimension and flag",
        columns=(
            DIMENSION_OR_FLAG,
            Column("method", "Method", Kind.WORDS),
            N,
            Column("po", "Po", Kind.RATIO),
            KAPPA,
            # A narrow terminal keeps kappa and alpha, and leaves out PABAK and alpha's interval.
            Column("pabak", "PABAK", Kind.RATIO, optional=True),
            Column("landis_koch", "Landis & Koch", Kind.WORDS),
            Column("alpha", "alpha", Kind.RATIO),
            Column("alpha_ci", "alpha 95% interval", Kind.WORDS, short="95%", optional=True),
        ),
        rows=tuple(rows),
    )


def alpha_words(interval: tuple[float, float] | None, note: str | None) -> str:
    """Beside α: its 95% bootstrap interval, "(0.61–0.74)", or why α is undefined, in words ("undefined: every
    value was the same (none)")."""
    if note:
        return note.removeprefix("α ")
    return interval_words(interval)


def confusion(comparison: Comparison, dimension: str, method: str, result: Agreement) -> ReportTable:
    """What A coded (rows) against what B coded (columns), with the totals."""
    labels = comparison.code_labels.get(dimension, {})
    order = comparison.in_order(dimension, result.categories)
    named = [labels.get(category, category) for category in order]
    counts = [[result.confusion[category][other] for other in order] for category in order]
    return ReportTable(
        title=f"{comparison.labels.get(dimension, dimension)}, {method}: rows are A, columns are B (n = {result.n})",
        columns=(
            Column("a", "A \\ B", Kind.TEXT),
            *[Column(f"b_{position}", name, Kind.COUNT) for position, name in enumerate(named)],
            columns.TOTAL,
        ),
        rows=(
            *[(name, *row, sum(row)) for name, row in zip(named, counts, strict=True)],
            ("total", *[sum(row[place] for row in counts) for place in range(len(order))], result.n),
        ),
    )


def pairwise_kappa(matrix: PairwiseMatrix, dimension: str) -> ReportTable:
    """Three or more observers: each pair's time-sliced kappa on one dimension, every pair once (the cells
    below the diagonal, each pair a second time, are greyed and empty)."""
    rows, others = matrix.sessions[:-1], matrix.sessions[1:]
    pairs = matrix.kappa[dimension]
    alpha = matrix.alpha.get(dimension)
    over_all = ""
    if alpha is not None:
        shown = number(alpha.value) if alpha.value is not None else ""
        over_all = (
            f"; alpha over all {len(matrix.sessions)} observers {shown} {alpha_words(alpha.interval, alpha.note)}"
        )
    return ReportTable(
        title=f"{dimension}: time-sliced kappa{over_all.rstrip()}",
        columns=(
            Column("session", "", Kind.ID),
            *[Column(f"with_{place}", other, Kind.RATIO) for place, other in enumerate(others)],
        ),
        rows=tuple((first, *[pairs.get((first, second)) for second in others]) for first in rows),
        muted=frozenset(
            (row, 1 + place)
            for row, first in enumerate(rows)
            for place, second in enumerate(others)
            if (first, second) not in pairs
        ),
    )


def calibration_scores(result: Calibration, labels: dict[str, str]) -> ReportTable:
    """Each dimension's agreement with the reference (judged), then the speaker and each flag (reported)."""
    scored = [(labels.get(key, key), score) for key, score in result.dimensions.items()]
    scored += [("speaker (time-sliced)", result.speaker)]
    scored += [(f"flag: {labels.get(key, key)}", score) for key, score in result.flags.items()]
    return ReportTable(
        title="Against the reference",
        columns=(
            DIMENSION_OR_FLAG,
            KAPPA,
            Column("agreement", "Agreement", Kind.PERCENT),
            N,
            Column("passed", "Passed", Kind.WORDS),
        ),
        rows=tuple(
            (
                name,
                score.kappa,
                score.agreement,
                score.n,
                "" if score.passed is None else "yes" if score.passed else "no",
            )
            for name, score in scored
        ),
    )


def calibration_confusion(label: str, score: Score) -> ReportTable:
    """What the reference coded (rows) against what the trainee coded (columns)."""
    return ReportTable(
        title=f"{label}: rows are the reference, columns the trainee",
        columns=(
            Column("reference", "reference \\ trainee", Kind.TEXT),
            *[Column(f"trainee_{position}", name, Kind.COUNT) for position, name in enumerate(score.categories)],
        ),
        rows=tuple((row, *[score.confusion[row][column] for column in score.categories]) for row in score.categories),
    )
