"""The trend workbook: the coordinator's Dashboard, then the meetings, the change between them and the
organisations over time."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openpyxl.chart import LineChart, Reference
from openpyxl.chart.legend import LegendEntry
from openpyxl.utils import get_column_letter

from observer.analysis import story, trends
from observer.analysis.trends import TrendRow
from observer.core import columns
from observer.core.codebook_models import IndexDefinition
from observer.core.models import SessionData
from observer.core.text import listed
from observer.interop.export.pages import fitted_sheet, indices_chart, paint, print_on_one_page, readable
from observer.interop.export.xlsx import (
    BOLD,
    HEADLINE,
    PERCENT,
    RATIO,
    ROW_CM,
    ROW_POINTS,
    TITLE,
    BookWriter,
    Sheet,
    about_sheet,
    chart_label,
    column_cm,
)
from observer.present import palette
from observer.privacy.naming import Naming
from observer.storage.files import scratch_dir_beside


def write_trend_workbook(trend: trends.Trend, headers: list[SessionData], path: Path, naming: Naming) -> None:
    """``headers``: the series' sessions (contributions not needed), for names and the About sheet.

    The first sheet is the coordinator's dashboard (the changes in words, then the charts, on one page); the
    tables it draws on follow."""
    definitions = trend.index_definitions
    with scratch_dir_beside(path), BookWriter() as book:
        dashboard = fitted_sheet(book, "Dashboard", DASHBOARD_WIDTHS)
        dates = f"{trend.rows[0].meeting_date} to {trend.rows[-1].meeting_date}" if trend.rows else "no meetings"
        meetings_said = f"{len(trend.rows)} meeting{'' if len(trend.rows) == 1 else 's'}"
        dashboard.append([f"{trend.series or '(no series)'}: {meetings_said}, {dates}"], font=TITLE)
        page = len(DASHBOARD_WIDTHS)
        if story.left_out_sentence(trend):
            dashboard.paragraph(f"{story.left_out_sentence(trend)}.", page)
        dashboard.blank()
        for sentence in story.trend_sentences(trend):  # the headline: the trend over every meeting
            dashboard.paragraph(f"{sentence}.", page, HEADLINE, line_characters=125)
        for sentence in story.change_sentences(trend):
            dashboard.paragraph(f"• {sentence}.", page)
        dashboard.paragraph(f"{story.method_sentence(trend)} Every meeting-to-meeting change: the Change sheet.", page)
        dashboard.blank()
        charts_row = dashboard.rows + 1

        index_columns = [columns.index_column(index) for index in definitions]
        by_time = [columns.index_time_column(index) for index in definitions]
        trend_rows = [
            [
                row.session_id,
                row.meeting_date,
                row.title,
                row.contributions,
                row.observed_minutes,
                *[row.indices[column.id] for column in (*index_columns, *by_time)],
                row.flags_per_hour,
                *[bound for index in definitions for bound in (row.interval.get(index.id) or (None, None))],
            ]
            for row in trend.rows
        ]
        bounds = [column for index in definitions for column in columns.index_interval_columns(index)]
        meeting_columns = [*columns.TREND_MEETING_ROW, *index_columns, *by_time, columns.FLAGS_PER_HOUR, *bounds]
        meetings = book.data_sheet("Meetings", meeting_columns, trend_rows).finish().first
        _change_sheet(book, trend)
        organisation_names = {}
        for organisation_id, name in trend.organisations.items():
            # As the first session that has it names it (``headers`` are as the export shows them).
            first = next((o for d in headers if (o := d.session.organisation(organisation_id))), None)
            organisation_names[organisation_id] = first.name if first else name

        # Long format for analysis, wide format for the charts.
        long_rows = [
            [
                row.session_id,
                row.meeting_date,
                oid,
                organisation_names[oid],
                row.organisation_airtime_share.get(oid),
                row.organisation_participation_ratio.get(oid),
                *[row.organisation_indices.get(oid, {}).get(index.id) for index in definitions],
            ]
            for row in trend.rows
            for oid in trend.organisations
            if oid in row.organisation_airtime_share
        ]
        book.data_sheet("Organisations", [*columns.TREND_ORGANISATION_ROW, *index_columns], long_rows).finish()
        # Most airtime first: the charts draw the first few, in colours no index on the page has.
        index_colours = palette.index_colours(trend.codebooks)
        line_colours = palette.colours_apart(index_colours[index.id] for index in definitions)[:MAX_ORGANISATION_LINES]
        ranked = sorted(
            trend.organisations,
            key=lambda oid: -sum(row.organisation_airtime_share.get(oid) or 0.0 for row in trend.rows),
        )
        names = [chart_label(organisation_names[oid]) for oid in ranked]  # the charts' legends

        def by_organisation(name: str, value: Callable[[TrendRow, str], float | None], number_format: str) -> Sheet:
            """A sheet a meeting a row, an organisation a column (headed by its name as typed): for a chart."""
            rows = [[row.meeting_date, *[value(row, oid) for oid in ranked]] for row in trend.rows]
            table = book.data_sheet(name, [columns.MEETING_DATE], rows, typed=names, typed_format=number_format)
            return table.finish().first

        airtime_wide = by_organisation(
            "Airtime by organisation", lambda row, oid: row.organisation_airtime_share.get(oid), PERCENT
        )
        first_index = definitions[0] if definitions else None
        index_wide = None
        if first_index is not None:
            index_wide = by_organisation(
                f"{first_index.short} by organisation",
                lambda row, oid: row.organisation_indices.get(oid, {}).get(first_index.id),
                RATIO,
            )

        charts = []
        if trend.rows and definitions:
            indices = indices_chart(
                LineChart(),
                f"{listed([index.short for index in definitions])} over meetings, with 95% intervals",
                meetings.worksheet,
                [len(columns.TREND_MEETING_ROW) + 1 + position for position in range(len(definitions))],
                2,
                meetings.rows,
                2,
                [index_colours[index.id] for index in definitions],
            )
            first_bound = len(meeting_columns) - len(bounds) + 1
            _interval_band(indices, meetings.worksheet, first_bound, meetings.rows, definitions, index_colours)
            charts.append(indices)
        drawn = min(len(ranked), len(line_colours))
        some = f" (the {drawn} of {len(ranked)} with most airtime)" if drawn < len(ranked) else ""
        if trend.rows and drawn:
            chart = _by_organisation_chart(f"Share of airtime by organisation{some}", airtime_wide, drawn, line_colours)
            chart.y_axis.number_format = PERCENT
            charts.append(chart)
        small: list[LineChart] = []
        if trend.rows and index_wide is not None and first_index is not None:
            # One small chart per organisation on the same 0–1 scale, rather than lines on top of one another.
            colour = index_colours[first_index.id]
            small = [
                _small_multiple(index_wide, position, names[position], colour)
                for position in range(min(len(ranked), MAX_SMALL_MULTIPLES))
            ]
            shown = len(small)
            more = f" (the {shown} of {len(ranked)} with most airtime)" if shown < len(ranked) else ""
            dashboard.append(
                [None] * DASHBOARD_CHART_COLUMNS + [f"{first_index.heading} by organisation{more}, each on 0 to 1"],
                font=BOLD,
            )
        last_row = _place_dashboard_charts(dashboard, charts, small, charts_row, trend.rows)
        print_on_one_page(dashboard.worksheet, len(DASHBOARD_WIDTHS), last_row)
        about_sheet(book, headers, naming, "trend workbook")
        book.save(path)


# The dashboard: equal columns; the indices' chart on the left half, the organisations' two on the right half
# one above the other; as tall as makes the page A4 landscape's shape, so that the charts fill it.
DASHBOARD_WIDTHS = [12] * 12
DASHBOARD_CHART_COLUMNS = 6
PAGE_HEIGHT_OVER_WIDTH = (21.0 - 2 * 1.27) / (29.7 - 2 * 1.016)  # A4 landscape less the margins
MIN_CHART_CM = 6.0
MAX_ORGANISATION_LINES = 6
MAX_DATE_LABELS = 6  # on a half-width chart: more and "12 Jan 26" would wrap
MAX_SMALL_MULTIPLES = 8  # organisations drawn one chart each, most airtime first
SMALL_DATE_LABELS = 3  # on a quarter-width chart
SMALL_TEXT_SIZE, SMALL_TITLE_SIZE = 900, 1000  # hundredths of a point: a small chart's axes and its name


def _place_dashboard_charts(
    dashboard: Sheet, charts: list[LineChart], small: list[LineChart], first_row: int, rows: list[Any]
) -> int:
    """Lays the charts out under the words: the indices and the airtime on the left half, one above the other;
    the small multiples on the right half, two across, under their heading; returns the page's last row."""
    if not charts and not small:
        return dashboard.rows
    width_cm = sum(column_cm(width) for width in DASHBOARD_WIDTHS)
    words_cm = (first_row - 1) * ROW_CM + sum(
        (dimension.ht or ROW_POINTS) / 72 * 2.54 - ROW_CM
        for index, dimension in dashboard.worksheet.row_dimensions.items()
        if index < first_row
    )
    charts_cm = max(2 * MIN_CHART_CM, width_cm * PAGE_HEIGHT_OVER_WIDTH - words_cm)
    half_cm = DASHBOARD_CHART_COLUMNS * column_cm(DASHBOARD_WIDTHS[0]) - 0.3
    rows_tall = math.floor(charts_cm / ROW_CM)
    skip = max(1, math.ceil(len(rows) / MAX_DATE_LABELS))
    upper = rows_tall // 2 if len(charts) > 1 else rows_tall
    places = [(1, first_row, upper - (1 if len(charts) > 1 else 0)), (1, first_row + upper, rows_tall - upper)]
    last_row = first_row
    for chart, (column, row, tall) in zip(charts, places, strict=False):
        # A legend of six organisations keeps the default size: larger, it would take a column a name.
        readable(chart, legend=chart is charts[0])
        chart.x_axis.number_format = "d mmm yy"  # short: never wraps
        chart.x_axis.tickLblSkip = skip
        chart.width, chart.height = half_cm, tall * ROW_CM - 0.2
        dashboard.worksheet.add_chart(chart, f"{get_column_letter(column)}{row}")
        last_row = max(last_row, row + tall - 1)
    if small:
        across = 2
        down = math.ceil(len(small) / across)
        tall = max(3, (rows_tall - 1) // down)
        span = DASHBOARD_CHART_COLUMNS // across
        small_skip = max(1, math.ceil(len(rows) / SMALL_DATE_LABELS))
        for position, chart in enumerate(small):
            column = 1 + DASHBOARD_CHART_COLUMNS + span * (position % across)
            row = first_row + 1 + tall * (position // across)
            chart.x_axis.tickLblSkip = small_skip
            chart.width, chart.height = span * column_cm(DASHBOARD_WIDTHS[0]) - 0.3, tall * ROW_CM - 0.2
            dashboard.worksheet.add_chart(chart, f"{get_column_letter(column)}{row}")
            last_row = max(last_row, row + tall - 1)
    return last_row


def _small_multiple(wide: Sheet, position: int, name: str, colour: str) -> LineChart:
    """One organisation's index over the meetings: its column of a wide sheet, on 0 to 1, titled by its name."""
    chart = LineChart()
    chart.title = name
    chart.add_data(Reference(wide.worksheet, min_col=2 + position, min_row=1, max_row=wide.rows), titles_from_data=True)
    chart.set_categories(Reference(wide.worksheet, min_col=1, min_row=2, max_row=wide.rows))
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    chart.y_axis.majorUnit = 0.5
    chart.y_axis.number_format = "0.0"
    chart.x_axis.number_format = "mmm yy"
    chart.legend = None  # the title names it
    paint(chart, [colour])
    readable(chart, legend=False)
    for axis in (chart.x_axis, chart.y_axis):
        axis.txPr.p[0].pPr.defRPr.sz = SMALL_TEXT_SIZE
    chart.title.tx.rich.p[0].r[0].rPr.sz = SMALL_TITLE_SIZE
    chart.title.tx.rich.p[0].pPr.defRPr.sz = SMALL_TITLE_SIZE
    return chart


def _interval_band(
    chart: LineChart,
    worksheet: Any,
    first_column: int,
    last_row: int,
    definitions: Sequence[IndexDefinition],
    colours: dict[str, str],
) -> None:
    """Each index's 95% interval as a band about its line: its low and high bounds, thin and dashed in its
    colour, left out of the legend (the title says what they are)."""
    for position, index in enumerate(definitions):
        for bound in range(2):
            column = first_column + 2 * position + bound
            chart.add_data(Reference(worksheet, min_col=column, min_row=1, max_row=last_row), titles_from_data=True)
            series = chart.series[-1]
            series.smooth = False
            series.marker.symbol = "none"
            series.graphicalProperties.line.solidFill = colours[index.id].lstrip("#")
            series.graphicalProperties.line.width = 9525  # 0.75 pt, in EMU
            series.graphicalProperties.line.dashStyle = "dash"
    lines = len(definitions)
    chart.legend.legendEntry = [LegendEntry(idx=lines + bound) for bound in range(2 * lines)]
    for entry in chart.legend.legendEntry:
        entry.delete = True


def _by_organisation_chart(title: str, wide: Sheet, drawn: int, colours: Sequence[str]) -> LineChart:
    """The first ``drawn`` organisations of a wide sheet (most airtime first), each in its colour."""
    chart = LineChart()
    chart.title = title
    chart.add_data(
        Reference(wide.worksheet, min_col=2, max_col=1 + drawn, min_row=1, max_row=wide.rows), titles_from_data=True
    )
    chart.set_categories(Reference(wide.worksheet, min_col=1, min_row=2, max_row=wide.rows))
    chart.legend.position = "b"  # one entry per organisation: below, so the lines keep the chart's width
    paint(chart, colours)
    return chart


def _change_sheet(book: BookWriter, trend: trends.Trend) -> None:
    sheet = book.sheet("Change", [26, 14, 14, 10, 10, 12, 10, 22, 14, 14, 16])
    sheet.append([f"{trend.series or '(no series)'}: change between meetings"], font=TITLE)
    sheet.append(
        [
            "Each index between two meetings, with a two-proportion test of its counts: beyond chance where "
            f"p < {story.CHANGE_P:g}, within noise otherwise. Blank: undefined."
        ]
    )
    sheet.blank()
    sheet.append(
        [
            "Index",
            "From meeting",
            "To meeting",
            "From",
            "To",
            "Difference",
            "p",
            "Verdict",
            "Coded (from)",
            "Coded (to)",
            "Slope per meeting",
        ],
        font=BOLD,
    )
    rows = trend.rows
    for index in trend.index_definitions:
        pairs = [(0, len(rows) - 1)] if len(rows) > 1 else []
        pairs += [(position - 1, position) for position in range(1, len(rows))] if len(rows) > 2 else []
        for number, (first, second) in enumerate(pairs):
            result = story.change(trend, index, first, second)
            sheet.worksheet.append(
                [
                    sheet.cell(index.heading + (" first → last" if number == 0 else "")),
                    sheet.cell(rows[first].meeting_date, "yyyy-mm-dd"),
                    sheet.cell(rows[second].meeting_date, "yyyy-mm-dd"),
                    sheet.cell(result.before, RATIO),
                    sheet.cell(result.after, RATIO),
                    sheet.cell(result.difference, "+0.00;-0.00;0.00"),
                    sheet.cell(result.p_value, "0.000"),
                    result.verdict,
                    result.before_n,
                    result.after_n,
                    sheet.cell(trend.slope[index.id] if number == 0 else None, "+0.000;-0.000;0.000"),
                ]
            )
            sheet.rows += 1
    if len(rows) < 2:
        sheet.append([f"{len(rows)} meeting{'' if len(rows) == 1 else 's'} so far: no change to show yet."])
