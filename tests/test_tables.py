"""Each table is built once (``observer/present/tables.py``) and rendered by the terminal and by the workbook: both show
the same headings over the same values, each formatted by its column's kind."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.cell import Cell
from rich.console import Console
from rich.text import Text

from observer.analysis import agreement, calibration, metrics, sequences
from observer.analysis.trends import series_trend
from observer.core import columns
from observer.core.codebook_models import Codebook
from observer.interop.demo import generate_demo, second_observer
from observer.interop.export.xlsx import BookWriter
from observer.present import agreement_tables, sequence_tables, tables
from observer.present.report import rich_table
from observer.storage import Archive

EXPECTED_FORMATS = {
    tables.Kind.RATIO: "0.00",
    tables.Kind.PERCENT: "0%",
    tables.Kind.RATE: "0.0",
    tables.Kind.MINUTES: "0.0",
    tables.Kind.CLOCK_HMS: "[h]:mm:ss",
    tables.Kind.DATE: "yyyy-mm-dd",
    tables.Kind.P: "0.000",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tables.ReportTable]:
    archive = Archive(tmp_path_factory.mktemp("tables") / "data")
    ids = generate_demo(archive, sessions=3, contributions=120, seed=11)
    meetings = [archive.load(session_id) for session_id in ids]
    data = meetings[0]
    summary = metrics.summarise(data)
    codebook = data.session.codebook
    assert summary.quadrant is not None and summary.coordinator_candidates and summary.agenda
    trend = series_trend([m for m in meetings if m.session.series == data.session.series], data.session.series)
    names = {c.participant_id: c.name for c in summary.coordinator_candidates}
    series = [m for m in meetings if m.session.series == data.session.series]
    lag = sequences.lag_table(series, "orientation", 1)
    after = sequences.after_flag(series, "coordinator", permutations=99, seed=1)
    comparison = agreement.compare(data, second_observer(data, 0.2, seed=2))
    matched = next(row for row in comparison.dimensions if row.matched is not None)
    assert matched.matched is not None
    trainee = second_observer(data, 0.2, seed=3)
    scored = calibration.calibrate(data, trainee)
    labels = {d.id: d.label for d in codebook.dimensions} | {f.id: f.label for f in codebook.flags}
    first_dimension = next(iter(scored.dimensions))
    third = second_observer(data, 0.3, seed=4)
    third = third.model_copy(update={"session": third.session.model_copy(update={"id": "third"})})
    matrix = agreement.pairwise([data, trainee, third])
    return {
        "headline": tables.headline(summary, codebook),
        "quadrant": tables.quadrant(summary.quadrant, codebook),
        "organisations": tables.organisations(summary, codebook),
        "participants": tables.participants(summary.participants, codebook),
        "agenda": tables.agenda(summary.agenda, codebook),
        "flags": tables.flags(summary.flag_counts, summary.flags_per_hour, codebook),
        "candidates": tables.coordinator_candidates(summary.coordinator_candidates, names.__getitem__),
        "trend": tables.trend_meetings(trend),
        "trend airtime": tables.trend_airtime(trend),
        "lag counts": sequence_tables.counts(lag),
        "residuals": sequence_tables.lag_square(
            lag, "z", lambda t: t.adjusted_residual, tables.Kind.RATIO, mute_untestable=True
        ),
        "transitions": sequence_tables.transitions(lag),
        "after flag": sequence_tables.after_flag_comparison(after),
        "agreement": agreement_tables.by_dimension(comparison),
        "confusion": agreement_tables.confusion(comparison, matched.dimension, "contribution-matched", matched.matched),
        "calibration": agreement_tables.calibration_scores(scored, labels),
        "calibration matrix": agreement_tables.calibration_confusion("Orientation", scored.dimensions[first_dimension]),
        "sessions": tables.session_list(archive.summaries()[0]),
        "pairwise": agreement_tables.pairwise_kappa(matrix, "orientation"),
    }


def _terminal(table: tables.ReportTable) -> tuple[list[str], list[list[Text]]]:
    """Headings and cells as the terminal prints them, the bars drawn beside shares and indices left out."""
    shown = rich_table(table)
    Console(width=400, file=io.StringIO()).print(shown)  # it renders
    columns = iter(shown.columns)
    headings, cells = [], []
    for column in table.columns:
        rendered = next(columns)
        headings.append(str(rendered.header))
        cells.append([cell for cell in rendered.cells if isinstance(cell, Text)])
        if column.bar:
            next(columns)  # the bar
    assert next(columns, None) is None
    return headings, [list(row) for row in zip(*cells, strict=True)] if table.rows else []


def _workbook(table: tables.ReportTable, path: Path) -> tuple[list[str], list[list[Cell]]]:
    """The header and the body's cells as the workbook holds them, read back with openpyxl."""
    with BookWriter() as book:
        sheet = book.sheet("Table")
        sheet.table(table)
        book.save(path)
    rows = list(load_workbook(path).active.iter_rows())
    return [str(cell.value) for cell in rows[0]], [list(row) for row in rows[1 : 1 + len(table.rows)]]


def _as_stored(column: tables.Column, value: Any) -> Any:
    """A workbook's value back as the table held it: seconds are stored as a fraction of a day, dates as dates."""
    if value is None:  # an empty cell: empty words, or no number
        return "" if column.kind in (tables.Kind.TEXT, tables.Kind.WORDS) else None
    if column.kind is tables.Kind.CLOCK_HMS:  # a duration: openpyxl reads it back as a timedelta
        return value.total_seconds() if isinstance(value, dt.timedelta) else value * 86400
    if column.kind is tables.Kind.DATE and isinstance(value, dt.datetime):
        return value.date()
    return value


@pytest.mark.parametrize(
    "name",
    [
        "headline",
        "quadrant",
        "organisations",
        "participants",
        "agenda",
        "flags",
        "candidates",
        "trend",
        "trend airtime",
        "lag counts",
        "residuals",
        "transitions",
        "after flag",
        "agreement",
        "confusion",
        "calibration",
        "calibration matrix",
        "sessions",
        "pairwise",
    ],
)
def test_each_table_shows_the_same_headings_and_values_in_the_terminal_and_the_workbook(
    built: dict[str, tables.ReportTable], name: str, tmp_path: Path
) -> None:
    table = built[name]
    assert table.rows, "a table with rows, so that the values are compared"
    terminal_headings, terminal_cells = _terminal(table)
    book_headings, book_cells = _workbook(table, tmp_path / "table.xlsx")

    # The terminal has less room: a column's short heading where it has one (both from the column, never the data).
    assert terminal_headings == [column.short or column.heading for column in table.columns]
    assert book_headings[: len(table.columns)] == [column.heading or table.title for column in table.columns]
    for position, (row, terminal_row, book_row) in enumerate(zip(table.rows, terminal_cells, book_cells, strict=True)):
        for place, (column, value, printed, cell) in enumerate(
            zip(table.columns, row, terminal_row, book_row[: len(row)], strict=True)
        ):
            kept = _as_stored(column, cell.value)
            if isinstance(value, float) and kept is not None:
                assert kept == pytest.approx(value)
            else:
                assert kept == value
            assert printed.plain == tables.shown(column, value) == tables.shown(column, kept)
            if column.kind in EXPECTED_FORMATS and value is not None:
                assert cell.number_format == EXPECTED_FORMATS[column.kind]
            # What stands out is bold, what is not to be read as a test greyed, in both.
            strong, muted = (position, place) in table.strong, (position, place) in table.muted
            assert (str(printed.style) == "bold") is strong and bool(cell.font.b) is strong
            grey = cell.font.color is not None and cell.font.color.rgb == "FF808080"
            assert (str(printed.style) == "dim") is muted and grey is (muted and value is not None)  # empty: blank


def test_hand_counted_table_values(tmp_path: Path) -> None:
    """The builders put each number under its own heading: checked by hand on a small meeting."""
    from observer.core.codebooks import resolve_codebook
    from observer.interop.roster import RosterEntry, build_session
    from observer.live.coding import CodingSession

    codebook = resolve_codebook("partnership", None)
    session = build_session(
        title="Small",
        codebook=codebook,
        meeting_date=dt.date(2026, 3, 2),
        roster=[RosterEntry("Ann", "Council"), RosterEntry("Bo", "Trust"), RosterEntry("Cy", "Trust")],
    )
    archive = Archive(tmp_path / "data")
    start = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    with archive.create_session(session) as store:
        coding = CodingSession(store)
        for second, person, orientation in (
            (0, 0, "partnership_first"),
            (60, 1, "org_first"),
            (90, 0, "partnership_first"),
        ):
            moment = start + dt.timedelta(seconds=second)
            coding.speak(moment, participant_id=session.participants[person].id)
            coding.set_code(moment, "orientation", orientation)
        coding.end_session(start + dt.timedelta(seconds=120))
    summary = metrics.summarise(archive.load(session.id))
    organisations = tables.organisations(summary, codebook)
    assert [column.heading for column in organisations.columns[:7]] == [
        "Organisation",
        "People present",
        "Contributions",
        "Airtime",
        "Share of airtime",
        "Share of the room",
        "Airtime ratio",
    ]
    council = next(row for row in organisations.rows if row[0] == "Council")
    # Ann spoke 0–60 s and 90–120 s: 90 of the 120 s; one of the three people present.
    assert council[1:7] == (1, 2, 90.0, 0.75, pytest.approx(1 / 3), pytest.approx(0.75 / (1 / 3)))
    pfi = tables.headline(summary, codebook).rows[0]
    assert pfi[0] == "Partnership-first (PFI)" and pfi[1] == pytest.approx(2 / 3)
    # The live panel's 2×2 without its totals; the page's with them, the same counts.
    assert summary.quadrant is not None
    quadrant = tables.quadrant(summary.quadrant, codebook)
    assert quadrant.rows[-1][0] == "total"
    assert tables.quadrant(summary.quadrant, codebook, totals=False).rows == quadrant.rows[:-1]


def test_a_narrow_terminal_keeps_names_whole_and_leaves_out_what_a_reader_can_do_without(
    built: dict[str, tables.ReportTable],
) -> None:
    """80 columns squeezed every column of the organisations table and cut its names to five letters; now the
    bars go first, then the columns marked optional, and each name is read whole. A wide terminal has them all."""
    from observer.present.report import Fitted

    table = built["organisations"]
    names = [row[0] for row in table.rows]

    def printed(width: int) -> str:
        console = Console(width=width, file=io.StringIO(), record=True)
        console.print(Fitted(table))
        return console.export_text()

    narrow, wide = printed(80), printed(200)
    assert all(f"│ {name}" in narrow for name in names), narrow  # each name whole on one line
    assert "Airtime %" in narrow and "Room %" in narrow and "Present" not in narrow and "█" not in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert all(column.narrow_heading in wide for column in table.columns) and "█" in wide


def test_the_session_list_prints_a_line_a_session_with_every_id_whole(partnership: Codebook) -> None:
    """`observer sessions` on an 80-column terminal: long, wide (CJK, emoji) and hostile titles are cut to fit,
    the numbers, dates and ids never (an id is what a person types next)."""
    from dataclasses import dataclass

    from rich.cells import cell_len

    from observer.core.models import Session
    from observer.present.report import plain_lines

    from .conftest import make_session

    @dataclass
    class Listed:
        session: Session
        contributions: int
        observed_s: float

    titles = ["Board", "A" * 200, "王小明的会议王小明的会议王小明的会议", "🏥" * 40, "Evil \u202e[bold]x\x1b[2J"]
    listed = [
        # As stored (a forged or old file): no validation stands between the title and the screen.
        Listed(make_session(partnership).model_copy(update={"id": f"s{n:012d}", "title": title}), 1234 * n, 3600.0 * n)
        for n, title in enumerate(titles)
    ]
    lines = plain_lines(tables.session_list(listed), 80)
    assert len(lines) == 1 + len(titles)
    assert all(cell_len(line) <= 80 for line in lines), [cell_len(line) for line in lines]
    for n, line in enumerate(lines[1:]):
        assert line.endswith(f"s{n:012d}") and f"{1234 * n:,}" in line
    assert "…" in lines[2] and "\u202e" not in lines[5] and "\x1b" not in lines[5] and "[bold]x" in lines[5]


def test_a_column_id_means_one_thing_in_every_table(built: dict[str, tables.ReportTable]) -> None:
    """An id names one concept wherever it appears: a table a person reads that shows a column of the registry's
    (``core/columns.py``) holds the same kind of value under it (seconds, shown as h:mm:ss, are still seconds),
    and two declarations of one id in the registry agree on its heading and kind. A terminal's "flag" column of
    labels beside the tidy table's "flag" column of ids would be two concepts under one name."""
    same_quantity = {tables.Kind.CLOCK_HMS: tables.Kind.CLOCK_SECONDS}
    declared: dict[str, tables.Column] = {}
    for column in columns.DECLARED:
        first = declared.setdefault(column.id, column)
        assert (first.heading, first.kind) == (column.heading, column.kind), column.id
    clashes = [
        (name, column.id, column.kind, declared[column.id].kind)
        for name, table in built.items()
        for column in table.columns
        if column.id in declared and same_quantity.get(column.kind, column.kind) is not declared[column.id].kind
    ]
    assert clashes == [], "\n".join(map(str, clashes))


def test_each_sheets_typed_row_holds_its_declared_columns_in_order() -> None:
    """The session workbook's rows are built from typed values whose fields are the registry's columns, in the
    registry's order: a value cannot slip under another column's heading."""
    import dataclasses

    from observer.interop.export import session_rows

    for values, declared in (
        (session_rows.OrganisationValues, columns.ORGANISATION_ROW),
        (session_rows.ParticipantValues, columns.PARTICIPANT_ROW),
        (session_rows.TimelineValues, columns.TIMELINE_ROW),
        (session_rows.FlagValues, columns.FLAG_ROW),
    ):
        assert [field.name for field in dataclasses.fields(values)] == [column.id for column in declared]
