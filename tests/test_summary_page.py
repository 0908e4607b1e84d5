"""The one-meeting Summary is one printed page for any meeting: long lists end "and N more", charts are sized to
their data and name every category. (bench/render.py prints it through LibreOffice to check the page count.)"""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from observer.interop.demo import crowded_meeting, generate_demo
from observer.interop.export import export_sessions
from observer.interop.export import xlsx as xlsx_module
from observer.storage import Archive

from .test_reports import PRINTABLE_HEIGHT_CM, PRINTABLE_WIDTH_CM, _check_one_page, _top_cm, _widths


def _fit_scale(sheet) -> float:
    """The scale a fit to one page prints at: the smaller of the width's and the height's."""
    _, _, max_col, max_row = range_boundaries(sheet.print_area.split("!")[-1].replace("$", ""))
    widths = _widths(sheet, max_col + 20)
    width = sum(xlsx_module.column_cm(w) for w in widths[:max_col])
    return min(1.0, PRINTABLE_WIDTH_CM / width, PRINTABLE_HEIGHT_CM / _top_cm(sheet, max_row + 1))


def _charts(sheet) -> dict[str, object]:
    return {chart.title.tx.rich.p[0].r[0].t: chart for chart in sheet._charts}


def test_a_crowded_meeting_fits_one_page_with_long_lists_cut_and_every_name_on_its_chart(tmp_path: Path) -> None:
    meeting = crowded_meeting()  # 40 people of 10 organisations, 12 agenda items, 600 contributions
    assert (len(meeting.session.participants), len(meeting.session.agenda_items), len(meeting.contributions)) == (
        40,
        12,
        600,
    )
    export_sessions([meeting], tmp_path / "crowded.xlsx")
    sheet = load_workbook(tmp_path / "crowded.xlsx")["Summary"]
    _check_one_page(sheet, one_meeting=True, long_page=True)  # one page, charts clear of every table
    first_cells = [row[0] for row in sheet.iter_rows(values_only=True) if row[0]]
    assert "and 4 more organisations" in first_cells and "and 6 more agenda items" in first_cells
    assert _fit_scale(sheet) >= 0.7  # 11-point text prints at 7.7 points or more (measured: 0.71)
    charts = _charts(sheet)
    airtime = charts["Airtime share (dark) against room share (light)"]
    assert airtime.legend is None and airtime.x_axis.tickLblSkip == 1
    by_item = charts["PFI and RI by agenda item"]
    assert by_item.type == "bar" and by_item.x_axis.tickLblSkip == 1
    for chart, shown in ((airtime, 6), (by_item, 6)):  # the rows the table shows, not its "and N more"
        category = chart.series[0].cat
        reference = (category.numRef or category.strRef).f
        _, first_row, _, last_row = range_boundaries(reference.split("!")[-1].replace("$", ""))
        assert last_row - first_row + 1 == shown
    # Every organisation's row is still on its own sheet.
    assert len(list(load_workbook(tmp_path / "crowded.xlsx")["Organisations"].iter_rows())) == 1 + 10


def test_the_seed_29_demo_meeting_fits_one_page(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    first_id = generate_demo(archive, sessions=4, contributions=160, seed=29)[0]
    export_sessions([archive.load(first_id)], tmp_path / "one.xlsx")
    sheet = load_workbook(tmp_path / "one.xlsx")["Summary"]
    _check_one_page(sheet, one_meeting=True, long_page=True)
    assert _fit_scale(sheet) >= 0.73  # measured: 0.74, 11-point text at 8.1 points
    # The three coordinator candidates are named in the sentences, not in a table of their own.
    values = [row[0] for row in sheet.iter_rows(values_only=True) if row[0]]
    assert "Coordinator candidates" not in values
    assert any(value.startswith("• Coordinator candidates: ") for value in values)
