"""The workbook toolkit every workbook is written with (the session, trend, agreement, sequences and calibration
workbooks): sheets and tables that keep typed text as text, with the sheets every workbook ends on (Codebook,
About). The charts and the printed pages laid over these sheets are ``pages.py``'s.

Written in openpyxl's write-only mode (rows stream to disk, memory stays flat), with computed values only:
every text an observer typed is written as text, never as a formula.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.writer.excel import ExcelWriter

from observer import __version__
from observer.analysis import metrics, tallies
from observer.analysis.definitions import metric_definitions
from observer.core.codebook_models import Codebook
from observer.core.columns import CODEBOOK_ROW, Column, Kind
from observer.core.models import SessionData
from observer.interop.export.records import FORMULA_STARTS, codebook_rows
from observer.interop.export.session_rows import (
    excel_time,
)
from observer.present import tables
from observer.privacy.naming import Naming
from observer.storage.files import atomic_replace

ChartT = TypeVar("ChartT", BarChart, LineChart)
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767
CUT_MARKER = " …[cut]"
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
PERCENT = "0%"
RATIO = "0.00"
DURATION = "[h]:mm:ss"
RATE = "0.0"
MINUTES = "0.0"
DATE = "yyyy-mm-dd"
P_VALUE = "0.000"
# How each kind of a table's column is formatted (typed text and seconds have their own treatment).
KIND_FORMATS = {
    Kind.RATIO: RATIO,
    Kind.PERCENT: PERCENT,
    Kind.RATE: RATE,
    Kind.MINUTES: MINUTES,
    Kind.P: P_VALUE,
}
BOLD = Font(bold=True)
MUTED = Font(italic=True, color="FF808080")  # a value not to be read as a test (too few pairs expected)
TITLE = Font(bold=True, size=14)
HEADLINE = Font(bold=True, size=13)  # the trend dashboard's one-sentence answer, per index
BIG_NUMBER = Font(bold=True, size=18)  # an index's value in the Summary's headline band
RIGHT = Alignment(horizontal="right", wrap_text=True)  # a heading over numbers: over them, wrapped
WRAPPED = Alignment(wrap_text=True, vertical="top")  # a name or title in full
CLEAR = Alignment(indent=2)  # words right after a column of numbers: a space between them, not touching


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
    def of(cls, shown: Sequence[Column], formats: dict[int, str]) -> ColumnKinds:
        return cls(
            text=tuple(i for i, column in enumerate(shown) if column.kind is Kind.TEXT),
            formatted=tuple(sorted(formats.items())),
        )


def number_format(column: Column) -> str | None:
    return DATE if column.kind is Kind.DATE else KIND_FORMATS.get(column.kind)


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

    def table(
        self,
        table: tables.ReportTable,
        name_width: int | None = None,
        label_column: int | None = None,
        fonts: Mapping[str, Font] | None = None,
        row_points: float | None = None,
        titled: bool = False,
    ) -> tuple[int, int]:
        """A table under a bold header, headings over numbers aligned right; returns its first and last body
        rows (for a chart), first > last when it has none. A blank heading shows the table's title (a page's
        tables have no title rows). ``name_width``: the first column's width, its typed names kept whole and
        wrapped in rows as tall as they need; ``label_column``: where to repeat each name as a chart shows it;
        ``fonts``: a font for a column's values (by id); ``row_points``: each body row's height; ``titled``: the
        title in a bold row of its own above the header."""
        fonts = fonts or {}
        if titled:
            self.append([table.title], font=BOLD)
        headings = [column.heading or ("" if titled else table.title) for column in table.columns]
        clear = self._clear_of_numbers(table)
        header = [
            self.cell(heading, font=BOLD, alignment=RIGHT if column.numeric else CLEAR if place in clear else None)
            for place, (heading, column) in enumerate(zip(headings, table.columns, strict=True))
        ]
        if label_column is not None:
            header += [None] * (label_column - 1 - len(header)) + [self.cell("Chart label", font=BOLD)]
        if name_width is not None:
            self.next_row_height(2 * ROW_POINTS)  # the headings over the numbers wrap onto two lines
        self.worksheet.append(header)
        self.rows += 1
        first = self.rows + 1
        for position, row in enumerate(table.rows):
            cells = [
                self._table_cell(
                    column,
                    value,
                    name_width,
                    self._font(table, position, place, fonts.get(column.id)),
                    place in clear,
                )
                for place, (column, value) in enumerate(zip(table.columns, row, strict=True))
            ]
            name = row[0] if row and isinstance(row[0], str) else ""
            if row_points is not None:
                self.next_row_height(row_points)
            elif name_width is not None:
                lines = math.ceil(len(name) / (name_width + 4)) if name else 1  # text runs narrower than digits
                if lines > 1:
                    self.next_row_height(ROW_POINTS * lines)
            if label_column is not None:
                cells += [None] * (label_column - 1 - len(cells)) + [self.cell(chart_label(name))]
            self.worksheet.append(cells)
            self.rows += 1
        last = self.rows
        if not table.rows and table.empty:
            self.append([table.empty])
        return first, last

    @staticmethod
    def _clear_of_numbers(table: tables.ReportTable) -> set[int]:
        """The columns of words that follow a column of numbers (aligned right, to its edge): indented."""
        return {
            place
            for place in range(1, len(table.columns))
            if table.columns[place - 1].numeric and table.columns[place].kind is Kind.WORDS
        }

    @staticmethod
    def _font(table: tables.ReportTable, row: int, column: int, font: Font | None) -> Font | None:
        if (row, column) in table.strong:
            return BOLD
        return MUTED if (row, column) in table.muted else font

    def _table_cell(
        self, column: Column, value: Any, name_width: int | None, font: Font | None, clear: bool = False
    ) -> Any:
        kind = column.kind
        if clear:
            return self.cell(value, number_format(column), font, CLEAR)
        if kind is Kind.TEXT:
            return self.cell(value, font=font, alignment=WRAPPED if name_width is not None else None)
        if kind is Kind.CLOCK_HMS:  # a length of the session clock: a duration, as the terminal's h:mm:ss
            return self.cell(None if value is None else value / 86400, DURATION, font)
        return self.cell(value, number_format(column), font)

    def bullets(self, sentences: Sequence[str]) -> None:
        """Sentences one to a row, as a list: "• …." (a bullet first, so never read as a formula)."""
        for sentence in sentences:
            self.append([f"• {sentence}."])


class DataSheet:
    """A data sheet filled row by row: bold frozen header, autofilter, formats and widths by column, and
    continuation sheets past Excel's row limit."""

    def __init__(
        self,
        book: BookWriter,
        name: str,
        shown: Sequence[Column],
        in_words: bool = True,
        typed: Sequence[str] = (),
        typed_format: str | None = None,
    ) -> None:
        self.book, self.name, self.columns = book, name, list(shown)
        # What the header row shows: words for a reader, or the tidy ids (the Contributions sheet, like the CSV);
        # then any typed names as they were typed (an organisation called "pfi" is not the index).
        headings = [column.heading if in_words else column.id for column in shown]
        self.shown = [*headings, *typed]
        self.formats = {i: fmt for i, column in enumerate(shown) if (fmt := number_format(column)) is not None}
        if typed_format is not None:
            self.formats |= {len(shown) + i: typed_format for i in range(len(typed))}
        self.kinds = ColumnKinds.of(shown, self.formats)
        self.widths = [column.width or max(10, min(40, len(h) + 2)) for column, h in zip(shown, headings, strict=True)]
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

    def finish(self) -> DataSheet:
        last = get_column_letter(max(1, len(self.columns)))
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

    def data_sheet(
        self,
        name: str,
        shown: Sequence[Column],
        rows: Iterable[Sequence[Any]] = (),
        in_words: bool = True,
        typed: Sequence[str] = (),
        typed_format: str | None = None,
    ) -> DataSheet:
        """A data sheet of ``shown`` columns (``columns.py``: heading, format, width and text-ness from each).
        ``typed``: columns after them headed by names a person typed (organisations), shown as typed and never
        read as a column id, each with ``typed_format``."""
        sheet = DataSheet(self, name, shown, in_words, typed, typed_format)
        sheet.extend(rows)
        return sheet

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


ROW_CM = 20 / 96 * 2.54  # Excel's default row: 15 points, 20 pixels
ROW_POINTS = 15.0


def column_cm(width: float) -> float:
    """A column of ``width`` characters in centimetres, as Excel and LibreOffice draw it (7-pixel digits)."""
    return (width * 7 + 5) / 96 * 2.54


CHART_LABEL_LIMIT = 30  # characters of a name a chart shows as a category or in its legend


def chart_label(name: str) -> str:
    """A name as a chart shows it: whole up to CHART_LABEL_LIMIT characters, cut with "…" beyond."""
    return name if len(name) <= CHART_LABEL_LIMIT else f"{name[: CHART_LABEL_LIMIT - 1]}…"


def codebook_sheet(book: BookWriter, codebooks: list[Codebook]) -> None:
    rows = codebook_rows(codebooks)
    book.data_sheet("Codebook", CODEBOOK_ROW, rows).finish()


def about_sheet(book: BookWriter, sessions: list[SessionData], naming: Naming, kind: str) -> None:
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
        shown_as = "yyyy-mm-dd hh:mm:ss" if isinstance(value, dt.datetime) else None  # a count is no date
        sheet.worksheet.append([sheet.cell(label, font=BOLD), sheet.cell(value, shown_as)])
        sheet.rows += 1
    for note in book.notes:
        sheet.append(["Continuation", note])
    sheet.blank()
    sheet.append(["Metric definitions"], font=BOLD)
    frozen = [d.session.codebook for d in sessions]
    has_coordinator_flag = any(metrics.COORDINATOR_FLAG in codebook.flag_ids for codebook in frozen)
    for name, definition in metric_definitions(tallies.declared_indices(frozen), has_coordinator_flag):
        sheet.append([name, definition])
