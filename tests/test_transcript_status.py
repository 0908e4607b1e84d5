"""A transcript is "to code" until every turn is coded on every dimension (or its coder finishes it): listings,
trends, summaries and calibration treat it as unfinished and say how much is left."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from observer.cli.main import main
from observer.core.models import SessionStatus
from observer.live.coding import CodingSession
from observer.live.coding_steps import ActionRefused
from observer.storage import Archive

from .test_transcript_screen import import_transcript, open_app
from .transcript_files import alternating
from .tui_helpers import settle, status_text

MOMENT = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


def run(tmp_path: Path, *arguments: str):
    return CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), *arguments])


def code_turns(archive: Archive, session_id: str, count: int, orientation: str = "neutral") -> None:
    with archive.open_session(session_id) as store:
        coding = CodingSession(store)
        for turn in coding.contributions()[:count]:
            coding.set_code(MOMENT, "orientation", orientation, turn.id)
            coding.set_code(MOMENT, "topic", "relational", turn.id)


def test_an_import_with_16_uncoded_turns_is_to_code_and_trends_leave_it_out_saying_so(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    live = run(tmp_path, "demo", "--sessions", "2", "--contributions", "20")
    assert live.exit_code == 0, live.output
    series = archive.load(archive.summaries()[0][0].session.id).session.series
    session_id = import_transcript(tmp_path, alternating(16), "--series", series)
    listed = json.loads(run(tmp_path, "sessions", "--json").output)
    assert {row["id"]: row["status"] for row in listed}[session_id] == "to_code"
    assert "to code" in run(tmp_path, "sessions").output  # as a person reads it
    trends = run(tmp_path, "trends", "--series", series, "--json")
    assert trends.exit_code == 0, trends.output
    assert [row["session_id"] for row in json.loads(trends.stdout)["rows"]].count(session_id) == 0
    assert "1 transcript of this series still to code, left out of the trends" in trends.stderr
    shown = run(tmp_path, "show", session_id)
    assert "16 turns, 16 still to code (not coded on every dimension)" in " ".join(shown.output.split())
    assert json.loads(run(tmp_path, "show", session_id, "--json").output)["turns_to_code"] == 16
    book = tmp_path / "meeting.xlsx"
    assert run(tmp_path, "export", session_id, "-o", str(book)).exit_code == 0
    from openpyxl import load_workbook

    assert "16 turns, 16 still to code" in load_workbook(book)["Summary"]["A2"].value


async def test_home_leaves_a_transcript_to_code_out_of_the_trends_and_says_so(tmp_path: Path) -> None:
    from textual.widgets import DataTable

    from observer.tui.app import ObserverApp
    from observer.tui.review import TrendsScreen

    from .tui_helpers import FakeClock, shown, until

    assert run(tmp_path, "demo", "--sessions", "2", "--contributions", "20").exit_code == 0
    archive = Archive(tmp_path / "data")
    series = archive.summaries()[0][0].session.series
    session_id = import_transcript(tmp_path, alternating(4), "--series", series)
    app = ObserverApp(archive, clock=FakeClock())
    async with app.run_test(size=(120, 35)) as pilot:
        home = app.screen
        await until(pilot, lambda: bool(home.sessions), "Home's list")
        table = home.query_one("#sessions", DataTable)
        row = [summary.session.id for summary in home.sessions].index(session_id)
        assert "to code" in str(table.get_row_at(row))
        table.move_cursor(row=row)
        await pilot.press("s")
        await shown(pilot, TrendsScreen)
        told = [notification.message for notification in app._notifications]
        assert any("1 transcript of this series still to code, left out of the trends" in m for m in told), told
        assert session_id not in [data.session.id for data in app.screen.sessions]


def test_coding_the_last_turn_finishes_the_transcript_and_undo_reopens_it(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    session_id = import_transcript(tmp_path, alternating(3))
    with archive.open_session(session_id) as store:
        coding = CodingSession(store)
        first, second, third = coding.contributions()
        for turn in (first, second):
            coding.set_code(MOMENT, "orientation", "neutral", turn.id)
            coding.set_code(MOMENT, "topic", "relational", turn.id)
        coding.set_code(MOMENT, "orientation", "neutral", third.id)
        assert coding.session.status == "to_code"
        said = coding.set_code(MOMENT, "topic", "relational", third.id)
        assert "every turn is coded: the transcript is finished" in said
        assert coding.session.status == "ended" and coding.session.ended_s == 28.0
        coding.undo()
        assert coding.session.status == "to_code" and coding.session.ended_s is None
        coding.redo()
        assert coding.session.status == "ended"
        # Finished, it is edited like an ended meeting: clearing a code does not reopen it.
        coding.set_code(MOMENT, "topic", "relational", third.id)
        assert coding.session.status == "ended"
    assert archive.load(session_id).session.status == "ended"


def test_nothing_is_added_to_a_transcript_live(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    session_id = import_transcript(tmp_path, alternating(2))
    with archive.open_session(session_id) as store:
        coding = CodingSession(store)
        participant = coding.session.participants[0].id
        for action in (
            lambda: coding.speak(MOMENT, participant),
            lambda: coding.toggle_clock(MOMENT),
            lambda: coding.start_agenda_item(MOMENT, "Budget"),
        ):
            with pytest.raises(ActionRefused, match="a transcript's turns come from its file"):
                action()
        assert coding.session.status == "to_code"


async def test_e_finishes_a_transcript_with_turns_left_uncoded_after_saying_how_many(tmp_path: Path) -> None:
    from observer.tui.dialogs import Confirm
    from observer.tui.review import ReviewScreen

    session_id = import_transcript(tmp_path, alternating(4))
    archive, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("o", "t", "E")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        said = " ".join(str(widget.content) for widget in app.screen.query("Static"))
        assert "3 turns of 4 not coded on every dimension" in said, said
        await pilot.press("escape")  # back to coding: nothing changes
        await settle(pilot)
        assert archive.load(session_id).session.status == "to_code"
        await pilot.press("E")
        await pilot.pause()
        await pilot.press("enter")
        for _ in range(50):
            await pilot.pause(0.05)
            if isinstance(app.screen, ReviewScreen):
                break
        assert isinstance(app.screen, ReviewScreen)
    data = archive.load(session_id)
    assert data.session.status == "ended" and data.session.ended_s == 38.0


async def test_the_transcript_screen_says_when_the_last_turn_coded_finishes_it(tmp_path: Path) -> None:
    session_id = import_transcript(tmp_path, alternating(2))
    archive, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("o", "t", "p", "r")
        await settle(pilot)
        assert "turn 2 · Bob Khan: Topic: Relational · every turn is coded" in status_text(pilot)
        await pilot.press("n")  # nowhere left to go: said, nothing changed
        await settle(pilot)
        assert "every turn is coded: Tab, ↑↓ or : go to a turn" in status_text(pilot)
    assert archive.load(session_id).session.status == "ended"


def test_calibration_compares_the_turns_both_coded_and_says_how_many_it_left_out(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    reference = import_transcript(tmp_path, alternating(8), "--observer", "Trainer")
    trainee = import_transcript(tmp_path, alternating(8), "--observer", "Kim")
    code_turns(archive, reference, 8)
    code_turns(archive, trainee, 2)  # part of the way through: two turns of eight, as the reference has them
    result = run(tmp_path, "calibrate", reference, trainee, "--json")
    assert result.exit_code == 0, result.output
    calibration = json.loads(result.output)
    assert calibration["left_out"] == {"not_coded_by_trainee": 6, "not_coded_by_reference": 0}
    assert calibration["matched"] == 2 and calibration["passed"] is False  # two turns are too few to judge
    assert any("too few coded turns to judge (2; at least 10)" in note for note in calibration["notes"])
    assert calibration["dimensions"]["orientation"]["n"] == 2
    words = run(tmp_path, "calibrate", reference, trainee)
    assert "Only turns coded in both compared; left out 6 turns the trainee has not coded and 0 the reference" in (
        words.output
    ), words.output
    # Nothing coded by the trainee: nothing compared, and it says so rather than "NOT PASSED" alone.
    empty = import_transcript(tmp_path, alternating(8), "--observer", "Lou")
    none = run(tmp_path, "calibrate", reference, empty)
    assert "No turn coded in both: nothing compared; left out 8 turns the trainee has not coded" in none.output


def test_a_bundle_carries_the_status_and_an_older_ended_import_still_opens(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    session_id = import_transcript(tmp_path, alternating(3))
    pack = tmp_path / "pack.bundle"
    assert run(tmp_path, "bundle", session_id, "-o", str(pack)).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    imported = CliRunner().invoke(main, ["--data-dir", str(elsewhere), "import", str(pack)])
    assert imported.exit_code == 0, imported.output
    assert Archive(elsewhere).load(session_id).session.status == "to_code"

    # An import made before "to code" existed was stored ended, its turns uncoded: it still reads and opens.
    data = archive.load(session_id)
    older = data.session.model_copy(update={"id": "s-older", "status": SessionStatus.ENDED, "ended_s": 28.0})
    archive.add_session(data.model_copy(update={"session": older}))
    assert archive.load("s-older").session.status == "ended"
    with archive.open_session("s-older") as store:
        coding = CodingSession(store)
        coding.set_code(MOMENT, "orientation", "neutral", coding.contributions()[0].id)
    assert "3 turns, 3 still to code" in " ".join(run(tmp_path, "show", "s-older").output.split())
