"""Each table a person reads, declared once: its columns and its rows, built from a summary.

A table here is data: a column says how it is headed and what kind of value it holds, never how it is drawn.
The terminal (``report.py``), the workbook (``export/xlsx.py``) and the coding screen's live panel
(``tui/panels.py``) render these tables; none lays one out itself. The tables of one meeting, a series and the
archive are here; those of what followed what in ``sequence_tables.py``, those of two codings compared in
``agreement_tables.py``; every column shown in more than one table comes from ``core/columns.py``. A heading
comes from its column, never from the data: a name a person typed is a value of kind TEXT, shown as typed
wherever it appears.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from observer.analysis import story
from observer.analysis.metrics import CoordinatorCandidate, GroupStats, TimelineRow
from observer.analysis.tallies import UNCODED, QuadrantTable, code_heading
from observer.analysis.tallies import time_key as by_time
from observer.analysis.trends import Trend, wilson_interval
from observer.core import columns
from observer.core.clock import format_clock
from observer.core.codebook_models import Codebook, IndexDefinition
from observer.core.columns import Column, Kind, index_column, on_the_clock
from observer.core.text import percent as whole_percent
from observer.core.text import terminal_safe
from observer.present import palette
from observer.storage import ListedSession

AIRTIME = on_the_clock(columns.AIRTIME_S, "Airtime")  # the tidy table's seconds, as a reader reads them


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
    Kind.CLOCK_SECONDS: lambda value: number(value, 1),
    Kind.CLOCK_HMS: lambda value: "—" if value is None else format_clock(value),
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


def session_list(
    listed: Sequence[ListedSession], observed: Callable[[ListedSession], float] | None = None
) -> ReportTable:
    """The sessions of the archive, as listed (no contributions read); ``observed``: a session's observed time
    now (a clock that is running elsewhere moves), else as listed."""
    return ReportTable(
        title="Sessions",
        columns=(
            replace(columns.MEETING_DATE, heading="Date"),
            columns.SERIES,
            columns.TITLE,
            columns.CONTRIBUTIONS,
            on_the_clock(columns.OBSERVED_S, "Observed"),
            Column("status_label", "Status", Kind.WORDS),
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
            columns.INDEX_NAME,
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
            Column("code_label", "", Kind.WORDS),
            *[
                Column(
                    column,
                    code_heading(column),
                    Kind.COUNT,
                    palette.code_colour(codebook, table.column_dimension, column),
                )
                for column in shown_columns
            ],
            columns.TOTAL,
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
            columns.ORGANISATION,
            replace(columns.ATTENDEES_PRESENT, optional=True),
            replace(columns.CONTRIBUTIONS, optional=True),
            replace(AIRTIME, optional=True),
            replace(columns.SHARE_AIRTIME, bar=True),
            columns.SHARE_OF_ROOM,
            columns.AIRTIME_RATIO,
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
            columns.PARTICIPANT,
            columns.CONTRIBUTIONS,
            AIRTIME,
            columns.SHARE_AIRTIME,
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
            replace(columns.LABEL, heading="Agenda item"),
            on_the_clock(columns.START_S, "Start"),
            columns.CONTRIBUTIONS,
            *index_columns(definitions, codebook, bar_first=True),
            replace(columns.FLAGS, optional=True),
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
            Column("flag_label", "Flag", Kind.WORDS),
            columns.COUNT,
            columns.PER_HOUR,
        ),
        rows=tuple((flag.label, counts[flag.id], per_hour[flag.id]) for flag in shown_flags),
        empty="(no flags)",
    )


def coordinator_candidates(candidates: Sequence[CoordinatorCandidate], names: Callable[[str], str]) -> ReportTable:
    """Who acted as a coordinator, and why; ``names``: a participant id's name as this output shows it."""
    return ReportTable(
        title="Coordinator candidates",
        columns=(replace(columns.PARTICIPANT, heading="Coordinator candidates"), Column("why", "Why", Kind.WORDS)),
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
            replace(columns.MEETING_DATE, heading="Date"),
            columns.TITLE,
            columns.CONTRIBUTIONS,
            replace(columns.OBSERVED_MINUTES, heading="Minutes", optional=True),
            *[
                column
                for index in definitions
                for column in (
                    replace(index_column(index), heading=index.short, colour=colours[index.id], bar=True),
                    Column(f"{index.id}_interval", "95% interval", Kind.WORDS, short="95%"),
                )
            ],
            replace(columns.FLAGS_PER_HOUR, optional=True),
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
            columns.ORGANISATION,
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
