"""One way to plan a session: `observer new`, the new-session form and transcript import give the next meeting of
a series the same roster and agenda, and a second coding of a meeting the same roster and agenda as that meeting."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.core.models import Session
from observer.interop.planning import coded_again, plan_session
from observer.interop.roster import RosterEntry
from observer.live.coding import CodingSession
from observer.storage import Archive

from .conftest import at, make_session
from .transcript_files import alternating, write_vtt

REGULARS = ["Ann Lee", "Bob Khan", "Cath Diaz", "Dev Shah"]
AGENDA = ["Budget", "Discharge"]


def run(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])


def created(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output.split("created session ", 1)[1].split(":", 1)[0]


def meeting_with_a_guest(archive: Archive, codebook: Codebook, title: str = "Board, March") -> Session:
    """A meeting of the series North with an agenda, to which Priya Shah came late."""
    session = make_session(codebook, title=title).model_copy(update={"planned_agenda": list(AGENDA)})
    with archive.create_session(session) as store:
        coding = CodingSession(store)
        coding.speak(at(0), participant_id=session.participants[0].id)
        coding.add_attendee(at(30), "Priya Shah", "Healthwatch")
        coding.end_session(at(60))
    return session


def roster_and_agenda(archive: Archive, session_id: str) -> tuple[list[str], list[str]]:
    session = archive.load(session_id).session
    return [p.name for p in session.participants], session.planned_agenda


def from_the_command_line(data_dir: Path) -> tuple[list[str], list[str]]:
    result = run(data_dir, "new", "--title", "Board, April", "--series", "north", "--no-open")
    assert "not carried over from 'Board, March': Priya Shah, who arrived late" in result.output
    assert "agenda carried over from 'Board, March'" in result.output
    return roster_and_agenda(Archive(data_dir), created(result))


def from_a_transcript(data_dir: Path, tmp_path: Path) -> tuple[list[str], list[str]]:
    vtt = write_vtt(tmp_path / "april.vtt", alternating(4))  # the four regulars speak, nobody else
    result = run(data_dir, "transcript", "import", str(vtt), "--series", "north")
    assert "not carried over from 'Board, March': Priya Shah, who arrived late" in result.output
    assert "agenda carried over from 'Board, March'" in result.output
    return roster_and_agenda(Archive(data_dir), created(result))


async def from_the_form(
    archive: Archive, carry_the_guest: bool, carried_from: str = "Board, March"
) -> tuple[list[str], list[str]]:
    from textual.widgets import Input, TextArea

    from observer.tui.app import ObserverApp
    from observer.tui.dialogs import Confirm

    from .tui_helpers import FakeClock, coding_screen, settle, type_text, until

    app = ObserverApp(archive, clock=FakeClock())
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await until(pilot, lambda: bool(getattr(app.screen, "sessions", [])), "Home's list")
        await pilot.press("n")
        await pilot.pause()
        await type_text(pilot, "Board, April")
        series = app.screen.query_one("#series", Input)
        series.focus()
        series.value = "North"
        await pilot.pause()
        app.screen.query_one("#date", Input).focus()  # leaving Series offers the series' agenda
        await until(pilot, lambda: bool(app.screen.query_one("#agenda", TextArea).text), "the agenda offered")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        assert "Priya Shah" in app.screen.question
        await pilot.press("y" if carry_the_guest else "n")
        await settle(pilot)
        session_id = coding_screen(pilot).view.session.id
        said = [str(notice.message) for notice in app._notifications]
        await until(pilot, lambda: bool(app.screen.query("Toast")), "the notice shown")  # a title is no markup
    attendees = len(REGULARS) + carry_the_guest
    assert f"carried over {attendees} attendees from '{carried_from}'" in said, said
    return roster_and_agenda(archive, session_id)


async def test_the_command_line_the_form_and_transcript_import_plan_the_next_meeting_alike(
    tmp_path: Path, partnership: Codebook
) -> None:
    planned = {}
    for caller in ("new", "transcript", "form"):
        data_dir = tmp_path / caller / "data"
        archive = Archive(data_dir)
        meeting_with_a_guest(archive, partnership)
        if caller == "new":
            planned[caller] = from_the_command_line(data_dir)
        elif caller == "transcript":
            planned[caller] = from_a_transcript(data_dir, tmp_path / caller)
        else:
            planned[caller] = await from_the_form(archive, carry_the_guest=False)
    assert planned["new"] == planned["transcript"] == planned["form"] == (REGULARS, AGENDA)


async def test_the_form_carries_the_guest_over_when_asked_to(tmp_path: Path, partnership: Codebook) -> None:
    archive = Archive(tmp_path / "data")
    meeting_with_a_guest(archive, partnership)
    assert await from_the_form(archive, carry_the_guest=True) == ([*REGULARS, "Priya Shah"], AGENDA)


def test_a_second_coding_takes_its_meetings_roster_whole_on_the_command_line_and_from_a_transcript(
    tmp_path: Path, partnership: Codebook
) -> None:
    data_dir = tmp_path / "data"
    archive = Archive(data_dir)
    first = meeting_with_a_guest(archive, partnership)
    # A later meeting of the series, with another roster and agenda: not the one a second coding takes.
    later = run(data_dir, "new", "--title", "Board, May", "--series", "North", "--agenda", "Estates", "--no-open")
    created(later)
    by_new = run(data_dir, "new", "--coding-of", first.id, "--observer", "Kim", "--no-open")
    vtt = write_vtt(tmp_path / "march.vtt", alternating(4))
    by_import = run(data_dir, "transcript", "import", str(vtt), "--coding-of", first.id, "--observer", "Lee")
    for result in (by_new, by_import):
        assert "arrived late" not in result.output
        session = archive.load(created(result)).session
        assert (session.title, session.series, session.meeting_date) == (first.title, first.series, first.meeting_date)
        assert session.meeting == first.id
        assert roster_and_agenda(archive, session.id) == ([*REGULARS, "Priya Shah"], AGENDA)


def test_a_plan_takes_what_is_given_and_carries_only_what_is_not(tmp_path: Path, partnership: Codebook) -> None:
    archive = Archive(tmp_path / "data")
    meeting_with_a_guest(archive, partnership)
    known, _ = archive.headers()

    carried = plan_session(series="NORTH", known=known)
    assert [e.name for e in carried.roster] == REGULARS and carried.agenda == AGENDA
    assert carried.roster_carried and carried.agenda_carried and carried.left_off == ["Priya Shah"]
    assert carried.carried_from is not None and carried.carried_from.session.title == "Board, March"

    given = plan_session(series="North", known=known, roster=[RosterEntry("Eve Ross", "Police")], agenda=[])
    assert [e.name for e in given.roster] == ["Eve Ross"] and given.agenda == []
    assert not given.roster_carried and not given.agenda_carried and given.left_off == []

    with_the_guest = plan_session(series="North", known=known, late_arrivals_too=True)
    assert [e.name for e in with_the_guest.roster] == [*REGULARS, "Priya Shah"] and with_the_guest.left_off == []

    elsewhere = plan_session(series="South", known=known)
    assert (elsewhere.roster, elsewhere.agenda, elsewhere.carried_from) == ([], [], None)
    assert plan_session(series="", known=known).carried_from is None


def test_a_transcript_import_starts_from_the_names_the_series_last_import_was_given(
    tmp_path: Path, partnership: Codebook
) -> None:
    data_dir = tmp_path / "data"
    archive = Archive(data_dir)
    first = meeting_with_a_guest(archive, partnership)
    name_map = tmp_path / "map.csv"
    name_map.write_text("Annie L,Ann Lee\n", encoding="utf-8")
    vtt = write_vtt(tmp_path / "april.vtt", [("Annie L", "Hello."), ("Bob Khan", "Hi.")])
    created(run(data_dir, "transcript", "import", str(vtt), "--series", "North", "--map", str(name_map)))
    known, _ = archive.headers()
    assert plan_session(series="North", known=known).transcript_names == ({"Annie L": "Ann Lee"}, {})
    # A second coding of the live meeting: no transcript of its own, so the series' last import's names.
    again = plan_session(series="North", known=known, coding_of=archive.load(first.id))
    assert again.transcript_names == ({"Annie L": "Ann Lee"}, {})


@pytest.mark.parametrize(
    ("title", "series", "date", "expected"),
    [
        (None, None, None, ("Board, March", "North", "2026-03-02")),
        ("Board (2nd)", "South", "2026-03-03", ("Board (2nd)", "South", "2026-03-03")),
        ("", "", "", ("Board, March", "", "2026-03-02")),  # a series given as "" is kept: it says none
    ],
)
def test_a_second_coding_takes_the_meetings_title_series_and_date_unless_given(
    partnership: Codebook, title: str | None, series: str | None, date: str | None, expected: tuple[str, str, str]
) -> None:
    first = make_session(partnership, title="Board, March")
    again = coded_again(first, title=title, series=series, meeting_date=date)
    assert (again.title, again.series, again.meeting_date) == expected


async def test_the_form_says_what_it_carried_from_a_meeting_whose_title_looks_like_markup(
    tmp_path: Path, partnership: Codebook
) -> None:
    archive = Archive(tmp_path / "data")
    meeting_with_a_guest(archive, partnership, title="Board [/] [b]March")
    roster, agenda = await from_the_form(archive, carry_the_guest=False, carried_from="Board [/] [b]March")
    assert (roster, agenda) == (REGULARS, AGENDA)
