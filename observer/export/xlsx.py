"""Excel workbooks: the session workbook and the trend workbook, with native charts.

Written in openpyxl's write-only mode (rows stream to disk, memory stays flat), with computed values only:
every text an observer typed is written as text, never as a formula.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.dimensions import RowDimension, SheetFormatProperties
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.writer.excel import ExcelWriter

from observer import __version__, metrics, palette, story
from observer.clock import format_clock
from observer.export.records import FORMULA_STARTS, TYPED_TEXT_COLUMNS, Naming, tidy_columns
from observer.export.session_rows import (
    ORGANISATION_COLUMNS,
    PARTICIPANT_COLUMNS,
    TIMELINE_COLUMNS,
    Digest,
    excel_time,
    rows_of_sessions,
)
from observer.files import atomic_replace, scratch_dir_beside
from observer.models import Codebook, IndexDefinition, SessionData
from observer.text import listed, plural

ChartT = TypeVar("ChartT", BarChart, LineChart)
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767
CUT_MARKER = " …[cut]"
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
PERCENT = "0%"
RATIO = "0.00"
SECONDS = "0.000"
DURATION = "[h]:mm:ss"
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADLINE = Font(bold=True, size=13)  # the trend dashboard's one-sentence answer, per index
BIG_NUMBER = Font(bold=True, size=18)  # an index's value in the Summary's headline band
RIGHT = Alignment(horizontal="right", wrap_text=True)  # a heading over numbers: over them, wrapped
WRAPPED = Alignment(wrap_text=True, vertical="top")  # a name or title in full

# Column ids as a reader sees them in the workbook's headers (the CSV and the Contributions sheet keep the ids).
HEADINGS = {
    "session_id": "Session",
    "meeting_date": "Meeting date",
    "title": "Title",
    "contributions": "Contributions",
    "observed_minutes": "Observed minutes",
    "flags_per_hour": "Flags per hour",
    "organisation_id": "Organisation id",
    "organisation": "Organisation",
    "participant_id": "Participant id",
    "participant": "Participant",
    "present": "Present",
    "attendees_present": "People present",
    "share_of_room": "Share of the room",
    "share_contributions": "Share of contributions",
    "airtime_s": "Airtime (s)",
    "share_airtime": "Share of airtime",
    "airtime_share": "Share of airtime",
    "participation_ratio": "Participation ratio",
    "airtime_ratio": "Airtime ratio",
    "coordinator_candidate": "Coordinator candidate",
    "label": "Label",
    "start_s": "Start (s)",
    "end_s": "End (s)",
    "flags": "Flags",
    "flag": "Flag",
    "count": "Count",
    "per_hour": "Per hour",
    "codebook": "Codebook",
    "version": "Version",
    "kind": "Kind",
    "dimension": "Dimension",
    "code": "Code",
    "key": "Key",
    "group": "Group",
    "description": "Description",
}


def index_headings(definitions: Sequence[IndexDefinition]) -> dict[str, str]:
    """Each index's columns in words: "Partnership-first (PFI)", "Partnership-first (PFI) by time"."""
    headings = {}
    for index in definitions:
        headings[index.id] = index.heading
        headings[metrics.time_key(index.id)] = f"{index.heading} by time"
    return headings


def flag_headings(codebooks: Iterable[Codebook]) -> dict[str, str]:
    return {f"flag_{flag.id}": f"Flag: {flag.label}" for codebook in codebooks for flag in codebook.flags}


def metric_definitions(
    indices: list[IndexDefinition],
    has_coordinator_flag: bool,
    coordinator: metrics.CoordinatorSettings | None = None,
    bin_s: float = metrics.DEFAULT_BIN_SECONDS,
) -> list[tuple[str, str]]:
    """The definitions the About sheet prints, from the codebooks' indices and the numbers the metrics use."""
    lines = [
        ("Session clock", "Observed time: starts at 0 when coding starts and stands still while paused."),
        (
            "Contribution end",
            "The next contribution's start, the moment the clock was paused, or the session end, whichever comes "
            "first.",
        ),
        ("share_v", "Contributions coded v / contributions coded in that dimension (uncoded are outside)."),
    ]
    for index in indices:
        counted = " + ".join(index.counts) if len(index.counts) == 1 else f"({' + '.join(index.counts)})"
        lines.append(
            (
                index.short,
                f"{index.label} index ({index.id}): {counted} / ({' + '.join(index.counts + index.against)}), on "
                f"{index.dimension}. Other codes and uncoded contributions are outside it. "
                f"{metrics.time_key(index.id)} uses durations.",
            )
        )
    lines += [
        ("Flags per hour", "Flag count / (observed time in hours)."),
        ("Share of room", "An organisation's attendees present at any time / all attendees present."),
        (
            "Participation ratio",
            "Share of contributions / share of room (1.0 = speaks in proportion to its size). "
            "Airtime ratio: the same with airtime.",
        ),
    ]
    coordinator = coordinator or metrics.CoordinatorSettings()
    by_index = next((i for i in indices if i.id == metrics.COORDINATOR_INDEX), None)
    reasons = []
    if by_index is not None:
        coded = " or ".join(by_index.counts + by_index.against)
        threshold = f"{by_index.short} >= {coordinator.min_pfi:g}"
        reasons.append(f"at least {coordinator.min_coded} contributions coded {coded} with {threshold}")
    if has_coordinator_flag:
        reasons.append(f"at least {coordinator.min_coordinator_flags} '{metrics.COORDINATOR_FLAG}' flags")
    if reasons:
        text = ", or ".join(reasons)
        lines.append(("Coordinator candidates", f"{text[0].upper()}{text[1:]}."))
    over = metrics.OVERREPRESENTED_AIRTIME_RATIO
    lines += [
        ("Timeline", f"A contribution belongs to the agenda item or {bin_s / 60:g}-minute bin in which it starts."),
        (
            "What we saw",
            "Sentences by fixed rules, each said only past its threshold: an organisation whose airtime ratio is at "
            f"least {over:g} (or at most 1/{over:g}), "
            f"or that was present and silent; an index's balance over at least {story.MIN_INDEX_CONTRIBUTIONS} "
            f"contributions inside it ('mostly' at or beyond {story.MOSTLY_BELOW:g} and {story.MOSTLY_ABOVE:g}); the "
            f"least and most agenda items, each with at least {story.MIN_ITEM_CONTRIBUTIONS} contributions inside "
            f"the first index and {story.MIN_ITEM_SPREAD:g} apart; the coordinator candidates; the most frequent "
            f"flag, from {story.MIN_FLAGS} times.",
        ),
        (
            "Change between meetings",
            "A pooled two-proportion z-test of an index's counts in the two meetings: beyond chance where p < "
            f"{story.CHANGE_P:g}, within noise otherwise, and too few contributions to tell where either side of "
            f"the index expects fewer than {story.MIN_EXPECTED} contributions in a meeting.",
        ),
        ("Trend slope", "Least-squares change per meeting of the index over the sessions of a series."),
        ("Blank cells", "A value whose denominator is zero is undefined and left blank, never shown as 0."),
    ]
    return lines


def safe_text(value: str) -> str:
    """Text Excel can store: illegal control characters removed, over-long text cut with a marker."""
    # Printable text has none of the control characters Excel refuses: skip the regex for it.
    cleaned = value if value.isprintable() else ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(cleaned) > EXCEL_MAX_TEXT:
        cleaned = cleaned[: EXCEL_MAX_TEXT - len(CUT_MARKER)] + CUT_MARKER
    return cleaned


def sheet_title(name: str, taken: set[str]) -> str:
    """A legal, unique sheet name: no []:*?/\\, at most 31 characters."""
    base = SHEET_NAME_FORBIDDEN.sub("_", name).strip("'") or "Sheet"
    base = base[:31]
    candidate, counter = base, 2
    while candidate.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({counter})"
        candidate = base[: 31 - len(suffix)] + suffix
        counter += 1
    taken.add(candidate)
    return candidate


@dataclass(frozen=True)
class ColumnKinds:
    """Which columns of a table need more than handing the value to openpyxl (the rest are ids, codes and
    numbers, written as they are)."""

    text: tuple[int, ...]  # typed by a person: kept storable and never a formula
    formatted: tuple[tuple[int, str], ...]  # a number format

    @classmethod
    def of(cls, header: Sequence[str], formats: dict[int, str]) -> ColumnKinds:
        return cls(
            text=tuple(i for i, column in enumerate(header) if column in TYPED_TEXT_COLUMNS),
            formatted=tuple(sorted(formats.items())),
        )


@dataclass
class Sheet:
    """A write-only sheet that counts its rows, formats cells by column, and keeps typed text as text."""

    book: BookWriter
    worksheet: WriteOnlyWorksheet
    formats: dict[int, str] = field(default_factory=dict)
    kinds: ColumnKinds | None = None  # table sheets; None: every value goes through cell()
    rows: int = 0

    def cell(
        self,
        value: Any,
        number_format: str | None = None,
        font: Font | None = None,
        alignment: Alignment | None = None,
    ) -> Any:
        if isinstance(value, str):
            value = safe_text(value)
            formula_like = value.startswith(FORMULA_STARTS)
            if formula_like or font is not None or alignment is not None:
                cell = WriteOnlyCell(self.worksheet, value=value)
                cell.data_type = "s"  # typed text, never a formula
                if formula_like:
                    cell.quotePrefix = True  # and edited in Excel, it stays text
                if font is not None:
                    cell.font = font
                if alignment is not None:
                    cell.alignment = alignment
                return cell
            return value
        if isinstance(value, dt.datetime):
            value = excel_time(value)
        if (number_format is None and font is None) or value is None:
            return value
        cell = WriteOnlyCell(self.worksheet, value=value)
        if number_format is not None:
            cell.number_format = number_format
        if font is not None:
            cell.font = font
        return cell

    def append(self, values: Sequence[Any], font: Font | None = None, right_from: int | None = None) -> int:
        """Write a row; returns its 1-based row number. ``right_from``: the cells from that column on are
        aligned right (headings over numbers)."""
        kinds = self.kinds
        if font is not None or kinds is None:
            row = [
                self.cell(
                    value,
                    self.formats.get(index),
                    font,
                    RIGHT if right_from is not None and index >= right_from else None,
                )
                for index, value in enumerate(values)
            ]
        else:
            # Table rows are most of a workbook: only the columns that need it go through cell().
            row = list(values)
            width = len(row)
            for index in kinds.text:
                if index < width:
                    value = row[index]
                    # Short printable text that cannot be read as a formula is written as it is.
                    if type(value) is str and (
                        value.startswith(FORMULA_STARTS) or len(value) > EXCEL_MAX_TEXT or not value.isprintable()
                    ):
                        row[index] = self.cell(value)
            for index, number_format in kinds.formatted:
                if index < width and row[index] is not None:
                    row[index] = self.cell(row[index], number_format)
        self.worksheet.append(row)
        self.rows += 1
        return self.rows

    def blank(self) -> None:
        self.append([])

    def paragraph(self, text: str, last_column: int, font: Font | None = None, line_characters: int = 165) -> None:
        """A sentence across the page: one cell merged from A to ``last_column``, wrapped, as tall as its lines
        (``line_characters``: about how many of its characters a line of that width holds)."""
        points = (font.sz if font is not None and font.sz else 11) * 1.4
        self.next_row_height(points * max(1, math.ceil(len(text) / line_characters)))
        row = self.rows + 1
        self.worksheet.merged_cells.add(CellRange(min_col=1, min_row=row, max_col=last_column, max_row=row))
        cell = self.cell(text, font=font or Font(), alignment=WRAPPED)
        self.worksheet.append([cell])
        self.rows += 1

    def next_row_height(self, points: float) -> None:
        """The next row's height: a write-only sheet's rows are not sized to their text by every reader, so a
        large number or a wrapped name would run into the row below."""
        row = self.rows + 1
        self.worksheet.row_dimensions[row] = RowDimension(self.worksheet, index=row, ht=points, customHeight=True)

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> tuple[int, int]:
        """A small table under a bold header, then a blank row; returns its first and last body rows (for a
        chart), first > last when it has none."""
        self.append(header, font=BOLD, right_from=1)
        first = self.rows + 1
        for row in rows:
            self.worksheet.append([self.cell(value) for value in row])
            self.rows += 1
        last = self.rows
        self.blank()
        return first, last

    def bullets(self, sentences: Sequence[str]) -> None:
        """Sentences one to a row, as a list: "• …." (a bullet first, so never read as a formula)."""
        for sentence in sentences:
            self.append([f"• {sentence}."])


class Table:
    """A data sheet filled row by row: bold frozen header, autofilter, formats by column, and continuation
    sheets past Excel's row limit."""

    def __init__(
        self,
        book: BookWriter,
        name: str,
        header: list[str],
        formats: dict[str, str] | None = None,
        widths: dict[str, int] | None = None,
        in_words: bool = True,
        typed: Sequence[str] = (),
        typed_format: str | None = None,
    ) -> None:
        self.book, self.name, self.header = book, name, header
        # What the header row shows: words for a reader, or the tidy ids (the Contributions sheet, like the CSV);
        # then any typed names as they were typed (an organisation called "pfi" is not the index).
        shown = [book.headings.get(c) or HEADINGS.get(c, c) for c in header] if in_words else list(header)
        self.shown = [*shown, *typed]
        formats = formats or {}
        self.formats = {i: formats[c] for i, c in enumerate(header) if c in formats}
        if typed_format is not None:
            self.formats |= {len(header) + i: typed_format for i in range(len(typed))}
        self.kinds = ColumnKinds.of(header, self.formats)
        self.widths = [(widths or {}).get(c, max(10, min(40, len(w) + 2))) for c, w in zip(header, shown, strict=True)]
        self.widths += [max(10, min(40, len(name) + 2)) for name in typed]
        self.sheets: list[Sheet] = []
        self.current = self._start(name)

    def _start(self, title: str) -> Sheet:
        sheet = self.book.sheet(title, self.widths)
        sheet.worksheet.freeze_panes = "A2"
        sheet.append(self.shown, font=BOLD)
        sheet.formats, sheet.kinds = self.formats, self.kinds
        self.sheets.append(sheet)
        return sheet

    @property
    def first(self) -> Sheet:
        return self.sheets[0]

    def append(self, row: Sequence[Any]) -> None:
        if self.current.rows >= EXCEL_MAX_ROWS:
            self.current = self._start(f"{self.name} ({len(self.sheets) + 1})")
        self.current.append(row)

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.append(row)

    def finish(self) -> Table:
        last = get_column_letter(max(1, len(self.header)))
        for sheet in self.sheets:
            sheet.worksheet.auto_filter.ref = f"A1:{last}{max(2, sheet.rows)}"
        if len(self.sheets) > 1:
            self.book.notes.append(
                f"{self.name}: more than {EXCEL_MAX_ROWS - 1:,} rows; continued on "
                + ", ".join(s.worksheet.title for s in self.sheets[1:])
            )
        return self


class BookWriter:
    """A write-only workbook; used as a context manager, so that a failed export leaves nothing behind."""

    def __init__(self) -> None:
        self.workbook = Workbook(write_only=True)
        self.titles: set[str] = set()
        self.notes: list[str] = []
        self.headings: dict[str, str] = {}  # this workbook's own column words (its indices and flags)

    def __enter__(self) -> BookWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        if error is not None:
            self.discard()

    def discard(self) -> None:
        """Close every sheet's stream and delete its temporary file now. Left to the garbage collector, the
        half-written streams would complain on stderr (over the app's screen) at some later moment."""
        for worksheet in self.workbook.worksheets:
            writer = getattr(worksheet, "_writer", None)  # openpyxl's per-sheet temporary file, if started
            if writer is None:
                continue
            with contextlib.suppress(Exception):  # already closed by a save that failed later
                worksheet.close()
            with contextlib.suppress(OSError, ValueError):  # already removed
                writer.cleanup()

    def sheet(self, name: str, widths: Sequence[int] = ()) -> Sheet:
        worksheet = self.workbook.create_sheet(sheet_title(name, self.titles))
        for index, width in enumerate(widths, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = width
        return Sheet(self, worksheet)

    def table(
        self,
        name: str,
        header: list[str],
        rows: Iterable[Sequence[Any]] = (),
        formats: dict[str, str] | None = None,
        widths: dict[str, int] | None = None,
        in_words: bool = True,
        typed: Sequence[str] = (),
        typed_format: str | None = None,
    ) -> Table:
        """``typed``: columns after ``header`` headed by names a person typed (organisations), shown as typed
        and never read as a column id, each with ``typed_format``."""
        table = Table(self, name, header, formats, widths, in_words, typed, typed_format)
        table.extend(rows)
        return table

    def save(self, path: Path) -> None:
        def write(handle: BinaryIO) -> None:
            # openpyxl's own save leaves a failed archive to the garbage collector, which then tries to finish
            # it on a closed file and prints "Exception ignored in ZipFile.__del__" over the user's screen.
            archive = ZipFile(handle, "w", ZIP_DEFLATED, allowZip64=True)
            try:
                ExcelWriter(self.workbook, archive).save()
            except BaseException:
                archive.fp = None  # abandoned: nothing more may be written to it
                raise

        atomic_replace(path, write)


# ---------------------------------------------------------------- the session workbook

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
        _codebook_sheet(book, codebooks)
        _fill_summary(summary_sheet, digests, naming, definitions)
        _about_sheet(book, [d.header for d in digests], naming, "session workbook")
        book.save(path)


# The Summary sheet: tables in columns A–H, charts stacked in J onwards, all on one A4 landscape page.
SUMMARY_WIDTHS = [34, 24, 20] + [12] * 5 + [2] + [12] * 7  # B and C: the worded headers the charts name
CHART_COLUMN = 10  # J: clear of the tables, and of the sentences above the charts (they spill to the right)
CHART_WIDTH_CM, CHART_HEIGHT_CM = 15.0, 7.0
ROW_CM = 20 / 96 * 2.54  # Excel's default row: 15 points, 20 pixels
ROW_POINTS = 15.0


def column_cm(width: float) -> float:
    """A column of ``width`` characters in centimetres, as Excel and LibreOffice draw it (7-pixel digits)."""
    return (width * 7 + 5) / 96 * 2.54


@dataclass
class ChartStack:
    """Charts one under another from a cell, each the same size, with a row between them."""

    sheet: Sheet
    column: int
    row: int
    widths: Sequence[int]
    width_cm: float = CHART_WIDTH_CM
    height_cm: float = CHART_HEIGHT_CM
    charts: int = 0

    def add(self, chart: BarChart | LineChart) -> None:
        chart.width, chart.height = self.width_cm, self.height_cm
        self.sheet.worksheet.add_chart(chart, f"{get_column_letter(self.column)}{self.row}")
        self.row += math.ceil(self.height_cm / ROW_CM) + 1
        self.charts += 1

    @property
    def last_column(self) -> int:
        covered, column = 0.0, self.column
        while covered < self.width_cm and column <= len(self.widths):
            covered += column_cm(self.widths[column - 1])
            column += 1
        return column - 1

    @property
    def last_row(self) -> int:
        return self.row - 2 if self.charts else self.row


def fitted_sheet(book: BookWriter, name: str, widths: Sequence[int]) -> Sheet:
    """A sheet whose print is fitted to the page: said before its first row, which is when a write-only sheet
    writes its properties (set later, the fit would be silently left out)."""
    sheet = book.sheet(name, widths)
    sheet.worksheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    # Excel's own row height, said outright: another spreadsheet's default (LibreOffice's is 12.8 points) would
    # make the rows shorter than the charts laid out over them.
    sheet.worksheet.sheet_format = SheetFormatProperties(defaultRowHeight=ROW_POINTS, customHeight=True)
    return sheet


def print_on_one_page(worksheet: WriteOnlyWorksheet, last_column: int, last_row: int, tall: bool = False) -> None:
    """A4 landscape, fitted to one page (to one page wide only, when ``tall``), with the title row repeated."""
    worksheet.page_setup.orientation = "landscape"
    worksheet.page_setup.paperSize = "9"  # A4
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0 if tall else 1
    worksheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5, header=0.2, footer=0.2)
    worksheet.print_area = f"A1:{get_column_letter(last_column)}{last_row}"
    worksheet.print_title_rows = "1:1"


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
        by_session = _indices_chart(
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
CHART_TEXT_SIZE = 1100  # hundredths of a point: chart axes and legends at the page's own 11 points
CHART_TITLE_SIZE = 1300


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
        plural(len(summary.organisations), "organisation"),
        f"observer {session.observer}" if session.observer else "",
        f"codebook {session.codebook.name} {session.codebook.version}",
    ]
    sheet.append([" · ".join(fact for fact in facts if fact)])
    sheet.blank()
    if definitions:  # the band: each index large, with what it means
        sheet.append(["Index", "By count", "By time", "What it is"], font=BOLD, right_from=1)
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
    quadrant_first = _quadrant_table(sheet, quadrant, quadrant.title(codebook)) if quadrant is not None else 0
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
        half.add(below(readable(_quadrant_chart(sheet, quadrant, quadrant.title(codebook), quadrant_first, codebook))))
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
        by_item = _indices_chart(
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


def below(chart: ChartT) -> ChartT:
    """The legend under the plot: beside it, it takes a third of a half-width chart."""
    if chart.legend is not None:
        chart.legend.position = "b"
    return chart


def readable(chart: ChartT, legend: bool = True) -> ChartT:
    """Axis and legend text at the page's own size (at the print's scale, the default 10 points would print
    under 9), and a title at 13 points rather than 18, so that it leaves the plot its room."""
    from openpyxl.chart.text import RichText, Text
    from openpyxl.chart.title import Title
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun

    def text(size: int = CHART_TEXT_SIZE, bold: bool | None = None, words: str | None = None) -> RichText:
        properties = CharacterProperties(sz=size, b=bold)
        runs = [RegularTextRun(t=words, rPr=properties)] if words is not None else []
        return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=properties), r=runs, endParaRPr=properties)])

    if chart.title is not None:
        words = "".join(run.t for paragraph in chart.title.tx.rich.p for run in paragraph.r or [])
        chart.title = Title(tx=Text(rich=text(CHART_TITLE_SIZE, True, words)), overlay=False)
    chart.x_axis.txPr = text()
    chart.y_axis.txPr = text()
    if legend and chart.legend is not None:
        chart.legend.txPr = text()
    return chart


def _indices_chart(
    chart: ChartT,
    title: str,
    worksheet: Any,
    value_columns: list[int],
    first_row: int,
    last_row: int,
    category_column: int,
    colours: Sequence[str],
) -> ChartT:
    """A chart of indices (0 to 1): one series per value column, titled by its header in the row above, each
    in its index's colour."""
    chart.title = title
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    for column in value_columns:
        chart.add_data(
            Reference(worksheet, min_col=column, min_row=first_row - 1, max_row=last_row), titles_from_data=True
        )
    chart.set_categories(Reference(worksheet, min_col=category_column, min_row=first_row, max_row=last_row))
    paint(chart, colours)
    return chart


CHART_LABEL_LIMIT = 30  # characters of a name a chart shows as a category or in its legend


def chart_label(name: str) -> str:
    """A name as a chart shows it: whole up to CHART_LABEL_LIMIT characters, cut with "…" beyond."""
    return name if len(name) <= CHART_LABEL_LIMIT else f"{name[: CHART_LABEL_LIMIT - 1]}…"


def paint(chart: BarChart | LineChart, colours: Sequence[str]) -> None:
    """Each series in its colour (palette.py): a bar's fill, or a line and its markers."""
    if isinstance(chart, LineChart):
        for series in chart.series:
            series.smooth = False  # straight lines between meetings: a curve would invent values between them
    for series, colour in zip(chart.series, colours, strict=False):
        rgb = colour.lstrip("#")
        properties = series.graphicalProperties
        properties.line.solidFill = rgb
        if isinstance(chart, LineChart):
            properties.line.width = 28575  # 2.25 pt, in EMU
            series.marker.symbol = "circle"
            series.marker.graphicalProperties.solidFill = rgb
            series.marker.graphicalProperties.line.solidFill = rgb
        else:
            properties.solidFill = rgb


def _codebook_sheet(book: BookWriter, codebooks: list[Codebook]) -> None:
    seen: set[tuple[str, str]] = set()
    rows: list[list[Any]] = []
    for codebook in codebooks:
        if (codebook.name, codebook.version) in seen:
            continue
        seen.add((codebook.name, codebook.version))
        for dimension in codebook.dimensions:
            for code in dimension.codes:
                rows.append(
                    [
                        codebook.name,
                        codebook.version,
                        "dimension",
                        dimension.id,
                        code.id,
                        code.key,
                        code.label,
                        code.group or "",
                        code.description,
                    ]
                )
        for flag in codebook.flags:
            rows.append(
                [codebook.name, codebook.version, "flag", "", flag.id, flag.key, flag.label, "", flag.description]
            )
    book.table(
        "Codebook",
        ["codebook", "version", "kind", "dimension", "code", "key", "label", "group", "description"],
        rows,
        widths={"label": 24, "description": 80, "code": 22},
    ).finish()


def _about_sheet(book: BookWriter, sessions: list[SessionData], naming: Naming, kind: str) -> None:
    sheet = book.sheet("About", [28, 100])
    sheet.append([f"observer {kind}"], font=TITLE)
    codebooks = sorted({f"{d.session.codebook.name} {d.session.codebook.version}" for d in sessions})
    for label, value in [
        ("Tool", f"observer {__version__}"),
        ("Exported at (UTC)", dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)),
        ("Codebook", ", ".join(codebooks)),
        ("Sessions", len(sessions)),
        ("Pseudonymised", "yes: participants P01…, organisations O01…" if naming.pseudonymised else "no"),
        ("Notes", "included" if naming.keep_notes else "dropped"),
        ("Times", "start_s/end_s/duration_s: seconds on the session clock; wall_time: UTC"),
    ]:
        sheet.worksheet.append([sheet.cell(label, font=BOLD), sheet.cell(value, "yyyy-mm-dd hh:mm:ss")])
        sheet.rows += 1
    for note in book.notes:
        sheet.append(["Continuation", note])
    sheet.blank()
    sheet.append(["Metric definitions"], font=BOLD)
    frozen = [d.session.codebook for d in sessions]
    has_coordinator_flag = any(metrics.COORDINATOR_FLAG in codebook.flag_ids for codebook in frozen)
    for name, definition in metric_definitions(metrics.declared_indices(frozen), has_coordinator_flag):
        sheet.append([name, definition])


# ---------------------------------------------------------------- the trend workbook

TREND_COLUMNS = [
    "session_id",
    "meeting_date",
    "title",
    "contributions",
    "observed_minutes",
]  # then each index of the series by count, each by time, then "flags_per_hour"


def write_trend_workbook(trend: metrics.Trend, headers: list[SessionData], path: Path, naming: Naming) -> None:
    """``headers``: the series' sessions (contributions not needed), for names and the About sheet.

    The first sheet is the coordinator's dashboard (the changes in words, then the charts, on one page); the
    tables it draws on follow."""
    index_keys = trend.index_keys
    definitions = trend.index_definitions
    with scratch_dir_beside(path), BookWriter() as book:
        book.headings |= index_headings(definitions)
        dashboard = fitted_sheet(book, "Dashboard", DASHBOARD_WIDTHS)
        dates = f"{trend.rows[0].meeting_date} to {trend.rows[-1].meeting_date}" if trend.rows else "no meetings"
        meetings_said = f"{len(trend.rows)} meeting{'' if len(trend.rows) == 1 else 's'}"
        dashboard.append([f"{trend.series or '(no series)'}: {meetings_said}, {dates}"], font=TITLE)
        page = len(DASHBOARD_WIDTHS)
        if trend.left_out:
            dashboard.paragraph(f"{story.left_out_sentence(trend)}.", page)
        dashboard.blank()
        for sentence in story.trend_sentences(trend):  # the headline: the trend over every meeting
            dashboard.paragraph(f"{sentence}.", page, HEADLINE, line_characters=125)
        for sentence in story.change_sentences(trend):
            dashboard.paragraph(f"• {sentence}.", page)
        tests = story.page_tests(trend)
        dashboard.paragraph(
            f"A real rise or fall: the Cochran–Armitage test over every meeting; beyond chance between two "
            f"meetings: a two-proportion test of the counts; each p multiplied by the {tests} tests on this page "
            f"(Bonferroni) and compared with {story.CHANGE_P:g}. Every meeting-to-meeting change: the Change sheet.",
            page,
        )
        dashboard.blank()
        charts_row = dashboard.rows + 1

        trend_rows = [
            [
                row.session_id,
                row.meeting_date,
                row.title,
                row.contributions,
                row.observed_minutes,
                *[row.indices[key] for key in index_keys],
                row.flags_per_hour,
            ]
            for row in trend.rows
        ]
        meetings = (
            book.table(
                "Meetings",
                [*TREND_COLUMNS, *index_keys, "flags_per_hour"],
                trend_rows,
                {"meeting_date": "yyyy-mm-dd", "observed_minutes": "0.0", "flags_per_hour": "0.0"}
                | dict.fromkeys(index_keys, RATIO),
                {"title": 34},
            )
            .finish()
            .first
        )
        _change_sheet(book, trend)
        by_id = {data.session.id: data for data in headers}
        organisation_names = {}
        for organisation_id, name in trend.organisations.items():
            data = next((d for d in headers if d.session.organisation(organisation_id)), None)
            organisation_names[organisation_id] = naming.organisation(data, organisation_id)[1] if data else name

        # Long format for analysis, wide format for the charts.
        long_rows = [
            [
                row.session_id,
                row.meeting_date,
                naming.organisation(by_id[row.session_id], oid)[0],
                organisation_names[oid],
                row.organisation_airtime_share.get(oid),
                row.organisation_participation_ratio.get(oid),
                *[row.organisation_indices.get(oid, {}).get(index.id) for index in definitions],
            ]
            for row in trend.rows
            for oid in trend.organisations
            if oid in row.organisation_airtime_share
        ]
        book.table(
            "Organisations",
            [
                "session_id",
                "meeting_date",
                "organisation_id",
                "organisation",
                "airtime_share",
                "participation_ratio",
                *[index.id for index in definitions],
            ],
            long_rows,
            {"meeting_date": "yyyy-mm-dd", "airtime_share": PERCENT, "participation_ratio": RATIO}
            | {index.id: RATIO for index in definitions},
            {"organisation": 30},
        ).finish()
        # Most airtime first: the charts draw the first few, in colours no index on the page has.
        index_colours = palette.index_colours(trend.codebooks)
        line_colours = palette.colours_apart(index_colours[index.id] for index in definitions)[:MAX_ORGANISATION_LINES]
        ranked = sorted(
            trend.organisations,
            key=lambda oid: -sum(row.organisation_airtime_share.get(oid) or 0.0 for row in trend.rows),
        )
        names = [chart_label(organisation_names[oid]) for oid in ranked]  # the charts' legends
        wide_header = ["meeting_date"]
        airtime_wide = (
            book.table(
                "Airtime by organisation",
                wide_header,
                [
                    [row.meeting_date, *[row.organisation_airtime_share.get(oid) for oid in ranked]]
                    for row in trend.rows
                ],
                {"meeting_date": "yyyy-mm-dd"},
                typed=names,
                typed_format=PERCENT,
            )
            .finish()
            .first
        )
        first_index = definitions[0] if definitions else None
        index_wide = None
        if first_index is not None:
            index_wide = (
                book.table(
                    f"{first_index.short} by organisation",
                    wide_header,
                    [
                        [
                            row.meeting_date,
                            *[row.organisation_indices.get(oid, {}).get(first_index.id) for oid in ranked],
                        ]
                        for row in trend.rows
                    ],
                    {"meeting_date": "yyyy-mm-dd"},
                    typed=names,
                    typed_format=RATIO,
                )
                .finish()
                .first
            )

        charts = []
        if trend.rows and definitions:
            charts.append(
                _indices_chart(
                    LineChart(),
                    f"{listed([index.short for index in definitions])} over meetings",
                    meetings.worksheet,
                    [len(TREND_COLUMNS) + 1 + position for position in range(len(definitions))],
                    2,
                    meetings.rows,
                    2,
                    [index_colours[index.id] for index in definitions],
                )
            )
        drawn = min(len(ranked), len(line_colours))
        some = f" (the {drawn} of {len(ranked)} with most airtime)" if drawn < len(ranked) else ""
        if trend.rows and drawn:
            chart = _by_organisation_chart(f"Share of airtime by organisation{some}", airtime_wide, drawn, line_colours)
            chart.y_axis.number_format = PERCENT
            charts.append(chart)
            if index_wide is not None and first_index is not None:
                title = f"{first_index.heading} by organisation{some}"
                chart = _by_organisation_chart(title, index_wide, drawn, line_colours)
                chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
                charts.append(chart)
        last_row = _place_dashboard_charts(dashboard, charts, charts_row, trend.rows)
        print_on_one_page(dashboard.worksheet, len(DASHBOARD_WIDTHS), last_row)
        _about_sheet(book, headers, naming, "trend workbook")
        book.save(path)


# The dashboard: equal columns; the indices' chart on the left half, the organisations' two on the right half
# one above the other; as tall as makes the page A4 landscape's shape, so that the charts fill it.
DASHBOARD_WIDTHS = [12] * 12
DASHBOARD_CHART_COLUMNS = 6
PAGE_HEIGHT_OVER_WIDTH = (21.0 - 2 * 1.27) / (29.7 - 2 * 1.016)  # A4 landscape less the margins
MIN_CHART_CM = 6.0
MAX_ORGANISATION_LINES = 6
MAX_DATE_LABELS = 6  # on a half-width chart: more and "12 Jan 26" would wrap


def _place_dashboard_charts(dashboard: Sheet, charts: list[LineChart], first_row: int, rows: list[Any]) -> int:
    """Lays the charts out under the words; returns the page's last row."""
    if not charts:
        return dashboard.rows
    width_cm = sum(column_cm(width) for width in DASHBOARD_WIDTHS)
    words_cm = (first_row - 1) * ROW_CM + sum(
        (dimension.ht or 15) / 72 * 2.54 - ROW_CM
        for index, dimension in dashboard.worksheet.row_dimensions.items()
        if index < first_row
    )
    charts_cm = max(2 * MIN_CHART_CM, width_cm * PAGE_HEIGHT_OVER_WIDTH - words_cm)
    half_cm = DASHBOARD_CHART_COLUMNS * column_cm(DASHBOARD_WIDTHS[0]) - 0.3
    rows_tall = math.floor(charts_cm / ROW_CM)
    skip = max(1, math.ceil(len(rows) / MAX_DATE_LABELS))
    places = [(1, first_row, rows_tall)]  # the indices: left, the whole height
    upper = rows_tall // 2
    places += [
        (1 + DASHBOARD_CHART_COLUMNS, first_row, upper - 1),
        (1 + DASHBOARD_CHART_COLUMNS, first_row + upper, upper - 1),
    ]
    last_row = first_row
    for chart, (column, row, tall) in zip(charts, places, strict=False):
        # A legend of six organisations keeps the default size: larger, it would take a column a name.
        readable(chart, legend=chart is charts[0])
        chart.x_axis.number_format = "d mmm yy"  # short: never wraps
        chart.x_axis.tickLblSkip = skip
        chart.width, chart.height = half_cm, tall * ROW_CM - 0.2
        dashboard.worksheet.add_chart(chart, f"{get_column_letter(column)}{row}")
        last_row = max(last_row, row + tall - 1)
    return last_row


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


def _change_sheet(book: BookWriter, trend: metrics.Trend) -> None:
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
