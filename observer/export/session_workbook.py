"""The session workbook: its Summary page (one meeting, or several), then a table per kind of row."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence, Sized
from pathlib import Path
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from observer import metrics, palette, story
from observer.clock import format_clock
from observer.export.records import Naming, tidy_columns
from observer.export.session_rows import (
    ORGANISATION_COLUMNS,
    PARTICIPANT_COLUMNS,
    TIMELINE_COLUMNS,
    Digest,
    rows_of_sessions,
)
from observer.export.xlsx import (
    BIG_NUMBER,
    BOLD,
    PERCENT,
    RATIO,
    RIGHT,
    ROW_CM,
    ROW_POINTS,
    TITLE,
    WRAPPED,
    BookWriter,
    ChartStack,
    Sheet,
    about_sheet,
    below,
    chart_label,
    codebook_sheet,
    column_cm,
    fitted_sheet,
    flag_headings,
    index_headings,
    indices_chart,
    paint,
    print_on_one_page,
    readable,
)
from observer.files import scratch_dir_beside
from observer.models import Codebook, IndexDefinition, SessionData
from observer.text import listed, plural

SHARE_FORMATS = {
    "share_of_room": PERCENT,
    "share_contributions": PERCENT,
    "share_airtime": PERCENT,
    "participation_ratio": RATIO,
    "airtime_ratio": RATIO,
}


def write_session_workbook(
    sessions: Iterable[SessionData], codebooks: list[Codebook], path: Path, naming: Naming
) -> None:
    """Every session's sheets filled one session at a time, so memory holds one session, not the archive."""
    with scratch_dir_beside(path), BookWriter() as book:
        one_meeting = isinstance(sessions, Sized) and len(sessions) == 1
        summary_sheet = fitted_sheet(book, "Summary", ONE_MEETING_WIDTHS if one_meeting else SUMMARY_WIDTHS)
        columns, dimensions, flags = tidy_columns(codebooks, naming.with_text)
        flag_columns = [f"flag_{f}" for f in flags]
        definitions = metrics.declared_indices(codebooks)
        book.headings |= index_headings(definitions) | flag_headings(codebooks)
        index_ids = [index.id for index in definitions]
        formats = {**SHARE_FORMATS, **dict.fromkeys(index_ids, RATIO)}
        timeline_columns = TIMELINE_COLUMNS + index_ids + ["flags"] + flag_columns
        contributions = book.table(
            "Contributions",
            columns,
            widths={
                "session_id": 15,
                "contribution_id": 22,
                "wall_time": 20,
                "participant": 22,
                "organisation": 28,
                "note": 40,
                "agenda_item": 28,
            },
            in_words=False,  # the tidy column ids, as in the CSV
        )
        organisations = book.table(
            "Organisations",
            ORGANISATION_COLUMNS + index_ids + flag_columns,
            formats=formats,
            widths={"organisation": 30},
        )
        participants = book.table(
            "Participants",
            PARTICIPANT_COLUMNS + index_ids + ["coordinator_candidate"] + flag_columns,
            formats=formats,
            widths={"participant": 24, "organisation": 30, "coordinator_candidate": 40},
        )
        agenda = book.table("Agenda", timeline_columns, formats=formats, widths={"label": 30})
        timeline = book.table("Timeline", timeline_columns, formats=formats, widths={"label": 30})
        flag_table = book.table(
            "Flags",
            ["session_id", "flag", "label", "count", "per_hour"],
            formats={"per_hour": "0.0"},
            widths={"label": 26},
        )
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
                        for key in (index.id, metrics.time_key(index.id))
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
        title = quadrant.title(digests[0].header.session.codebook)
        first = _quadrant_table(sheet, quadrant, title)
        charts.add(_quadrant_chart(sheet, quadrant, title, first, digests[0].header.session.codebook))
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


def _combined_quadrant(digests: list[Digest]) -> metrics.QuadrantTable | None:
    """The 2×2 of all the sessions together: only where every session's codebook makes the same one."""
    quadrants = [digest.summary.quadrant for digest in digests if digest.summary.quadrant is not None]
    shapes = {(q.row_dimension, q.column_dimension, tuple(q.rows), tuple(q.columns)) for q in quadrants}
    if len(quadrants) == len(digests) and len(shapes) == 1:
        return metrics.combine_quadrants(quadrants)
    return None


def _quadrant_table(sheet: Sheet, quadrant: metrics.QuadrantTable, title: str) -> int:
    """The 2×2's counts (and the codes outside it, and uncoded) under headings over their numbers; returns
    its first body row."""
    shown_columns = [*quadrant.core_columns, metrics.UNCODED]
    headings = [metrics.code_heading(column) for column in shown_columns]
    sheet.append([f"{title} (contributions)", *headings, "total"], font=BOLD, right_from=1)
    first = sheet.rows + 1
    for row in quadrant.rows:
        counts = quadrant.counts[row]
        sheet.append(
            [metrics.code_heading(row), *[counts[column] for column in shown_columns], quadrant.row_totals[row]]
        )
    totals = [quadrant.column_totals[column] for column in shown_columns]
    sheet.append(["total", *totals, sum(quadrant.row_totals.values())])
    sheet.blank()
    return first


def _quadrant_chart(
    sheet: Sheet, quadrant: metrics.QuadrantTable, title: str, first: int, codebook: Codebook
) -> BarChart:
    core_rows = len(quadrant.core_rows)  # the 2×2's rows come first (see QuadrantTable)
    bar = BarChart()
    bar.type = "col"
    bar.grouping = "clustered"
    # The chart draws the 2×2 only: its title names the codes it leaves out that the meeting used.
    outside = [row for row in quadrant.rows if row not in quadrant.core_rows and quadrant.row_totals[row]]
    outside += [c for c in quadrant.columns if c not in quadrant.core_columns and quadrant.column_totals[c]]
    left_out = list(dict.fromkeys(metrics.code_heading(code) for code in outside))
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
ONE_CHART_HEIGHT_CM, ONE_CHART_MAX_HEIGHT_CM = 5.0, 9.0
PAGE_TITLE = Font(bold=True, size=16)
BIG_NUMBER_ROW_POINTS = 26.0


def fill_one_meeting_page(sheet: Sheet, digest: Digest, naming: Naming, definitions: list[IndexDefinition]) -> None:
    data, summary = digest.header, digest.summary
    session, codebook = data.session, data.session.codebook
    sheet.append([f"What we saw: {session.title}"], font=PAGE_TITLE)
    present = sum(o.attendees_present for o in summary.organisations)
    facts = [
        session.series,
        session.meeting_date.isoformat(),
        f"{format_clock(summary.observed_s)} observed",
        plural(summary.contributions, "contribution"),
        f"{plural(present, 'person', 'people')} present",
        plural(sum(1 for o in summary.organisations if o.attendees_present), "organisation"),
        f"observer {session.observer}" if session.observer else "",
        f"codebook {session.codebook.name} {session.codebook.version}",
    ]
    sheet.append([" · ".join(fact for fact in facts if fact)])
    sheet.blank()
    if definitions:  # the band: each index large, with what it means
        headings = [("Index", None), ("By count", RIGHT), ("By time", RIGHT), ("What it is", None)]
        sheet.worksheet.append([sheet.cell(text, font=BOLD, alignment=alignment) for text, alignment in headings])
        sheet.rows += 1
        for index in definitions:
            sheet.next_row_height(BIG_NUMBER_ROW_POINTS)
            sheet.worksheet.append(
                [
                    sheet.cell(index.heading, font=BOLD),
                    sheet.cell(summary.indices.get(index.id), RATIO, BIG_NUMBER),
                    sheet.cell(summary.indices.get(metrics.time_key(index.id)), RATIO),
                    sheet.cell(story.index_definition(codebook, index)),
                ]
            )
            sheet.rows += 1
        sheet.blank()
    sentences = story.session_sentences(summary, data)
    if sentences:
        sheet.bullets(sentences)
        sheet.blank()
    if digest.findings:
        sheet.append(["What followed what"], font=BOLD)
        sheet.bullets(digest.findings)
        sheet.blank()

    charts_row = sheet.rows + 1  # the charts sit beside the tables, below everything that spans the page
    quadrant = summary.quadrant
    quadrant_title = quadrant.title(codebook) if quadrant is not None else ""
    quadrant_first = _quadrant_table(sheet, quadrant, quadrant_title) if quadrant is not None else 0
    organisations = [(row.name, row.share_airtime, row.share_of_room) for row in summary.organisations]
    airtime_rows = _named_table(
        sheet, ["Organisation", "Share of airtime", "Share of the room"], organisations, PERCENT
    )
    item_rows = (0, -1)
    if definitions:
        items = [(item.label, *[item.indices.get(index.id) for index in definitions]) for item in summary.agenda]
        item_rows = _named_table(sheet, ["Agenda item", *[index.heading for index in definitions]], items, RATIO)
    seen = [flag for flag in codebook.flags if summary.flag_counts[flag.id]]
    sheet.append(["Flag", "Count", "Per hour"], font=BOLD, right_from=1)
    for flag in seen:
        sheet.worksheet.append(
            [flag.label, summary.flag_counts[flag.id], sheet.cell(summary.flags_per_hour[flag.id], "0.0")]
        )
        sheet.rows += 1
    if not seen:
        sheet.append(["(no flags)"])
    sheet.blank()
    sheet.append(["Coordinator candidates", "Why"], font=BOLD)
    for candidate in summary.coordinator_candidates:
        sheet.append([naming.participant(data, candidate.participant_id)[1], "; ".join(candidate.reasons)])
    if not summary.coordinator_candidates:
        sheet.append(["(none)"])

    # The charts take the tables' height between them (two rows of charts), never less than a readable minimum.
    tables_cm = (sheet.rows - charts_row + 1) * ROW_CM
    height = min(ONE_CHART_MAX_HEIGHT_CM, max(ONE_CHART_HEIGHT_CM, (tables_cm - ROW_CM) / 2))
    half = ChartStack(sheet, ONE_CHART_COLUMN, charts_row, ONE_MEETING_WIDTHS, height_cm=height)
    half.width_cm = ONE_CHART_COLUMNS // 2 * column_cm(ONE_MEETING_WIDTHS[ONE_CHART_COLUMN - 1]) - 0.2
    if quadrant is not None:
        half.add(below(readable(_quadrant_chart(sheet, quadrant, quadrant_title, quadrant_first, codebook))))
    first, last = airtime_rows
    if last >= first:
        airtime = BarChart()
        airtime.type = "bar"
        airtime.title = "Share of airtime against share of the room"
        airtime.x_axis.scaling.orientation = "maxMin"  # the table's order, top to bottom
        airtime.y_axis.number_format = PERCENT
        airtime.add_data(
            Reference(sheet.worksheet, min_col=2, max_col=3, min_row=first - 1, max_row=last), titles_from_data=True
        )
        airtime.set_categories(Reference(sheet.worksheet, min_col=LABEL_COLUMN, min_row=first, max_row=last))
        paint(airtime, [palette.NOT_A_CODE_DARK, palette.NOT_A_CODE])  # not codes: greys
        if half.charts:  # beside the first
            half.column, half.row = ONE_CHART_COLUMN + ONE_CHART_COLUMNS // 2, charts_row
        half.add(below(readable(airtime)))
    whole = ChartStack(sheet, ONE_CHART_COLUMN, max(half.row, charts_row), ONE_MEETING_WIDTHS, height_cm=height)
    whole.width_cm = ONE_CHART_COLUMNS * column_cm(ONE_MEETING_WIDTHS[ONE_CHART_COLUMN - 1]) - 0.2
    first, last = item_rows
    if definitions and last >= first:
        by_item = indices_chart(
            BarChart(),
            f"{listed([index.short for index in definitions])} by agenda item",
            sheet.worksheet,
            [2 + position for position in range(len(definitions))],
            first,
            last,
            LABEL_COLUMN,
            [palette.index_colour(codebook, index) for index in definitions],
        )
        whole.add(below(readable(by_item)))
    last_column = ONE_CHART_COLUMN + ONE_CHART_COLUMNS - 1
    bottom = max(sheet.rows, whole.last_row if whole.charts else half.last_row)
    print_on_one_page(sheet.worksheet, last_column, bottom, tall=True)


def _named_table(
    sheet: Sheet, header: Sequence[str], rows: Sequence[Sequence[Any]], number_format: str
) -> tuple[int, int]:
    """A table of names (in full, wrapped) and numbers, the headings over their numbers; beside the page, each
    name as a chart shows it. Returns the first and last body rows."""
    sheet.next_row_height(2 * ROW_POINTS)  # the headings over the numbers wrap onto two lines
    sheet.append([*header, *[None] * (LABEL_COLUMN - 1 - len(header)), "Chart label"], font=BOLD, right_from=1)
    first = sheet.rows + 1
    name_width = ONE_MEETING_WIDTHS[0]
    for name, *values in rows:
        filler = [None] * (LABEL_COLUMN - 2 - len(values))
        lines = math.ceil(len(name) / (name_width + 4)) if name else 1  # text runs narrower than digits
        if lines > 1:
            sheet.next_row_height(ROW_POINTS * lines)
        sheet.worksheet.append(
            [
                sheet.cell(name, alignment=WRAPPED),
                *[sheet.cell(value, number_format) for value in values],
                *filler,
                sheet.cell(chart_label(name)),
            ]
        )
        sheet.rows += 1
    last = sheet.rows
    sheet.blank()
    return first, last
