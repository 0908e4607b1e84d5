"""A workbook's pages (the session's Summary, the trend's dashboard): native charts in the palette, laid one
under another over a sheet fitted to print on one page. The sheets and tables they stand on are ``xlsx.py``'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.dimensions import SheetFormatProperties
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

from observer.interop.export.xlsx import ROW_CM, ROW_POINTS, BookWriter, Sheet, column_cm

ChartT = TypeVar("ChartT", BarChart, LineChart)
CHART_WIDTH_CM, CHART_HEIGHT_CM = 15.0, 7.0
CHART_TEXT_SIZE = 1100  # hundredths of a point: chart axes and legends at the page's own 11 points
CHART_TITLE_SIZE = 1300


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


def below(chart: ChartT) -> ChartT:
    """The legend under the plot: beside it, it takes a third of a half-width chart."""
    if chart.legend is not None:
        chart.legend.position = "b"
    return chart


def readable(chart: ChartT, legend: bool = True) -> ChartT:
    """Axis and legend text at the page's own size (at the print's scale, the default 10 points would print
    under 9), and a title at 13 points rather than 18, so that it leaves the plot its room."""

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


def indices_chart(
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
