"""Codebooks declare their indices: a session shows what its codebook declares, and never another's labels."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from observer.analysis.metrics import summarise
from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.core.codebooks import resolve_codebook
from observer.live.coding import CodingSession
from observer.storage import Archive
from observer.tui.app import ObserverApp

from .conftest import at, make_session
from .tui_helpers import FakeClock, panel_text, press, settle

PARTNERSHIP_WORDS = ("Partnership", "PFI", "Relational", "RI ", "Orientation", "org-first")


async def _code_a_bales_meeting(archive: Archive) -> tuple[str, str, str]:
    """Four acts, ten seconds each, coded by keys; returns the session id and what the panel and clock bar said.

    Acts: shows solidarity (s), gives suggestion (g), disagrees (d), agrees (a). Socio-emotional acts over all
    acts: 3/4 (by time 30 s of 40 s). Positive over positive and negative: 2/3 (by time 20 s of 30 s).
    """
    session = make_session(resolve_codebook("bales-ipa", None))
    archive.create_session(session).close()
    clock = FakeClock()
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=clock)
    async with app.run_test(size=(160, 45)) as pilot:  # wide: the balance panel names each index in full
        await settle(pilot)
        for position, (speaker, act) in enumerate([("1", "s"), ("2", "g"), ("3", "d"), ("1", "a")]):
            if position:
                clock.advance(10)
            await press(pilot, speaker)
            await press(pilot, act)
        clock.advance(10)
        await press(pilot, "space")  # pause: the last act ends at 40 s
        balance, clock_bar = panel_text(pilot, "#balance"), panel_text(pilot, "#clock-bar")
        await pilot.press("ctrl+q")
    return session.id, balance, clock_bar


async def test_a_bales_session_shows_its_own_indices_everywhere(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    session_id, balance, clock_bar = await _code_a_bales_meeting(archive)

    assert "Socio-emotional    0.75  (time 0.75)" in balance
    assert "Positive socio-em… 0.67  (time 0.67)" in balance
    assert "SE 0.75  POS 0.67" in clock_bar
    for text in (balance, clock_bar):
        assert not any(word in text for word in PARTNERSHIP_WORDS), text

    runner = CliRunner()
    shown = runner.invoke(main, ["--data-dir", str(archive.paths.root), "show", session_id])
    assert shown.exit_code == 0, shown.output
    assert "Socio-emotional (SE)" in shown.output and "Positive socio-emotional (POS)" in shown.output
    assert "0.75" in shown.output and "0.67" in shown.output
    assert not any(word in shown.output for word in PARTNERSHIP_WORDS), shown.output

    as_json = runner.invoke(main, ["--data-dir", str(archive.paths.root), "show", session_id, "--json"])
    record = json.loads(as_json.output)
    assert record["indices"] == {
        "sei": pytest.approx(3 / 4),
        "sei_time": pytest.approx(30 / 40),
        "pni": pytest.approx(2 / 3),
        "pni_time": pytest.approx(20 / 30),
    }
    assert record["quadrant"] is None  # one dimension: no 2×2
    speakers = {row["name"]: row for row in record["participants"]}
    assert speakers["Ann Lee"]["sei"] == 1.0 and speakers["Ann Lee"]["pni"] == 1.0
    assert speakers["Cath Diaz"]["pni"] == 0.0 and "pfi" not in speakers["Ann Lee"]

    output = tmp_path / "bales.xlsx"
    exported = runner.invoke(main, ["--data-dir", str(archive.paths.root), "export", session_id, "-o", str(output)])
    assert exported.exit_code == 0, exported.output
    book = load_workbook(output)
    summary_rows = [tuple(row) for row in book["Summary"].iter_rows(values_only=True)]
    headline = next(row for row in summary_rows if row[0] == "Index")
    first = summary_rows.index(headline) + 1
    assert headline[1:4] == ("By count", "95% interval", "By time")
    assert [(row[0], row[1], row[3]) for row in summary_rows[first : first + 2]] == [
        ("Socio-emotional (SE)", pytest.approx(0.75), pytest.approx(0.75)),
        ("Positive socio-emotional (POS)", pytest.approx(2 / 3), pytest.approx(2 / 3)),
    ]
    assert [cell.value for cell in book["Participants"][1]][9:11] == [
        "Socio-emotional (SE)",
        "Positive socio-emotional (POS)",
    ]
    with zipfile.ZipFile(output) as parts:
        every_part = " ".join(parts.read(name).decode("utf-8", "replace") for name in parts.namelist())
    assert not any(
        word in every_part for word in ("PFI", "Partnership-first", "org_first", "Relational", "Orientation")
    )


def test_partnership_declares_the_indices_it_always_had(partnership: Codebook) -> None:
    assert [(index.id, index.short, index.dimension) for index in partnership.indices] == [
        ("pfi", "PFI", "orientation"),
        ("ri", "RI", "topic"),
    ]
    # A session stored before codebooks declared indices has none in its frozen codebook: it keeps them.
    frozen = partnership.model_dump(mode="json")
    del frozen["indices"]
    assert Codebook.model_validate(frozen) == partnership


def test_a_codebook_may_declare_no_index(tmp_path: Path, partnership: Codebook) -> None:
    frozen = partnership.model_dump(mode="json") | {"indices": []}
    codebook = Codebook.model_validate(frozen)
    archive = Archive(tmp_path / "data")
    session = make_session(codebook)
    archive.create_session(session).close()
    summary = summarise(archive.load(session.id))
    assert summary.indices == {} and summary.quadrant is None
    shown = CliRunner().invoke(main, ["--data-dir", str(archive.paths.root), "show", session.id])
    assert shown.exit_code == 0 and "PFI" not in shown.output and "Headline" not in shown.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dimension": "tone"}, "index 'pfi', field 'dimension': no dimension 'tone' (there are: orientation, topic)"),
        (
            {"counts": ["partnership_frist"]},
            "index 'pfi', field 'counts': dimension 'orientation' has no code 'partnership_frist' "
            "(it has: org_first, partnership_first, neutral)",
        ),
        ({"against": ["partnership_first"]}, "index 'pfi', field 'against': partnership_first cannot also be in"),
        ({"id": "ri"}, "index 'ri', field 'id': the index is defined twice"),
        ({"id": "contributions"}, "index 'contributions', field 'id': 'contributions' would clash with a column"),
        ({"id": "ri_time"}, "index 'ri_time', field 'id': 'ri_time' would clash with a column"),
        ({"id": "airtime_share"}, "index 'airtime_share', field 'id': 'airtime_share' would clash with a column"),
        ({"id": "index_counts"}, "index 'index_counts', field 'id': 'index_counts' would clash with a column"),
        ({"id": "topic"}, "index 'topic', field 'id': 'topic' would clash with a column"),
        ({"counts": []}, "field 'indices', field '0', field 'counts': List should have at least 1 item"),
    ],
)
def test_codebooks_check_names_what_is_wrong_with_an_index(tmp_path: Path, change: dict, message: str) -> None:
    source = (Path(__file__).parent.parent / "codebooks" / "partnership.toml").read_text()
    first = source.index("[[indices]]")
    head, table = source[:first], source[first:]
    second = table.index("[[indices]]", 1)
    lines = table[:second].splitlines()
    for key, value in change.items():
        lines = [f"{key} = {json.dumps(value)}" if line.startswith(f"{key} =") else line for line in lines]
    path = tmp_path / "mine.toml"
    path.write_text(head + "\n".join(lines) + "\n" + table[second:])
    result = CliRunner().invoke(main, ["codebooks", "check", str(path)])
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_no_index_id_may_take_the_name_of_a_column_beside_the_indices(tmp_path: Path, partnership: Codebook) -> None:
    """Every column the exports write beside the index columns (JSON rows, CSV and workbook headers), found by
    exporting: an index of that id is refused, so an export never has two columns of one name."""
    import csv
    import re

    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    with archive.create_session(session) as store:
        coding = CodingSession(store)
        coding.speak(at(0), participant_id=session.participants[0].id)
        coding.set_code(at(1), "orientation", "partnership_first")
    root = str(archive.paths.root)
    runner = CliRunner()
    for name in ("s.json", "s.csv", "s.xlsx"):
        assert (
            runner.invoke(main, ["--data-dir", root, "export", session.id, "-o", str(tmp_path / name)]).exit_code == 0
        )
    trends = ["--data-dir", root, "trends", "--include-unfinished"]
    assert runner.invoke(main, [*trends, "-o", str(tmp_path / "t.xlsx")]).exit_code == 0
    trend = json.loads(runner.invoke(main, [*trends, "--json"]).stdout)
    beside: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if "pfi" in value:
                beside.update(value)
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(json.loads((tmp_path / "s.json").read_text()))
    walk(trend)
    for table in tmp_path.glob("s*.csv"):
        beside.update(next(csv.reader(table.open())))
    for book in ("s.xlsx", "t.xlsx"):
        for sheet in load_workbook(tmp_path / book, read_only=True).worksheets:
            header = next(sheet.iter_rows(max_row=1, values_only=True), ())
            beside.update(str(value) for value in header if value)
    ids = {column for column in beside if re.fullmatch(r"[a-z][a-z0-9_]*", column)} - {"pfi", "ri"}
    assert {"index_counts", "organisation_indices", "session_id", "flag_coordinator", "wall_time"} <= ids
    frozen = partnership.model_dump(mode="json")
    for column in sorted(ids):
        index = frozen["indices"][0] | {"id": column}
        with pytest.raises(ValueError, match="would clash with a column"):
            Codebook.model_validate(frozen | {"indices": [index]})


def test_workbook_definitions_follow_the_numbers_the_metrics_use(partnership: Codebook) -> None:
    from observer.analysis.definitions import metric_definitions
    from observer.analysis.metrics import CoordinatorSettings

    settings = CoordinatorSettings(min_coded=7, min_pfi=0.8, min_coordinator_flags=3)
    lines = dict(metric_definitions(partnership.indices, True, settings, bin_s=600))
    assert lines["Coordinator candidates"] == (
        "At least 7 contributions coded partnership_first or org_first with PFI >= 0.8, "
        "or at least 3 'coordinator' flags."
    )
    assert "10-minute bin" in lines["Timeline"]
    assert lines["PFI"].startswith("Partnership-first index (pfi): partnership_first / (partnership_first + org_first)")
    bales = dict(metric_definitions(resolve_codebook("bales-ipa", None).indices, False))
    assert "Coordinator candidates" not in bales and "PFI" not in bales
    assert bales["POS"].startswith("Positive socio-emotional index (pni): (shows_solidarity + ")


def test_sessions_on_different_codebooks_keep_their_own_indices_side_by_side(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    ids = []
    for name, dimension, code in (("partnership", "orientation", "partnership_first"), ("bales-ipa", "act", "agrees")):
        session = make_session(resolve_codebook(name, None), title=name)
        store = archive.create_session(session)
        coding = CodingSession(store)
        coding.speak(at(0), participant_id=session.participants[0].id)
        coding.set_code(at(1), dimension, code)
        coding.speak(at(10), participant_id=session.participants[1].id)
        store.close()
        ids.append(session.id)
    output = tmp_path / "both.xlsx"
    runner = CliRunner()
    assert (
        runner.invoke(main, ["--data-dir", str(archive.paths.root), "export", *ids, "-o", str(output)]).exit_code == 0
    )
    rows = [tuple(row) for row in load_workbook(output)["Summary"].iter_rows(values_only=True)]
    headline = next(row for row in rows if row[0] == "Meeting")
    assert headline[1:9] == (
        "PFI",
        "PFI by time",
        "RI",
        "RI by time",
        "SE",
        "SE by time",
        "POS",
        "POS by time",
    )
    first, second = rows[rows.index(headline) + 1], rows[rows.index(headline) + 2]
    assert first[1:9] == (1, 1, None, None, None, None, None, None)  # a codebook's own indices, blank elsewhere
    assert second[1:9] == (None, None, None, None, 1, 1, 1, 1)
    assert not any(str(row[0]).startswith("Orientation ×") for row in rows)  # no 2×2 the codebooks do not share
    trend = json.loads(
        runner.invoke(main, ["--data-dir", str(archive.paths.root), "trends", "--json"]).stdout
    )  # warnings go to stderr
    assert [sorted(k for k, v in row.items() if k in ("pfi", "sei") and v is not None) for row in trend["rows"]] == [
        ["pfi"],
        ["sei"],
    ]


def test_a_codebook_built_from_models_without_indices_keeps_pfi_and_ri(partnership: Codebook) -> None:
    rebuilt = Codebook(
        name=partnership.name,
        version=partnership.version,
        dimensions=list(partnership.dimensions),
        flags=list(partnership.flags),
    )
    assert rebuilt.index_ids == ["pfi", "ri"]


def test_the_docs_definitions_are_the_about_sheets(partnership: Codebook) -> None:
    import os

    from observer.analysis.definitions import DOCS_END, DOCS_START, definitions_markdown

    path = Path(__file__).parent.parent / "docs" / "metrics.md"
    text = path.read_text(encoding="utf-8")
    generated = definitions_markdown(partnership.indices, True)
    shown = text[text.index(DOCS_START) : text.index(DOCS_END) + len(DOCS_END)]
    if os.environ.get("OBSERVER_UPDATE_DOCS"):
        path.write_text(text.replace(shown, generated), encoding="utf-8")
        shown = generated
    assert shown == generated, "docs/metrics.md's definitions differ from the About sheet's (OBSERVER_UPDATE_DOCS=1)"
    lines = dict(metric_definitions_of(partnership))
    # The About sheet's definitions are today's: presence time, transcript turns, the meeting as the unit.
    assert "seconds present" in lines["Share of room"] and "transcript turn" in lines["Contribution end"]
    assert "Quasi-binomial" in lines["Trend test"] and "dispersion" in lines["Change between meetings"]
    assert "Wilson" in lines["95% interval"] and "Krippendorff" not in lines["95% interval"]


def metric_definitions_of(codebook: Codebook) -> list[tuple[str, str]]:
    from observer.analysis.definitions import metric_definitions

    return metric_definitions(codebook.indices, True)
