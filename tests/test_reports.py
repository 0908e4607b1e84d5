"""Reports people read: the sentences' rules on meetings worked out by hand, honest change between meetings,
the one-page Summary and Dashboard, and one colour per code."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from observer.analysis import metrics, story, trends
from observer.core.codebook_models import Codebook
from observer.core.models import (
    AgendaItem,
    Attendance,
    Contribution,
    Organisation,
    Participant,
    Session,
    SessionData,
    SessionStatus,
)
from observer.interop.export import ExportOptions, export_sessions, export_trends, session_workbook, trend_workbook
from observer.interop.export import xlsx as xlsx_module
from observer.present import palette
from observer.storage import Archive

from .conftest import at
from .meetings import ORGS, empty_meeting, hand_meeting

PEOPLE = [
    Participant(id="a1", name="Ann", organisation_id="council"),
    Participant(id="t1", name="Cath", organisation_id="trust"),
    Participant(id="t2", name="Tom", organisation_id="trust"),
    Participant(id="t3", name="Una", organisation_id="trust"),
    Participant(id="v1", name="Dev", organisation_id="vol"),
]
ORGANISATION_OF = {person.id: person.organisation_id for person in PEOPLE}
ORG, PF, NEU = "org_first", "partnership_first", "neutral"
TRANS, REL = "transactional", "relational"


@dataclass(frozen=True)
class Talk:
    who: str
    seconds: float
    orientation: str | None = None
    topic: str | None = None
    flags: tuple[str, ...] = ()


def built(
    codebook: Codebook,
    talk: list[Talk],
    present: list[str],
    items: Sequence[tuple[str, float]] = (),
    session_id: str = "s-built",
    date: dt.date = dt.date(2026, 5, 4),
) -> SessionData:
    """Contributions back to back from 0 s, each lasting its ``seconds``; the meeting ends with the last."""
    contributions, start = [], 0.0
    for number, said in enumerate(talk, 1):
        codes = {dimension: code for dimension, code in (("orientation", said.orientation), ("topic", said.topic))}
        contributions.append(
            Contribution(
                id=f"c{number}",
                start_s=start,
                wall_time=at(start),
                participant_id=said.who,
                organisation_id=ORGANISATION_OF[said.who],
                codes={dimension: code for dimension, code in codes.items() if code},
                flags=list(said.flags),
            )
        )
        start += said.seconds
    session = Session(
        id=session_id,
        title="Built meeting",
        series="Built",
        meeting_date=date,
        codebook=codebook,
        organisations=ORGS,
        participants=PEOPLE,
        attendance=[Attendance(participant_id=person) for person in present],
        agenda_items=[
            AgendaItem(id=f"a{n}", title=title, start_s=when, wall_time=at(when))
            for n, (title, when) in enumerate(items)
        ],
        status=SessionStatus.ENDED,
        started_at=at(0),
        clock_elapsed_s=start,
        ended_s=start,
    )
    return SessionData(session=session, contributions=contributions)


def sentences(data: SessionData) -> list[str]:
    return story.session_sentences(metrics.summarise(data), data)


def about(sentences: list[str], start: str) -> list[str]:
    return [sentence for sentence in sentences if sentence.startswith(start)]


# ---------------------------------------------------------------- airtime against share of the room


def test_airtime_far_from_the_share_of_the_room_is_said_both_ways(partnership: Codebook) -> None:
    # 4 present: council 1 (25%), trust 3 (75%). Council speaks 120 s of 200 (60%, ratio 2.4); trust 80 s (40%,
    # ratio 0.53, at or below 1/1.5).
    talk = [Talk("a1", 40), Talk("t1", 40), Talk("a1", 40), Talk("t2", 40), Talk("a1", 40)]
    said = sentences(built(partnership, talk, ["a1", "t1", "t2", "t3"]))
    assert said == [
        "City Council spoke for 60% of the time with 25% of the people present",
        "NHS Trust spoke for 40% of the time with 75% of the people present",
    ]


@pytest.mark.parametrize(
    ("council_seconds", "said"),
    [
        (75, ["City Council spoke for 38% of the time with 25% of the people present"]),  # ratio 1.5 exactly
        (74, []),  # ratio 1.48: not said
        (50, []),  # 25% with 25%: nothing to say
    ],
)
def test_airtime_threshold(partnership: Codebook, council_seconds: float, said: list[str]) -> None:
    talk = [Talk("a1", council_seconds), Talk("t1", 200 - council_seconds)]
    assert sentences(built(partnership, talk, ["a1", "t1", "t2", "t3"])) == said


def test_an_organisation_present_that_never_spoke_is_named(partnership: Codebook) -> None:
    # 3 present, one each: council 60% (ratio 1.8), trust 40% (1.2), Voluntary Alliance silent.
    said = sentences(built(partnership, [Talk("a1", 60), Talk("t1", 40)], ["a1", "t1", "v1"]))
    assert said == [
        "City Council spoke for 60% of the time with 33% of the people present",
        "Voluntary Alliance did not speak (1 person present)",
    ]


def test_one_organisation_in_the_room_gives_no_airtime_sentence(partnership: Codebook) -> None:
    assert sentences(built(partnership, [Talk("t1", 60), Talk("t2", 40)], ["t1", "t2"])) == []


# ---------------------------------------------------------------- balance of each index


@pytest.mark.parametrize(
    ("partnership_first", "said_count"),
    [
        # Each sentence counts in the direction it states.
        (
            4,
            "Talk was mostly organisation-first: 6 of the 10 contributions coded partnership-first or "
            "organisation-first were organisation-first",
        ),  # 0.40: at the "mostly" line
        (
            5,
            "Talk was balanced between partnership-first and organisation-first: 5 of the 10 contributions coded "
            "partnership-first or organisation-first were partnership-first",
        ),
        (
            6,
            "Talk was mostly partnership-first: 6 of the 10 contributions coded partnership-first or "
            "organisation-first were partnership-first",
        ),  # 0.60
    ],
)
def test_balance_of_the_first_index(partnership: Codebook, partnership_first: int, said_count: str) -> None:
    orientations = [PF] * partnership_first + [ORG] * (10 - partnership_first)
    talk = [Talk("a1" if n % 2 else "t1", 30, orientation) for n, orientation in enumerate(orientations)]
    said = sentences(built(partnership, talk, ["a1", "t1"]))
    assert said == [f"{said_count} (PFI {partnership_first / 10:.2f})"]


def test_balance_needs_ten_contributions_inside_the_index(partnership: Codebook) -> None:
    # 9 oriented contributions (all organisation-first) and one neutral: PFI is 0.00, over too few to say.
    orientations = [ORG] * 9 + [NEU]
    talk = [Talk("a1" if n % 2 else "t1", 30, orientation) for n, orientation in enumerate(orientations)]
    assert sentences(built(partnership, talk, ["a1", "t1"])) == []


def test_balance_of_transactional_and_relational_talk(partnership: Codebook) -> None:
    topics = [TRANS] * 8 + [REL] * 3  # RI = 3/11 = 0.27
    talk = [Talk("a1" if n % 2 else "t1", 30, None, topic) for n, topic in enumerate(topics)]
    assert about(sentences(built(partnership, talk, ["a1", "t1"])), "Talk") == [
        "Talk was mostly transactional: 8 of the 11 contributions coded relational or transactional were "
        "transactional (RI 0.27)"
    ]


# ---------------------------------------------------------------- agenda items


def _agenda_meeting(partnership: Codebook, budget: list[str], discharge: list[str]) -> SessionData:
    talk = [Talk("a1" if n % 2 else "t1", 20, o) for n, o in enumerate(budget + discharge)]
    return built(partnership, talk, ["a1", "t1"], [("Budget", 0), ("Discharge", 20 * len(budget))])


def test_least_and_most_partnership_first_agenda_items(partnership: Codebook) -> None:
    data = _agenda_meeting(partnership, [PF] + [ORG] * 4, [PF] * 4 + [ORG])  # PFI 0.20 and 0.80
    assert about(sentences(data), "'") == [
        "'Budget' was the least partnership-first agenda item (PFI 0.20) and 'Discharge' the most (0.80)"
    ]


@pytest.mark.parametrize(
    ("budget", "discharge"),
    [
        ([PF] + [ORG] * 4, [PF] * 3 + [ORG]),  # Discharge has 4 oriented contributions: too few
        ([PF] + [ORG] * 4, [PF] + [ORG] * 4 + [NEU]),  # both 0.20: no spread
        ([PF] * 2 + [ORG] * 3, [PF] * 3 + [ORG] * 3),  # 0.40 against 0.50: spread under 0.2
    ],
)
def test_agenda_items_are_compared_only_when_the_numbers_allow(
    partnership: Codebook, budget: list[str], discharge: list[str]
) -> None:
    assert about(sentences(_agenda_meeting(partnership, budget, discharge)), "'") == []


# ---------------------------------------------------------------- coordinator candidates and flags


def test_coordinator_candidates_and_the_most_frequent_flag(partnership: Codebook) -> None:
    # 360 s observed (0.1 h): Cath's 3 coordinator flags are 30 per hour; 2 governance shields are too few.
    talk = [
        Talk("t1", 40, flags=("coordinator",)),
        Talk("a1", 40, flags=("governance_shield",)),
        Talk("t1", 40, flags=("coordinator",)),
        Talk("a1", 40, flags=("governance_shield",)),
        Talk("t1", 40, flags=("coordinator",)),
        Talk("a1", 160),
    ]
    said = sentences(built(partnership, talk, ["a1", "t1", "t2"]))
    assert about(said, "Coordinator") == ["Coordinator candidate: Cath (3 coordinator flags)"]
    assert about(said, "The most") == ["The most frequent flag was Coordinator: 3 times, 30.0 per hour"]


def test_tied_flags_are_named_together_and_two_of_a_flag_say_nothing(partnership: Codebook) -> None:
    tied = [Talk("a1", 60, flags=("governance_shield", "decision_deferred"))] * 3 + [Talk("t1", 180)]
    said = sentences(built(partnership, tied, ["a1", "t1"]))
    assert about(said, "The most") == [
        "The most frequent flags were Governance shield and Decision deferred: 3 times each, 30.0 per hour"
    ]
    few = [Talk("t1", 60, flags=("coordinator",))] * 2 + [Talk("a1", 60)]
    said = sentences(built(partnership, few, ["a1", "t1"]))
    assert about(said, "The most") == []
    assert about(said, "Coordinator") == ["Coordinator candidate: Cath (2 coordinator flags)"]  # its own rule


def test_a_meeting_where_every_rule_fires_gives_at_most_seven_sentences(partnership: Codebook) -> None:
    orientations = ([PF] + [ORG] * 5) + ([PF] * 5 + [ORG])
    talk = [
        Talk("a1" if n % 3 else "t1", 20, o, REL if n % 4 else TRANS, ("coordinator",) if n % 3 == 0 else ())
        for n, o in enumerate(orientations)
    ]
    said = sentences(built(partnership, talk, ["a1", "t1", "t2", "t3", "v1"], [("Budget", 0), ("Discharge", 120)]))
    assert 3 <= len(said) <= story.MAX_SENTENCES
    assert all("\n" not in sentence and not sentence.endswith(".") for sentence in said)


def test_an_empty_meeting_says_nothing(partnership: Codebook) -> None:
    assert sentences(built(partnership, [], ["a1", "t1"])) == []


# ---------------------------------------------------------------- change between meetings


def test_two_proportion_test_worked_by_hand() -> None:
    # 30/100 against 50/100: pooled 0.4, SE = sqrt(0.4 × 0.6 × (1/100 + 1/100)) = 0.069282, z = 2.8868.
    z = 0.2 / math.sqrt(0.4 * 0.6 * 0.02)
    assert z == pytest.approx(2.8868, abs=1e-4)
    assert story.two_proportion_p(30, 100, 50, 100) == pytest.approx(0.003892, abs=1e-6)
    # 6/20 against 10/20: the same shares, SE = sqrt(0.24 × 0.1) = 0.15492, z = 1.2910, p = 0.1967.
    assert story.two_proportion_p(6, 20, 10, 20) == pytest.approx(0.1967, abs=1e-4)
    # Fewer than 5 expected on a side: 3/10 against 5/10 (10 × 0.4 = 4), 1/20 against 3/20 (20 × 0.1 = 2).
    assert story.two_proportion_p(3, 10, 5, 10) is None
    assert story.two_proportion_p(1, 20, 3, 20) is None
    assert story.two_proportion_p(0, 0, 5, 10) is None
    assert story.two_proportion_p(0, 100, 0, 100) is None


def _meetings(partnership: Codebook, shares: list[tuple[int, int]]) -> list[SessionData]:
    """One meeting per (partnership-first, oriented) pair, a week apart."""
    meetings = []
    for week, (counted, inside) in enumerate(shares):
        orientations = [PF] * counted + [ORG] * (inside - counted)
        talk = [Talk("a1" if n % 2 else "t1", 10, o) for n, o in enumerate(orientations)]
        date = dt.date(2026, 1, 5) + dt.timedelta(weeks=week)
        meetings.append(built(partnership, talk, ["a1", "t1"], session_id=f"s{week}", date=date))
    return meetings


def _series(partnership: Codebook, shares: list[tuple[int, int]]) -> trends.Trend:
    return trends.series_trend(_meetings(partnership, shares), "Built")


def test_a_rise_over_thirty_contributions_is_within_noise_and_over_hundreds_beyond_chance(
    partnership: Codebook,
) -> None:
    small = story.change_sentences(_series(partnership, [(9, 30), (15, 30)]))
    # 0.30 → 0.50 over 30 each: pooled 0.4, z = 0.2 / sqrt(0.24 × 2/30) = 1.581, p = 0.114.
    assert small[0] == (
        "Between the first meeting (2026-01-05) and the last (2026-01-12), Partnership-first (PFI) rose from 0.30 "
        "to 0.50: within noise (p = 0.11; 30 and 30 contributions coded for PFI)"
    )
    large = story.change_sentences(_series(partnership, [(60, 200), (100, 200)]))
    assert large[0].endswith(
        "rose from 0.30 to 0.50: beyond chance (p < 0.01; 200 and 200 contributions coded for PFI)"
    )


def test_change_since_the_previous_meeting_and_the_cases_without_a_test(partnership: Codebook) -> None:
    trend = _series(partnership, [(3, 10), (4, 20), (2, 4)])
    said = story.change_sentences(trend)
    pfi = [sentence for sentence in said if "(PFI)" in sentence]
    assert pfi[1] == (
        "Since the previous meeting (2026-01-12), Partnership-first (PFI) rose from 0.20 to 0.50: too few "
        "contributions to tell (20 and 4 contributions coded for PFI)"
    )
    # RI: no contribution coded for topic in any meeting.
    assert next(s for s in said if "(RI)" in s).endswith(
        "cannot be compared: a meeting has no contributions coded for it"
    )
    assert story.change_sentences(_series(partnership, [(3, 10)])) == [
        "Only one meeting so far (2026-01-05): no change to report yet"
    ]
    # 50/90 = 0.556 and 140/250 = 0.560 both read 0.56: not "rose from 0.56 to 0.56".
    assert story.change_sentences(_series(partnership, [(50, 90), (140, 250)]))[0].endswith(
        "Partnership-first (PFI) stayed at 0.56: within noise (p = 0.94; 90 and 250 contributions coded for PFI)"
    )
    steady = story.change(_series(partnership, [(0, 50), (0, 50)]), partnership.indices[0], 0, 1)
    assert steady.verdict == "no change" and steady.difference == 0  # all organisation-first, both times
    assert story.change(_series(partnership, [(0, 4), (0, 4)]), partnership.indices[0], 0, 1).verdict == (
        "too few contributions to tell"
    )


# ---------------------------------------------------------------- the workbooks as a reader prints them


def _cells_with_values(sheet) -> set[tuple[int, int]]:
    return {(cell.row, cell.column) for row in sheet.iter_rows() for cell in row if cell.value is not None}


EMU_PER_CM = 360_000


def _row_cm(sheet, row: int) -> float:
    return (sheet.row_dimensions[row].height or 15) / 72 * 2.54


def _top_cm(sheet, row: int) -> float:
    """Where a 1-based row starts, in centimetres from the top: rows given a height of their own count as such."""
    return sum(_row_cm(sheet, r) for r in range(1, row))


def _chart_boxes(sheet, widths: list[float]) -> list[tuple[float, float, float, float]]:
    """Each chart's box in centimetres (left, top, right, bottom) from its anchor cell and its size."""
    boxes = []
    for chart in sheet._charts:
        marker = chart.anchor._from
        left = sum(xlsx_module.column_cm(widths[c]) for c in range(marker.col))
        top = _top_cm(sheet, marker.row + 1)
        size = chart.anchor.ext  # in EMU; a chart read back has openpyxl's default width and height
        boxes.append((left, top, left + size.width / EMU_PER_CM, top + size.height / EMU_PER_CM))
    return boxes


def _cell_box(sheet, row: int, column: int, widths: list[float]) -> tuple[float, float, float, float]:
    left = sum(xlsx_module.column_cm(widths[c]) for c in range(column - 1))
    top = _top_cm(sheet, row)
    return (left, top, left + xlsx_module.column_cm(widths[column - 1]), top + _row_cm(sheet, row))


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] - 1e-6 and b[0] < a[2] - 1e-6 and a[1] < b[3] - 1e-6 and b[1] < a[3] - 1e-6


def _widths(sheet, count: int) -> list[float]:
    return [sheet.column_dimensions[get_column_letter(c)].width or 13 for c in range(1, count + 1)]


# A4 landscape less the margins the workbooks set (0.4 inch each side, 0.5 inch top and bottom), in cm.
PRINTABLE_WIDTH_CM, PRINTABLE_HEIGHT_CM = 29.7 - 2 * 1.016, 21.0 - 2 * 1.27


def _check_one_page(sheet, one_meeting: bool = False, long_page: bool = False) -> float:
    """A4 landscape, fitted to one page, charts inside the print area and clear of each other and of the
    cells that hold tables (the sentences' cells in column A may spill right, over nothing). The one-meeting
    Summary is fitted to one page too, and must fit one page's height at its width's scale (a fit to the page
    that shrinks it is a safety net, not the layout). Returns the scale it prints at."""
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 1)
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.page_margins.left == pytest.approx(0.4)
    area = sheet.print_area.split("!")[-1].replace("$", "")
    min_col, min_row, max_col, max_row = range_boundaries(area)
    assert (min_col, min_row) == (1, 1)
    widths = _widths(sheet, max_col + 20)
    page = (0.0, 0.0, sum(xlsx_module.column_cm(w) for w in widths[:max_col]), _top_cm(sheet, max_row + 1))
    scale = min(1.0, PRINTABLE_WIDTH_CM / page[2], PRINTABLE_HEIGHT_CM / page[3])
    if one_meeting:
        scale = min(1.0, PRINTABLE_WIDTH_CM / page[2])
        if not long_page:
            assert page[3] * scale <= PRINTABLE_HEIGHT_CM, "the one-meeting Summary goes on to a second page"
    boxes = _chart_boxes(sheet, widths)
    assert boxes
    for position, box in enumerate(boxes):
        assert box[0] >= 0 and box[1] >= 0 and box[2] <= page[2] + 1e-6 and box[3] <= page[3] + 1e-6, box
        for other in boxes[position + 1 :]:
            assert not _overlap(box, other)
    for row, column in _cells_with_values(sheet):
        if one_meeting and column == session_workbook.LABEL_COLUMN:
            continue  # beside the page: the names as the charts show them
        assert column <= max_col and row <= max_row
        for box in boxes:
            assert not _overlap(_cell_box(sheet, row, column, widths), box), (row, column, box)
    return scale


def test_the_session_summary_prints_on_one_page_with_its_charts_whole(tmp_path: Path, partnership: Codebook) -> None:
    path = tmp_path / "meeting.xlsx"
    export_sessions([hand_meeting(partnership)], path)
    book = load_workbook(path)
    assert book.sheetnames[0] == "Summary"
    summary = book["Summary"]
    _check_one_page(summary, one_meeting=True)
    texts = [row[0] for row in summary.iter_rows(values_only=True) if row[0]]
    assert texts[0] == "What we saw: Hand meeting"
    data = hand_meeting(partnership)
    expected = story.session_sentences(metrics.summarise(data), data)
    assert expected and [f"• {sentence}." for sentence in expected] == [t for t in texts if t.startswith("• ")]
    export_sessions([empty_meeting(partnership)], tmp_path / "empty.xlsx")  # no contributions: still one page
    _check_one_page(load_workbook(tmp_path / "empty.xlsx")["Summary"], one_meeting=True)
    legends = {chart.title.tx.rich.p[0].r[0].t: _legend(book, chart) for chart in summary._charts}
    assert legends == {
        "Contributions by orientation × topic (leaves out neutral and uncoded)": ["transactional", "relational"],
        "Airtime share (dark) against room share (light)": ["Share of airtime", "Share of the room"],
        "PFI and RI by agenda item": ["Partnership-first (PFI)", "Relational (RI)"],
    }


def test_the_summary_page_is_readable_in_print_and_keeps_agenda_titles_whole(
    tmp_path: Path, partnership: Codebook
) -> None:
    title = "Welcome and actions from October's meeting, including the estates review and the winter plan"
    data = hand_meeting(partnership).model_copy(deep=True)
    data.session.agenda_items[0].title = title
    export_sessions([data], tmp_path / "meeting.xlsx")
    summary = load_workbook(tmp_path / "meeting.xlsx")["Summary"]
    scale = _check_one_page(summary, one_meeting=True)
    # Nothing prints under 9 points on A4 landscape: every cell's text, and the charts' axes and legends.
    area = range_boundaries(summary.print_area.split("!")[-1].replace("$", ""))
    sizes = [
        cell.font.sz or 11
        for row in summary.iter_rows(max_col=area[2], max_row=area[3])
        for cell in row
        if cell.value is not None
    ]
    assert min(sizes) * scale >= 9, (min(sizes), scale)
    for chart in summary._charts:
        legend = [chart.legend.txPr] if chart.legend is not None else []  # the airtime's: said in its title
        for text in (chart.x_axis.txPr, chart.y_axis.txPr, *legend):
            assert text.p[0].pPr.defRPr.sz / 100 * scale >= 9
    rows = [list(row) for row in summary.iter_rows()]
    values = [[cell.value for cell in row] for row in rows]
    # The agenda item's title in full, wrapped in its cell; the chart shows it shortened.
    cell = next(row[0] for row in rows if row[0].value == title)
    assert cell.alignment.wrap_text
    assert summary.row_dimensions[cell.row].height >= 2 * 15
    # Headings over numbers stand over them: aligned right, as the numbers are.
    for heading in ("Agenda item", "Organisation", "Index"):
        header = next(row for row in rows if row[0].value == heading)
        words = (None, "What it is", "Chart label", "95% interval")
        numbers = [cell for cell in header[1:] if cell.value not in words]
        assert numbers and all(cell.alignment.horizontal == "right" for cell in numbers), heading
        assert all(cell.alignment.horizontal != "right" for cell in header if cell.value in ("What it is", heading))
    # The headline band: each index large, with a plain definition beside it.
    band = next(row for row in rows if row[0].value == "Partnership-first (PFI)")
    assert band[1].value == pytest.approx(0.5) and band[1].font.sz >= 16
    assert band[2].value == "(0.15–0.85)"  # its 95% Wilson interval, 2 of 4, beside it
    assert band[4].value == (
        "PFI: of the contributions that were organisation-first or partnership-first, "
        "the share that were partnership-first"
    )
    # The flags seen, most first, in one line across the page (the Flags sheet has every one).
    flags_line = next(v[0] for v in values if v[0] and v[0].startswith("Flags seen"))
    assert "Challenge" not in flags_line and " (" in flags_line
    # The words after a column of numbers stand clear of it.
    assert band[4].alignment.indent >= 1


def _legend(book, chart) -> list[str]:
    """The legend's words: each series' name, read from the cell it points at."""
    names = []
    for series in chart.series:
        sheet_name, cell = series.tx.strRef.f.rsplit("!", 1)
        names.append(book[sheet_name.strip("'")][cell.replace("$", "")].value)
    return names


def test_the_trend_dashboard_prints_on_one_page_and_says_what_changed(tmp_path: Path, partnership: Codebook) -> None:
    meetings = [hand_meeting(partnership, f"s{i}", dt.date(2026, i, 1)) for i in (1, 2, 3)]
    path = tmp_path / "trend.xlsx"
    trend = export_trends(meetings, "Hand", path, ExportOptions())
    book = load_workbook(path)
    dashboard = book["Dashboard"]
    assert book.sheetnames[0] == "Dashboard"
    _check_one_page(dashboard)
    texts = [row[0] for row in dashboard.iter_rows(values_only=True) if row[0]]
    assert texts[0] == "Hand: 3 meetings, 2026-01-01 to 2026-03-01"
    # The headline: each index over every meeting; then the changes between meetings.
    assert texts[1:3] == [f"{sentence}." for sentence in story.trend_sentences(trend)]
    assert texts[1] == (
        "Partnership-first (PFI) stayed level at 0.50 over 3 meetings: too few meetings to tell a trend: 3, and a "
        "trend needs 4."
    )
    assert texts[3 : 3 + 4] == [f"• {sentence}." for sentence in story.change_sentences(trend)]
    # The same 2 of 4 oriented contributions each time: too few to say anything, even that nothing changed.
    assert "stayed at 0.50: too few contributions to tell (4 and 4 contributions coded for PFI)" in texts[3]
    titles = [chart.title.tx.rich.p[0].r[0].t for chart in dashboard._charts]
    organisations = [o.name for o in meetings[0].session.organisations]
    # The indices, the airtime, then one small chart of PFI per organisation (most airtime first), each 0 to 1.
    assert titles[:2] == ["PFI and RI over meetings, with 95% intervals", "Share of airtime by organisation"]
    assert sorted(titles[2:]) == sorted(organisations)
    for chart in dashboard._charts[2:]:
        assert (chart.y_axis.scaling.min, chart.y_axis.scaling.max) == (0, 1) and len(chart.series) == 1
    assert any(
        row[6] == "Partnership-first (PFI) by organisation, each on 0 to 1"
        for row in dashboard.iter_rows(values_only=True)
    )
    meetings_header = [cell.value for cell in book["Meetings"][1]]
    assert "pfi" not in meetings_header and "Partnership-first (PFI)" in meetings_header
    change = [row for row in book["Change"].iter_rows(values_only=True)]
    heading = change.index(next(row for row in change if row[0] == "Index"))
    assert [row[0] for row in change[heading + 1 : heading + 4]] == [
        "Partnership-first (PFI) first → last",
        "Partnership-first (PFI)",
        "Partnership-first (PFI)",
    ]


def test_the_dashboard_fills_its_page_in_colours_no_index_has_and_dates_that_never_wrap(
    tmp_path: Path, partnership: Codebook
) -> None:
    from .meetings import contribution

    meetings = []
    for month in range(1, 11):  # ten meetings, each with seven more organisations speaking once
        data = hand_meeting(partnership, f"s{month}", dt.date(2026, month, 1)).model_copy(deep=True)
        session = data.session
        for extra in range(7):
            session.organisations.append(Organisation(id=f"x{extra}", name=f"Extra {extra}"))
        contributions = data.contributions
        for extra in range(7):  # after #6 at 200 s, before the end at 300 s; Extra 6 speaks longest
            contributions.append(contribution(10 + extra, 201 + extra, None, f"x{extra}", {}, wall=201 + extra + 300))
        meetings.append(data)
    path = tmp_path / "trend.xlsx"
    export_trends(meetings, "Hand", path, ExportOptions())
    book = load_workbook(path)
    dashboard = book["Dashboard"]
    scale = _check_one_page(dashboard)
    # The charts fill the page: at the print's scale it is nearly the page's width and height both.
    area = range_boundaries(dashboard.print_area.split("!")[-1].replace("$", ""))
    width = sum(xlsx_module.column_cm(w) for w in _widths(dashboard, area[2]))
    assert width * scale >= 0.95 * PRINTABLE_WIDTH_CM
    assert _top_cm(dashboard, area[3] + 1) * scale >= 0.9 * PRINTABLE_HEIGHT_CM
    charts = {chart.title.tx.rich.p[0].r[0].t: chart for chart in dashboard._charts}
    indices = charts.pop("PFI and RI over meetings, with 95% intervals")
    index_colours = {series.graphicalProperties.line.solidFill.srgbClr for series in indices.series}
    airtime = charts.pop("Share of airtime by organisation (the 6 of 10 with most airtime)")
    assert len(airtime.series) == 6  # ten organisations: the six with most airtime, and the title says so
    colours = [series.graphicalProperties.line.solidFill.srgbClr for series in airtime.series]
    assert len(set(colours)) == 6 and not set(colours) & index_colours
    # PFI by organisation: one small chart each for the eight with most airtime, on the same 0–1 scale.
    assert len(charts) == 8 and all(len(chart.series) == 1 for chart in charts.values())
    assert "Extra 6" in charts  # the one who spoke longest of the seven extra organisations
    heading = "Partnership-first (PFI) by organisation (the 8 of 10 with most airtime), each on 0 to 1"
    assert any(heading in row for row in dashboard.iter_rows(values_only=True))
    for chart in (indices, airtime):  # ten dates: every second labelled, short, so none wraps
        assert chart.x_axis.number_format.formatCode == "d mmm yy" and chart.x_axis.tickLblSkip == 2
    for chart in charts.values():  # a small chart: every fourth date, month and year
        assert chart.x_axis.number_format.formatCode == "mmm yy" and chart.x_axis.tickLblSkip == 4
    # The headline sentence across the page, wrapped, as tall as its lines.
    headline = next(cell for cell in dashboard["A"] if str(cell.value).startswith("Partnership-first (PFI)"))
    assert headline.alignment.wrap_text and headline.font.sz == 13
    assert any(
        merged.min_row == headline.row and merged.max_col == len(trend_workbook.DASHBOARD_WIDTHS)
        for merged in dashboard.merged_cells.ranges
    )


def test_organisations_named_like_column_ids_keep_their_names_as_typed(tmp_path: Path, partnership: Codebook) -> None:
    # The names of three columns of the trend workbook, typed as organisations' names.
    typed = ["session_id", "pfi", "airtime_share"]
    meetings = []
    for month in (1, 2):
        data = hand_meeting(partnership, f"s{month}", dt.date(2026, month, 1)).model_copy(deep=True)
        for organisation, name in zip(data.session.organisations, typed, strict=True):
            organisation.name = name
        meetings.append(data)
    export_trends(meetings, "Hand", tmp_path / "trend.xlsx", ExportOptions())
    export_sessions(meetings[:1], tmp_path / "one.xlsx")
    trend = load_workbook(tmp_path / "trend.xlsx")
    for sheet in ("Airtime by organisation", "PFI by organisation"):
        header = [cell.value for cell in trend[sheet][1]]
        assert header[0] == "Meeting date" and sorted(header[1:]) == sorted(typed), header
    legends = [name for chart in trend["Dashboard"]._charts[1:] for name in _legend(trend, chart)]
    assert sorted(legends) == sorted(typed * 2)
    assert {row[3] for row in trend["Organisations"].iter_rows(min_row=2, values_only=True)} == set(typed)
    one = load_workbook(tmp_path / "one.xlsx")
    assert {row[2] for row in one["Organisations"].iter_rows(min_row=2, values_only=True)} == set(typed)
    summary_names = [row[0] for row in one["Summary"].iter_rows(values_only=True)]
    assert all(name in summary_names for name in typed)


def test_no_formula_anywhere_in_either_workbook(tmp_path: Path, partnership: Codebook) -> None:
    hostile = "=cmd|' /C calc'!A0"  # typed as a series and a title: it starts the Dashboard's and Summary's titles
    meetings = [hand_meeting(partnership, f"s{i}", dt.date(2026, i, 1)).model_copy(deep=True) for i in (1, 2)]
    for data in meetings:
        data.session.series, data.session.title = hostile, "+1 board"
    export_sessions(meetings[:1], tmp_path / "one.xlsx")
    export_trends(meetings, hostile, tmp_path / "trend.xlsx", ExportOptions())
    assert load_workbook(tmp_path / "trend.xlsx")["Dashboard"]["A1"].value.startswith(hostile)
    for name in ("one.xlsx", "trend.xlsx"):
        for sheet in load_workbook(tmp_path / name).worksheets:
            for row in sheet.iter_rows():
                assert all(cell.data_type != "f" for cell in row), (name, sheet.title)


# ---------------------------------------------------------------- one colour per code


def test_each_code_keeps_one_colour_from_the_okabe_ito_palette(partnership: Codebook) -> None:
    colours = palette.code_colours(partnership)
    assert colours == {
        ("orientation", "org_first"): "#D55E00",
        ("orientation", "partnership_first"): "#009E73",
        ("orientation", "neutral"): "#CC79A7",
        ("topic", "transactional"): "#E69F00",
        ("topic", "relational"): "#0072B2",
    }
    assert palette.index_colours([partnership]) == {"pfi": "#009E73", "ri": "#0072B2"}


def test_workbook_charts_draw_each_code_and_index_in_its_colour(tmp_path: Path, partnership: Codebook) -> None:
    export_sessions([hand_meeting(partnership)], tmp_path / "one.xlsx")
    charts = {
        chart.title.tx.rich.p[0].r[0].t: chart for chart in load_workbook(tmp_path / "one.xlsx")["Summary"]._charts
    }
    fills = {title: [s.graphicalProperties.solidFill.srgbClr for s in c.series] for title, c in charts.items()}
    assert fills["Contributions by orientation × topic (leaves out neutral and uncoded)"] == [
        "E69F00",
        "0072B2",
    ]  # transactional, relational
    assert fills["PFI and RI by agenda item"] == ["009E73", "0072B2"]
    assert fills["Airtime share (dark) against room share (light)"] == ["555555", "999999"]  # not codes: grey
    export_trends([hand_meeting(partnership)], "Hand", tmp_path / "trend.xlsx", ExportOptions())
    line = load_workbook(tmp_path / "trend.xlsx")["Dashboard"]._charts[0]
    # Each index's line, then its interval's low and high bounds (a band) in the same colour.
    colours = ["009E73", "0072B2", "009E73", "009E73", "0072B2", "0072B2"]
    assert [s.graphicalProperties.line.solidFill.srgbClr for s in line.series] == colours


def test_pseudonymised_sentences_name_no_one(tmp_path: Path, partnership: Codebook) -> None:
    from observer.interop.export import export_options

    data = _agenda_meeting(partnership, [PF] + [ORG] * 4, [PF] * 4 + [ORG])
    assert any("'Budget'" in sentence for sentence in sentences(data))
    archive = Archive(tmp_path / "data")
    archive.add_session(data)
    sources = [archive.load(data.session.id)]
    export_sessions(sources, tmp_path / "p.xlsx", export_options(archive, sources, pseudonymise=True))
    summary = [row[0] for row in load_workbook(tmp_path / "p.xlsx")["Summary"].iter_rows(values_only=True)]
    said = " ".join(str(text) for text in summary if text)
    assert "'Item 1' was the least partnership-first agenda item" in said
    assert not any(word in said for word in ("Budget", "Discharge", "Built meeting", "City Council"))


async def test_the_end_of_meeting_screen_says_what_we_saw(tmp_path: Path, partnership: Codebook) -> None:
    from observer.tui.app import ObserverApp

    from .tui_helpers import FakeClock, review_from_home

    talk = [Talk("a1", 40), Talk("t1", 40), Talk("a1", 40), Talk("t2", 40), Talk("a1", 40)]
    data = built(partnership, talk, ["a1", "t1", "t2", "t3"])
    archive = Archive(tmp_path / "data")
    archive.add_session(data)
    app = ObserverApp(archive, clock=FakeClock())
    async with app.run_test(size=(160, 50)) as pilot:
        text = await review_from_home(pilot)
        assert "What we saw" in text
        for sentence in sentences(data):
            assert f"• {sentence}." in text


def test_observer_trends_says_what_changed_as_the_dashboard_does(tmp_path: Path, partnership: Codebook) -> None:
    from click.testing import CliRunner

    from observer.cli.main import main

    meetings = _meetings(partnership, [(60, 200), (100, 200)])
    archive = Archive(tmp_path / "data")
    for data in meetings:
        archive.add_session(data)
    trend = trends.series_trend(meetings, "Built")
    shown = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "trends"])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "What changed" in text
    for sentence in story.change_sentences(trend):
        assert f"• {sentence}." in text


def _chart_texts(book, chart) -> list[str]:
    """Every category label and series name a chart draws, read from the cells it points at."""
    texts = []
    for series in chart.series:
        references = [series.tx.strRef.f if series.tx and series.tx.strRef else None]
        if series.cat is not None:
            references.append((series.cat.strRef or series.cat.numRef).f)
        for reference in filter(None, references):
            sheet_name, cells = reference.rsplit("!", 1)
            sheet = book[sheet_name.strip("'")]
            for row in sheet[cells.replace("$", "")] if ":" in cells else [[sheet[cells.replace("$", "")]]]:
                texts += [str(cell.value) for cell in row if cell.value is not None]
    return texts


def test_long_names_are_shortened_in_charts_and_keep_the_page(tmp_path: Path, partnership: Codebook) -> None:
    # A 200-character organisation name and agenda title squeezed the airtime chart to a sliver in print.
    long_name, long_item = "Z" * 200, "Y" * 200
    meetings = []
    for month in (1, 2):
        data = hand_meeting(partnership, f"s{month}", dt.date(2026, month, 1)).model_copy(deep=True)
        data.session.organisations[1].name = long_name
        data.session.agenda_items[1].title = long_item
        meetings.append(data)
    export_sessions(meetings[:1], tmp_path / "one.xlsx")
    export_trends(meetings, "Hand", tmp_path / "trend.xlsx", ExportOptions())
    for name, first in (("one.xlsx", "Summary"), ("trend.xlsx", "Dashboard")):
        book = load_workbook(tmp_path / name)
        # A 200-character title, in full, takes eight lines: that Summary may go on to a second page.
        _check_one_page(book[first], one_meeting=first == "Summary", long_page=True)
        drawn = [text for chart in book[first]._charts for text in _chart_texts(book, chart)]
        assert any(text.startswith("ZZZ") for text in drawn), name
        assert all(len(text) <= xlsx_module.CHART_LABEL_LIMIT for text in drawn), name
    organisations = [
        row[2] for row in load_workbook(tmp_path / "one.xlsx")["Organisations"].iter_rows(values_only=True)
    ]
    assert long_name in organisations  # the tables keep the whole name


def test_a_steady_rise_whose_last_meeting_dips_is_found_by_the_trend_not_by_first_to_last(
    partnership: Codebook,
) -> None:
    # Ten meetings of 30 oriented contributions, PFI rising 0.20 → 0.73, then the last dips to 0.30.
    counts = [6, 8, 10, 12, 14, 16, 18, 20, 22, 9]
    trend = _series(partnership, [(count, 30) for count in counts])
    first_to_last = story.change(trend, partnership.indices[0], 0, 9)
    assert first_to_last.p_value is not None and first_to_last.p_value > 0.3  # 6/30 against 9/30: noise
    test = trend.trend["pfi"]
    # statsmodels 0.15.0, GLM(x/n, [1, meeting], Binomial(), var_weights=n).fit(scale="X2"): φ = 2.6390,
    # t = 2.3861 on 8 df, p = 0.044123 — the dip makes the meetings differ far beyond their counts.
    assert test.test == "quasi-binomial trend" and test.p_value == pytest.approx(0.04412279512026911, rel=1e-6)
    assert test.dispersion == pytest.approx(2.6389691988570734, rel=1e-6) and test.meetings == 10
    assert test.slope_per_meeting == pytest.approx(trends.least_squares_slope([c / 30 for c in counts]))
    [headline, ri] = story.trend_sentences(trend)
    # Three tests on the page (the trend, first to last, since the previous meeting; RI has none): p × 3.
    assert story.page_tests(trend) == 3
    # The table's own first and last values, not a fitted line's.
    assert headline.startswith(
        "Partnership-first (PFI) went from 0.20 in the first meeting to 0.30 in the last, about +0.04 a meeting over "
        "10 meetings"
    )
    assert headline.endswith(": within noise (p = 0.13, over every meeting)")  # 0.0441 × 3
    assert "within noise (p = 1.00" in story.change_sentences(trend)[0]  # widened by φ, then × 3, capped at 1
    assert ri == "Relational (RI) cannot be followed: too few meetings have contributions coded for it"


def test_trends_leave_unfinished_sessions_out_and_say_so(tmp_path: Path, partnership: Codebook) -> None:
    import json

    from click.testing import CliRunner

    from observer.cli.main import main

    meetings = _meetings(partnership, [(6, 30), (10, 30), (14, 30), (20, 30)])
    archive = Archive(tmp_path / "data")
    for data in meetings[:3]:
        archive.add_session(data)
    paused = meetings[3].session.model_copy(update={"status": SessionStatus.PAUSED, "ended_s": None})
    archive.add_session(SessionData(session=paused, contributions=meetings[3].contributions))
    run = CliRunner().invoke
    data_dir = ["--data-dir", str(tmp_path / "data")]
    shown = json.loads(run(main, [*data_dir, "trends", "--json"]).output)
    assert [row["session_id"] for row in shown["rows"]] == ["s0", "s1", "s2"] and shown["left_out"] == 1
    assert set(shown["trend"]["pfi"]) == {"slope_per_meeting", "p_value", "test", "dispersion", "meetings", "note"}
    # Three meetings: no trend verdict, said in words.
    assert shown["trend"]["pfi"]["p_value"] is None and shown["trend"]["pfi"]["meetings"] == 3
    assert shown["trend"]["pfi"]["note"] == "too few meetings to tell a trend: 3, and a trend needs 4"
    words = " ".join(run(main, [*data_dir, "trends"]).output.split())
    assert "1 unfinished session of this series left out" in words and "The trend" in words
    everything = json.loads(run(main, [*data_dir, "trends", "--json", "--include-unfinished"]).output)
    assert len(everything["rows"]) == 4 and everything["left_out"] == 0


def test_a_slow_rise_over_many_meetings_is_said_as_a_rise_not_as_level(partnership: Codebook) -> None:
    # 60 meetings rising by 0.004 a meeting (under half a percentage point each time): 0.20 to about 0.44.
    counts = [round(50 * (0.2 + 0.004 * meeting)) for meeting in range(60)]
    [headline, _] = story.trend_sentences(_series(partnership, [(count, 50) for count in counts]))
    assert headline.startswith(
        "Partnership-first (PFI) went from 0.20 in the first meeting to 0.44 in the last, about +0.004 a meeting over "
        "60 meetings"
    )
    assert headline.endswith(": a real rise (p < 0.01, over every meeting)")
