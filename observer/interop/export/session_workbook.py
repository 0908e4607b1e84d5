"""The session workbook: its Summary page (one meeting, or several), then a table per kind of row."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sized
from pathlib import Path

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from observer.analysis import metrics, story, tallies
from observer.core import columns
from observer.core.clock import format_clock
from observer.core.codebook_models import Codebook, IndexDefinition
from observer.core.models import SessionData
from observer.core.text import listed, plural
from observer.interop.export.pages import (
    ChartStack,
    below,
    fitted_sheet,
    indices_chart,
    paint,
    print_on_one_page,
    readable,
)
from observer.interop.export.records import tidy_columns
from observer.interop.export.session_rows import (
    Digest,
    rows_of_sessions,
)
from observer.interop.export.xlsx import (
    BIG_NUMBER,
    BOLD,
    PERCENT,
    RATIO,
    TITLE,
    BookWriter,
    Sheet,
    about_sheet,
    chart_label,
    codebook_sheet,
    column_cm,
)
from observer.present import palette, tables
from observer.privacy.naming import Naming
from observer.storage.files import scratch_dir_beside


def write_session_workbook(
    sessions: Iterable[SessionData], codebooks: list[Codebook], path: Path, naming: Naming
) -> None:
    """Every session's sheets filled one session at a time, so memory holds one session, not the archive."""
    with scratch_dir_beside(path), BookWriter() as book:
        one_meeting = isinstance(sessions, Sized) and len(sessions) == 1
        summary_sheet = fitted_sheet(book, "Summary", ONE_MEETING_WIDTHS if one_meeting else SUMMARY_WIDTHS)
        tidy, dimensions, flags = tidy_columns(codebooks, naming.with_text)
        definitions = tallies.declared_indices(codebooks)
        index_ids = [index.id for index in definitions]
        index_columns = [columns.index_column(index) for index in definitions]
        flag_ids = {columns.FLAG_PREFIX + flag for flag in flags}
        flag_columns = [column for column in tidy if column.id in flag_ids]  # headed by the flag's label
        timeline_columns = [*columns.TIMELINE_ROW, *index_columns, columns.FLAGS, *flag_columns]
        contributions = book.data_sheet("Contributions", tidy, in_words=False)  # the tidy column ids, as in the CSV
        organisations = book.data_sheet("Organisations", [*columns.ORGANISATION_ROW, *index_columns, *flag_columns])
        participants = book.data_sheet(
            "Participants", [*columns.PARTICIPANT_ROW, *index_columns, columns.COORDINATOR_CANDIDATE, *flag_columns]
        )
        agenda = book.data_sheet("Agenda", timeline_columns)
        timeline = book.data_sheet("Timeline", timeline_columns)
        flag_table = book.data_sheet("Flags", columns.FLAG_ROW)
        digests: list[Digest] = []
        # One meeting's workbook is the facilitator's feedback: it says what followed what, where notable.
        one_session = isinstance(sessions, Sized) and len(sessions) == 1
        for rows in rows_of_sessions(sessions, naming, dimensions, flags, index_ids, with_findings=one_session):
            contributions.extend(rows.contributions)
            organisations.extend(rows.organisations)
            participants.extend(rows.participants)
            agenda.extend(rows.agenda)
            timeline.extend(rows.timeline)
            flag_table.extend(rows.flags)
            digest = rows.digest
            if digests:  # more than one meeting: the Summary shows each one's headline only
                digests[0] = digests[0].headline() if len(digests) == 1 else digests[0]
                digest = digest.headline()
            digests.append(digest)
        if not digests:
            raise ValueError("a workbook needs at least one session")
        for table in (contributions, organisations, participants, agenda, timeline, flag_table):
            table.finish()
        codebook_sheet(book, codebooks)
        _fill_summary(summary_sheet, digests, naming, definitions)
        about_sheet(book, [d.header for d in digests], naming, "session workbook")
        book.save(path)


# The Summary sheet: tables in columns A–H, charts stacked in J onwards, all on one A4 landscape page.
SUMMARY_WIDTHS = [34, 24, 20] + [12] * 5 + [2] + [12] * 7  # B and C: the worded headers the charts name
CHART_COLUMN = 10  # J: clear of the tables, and of the sentences above the charts (they spill to the right)


def _fill_many_meetings(sheet: Sheet, digests: list[Digest], definitions: list[IndexDefinition]) -> None:
    """The Summary of a workbook of several meetings: each one's headline, the 2×2 of them all, the indices by
    session."""
    sheet.append([f"observer — {plural(len(digests), 'session')}"], font=TITLE)
    sheet.blank()
    charts = ChartStack(sheet, CHART_COLUMN, sheet.rows + 1, SUMMARY_WIDTHS)
    shorts = [index.short for index in definitions]
    headline_first = headline_last = 0
    if definitions:
        index_words = [heading for short in shorts for heading in (short, f"{short} by time")]
        sheet.append(["Meeting", *index_words, "Flags per hour", "Contributions"], font=BOLD)
        headline_first = sheet.rows + 1
        for digest in digests:
            session, summary = digest.header.session, digest.summary
            values = summary.indices
            sheet.worksheet.append(
                [
                    sheet.cell(chart_label(f"{session.meeting_date} {session.title}")),  # the chart's categories
                    *[
                        sheet.cell(values.get(key), RATIO)
                        for index in definitions
                        for key in (index.id, tallies.time_key(index.id))
                    ],
                    sheet.cell(summary.total_flags_per_hour, "0.0"),
                    summary.contributions,
                ]
            )
            sheet.rows += 1
        headline_last = sheet.rows
        sheet.blank()
    quadrant = _combined_quadrant(digests)
    if quadrant is not None:
        codebook = digests[0].header.session.codebook
        first, _ = sheet.table(tables.quadrant(quadrant, codebook))
        sheet.blank()
        charts.add(_quadrant_chart(sheet, quadrant, first, codebook))
    if definitions:
        colours = palette.index_colours(digest.header.session.codebook for digest in digests)
        by_session = indices_chart(
            BarChart(),
            f"{listed(shorts)} by session",
            sheet.worksheet,
            [2 + 2 * position for position in range(len(definitions))],
            headline_first,
            headline_last,
            1,
            [colours[index.id] for index in definitions],
        )
        charts.add(by_session)
    last_column = charts.last_column if charts.charts else len(SUMMARY_WIDTHS) // 2
    print_on_one_page(sheet.worksheet, last_column, max(sheet.rows, charts.last_row), tall=True)


def _combined_quadrant(digests: list[Digest]) -> tallies.QuadrantTable | None:
    """The 2×2 of all the sessions together: only where every session's codebook makes the same one."""
    quadrants = [digest.summary.quadrant for digest in digests if digest.summary.quadrant is not None]
    shapes = {(q.row_dimension, q.column_dimension, tuple(q.rows), tuple(q.columns)) for q in quadrants}
    if len(quadrants) == len(digests) and len(shapes) == 1:
        return tallies.combine_quadrants(quadrants)
    return None


def _quadrant_chart(sheet: Sheet, quadrant: tallies.QuadrantTable, first: int, codebook: Codebook) -> BarChart:
    """The 2×2 drawn from its table (``first``: the table's first body row)."""
    title = quadrant.title(codebook)
    core_rows = len(quadrant.core_rows)  # the 2×2's rows come first (see QuadrantTable)
    bar = BarChart()
    bar.type = "col"
    bar.grouping = "clustered"
    # The chart draws the 2×2 only: its title names the codes it leaves out that the meeting used.
    outside = [row for row in quadrant.rows if row not in quadrant.core_rows and quadrant.row_totals[row]]
    outside += [c for c in quadrant.columns if c not in quadrant.core_columns and quadrant.column_totals[c]]
    left_out = list(dict.fromkeys(tallies.code_heading(code) for code in outside))
    bar.title = f"Contributions by {title.lower()}" + (f" (leaves out {listed(left_out)})" if left_out else "")
    bar.y_axis.title = "contributions"
    bar.add_data(
        Reference(
            sheet.worksheet,
            min_col=2,
            max_col=1 + len(quadrant.core_columns),
            min_row=first - 1,
            max_row=first + core_rows - 1,
        ),
        titles_from_data=True,
    )
    bar.set_categories(Reference(sheet.worksheet, min_col=1, min_row=first, max_row=first + core_rows - 1))
    paint(bar, [palette.code_colour(codebook, quadrant.column_dimension, code) for code in quadrant.core_columns])
    return bar


def _fill_summary(sheet: Sheet, digests: list[Digest], naming: Naming, definitions: list[IndexDefinition]) -> None:
    if len(digests) == 1:
        fill_one_meeting_page(sheet, digests[0], naming, definitions)
    else:
        _fill_many_meetings(sheet, digests, definitions)


# The one-meeting Summary, the page a facilitator hands round: a headline band and the sentences across the page;
# under them the tables in A–E and the charts from G. Printed one page wide on A4 landscape, at about 88 % (so
# 11-point text prints at 9.7 pt); a long meeting goes on to a second page rather than shrinking.
ONE_MEETING_WIDTHS = [30, 12, 12, 12, 12, 2] + [10] * 8 + [2, 30]
ONE_CHART_COLUMN = 7  # G
ONE_CHART_COLUMNS = 8  # G–N: two charts side by side, the third under them across both
LABEL_COLUMN = 16  # P, beside the page: each name as the charts show it (cut to CHART_LABEL_LIMIT)
ONE_CHART_HEIGHT_CM, ONE_CHART_MAX_HEIGHT_CM = 4.0, 9.0
PAGE_TITLE = Font(bold=True, size=16)
BIG_NUMBER_ROW_POINTS = 23.0  # an 18-point number and a little air


def fill_one_meeting_page(sheet: Sheet, digest: Digest, naming: Naming, definitions: list[IndexDefinition]) -> None:
    data, summary = digest.header, digest.summary
    session, codebook = data.session, data.session.codebook
    sheet.append([f"What we saw: {session.title}"], font=PAGE_TITLE)
    present = sum(o.attendees_present for o in summary.organisations)
    facts = [
        session.series,
        session.meeting_date.isoformat(),
        f"{format_clock(summary.observed_s)} observed",
        story.contributions_said(summary),
        f"{plural(present, 'person', 'people')} present",
        plural(sum(1 for o in summary.organisations if o.attendees_present), "organisation"),
        f"observer {session.observer}" if session.observer else "",
        f"codebook {session.codebook.name} {session.codebook.version}",
    ]
    sheet.append([" · ".join(fact for fact in facts if fact)])
    sheet.blank()
    if definitions:  # the band: each index large, with what it means
        sheet.table(
            tables.headline(summary, codebook, summary.index_counts),
            fonts={"index": BOLD, "by_count": BIG_NUMBER},
            row_points=BIG_NUMBER_ROW_POINTS,
        )
        sheet.blank()
    sentences = story.session_sentences(summary, data)
    if sentences:
        sheet.bullets(sentences)
        if digest.findings or not flags_line(summary, codebook):  # the flags' line follows the sentences
            sheet.blank()
    if digest.findings:
        sheet.append(["What followed what"], font=BOLD)
        sheet.bullets(digest.findings)
        sheet.blank()
    seen = flags_line(summary, codebook)
    if seen:
        last = ONE_CHART_COLUMN + ONE_CHART_COLUMNS - 1
        sheet.paragraph(seen, last, SENTENCE_FONT, line_characters=FLAG_LINE_CHARACTERS)
        sheet.blank()

    charts_row = sheet.rows + 1  # the charts sit beside the tables, below everything that spans the page
    quadrant = summary.quadrant
    quadrant_first = 0
    if quadrant is not None:
        quadrant_first, _ = sheet.table(tables.quadrant(quadrant, codebook))
        sheet.blank()
    name_width = ONE_MEETING_WIDTHS[0]
    shares = tables.organisations(summary, codebook).only("organisation", "share_airtime", "share_of_room")
    airtime_rows = _shown_rows(
        sheet.table(at_most(shares, PAGE_ORGANISATIONS, "organisation"), name_width, LABEL_COLUMN),
        shares,
        PAGE_ORGANISATIONS,
    )
    sheet.blank()
    item_rows = (0, -1)
    if definitions:
        items = tables.agenda(summary.agenda, codebook).only("label", *[index.id for index in definitions])
        item_rows = _shown_rows(
            sheet.table(at_most(items, PAGE_ITEMS, "agenda item"), name_width, LABEL_COLUMN), items, PAGE_ITEMS
        )
        sheet.blank()
    # The flags seen are one line above (every one, with its count and rate; the Flags sheet has each); the
    # coordinator candidates are named, with their reasons, in the sentences (the first three, "and N more"),
    # and every one is marked on the Participants sheet: the tables beside the charts stay short.

    # The airtime across the charts' width (each name on one line), then the 2×2 and the agenda items side by
    # side; each chart as tall as its data needs (a bar a row), within a readable minimum and a page's maximum.
    whole_cm = ONE_CHART_COLUMNS * column_cm(ONE_MEETING_WIDTHS[ONE_CHART_COLUMN - 1]) - 0.2
    half_cm = ONE_CHART_COLUMNS // 2 * column_cm(ONE_MEETING_WIDTHS[ONE_CHART_COLUMN - 1]) - 0.2
    first, last = airtime_rows
    top = ChartStack(
        sheet,
        ONE_CHART_COLUMN,
        charts_row,
        ONE_MEETING_WIDTHS,
        height_cm=_chart_height(last - first + 1, AIRTIME_ROW_CM),
    )
    top.width_cm = whole_cm
    if last >= first:
        airtime = BarChart()
        airtime.type = "bar"
        airtime.title = "Airtime share (dark) against room share (light)"
        airtime.x_axis.scaling.orientation = "maxMin"  # the table's order, top to bottom
        airtime.x_axis.tickLblSkip = 1  # every organisation named, however many
        airtime.y_axis.number_format = PERCENT
        airtime.add_data(
            Reference(sheet.worksheet, min_col=2, max_col=3, min_row=first - 1, max_row=last), titles_from_data=True
        )
        airtime.set_categories(Reference(sheet.worksheet, min_col=LABEL_COLUMN, min_row=first, max_row=last))
        paint(airtime, [palette.NOT_A_CODE_DARK, palette.NOT_A_CODE])  # not codes: greys
        _names_small(readable(airtime))
        airtime.legend = None  # said in the title: a legend would take the room the names need
        top.add(airtime)
    first, last = item_rows
    items_shown = last - first + 1 if definitions and last >= first else 0
    pair = ChartStack(
        sheet, ONE_CHART_COLUMN, top.row, ONE_MEETING_WIDTHS, height_cm=_chart_height(items_shown, ITEM_ROW_CM)
    )
    pair.width_cm = half_cm
    if quadrant is not None:
        pair.add(below(readable(_quadrant_chart(sheet, quadrant, quadrant_first, codebook))))
    if items_shown:
        by_item = BarChart()
        by_item.type = "bar"  # across: each item's name whole, never cut at the chart's edge
        by_item.x_axis.scaling.orientation = "maxMin"  # the table's order, top to bottom
        by_item.x_axis.tickLblSkip = 1
        by_item = indices_chart(
            by_item,
            f"{listed([index.short for index in definitions])} by agenda item",
            sheet.worksheet,
            [2 + position for position in range(len(definitions))],
            first,
            last,
            LABEL_COLUMN,
            [palette.index_colour(codebook, index) for index in definitions],
        )
        if pair.charts:  # beside the 2×2
            pair.column, pair.row = ONE_CHART_COLUMN + ONE_CHART_COLUMNS // 2, top.row
        pair.add(below(_names_small(readable(by_item))))
    whole = pair if pair.charts else top
    last_column = ONE_CHART_COLUMN + ONE_CHART_COLUMNS - 1
    bottom = max(sheet.rows, whole.last_row)
    print_on_one_page(sheet.worksheet, last_column, bottom)  # one page, whatever the meeting


# The longest lists the one-meeting page shows; longer ones end "and N more" (every row is on its own sheet).
PAGE_ORGANISATIONS = 6
PAGE_ITEMS = 6
SENTENCE_FONT = Font(name="Calibri", size=11)  # the sentences' own (a bare font reads as a serif in some readers)
FLAG_LINE_CHARACTERS = 150  # about how many characters of the flags' line a line across the page holds
# A category of a bar chart: its bars and its name (a reader hides names that would touch), an organisation's on
# one line across the charts' width, an agenda item's on two in a half-width chart (under its legend).
AIRTIME_ROW_CM, ITEM_ROW_CM = 0.55, 1.3
CHART_FRAME_CM = 2.5  # a chart's title, axis and legend


def flags_line(summary: metrics.SessionSummary, codebook: Codebook) -> str:
    """The flags the meeting had, most given first, in one line: "Flags seen (times, per hour): Governance
    shield 7 (3.7) · Coordinator 5 (2.7)"; "" with none."""
    seen = tables.flags(summary.flag_counts, summary.flags_per_hour, codebook, seen_only=True).rows
    if not seen:
        return ""
    ordered = sorted(seen, key=lambda row: -row[1])  # stable: ties keep the codebook's order
    said = [f"{label} {count}" + (f" ({rate:.1f})" if rate is not None else "") for label, count, rate in ordered]
    return f"Flags seen (times, per hour): {' · '.join(said)}"


def at_most(table: tables.ReportTable, limit: int, noun: str) -> tables.ReportTable:
    """The table's first ``limit`` rows, and a last one saying how many more there are ("and 4 more
    organisations")."""
    if len(table.rows) <= limit:
        return table
    more = len(table.rows) - limit
    words = f"and {more} more {noun}{'' if more == 1 else 's'}"
    tail = (words, *([None] * (len(table.columns) - 1)))
    return dataclasses.replace(table, rows=(*table.rows[:limit], tail))


def _shown_rows(rows: tuple[int, int], table: tables.ReportTable, limit: int) -> tuple[int, int]:
    """The rows a chart draws: the table's, without its "and N more"."""
    first, last = rows
    return (first, last - 1) if len(table.rows) > limit else (first, last)


NAME_SIZE = 1030  # hundredths of a point: a bar chart's names, a little under its other text (9 points in print)


def _names_small(chart: BarChart) -> BarChart:
    """A bar chart's category names at NAME_SIZE: at the page's text size a reader would hide every other one."""
    chart.x_axis.txPr.p[0].pPr.defRPr.sz = NAME_SIZE
    return chart


def _chart_height(categories: int, per_category_cm: float) -> float:
    return min(ONE_CHART_MAX_HEIGHT_CM, max(ONE_CHART_HEIGHT_CM, CHART_FRAME_CM + per_category_cm * categories))
