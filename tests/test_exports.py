"""Exports reopened and checked: sheets, headers, values, charts, text never a formula, formats agree."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.worksheet._writer import ALL_TEMP_FILES

from observer.analysis import metrics
from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.core.columns import DECLARED, Kind
from observer.core.errors import StorageError
from observer.core.models import Participant
from observer.interop.export import ExportOptions, export_sessions, export_trends
from observer.interop.export import xlsx as xlsx_module
from observer.interop.export.records import neutralised
from observer.interop.export.xlsx import safe_text
from observer.privacy.pseudonyms import PseudonymRegistry
from observer.storage import Archive

from .meetings import empty_meeting, hand_meeting

TEXT_IDS = frozenset(column.id for column in DECLARED if column.kind is Kind.TEXT)  # typed text, in every format

SESSION_SHEETS = [
    "Summary",
    "Contributions",
    "Organisations",
    "Participants",
    "Agenda",
    "Timeline",
    "Flags",
    "Codebook",
    "About",
]


def hostile_meeting(codebook: Codebook):
    """The hand meeting with a name, a title and notes that try to become formulas or break Excel."""
    data = hand_meeting(codebook)
    people = [
        p.model_copy(update={"name": "=cmd|' /C calc'!A0"}) if p.id == "pb" else p for p in data.session.participants
    ]
    session = data.session.model_copy(update={"title": "+1 board\x07 meeting", "participants": people})
    contributions = [
        c.model_copy(update={"note": "@SUM(1)" + "x" * 40_000})
        if c.id == "c2"
        else c.model_copy(update={"note": "-2+3"})
        if c.id == "c3"
        else c
        for c in data.contributions
    ]
    return data.model_copy(update={"session": session, "contributions": contributions})


def rows_of(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_session_workbook_sheets_values_and_charts(tmp_path: Path, partnership: Codebook) -> None:
    path = tmp_path / "meeting.xlsx"
    export_sessions([hand_meeting(partnership)], path)
    book = load_workbook(path)
    assert book.sheetnames == SESSION_SHEETS
    summary = book["Summary"]
    assert len(summary._charts) == 3
    labels: dict = {}
    for row in rows_of(summary):
        if row and row[0]:
            labels.setdefault(row[0], row[1:])  # the first table with that label: counts before shares
    assert labels["What we saw: Hand meeting"] == [None] * (len(labels["What we saw: Hand meeting"]))
    facts = rows_of(summary)[1][0]
    # Four people present, of three organisations (Eve of the trust left before the start).
    assert facts.startswith("Hand · 2026-03-02 · 5:00 observed · 6 contributions · 4 people present · 3 organisations")
    # Each index by count with its 95% Wilson interval beside it: PFI 2 of 4, RI 3 of 5 (statsmodels 0.15
    # proportion_confint(method="wilson"): 0.1500–0.8500 and 0.2307–0.8824).
    assert labels["Index"][:3] == ["By count", "95% interval", "By time"]
    assert labels["Partnership-first (PFI)"][:3] == [pytest.approx(0.5), "(0.15–0.85)", pytest.approx(70 / 180)]
    assert labels["Relational (RI)"][:3] == [pytest.approx(0.6), "(0.23–0.88)", pytest.approx(0.55)]
    assert labels["org-first"][:4] == [1, 1, 0, 2]
    contributions = book["Contributions"]
    header = rows_of(contributions)[0]
    assert header[:9] == [
        "session_id",
        "contribution_id",
        "start_s",
        "end_s",
        "duration_s",
        "wall_time",
        "participant_id",
        "participant",
        "organisation",
    ]
    assert header[9:11] == ["orientation", "topic"] and header[-2:] == ["note", "agenda_item"]
    assert contributions.freeze_panes == "A2" and contributions.auto_filter.ref == "A1:U7"
    body = rows_of(contributions)[1:]
    assert [row[4] for row in body] == [60, 40, 30, 20, 50, 100]
    assert body[2][6:9] == [None, None, "Voluntary Alliance"]  # organisation only: no participant
    assert body[3][9:11] == [None, "relational"]  # uncoded orientation stays empty
    assert body[0][header.index("flag_governance_shield")] == 1
    organisations = {row[1]: row for row in rows_of(book["Organisations"])[1:]}
    org_header = rows_of(book["Organisations"])[0]
    assert organisations["trust"][org_header.index("Participation ratio")] == pytest.approx((2 / 6) / 0.25)
    assert book["Organisations"].cell(2, org_header.index("Share of the room") + 1).number_format == "0%"
    assert [row[1] for row in rows_of(book["Agenda"])[1:]] == ["Intro", "Money"]
    about = {row[0]: row[1] for row in rows_of(book["About"]) if row and row[0]}
    assert about["Codebook"] == "partnership 1.0" and about["Pseudonymised"] == "no"


def test_typed_text_is_never_a_formula_and_is_made_storable(tmp_path: Path, partnership: Codebook) -> None:
    path = tmp_path / "hostile.xlsx"
    export_sessions([hostile_meeting(partnership)], path)
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} became a formula: {cell.value}"
    notes = {row[1]: row[-2] for row in rows_of(book["Contributions"])[1:]}
    assert notes["c5"].startswith("=HYPERLINK")
    assert notes["c3"] == "-2+3"
    assert len(notes["c2"]) == xlsx_module.EXCEL_MAX_TEXT and notes["c2"].endswith("[cut]")
    participants = [row[2] for row in rows_of(book["Participants"])[1:]]
    assert "=cmd|' /C calc'!A0" in participants
    summary_title = rows_of(book["Summary"])[0][0]
    assert summary_title == "What we saw: +1 board meeting"  # the bell character Excel cannot store is gone


def test_csv_and_json_agree_with_the_workbook(tmp_path: Path, partnership: Codebook) -> None:
    data = hostile_meeting(partnership)
    for suffix in ("xlsx", "csv", "json"):
        export_sessions([data], tmp_path / f"m.{suffix}")
    sheet_rows = rows_of(load_workbook(tmp_path / "m.xlsx")["Contributions"])
    with (tmp_path / "m.csv").open(encoding="utf-8-sig", newline="") as handle:
        csv_rows = list(csv.reader(handle))
    assert csv_rows[0][: len(sheet_rows[0])] == sheet_rows[0]
    assert csv_rows[0][len(sheet_rows[0]) :] == [
        "session_title",
        "series",
        "meeting_date",
        "observer",
        "codebook",
        "codebook_version",
        "organisation_id",
    ]
    document = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    records = document["sessions"][0]["contributions"]
    assert len(sheet_rows) - 1 == len(csv_rows) - 1 == len(records) == 6
    for sheet_row, csv_row, record in zip(sheet_rows[1:], csv_rows[1:], records, strict=True):
        for column, value in zip(sheet_rows[0], sheet_row, strict=True):
            if column == "wall_time":
                assert csv_row[5].startswith(value.isoformat()) and record[column].startswith(value.isoformat())
                continue
            in_csv = csv_row[sheet_rows[0].index(column)]
            if isinstance(value, int | float):
                assert float(in_csv) == pytest.approx(value) and record[column] == pytest.approx(value), column
            else:
                expected = "" if value is None else value
                # CSV and JSON keep long text whole; the workbook cuts it at Excel's limit, with a marker.
                # The CSV quotes typed text that a spreadsheet would run as a formula.
                in_json = record[column] or ""
                assert in_csv == (neutralised(in_json) if column in TEXT_IDS else in_json), column
                assert safe_text(in_json) == expected, column
    # The JSON metrics are the ones the summary shows.
    assert document["sessions"][0]["metrics"]["indices"]["pfi"] == pytest.approx(0.5)


def test_pseudonymised_export_is_stable_and_drops_notes(tmp_path: Path, partnership: Codebook) -> None:
    registry = PseudonymRegistry.load(tmp_path / "pseudonyms.json")
    first = hand_meeting(partnership, "s1")
    # A later meeting with a newcomer listed first: numbering must not follow row order.
    newcomer = Participant(id="pz", name="Zed", organisation_id="vol")
    later = hand_meeting(partnership, "s2")
    later = later.model_copy(
        update={
            "session": later.session.model_copy(
                update={
                    "participants": [newcomer, *later.session.participants],
                    "meeting_date": later.session.meeting_date.replace(month=4),
                }
            )
        }
    )
    registry.assign([first])
    registry.save()
    export_sessions([first], tmp_path / "a.csv", ExportOptions(pseudonyms=registry, keep_notes=False))
    reloaded = PseudonymRegistry.load(tmp_path / "pseudonyms.json")
    reloaded.assign([later, first])
    export_sessions([later, first], tmp_path / "b.csv", ExportOptions(pseudonyms=reloaded, keep_notes=False))

    def by_contribution(path: Path) -> dict[tuple[str, str], dict]:
        with path.open(encoding="utf-8-sig") as handle:
            return {(r["session_id"], r["contribution_id"]): r for r in csv.DictReader(handle)}

    a, b = by_contribution(tmp_path / "a.csv"), by_contribution(tmp_path / "b.csv")
    for key, row in a.items():
        assert (row["participant"], row["organisation"]) == (b[key]["participant"], b[key]["organisation"])
    names = {row["participant"] for row in b.values()} | {row["organisation"] for row in b.values()}
    assert not names & {"Ann", "Bob", "Cath", "City Council", "NHS Trust", "Voluntary Alliance"}
    assert a[("s1", "c1")]["participant"] == "P01" and a[("s1", "c1")]["organisation"] == "O01"
    assert all(row["note"] == "" for row in b.values())
    assert reloaded.participants["pz"] == "P06"  # the newcomer gets the next number, nobody else moves


def test_cli_pseudonymise_with_key(tmp_path: Path, partnership: Codebook) -> None:
    archive = Archive(tmp_path / "data")
    archive.add_session(hand_meeting(partnership))
    result = CliRunner().invoke(
        main,
        [
            "--data-dir",
            str(tmp_path / "data"),
            "export",
            "s-hand",
            "-o",
            str(tmp_path / "p.json"),
            "--pseudonymise",
            "--key-table",
            str(tmp_path / "k.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "p.json").read_text()
    assert "Cath" not in text and "City Council" not in text and "said my board" not in text
    key = (tmp_path / "k.csv").read_text()
    assert "participant,P03,pc,Cath" in key


def test_overwriting_is_atomic(tmp_path: Path, partnership: Codebook, monkeypatch) -> None:
    path = tmp_path / "meeting.xlsx"
    export_sessions([hand_meeting(partnership)], path)
    before = path.read_bytes()

    def broken_save(self):
        self._archive.writestr("half", b"half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsx_module.ExcelWriter, "save", broken_save)
    temporary_files = set(ALL_TEMP_FILES)
    with pytest.raises(StorageError, match="disk full"):
        export_sessions([hand_meeting(partnership)], path)
    assert set(ALL_TEMP_FILES) == temporary_files  # the half-written sheets' temporary files are gone
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_an_interrupted_export_keeps_the_old_file_and_leaves_no_temporary_file(
    tmp_path: Path, partnership: Codebook, monkeypatch
) -> None:
    path = tmp_path / "meeting.xlsx"
    export_sessions([hand_meeting(partnership)], path)
    before = path.read_bytes()

    def interrupted_save(self):
        self._archive.writestr("half", b"half a workbook")
        raise KeyboardInterrupt  # Ctrl-C while saving

    monkeypatch.setattr(xlsx_module.ExcelWriter, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        export_sessions([hand_meeting(partnership)], path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meeting.xlsx"]


def test_rows_past_the_sheet_limit_spill_to_continuation_sheets(
    tmp_path: Path, partnership: Codebook, monkeypatch
) -> None:
    monkeypatch.setattr(xlsx_module, "EXCEL_MAX_ROWS", 4)  # header + 3 rows a sheet
    path = tmp_path / "spill.xlsx"
    export_sessions([hand_meeting(partnership)], path)
    book = load_workbook(path)
    assert "Contributions (2)" in book.sheetnames
    spilled = rows_of(book["Contributions"])[1:] + rows_of(book["Contributions (2)"])[1:]
    assert [row[1] for row in spilled] == ["c1", "c2", "c3", "c4", "c5", "c6"]
    about = " ".join(str(row[1]) for row in rows_of(book["About"]) if row and row[0] == "Continuation")
    assert "Contributions (2)" in about


def test_sheet_names_are_legal_and_unique() -> None:
    taken: set[str] = set()
    names = [xlsx_module.sheet_title(n, taken) for n in ["a/b:c*?[x]", "Summary", "summary", "x" * 40, "x" * 40]]
    assert names[0] == "a_b_c___x_"
    assert names[2] == "summary (2)"
    assert all(len(n) <= 31 for n in names) and len({n.casefold() for n in names}) == 5


def test_empty_session_and_single_meeting_series_give_valid_workbooks(tmp_path: Path, partnership: Codebook) -> None:
    export_sessions([empty_meeting(partnership)], tmp_path / "empty.xlsx")
    book = load_workbook(tmp_path / "empty.xlsx")
    indices = {row[0]: row[1:3] for row in rows_of(book["Summary"]) if row and row[0]}
    assert indices["Partnership-first (PFI)"] == [None, None]  # undefined: blank, not 0
    assert indices["Relational (RI)"] == [None, None]
    uncoded = hand_meeting(partnership)
    uncoded = uncoded.model_copy(
        update={"contributions": [c.model_copy(update={"codes": {}}) for c in uncoded.contributions]}
    )
    export_sessions([uncoded], tmp_path / "uncoded.xlsx")
    assert load_workbook(tmp_path / "uncoded.xlsx")["Summary"]
    trend = export_trends([hand_meeting(partnership)], "Hand", tmp_path / "trend.xlsx", ExportOptions())
    assert trend.slope["pfi"] is None
    change = [row[0] for row in rows_of(load_workbook(tmp_path / "trend.xlsx")["Change"]) if row[0]]
    assert change[-1] == "1 meeting so far: no change to show yet."
    assert not any(str(text).startswith("Partnership-first") for text in change)


def test_several_sessions_in_one_workbook_and_trend_workbook(tmp_path: Path, partnership: Codebook) -> None:
    import datetime as dt

    sessions = [hand_meeting(partnership, f"s{i}", dt.date(2026, i, 1)) for i in (1, 2, 3)]
    export_sessions(sessions, tmp_path / "three.xlsx")
    book = load_workbook(tmp_path / "three.xlsx")
    assert {row[0] for row in rows_of(book["Organisations"])[1:]} == {"s1", "s2", "s3"}
    assert len(rows_of(book["Contributions"])) == 1 + 18
    assert len(book["Summary"]._charts) == 2
    export_trends(sessions, "Hand", tmp_path / "trend.xlsx", ExportOptions())
    trend_book = load_workbook(tmp_path / "trend.xlsx")
    assert trend_book.sheetnames == [
        "Dashboard",
        "Meetings",
        "Change",
        "Organisations",
        "Airtime by organisation",
        "PFI by organisation",
        "About",
    ]
    # The indices, the airtime, and one small chart of PFI per organisation (three here).
    assert len(trend_book["Dashboard"]._charts) == 2 + len(sessions[0].session.organisations)
    trend_rows = rows_of(trend_book["Meetings"])
    assert trend_rows[0][:2] == ["Session", "Meeting date"] and trend_rows[0][5] == "Partnership-first (PFI)"
    assert [row[0] for row in trend_rows[1:]] == ["s1", "s2", "s3"]
    assert trend_rows[1][5] == pytest.approx(metrics.summarise(sessions[0]).indices["pfi"])


def test_show_json_and_trends_json_print_the_same_numbers(tmp_path: Path, partnership: Codebook) -> None:
    archive = Archive(tmp_path / "data")
    archive.add_session(hand_meeting(partnership))
    runner = CliRunner()
    shown = json.loads(runner.invoke(main, ["--data-dir", str(tmp_path / "data"), "show", "s-h", "--json"]).output)
    assert shown["indices"] == {"pfi": 0.5, "pfi_time": pytest.approx(70 / 180), "ri": 0.6, "ri_time": 0.55}
    trend = json.loads(runner.invoke(main, ["--data-dir", str(tmp_path / "data"), "trends", "--json"]).stdout)
    assert trend["rows"][0]["pfi"] == shown["indices"]["pfi"]


@pytest.mark.parametrize("name", ["out.txt", "out"])
def test_unknown_format_is_one_line_error(tmp_path: Path, partnership: Codebook, name: str) -> None:
    archive = Archive(tmp_path / "data")
    archive.add_session(hand_meeting(partnership))
    result = CliRunner().invoke(
        main, ["--data-dir", str(tmp_path / "data"), "export", "s-hand", "-o", str(tmp_path / name)]
    )
    assert result.exit_code == 1 and "unknown export format" in result.stderr
    assert result.stderr.count("\n") == 1


def test_many_sessions_from_the_archive_give_the_same_workbook_with_the_helper_process(
    tmp_path: Path, monkeypatch
) -> None:
    from observer.interop.demo import generate_demo
    from observer.interop.export import ArchiveSessions, session_rows

    archive = Archive(tmp_path / "data")
    generate_demo(archive, sessions=9, contributions=40, seed=5)
    ids = archive.session_ids()
    helper_calls = []
    real_helper = session_rows._rows_from_helper
    monkeypatch.setattr(
        session_rows, "_rows_from_helper", lambda *args: helper_calls.append(args) or real_helper(*args)
    )

    # Nine short meetings are less to read than a helper is worth starting for.
    export_sessions(ArchiveSessions(archive, ids), tmp_path / "small.xlsx")
    assert not helper_calls
    monkeypatch.setattr(session_rows, "HELPER_FROM_BYTES", 1)  # the real threshold needs an archive too big here
    export_sessions(ArchiveSessions(archive, ids), tmp_path / "helper.xlsx")
    assert len(helper_calls) == 1
    monkeypatch.setenv("OBSERVER_EXPORT_HELPER", "0")
    export_sessions(ArchiveSessions(archive, ids), tmp_path / "serial.xlsx")
    assert len(helper_calls) == 1  # turned off

    with_helper, serial = load_workbook(tmp_path / "helper.xlsx"), load_workbook(tmp_path / "serial.xlsx")
    assert with_helper.sheetnames == serial.sheetnames == SESSION_SHEETS
    for name in SESSION_SHEETS:
        rows, expected = rows_of(with_helper[name]), rows_of(serial[name])
        if name == "About":  # the export time differs
            rows, expected = ([r for r in table if r[0] != "Exported at (UTC)"] for table in (rows, expected))
        assert rows == expected, name
    assert len(rows_of(with_helper["Contributions"])) == 1 + sum(len(archive.load(i).contributions) for i in ids)
    assert len(with_helper["Summary"]._charts) == 2


def test_a_damaged_session_stops_a_helper_export_with_one_line(tmp_path: Path, monkeypatch) -> None:
    from observer.interop.demo import generate_demo
    from observer.interop.export import session_rows

    archive = Archive(tmp_path / "data")
    generate_demo(archive, sessions=9, contributions=20, seed=6)
    monkeypatch.setattr(session_rows, "HELPER_FROM_BYTES", 1)
    damaged = archive.session_ids()[4]
    # Readable up to its contributions (so the codebook is found), one of which is damaged: the helper
    # process meets the damage while reading, after other sessions are written.
    checkpoint = json.loads(archive.paths.checkpoint(damaged).read_text())
    first = next(iter(checkpoint["contributions"].values()))
    first["start_s"] = "soon"
    archive.paths.checkpoint(damaged).write_text(json.dumps(checkpoint))
    target = tmp_path / "all.xlsx"
    temporary_files = set(ALL_TEMP_FILES)
    result = CliRunner().invoke(
        main, ["--data-dir", str(tmp_path / "data"), "export", *archive.session_ids(), "-o", str(target)]
    )
    assert result.exit_code != 0
    message = result.output.strip().splitlines()
    assert len(message) == 1 and damaged in message[0] and "unreadable" in message[0], result.output
    assert "Traceback" not in result.output
    assert not target.exists()
    assert set(ALL_TEMP_FILES) == temporary_files
