"""Each table a person reads, declared once: its columns and its rows, built from a summary.

A table here is data: a column says how it is headed and what kind of value it holds, never how it is drawn.
The terminal (``report.py``), the workbook (``export/xlsx.py``) and the coding screen's live panel
(``tui/panels.py``) render these tables; none lays one out itself. A heading comes from its column, never from
the data: a name a person typed is a value of kind TEXT, shown as typed wherever it appears.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from observer.analysis import story
from observer.analysis.agreement import Agreement, Comparison, PairwiseMatrix
from observer.analysis.calibration import Calibration, Score
from observer.analysis.metrics import (
    UNCODED,
    CoordinatorCandidate,
    GroupStats,
    QuadrantTable,
    TimelineRow,
    code_heading,
)
from observer.analysis.metrics import time_key as by_time
from observer.analysis.sequences import MIN_EXPECTED, NOTABLE_Z, AfterFlag, LagTable, Transition
from observer.analysis.trends import Trend, wilson_interval
from observer.core.clock import format_clock
from observer.core.columns import Column, Kind, index_column
from observer.core.models import Codebook, IndexDefinition, Session
from observer.core.text import percent as whole_percent
from observer.core.text import terminal_safe
from observer.present import palette


@dataclass(frozen=True)
class ReportTable:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    colours: tuple[str | None, ...] = ()  # each row's colour (a code's, an index's) for its first cell; () none
    empty: str = ""  # what a renderer says when there are no rows ("(no flags)"); "": nothing
    strong: frozenset[tuple[int, int]] = frozenset()  # (row, column) of the values that stand out: in bold
    muted: frozenset[tuple[int, int]] = frozenset()  # (row, column) of the values not to be read as tests: greyed

    def position(self, column_id: str) -> int:
        return next(i for i, column in enumerate(self.columns) if column.id == column_id)

    def only(self, *column_ids: str) -> ReportTable:
        """The same table with some of its columns, in the order given: a page that has room for fewer."""
        at = [self.position(column_id) for column_id in column_ids]
        return replace(
            self, columns=tuple(self.columns[i] for i in at), rows=tuple(tuple(row[i] for i in at) for row in self.rows)
        )

    def colour(self, row: int) -> str | None:
        return self.colours[row] if row < len(self.colours) else None


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def interval_words(interval: tuple[float, float] | None) -> str:
    """A 95% interval as it stands beside its index: "(0.39–0.57)"; "" where the index is undefined."""
    return "" if interval is None else f"({interval[0]:.2f}–{interval[1]:.2f})"


def percent(value: float | None) -> str:
    return "—" if value is None else whole_percent(value)


SHOWN: dict[Kind, Callable[[Any], str]] = {
    # Text as a terminal may print it: a control character or a direction override in a stored name is a '?'.
    Kind.ID: lambda value: terminal_safe(str(value)),
    Kind.TEXT: lambda value: terminal_safe(str(value)),
    Kind.WORDS: lambda value: terminal_safe(str(value)),
    Kind.COUNT: lambda value: "—" if value is None else f"{value:,}",
    Kind.RATIO: number,
    Kind.PERCENT: percent,
    Kind.RATE: lambda value: number(value, 1),
    Kind.MINUTES: lambda value: number(value, 0),
    Kind.SECONDS: lambda value: number(value, 1),
    Kind.CLOCK: lambda value: "—" if value is None else format_clock(value),
    Kind.DATE: lambda value: "—" if value is None else value.isoformat(),
    Kind.DATETIME: lambda value: "—" if value is None else value.isoformat(timespec="seconds"),
    Kind.P: lambda value: "—" if value is None else ("< 0.001" if value < 0.001 else f"{value:.3f}"),
}


def shown(column: Column, value: Any) -> str:
    """A value as the terminal and the live panel print it (a workbook keeps the number and formats it)."""
    if value is None and column.kind in (Kind.ID, Kind.TEXT, Kind.WORDS):
        return ""
    return SHOWN[column.kind](value)


# ---------------------------------------------------------------- the archive


class Listed(Protocol):
    """A session as the archive lists it (``storage.ListedSession``): no contributions read."""

    @property
    def session(self) -> Session: ...

    @property
    def contributions(self) -> int: ...

    @property
    def observed_s(self) -> float: ...


ListedT = TypeVar("ListedT", bound=Listed)


def session_list(listed: Sequence[ListedT], observed: Callable[[ListedT], float] | None = None) -> ReportTable:
    """The sessions of the archive, as listed; ``observed``: a session's observed time now (a clock that is
    running elsewhere moves), else as listed."""
    return ReportTable(
        title="Sessions",
        columns=(
            Column("date", "Date", Kind.DATE),
            Column("series", "Series", Kind.TEXT),
            Column("title", "Title", Kind.TEXT),
            Column("contributions", "Contributions", Kind.COUNT, short="Contrib."),
            Column("observed", "Observed", Kind.CLOCK),
            Column("status", "Status", Kind.WORDS),
            Column("id", "Id", Kind.ID),
        ),
        rows=tuple(
            (
                item.session.meeting_date,
                item.session.series,
                item.session.title,
                item.contributions,
                observed(item) if observed is not None else item.observed_s,
                item.session.status.shown,
                item.session.id,
            )
            for item in listed
        ),
    )


# ---------------------------------------------------------------- one meeting


class Balance(Protocol):
    """What a meeting's tables are built from: a full summary, or the live panel's running balance."""

    indices: dict[str, float | None]
    quadrant: QuadrantTable | None
    organisations: list[GroupStats]


def index_columns(
    definitions: Sequence[IndexDefinition], codebook: Codebook | None, bar_first: bool, optional: bool = False
) -> list[Column]:
    """Each index's column (``columns.index_column``); with ``codebook``, in its colour; ``bar_first``: the first
    index drawn with a bar; ``optional``: columns a narrow terminal may leave out."""
    return [
        replace(
            index_column(index),
            colour=palette.index_colour(codebook, index) if codebook is not None else None,
            bar=bar_first and position == 0,
            optional=optional,
        )
        for position, index in enumerate(definitions)
    ]


def headline(
    balance: Balance, codebook: Codebook, index_counts: dict[str, tuple[int, int]] | None = None
) -> ReportTable:
    """Each index by count and by time, with what it means; with ``index_counts`` (a whole meeting's, not the live
    panel's running one), each index by count with its 95% Wilson interval beside it."""
    definitions = codebook.indices
    interval = (Column("interval", "95% interval", Kind.WORDS),) if index_counts is not None else ()
    return ReportTable(
        title="Headline",
        columns=(
            Column("index", "Index", Kind.WORDS),
            Column("by_count", "By count", Kind.RATIO, bar=True),
            *interval,
            Column("by_time", "By time", Kind.RATIO),
            Column("definition", "What it is", Kind.WORDS, optional=True),
        ),
        rows=tuple(
            (
                index.heading,
                balance.indices.get(index.id),
                *(
                    (interval_words(wilson_interval(*index_counts.get(index.id, (0, 0)))),)
                    if index_counts is not None
                    else ()
                ),
                balance.indices.get(by_time(index.id)),
                story.index_definition(codebook, index),
            )
            for index in definitions
        ),
        colours=tuple(palette.index_colour(codebook, index) for index in definitions),
    )


def quadrant(table: QuadrantTable, codebook: Codebook, totals: bool = True) -> ReportTable:
    """The 2×2's counts, with the codes outside it, uncoded, and (``totals``) the totals."""
    shown_columns = [*table.core_columns, UNCODED]
    return ReportTable(
        title=table.title(codebook),  # counts of contributions: the page's chart beside it says so
        columns=(
            Column("code", "", Kind.WORDS),
            *[
                Column(
                    column,
                    code_heading(column),
                    Kind.COUNT,
                    palette.code_colour(codebook, table.column_dimension, column),
                )
                for column in shown_columns
            ],
            Column("total", "total", Kind.COUNT),
        ),
        rows=(
            *[
                (code_heading(row), *[table.counts[row][column] for column in shown_columns], table.row_totals[row])
                for row in table.rows
            ],
            *(
                [("total", *[table.column_totals[column] for column in shown_columns], sum(table.row_totals.values()))]
                if totals
                else []
            ),
        ),
        colours=tuple(palette.code_colour(codebook, table.row_dimension, row) for row in table.rows),
    )


def organisations(balance: Balance, codebook: Codebook) -> ReportTable:
    """Each organisation's airtime against its share of the room (people present, by time present)."""
    definitions = codebook.indices
    return ReportTable(
        title="Organisations: airtime against share of the room",
        columns=(
            Column("organisation", "Organisation", Kind.TEXT),
            Column("attendees_present", "People present", Kind.COUNT, short="Present", optional=True),
            Column("contributions", "Contributions", Kind.COUNT, short="Contrib.", optional=True),
            Column("airtime_s", "Airtime", Kind.CLOCK, optional=True),
            Column("share_airtime", "Share of airtime", Kind.PERCENT, bar=True, short="Airtime %"),
            Column("share_of_room", "Share of the room", Kind.PERCENT, short="Room %"),
            Column("airtime_ratio", "Airtime ratio", Kind.RATIO, short="Ratio"),
            *index_columns(definitions, None, bar_first=False, optional=True),
        ),
        rows=tuple(
            (
                row.name,
                row.attendees_present,
                row.contributions,
                row.airtime_s,
                row.share_airtime,
                row.share_of_room,
                row.airtime_ratio,
                *[row.indices.get(index.id) for index in definitions],
            )
            for row in balance.organisations
        ),
    )


def participants(rows: Sequence[GroupStats], codebook: Codebook) -> ReportTable:
    """Each person, the most airtime first."""
    definitions = codebook.indices
    return ReportTable(
        title="Participants",
        columns=(
            Column("participant", "Participant", Kind.TEXT),
            Column("contributions", "Contributions", Kind.COUNT, short="Contrib."),
            Column("airtime_s", "Airtime", Kind.CLOCK),
            Column("share_airtime", "Share of airtime", Kind.PERCENT, short="Airtime %"),
            *index_columns(definitions, None, bar_first=False, optional=True),
        ),
        rows=tuple(
            (
                row.name,
                row.contributions,
                row.airtime_s,
                row.share_airtime,
                *[row.indices.get(index.id) for index in definitions],
            )
            for row in sorted(rows, key=lambda r: -r.airtime_s)
        ),
    )


def agenda(items: Sequence[TimelineRow], codebook: Codebook) -> ReportTable:
    """Each agenda item: when it started, how much was said, its indices (the first with a bar), its flags."""
    definitions = codebook.indices
    return ReportTable(
        title="By agenda item",
        columns=(
            Column("label", "Agenda item", Kind.TEXT),
            Column("start_s", "Start", Kind.CLOCK),
            Column("contributions", "Contributions", Kind.COUNT, short="Contrib."),
            *index_columns(definitions, codebook, bar_first=True),
            Column("flags", "Flags", Kind.COUNT, optional=True),
        ),
        rows=tuple(
            (
                item.label,
                item.start_s,
                item.contributions,
                *[item.indices.get(index.id) for index in definitions],
                item.flags,
            )
            for item in items
        ),
    )


def flags(
    counts: dict[str, int], per_hour: dict[str, float | None], codebook: Codebook, seen_only: bool = False
) -> ReportTable:
    """Each flag's count and rate; ``seen_only``: only the flags the meeting had (a page short of room)."""
    shown_flags = [flag for flag in codebook.flags if counts[flag.id] or not seen_only]
    return ReportTable(
        title="Flags",
        columns=(
            Column("flag", "Flag", Kind.WORDS),
            Column("count", "Count", Kind.COUNT),
            Column("per_hour", "Per hour", Kind.RATE),
        ),
        rows=tuple((flag.label, counts[flag.id], per_hour[flag.id]) for flag in shown_flags),
        empty="(no flags)",
    )


def coordinator_candidates(candidates: Sequence[CoordinatorCandidate], names: Callable[[str], str]) -> ReportTable:
    """Who acted as a coordinator, and why; ``names``: a participant id's name as this output shows it."""
    return ReportTable(
        title="Coordinator candidates",
        columns=(Column("participant", "Coordinator candidates", Kind.TEXT), Column("why", "Why", Kind.WORDS)),
        rows=tuple((names(c.participant_id), "; ".join(c.reasons)) for c in candidates),
        empty="(none)",
    )


# ---------------------------------------------------------------- a series


def trend_meetings(trend: Trend) -> ReportTable:
    """Each meeting of a series: its size and its indices (each with a bar)."""
    colours = palette.index_colours(trend.codebooks)
    definitions = trend.index_definitions
    return ReportTable(
        title=f"Series: {trend.series or '(no series)'}",
        columns=(
            Column("meeting_date", "Date", Kind.DATE),
            Column("title", "Title", Kind.TEXT),
            Column("contributions", "Contributions", Kind.COUNT, short="Contrib."),
            Column("observed_minutes", "Minutes", Kind.MINUTES, optional=True),
            *[
                column
                for index in definitions
                for column in (
                    Column(index.id, index.short, Kind.RATIO, colours[index.id], bar=True),
                    Column(f"{index.id}_interval", "95% interval", Kind.WORDS, short="95%"),
                )
            ],
            Column("flags_per_hour", "Flags per hour", Kind.RATE, optional=True),
        ),
        rows=tuple(
            (
                row.meeting_date,
                row.title,
                row.contributions,
                row.observed_minutes,
                *[
                    value
                    for index in definitions
                    for value in (row.indices[index.id], interval_words(row.interval.get(index.id)))
                ],
                row.flags_per_hour,
            )
            for row in trend.rows
        ),
    )


def trend_airtime(trend: Trend) -> ReportTable:
    """Each organisation's share of the airtime, meeting by meeting (a date heads each meeting's column)."""
    return ReportTable(
        title="Airtime share by organisation",
        columns=(
            Column("organisation", "Organisation", Kind.TEXT),
            *[
                Column(f"meeting_{position}", row.meeting_date.isoformat(), Kind.PERCENT)
                for position, row in enumerate(trend.rows)
            ],
        ),
        rows=tuple(
            (name, *[row.organisation_airtime_share.get(organisation_id) for row in trend.rows])
            for organisation_id, name in trend.organisations.items()
        ),
    )


# ---------------------------------------------------------------- what followed what


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
    columns = (
        Column("from", "", Kind.TEXT),
        *[Column(f"to_{position}", lag.label(target), kind) for position, target in enumerate(lag.values)],
        *([Column("total", "total", Kind.COUNT)] if totals else []),
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
    return ReportTable(title=title, columns=columns, rows=tuple(rows), muted=frozenset(muted))


def lag_counts(lag: LagTable) -> ReportTable:
    """The pairs counted, with their totals."""
    return lag_square(lag, "Counts (rows: position t; columns: t + lag)", lambda t: t.count, Kind.COUNT, totals=True)


def transitions(lag: LagTable) -> ReportTable:
    """Every pair of values, with its count, what chance would give, and how far from chance."""
    return ReportTable(
        title=f"Transitions (bold: |z| ≥ {NOTABLE_Z} where at least {MIN_EXPECTED:g} pairs are expected)",
        columns=(
            Column("from", "From", Kind.TEXT),
            Column("to", "To", Kind.TEXT),
            Column("count", "Count", Kind.COUNT),
            Column("expected", "Expected", Kind.RATIO, optional=True),
            Column("probability", "P(to | from)", Kind.RATIO),
            Column("adjusted_residual", "z", Kind.RATIO),
            Column("yules_q", "Yule's Q", Kind.RATIO, optional=True),
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


def after_flag(after: AfterFlag) -> ReportTable:
    """Each index over the contributions after the flag and over those elsewhere, with the permutation p."""
    return ReportTable(
        title=(
            f"After a {after.flag_label} flag ({after.events} flagged): the next {after.window} contributions; "
            f"{after.after_contributions} after, {after.elsewhere_contributions} elsewhere; "
            f"{after.permutations:,} permutations, seed {after.seed}"
        ),
        columns=(
            Column("index", "Index", Kind.WORDS),
            Column("after", "After", Kind.RATIO),
            Column("elsewhere", "Elsewhere", Kind.RATIO),
            Column("difference", "Difference", Kind.RATIO),
            Column("p", "p", Kind.P),
            Column("after_n", "After: contributions in the index", Kind.COUNT, short="n after", optional=True),
            Column(
                "elsewhere_n", "Elsewhere: contributions in the index", Kind.COUNT, short="n elsewhere", optional=True
            ),
            Column("note", "Note", Kind.WORDS),
        ),
        rows=tuple(
            (r.index.heading, r.after, r.elsewhere, r.difference, r.p_value, r.after_n, r.elsewhere_n, r.note)
            for r in after.indices
        ),
    )


# ---------------------------------------------------------------- two observers


def agreement(comparison: Comparison) -> ReportTable:
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
            Column("dimension", "Dimension or flag", Kind.TEXT),
            Column("method", "Method", Kind.WORDS),
            Column("n", "n", Kind.COUNT),
            Column("po", "Po", Kind.RATIO),
            Column("kappa", "kappa", Kind.RATIO),
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
            Column("total", "total", Kind.COUNT),
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
            Column("dimension", "Dimension or flag", Kind.TEXT),
            Column("kappa", "kappa", Kind.RATIO),
            Column("agreement", "Agreement", Kind.PERCENT),
            Column("n", "n", Kind.COUNT),
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
