"""The live room: an ended meeting opened for editing, planned agendas, presence-time shares of the room,
completion that cannot split an organisation, and the coding screen at the sizes terminals really have."""

from __future__ import annotations

from pathlib import Path

from observer.core.codebook_models import Codebook
from observer.core.models import SessionStatus
from observer.live.coding import CodingSession
from observer.live.coding_steps import ENDED_REFUSAL
from observer.storage import Archive
from observer.tui.app import ObserverApp
from observer.tui.panels import ClockBar

from .conftest import at, make_session
from .tui_helpers import FakeClock, coding_screen, press, screen_text, settle, status_text, type_text


def _ended_meeting(tmp_path: Path, partnership: Codebook) -> tuple[Archive, str, list[str]]:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    coding = CodingSession(archive.create_session(session))
    ids = [coding.speak(at(10 * n), participant_id=session.participants[n % 4].id).id for n in range(3)]
    coding.end_session(at(40))
    coding.close(at(41))
    return archive, session.id, ids


async def test_an_ended_meeting_opens_for_editing_and_every_key_says_the_same(
    tmp_path: Path, partnership: Codebook
) -> None:
    archive, session_id, ids = _ended_meeting(tmp_path, partnership)
    app = ObserverApp(archive, start="coding", session_id=session_id, clock=FakeClock(at(100)))
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        screen = coding_screen(pilot)
        assert "ENDED — editing" in str(screen.query_one(ClockBar).render())
        assert "you are editing its record" in status_text(pilot)
        for key in ("1", "space", "A", "plus", "minus", "slash"):
            await press(pilot, key)
            assert status_text(pilot) == ENDED_REFUSAL, key
            assert app.screen is screen, f"{key} opened a dialog for an ended meeting"
        await press(pilot, "up", "up", "o")
        assert "Organisation-first" in status_text(pilot)
    stored = Archive(tmp_path / "data").load(session_id)
    assert stored.session.status == SessionStatus.ENDED
    assert [c.id for c in stored.contributions] == ids
    assert [c.codes for c in stored.contributions] == [{}, {"orientation": "org_first"}, {}]


def test_share_of_the_room_counts_the_time_people_were_present(partnership: Codebook) -> None:
    """Four people present all along, one (the only one of her organisation) from halfway: her organisation's
    share of the room is 0.5 / 4.5, not 1 / 5, and the sentence says it by time present."""
    from observer.analysis.metrics import summarise
    from observer.analysis.story import session_sentences
    from observer.core.models import Attendance, Contribution, Organisation, Participant, SessionData

    base = make_session(partnership)
    late = Participant(id="p-late", name="Lena Holm", organisation_id="city-health")
    session = base.model_copy(
        update={
            "organisations": [*base.organisations, Organisation(id="city-health", name="City Health")],
            "participants": [*base.participants, late],
            "attendance": [*base.attendance, Attendance(participant_id="p-late", arrived_s=300.0)],
            "status": SessionStatus.ENDED,
            "clock_elapsed_s": 600.0,
            "ended_s": 600.0,
        }
    )
    people = [*base.participants, late]
    # Ten contributions of 60 s each: the late arrival speaks once (6% of the time).
    contributions = [
        Contribution(
            id=f"c{n}",
            start_s=60.0 * n,
            wall_time=at(60 * n),
            participant_id=(late if n == 7 else people[n % 4]).id,
            organisation_id=(late if n == 7 else people[n % 4]).organisation_id,
        )
        for n in range(10)
    ]
    data = SessionData(session=session, contributions=contributions)
    summary = summarise(data)
    rows = {row.name: row for row in summary.organisations}
    assert rows["City Health"].share_of_room == 0.5 / 4.5
    assert rows["City Council"].share_of_room == 2 / 4.5  # Ann and Bob, present throughout
    assert rows["City Health"].attendees_present == 1
    sentences = session_sentences(summary, data)
    # By head count City Health (10% of the time, 20% of the people) would be named as under-heard; by time
    # present it had 11% of the room, and the organisation named is the one that really spoke least for its
    # share: Voluntary Sector Alliance, 10% of the time with 1 / 4.5 = 22% of the room.
    assert "Voluntary Sector Alliance spoke for 10% of the time with 22% of the room (by time present)" in sentences
    assert not any("City Health" in sentence for sentence in sentences)
    # Without arrivals the shares are the head counts, as always.
    still = summarise(
        SessionData(
            session=base.model_copy(update={"ended_s": 600.0, "status": SessionStatus.ENDED, "clock_elapsed_s": 600.0}),
            contributions=[],
        )
    )
    assert {row.name: row.share_of_room for row in still.organisations} == {
        "City Council": 0.5,
        "NHS Trust": 0.25,
        "Voluntary Sector Alliance": 0.25,
    }


def _with_organisation(partnership: Codebook, name: str):
    import datetime as dt

    from observer.interop.roster import RosterEntry, build_session

    return build_session(
        title="Board",
        codebook=partnership,
        meeting_date=dt.date(2026, 3, 2),
        series="North",
        roster=[RosterEntry("Ann Lee", name), RosterEntry("Bo Ek", "NHS Trust")],
    )


async def test_tab_in_the_late_arrival_form_takes_the_organisation_it_suggests(
    tmp_path: Path, partnership: Codebook
) -> None:
    """Typing "Middles", seeing "Middlesbrough Council" suggested and pressing Tab used to add an organisation
    "Middles" with its own airtime and share of the room."""
    archive = Archive(tmp_path / "data")
    session = _with_organisation(partnership, "Middlesbrough Council")
    archive.create_session(session).close()
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=FakeClock(at(0)))
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await press(pilot, "1")
        await pilot.press("plus")
        await pilot.pause()
        await type_text(pilot, "Cara Moss")
        await pilot.press("tab")
        await type_text(pilot, "Middles")
        await pilot.pause(0.2)  # the suggestion arrives from a worker
        await pilot.press("tab")  # takes the suggestion
        await pilot.press("tab")  # to the role
        await pilot.press("enter")
        await settle(pilot)
        # Different only in case and spacing: asked, and Enter keeps the existing one.
        await pilot.press("plus")
        await pilot.pause()
        await type_text(pilot, "Dee Roe")
        await pilot.press("tab")
        await type_text(pilot, "middlesbrough  council")
        await pilot.press("enter")
        await pilot.pause()
        assert "Middlesbrough Council" in screen_text(pilot) and "exists" in screen_text(pilot)
        await pilot.press("enter")
        await settle(pilot)
    stored = Archive(tmp_path / "data").load(session.id).session
    assert [o.name for o in stored.organisations] == ["Middlesbrough Council", "NHS Trust"]
    council = stored.organisations[0].id
    assert [(p.name, p.organisation_id) for p in stored.participants[2:]] == [
        ("Cara Moss", council),
        ("Dee Roe", council),
    ]


async def test_tab_in_the_series_field_takes_the_series_it_suggests(tmp_path: Path, partnership: Codebook) -> None:
    from textual.widgets import Input, TextArea

    archive = Archive(tmp_path / "data")
    earlier = _with_organisation(partnership, "City Council").model_copy(
        update={"series": "North Locality Board", "planned_agenda": ["Welcome", "Budget"]}
    )
    archive.create_session(earlier).close()
    app = ObserverApp(archive, clock=FakeClock(at(0)))
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        form.query_one("#title", Input).value = "March"
        form.query_one("#series", Input).focus()
        await type_text(pilot, "North")
        await pilot.pause(0.2)
        await pilot.press("tab")
        await pilot.press("tab")  # leaving Series fills the agenda of its last meeting
        await pilot.pause()
        assert form.query_one("#agenda", TextArea).text == "Welcome\nBudget"
        await pilot.press("ctrl+s")
        await settle(pilot)
        created = coding_screen(pilot).view.session
    assert created.series == "North Locality Board"
    assert created.planned_agenda == ["Welcome", "Budget"]


def test_a_planned_agenda_files_the_talk_from_the_first_word(tmp_path: Path) -> None:
    """`observer new --agenda A --agenda B`: the first contributions are in A, A+Enter moves to B, and the
    Summary has no "(no agenda item)" row."""
    import asyncio

    from click.testing import CliRunner

    from observer.analysis.metrics import summarise
    from observer.cli.main import main

    data_dir = tmp_path / "data"
    result = CliRunner().invoke(
        main,
        [
            "--data-dir",
            str(data_dir),
            "new",
            "--title",
            "Board",
            "--agenda",
            "Welcome",
            "--agenda",
            "Budget",
            "--roster",
            str(_roster(tmp_path)),
            "--no-open",
        ],
    )
    assert result.exit_code == 0 and "2 agenda items" in result.output, result.output
    archive = Archive(data_dir)
    (session_id,) = archive.session_ids()

    async def code() -> None:
        clock = FakeClock(at(0))
        app = ObserverApp(archive, start="coding", session_id=session_id, clock=clock)
        async with app.run_test(size=(120, 35)) as pilot:
            await settle(pilot)
            for key in ("1", "2"):
                await press(pilot, key)
                clock.advance(30)
            await pilot.press("A")
            await pilot.pause()
            await pilot.press("enter")  # the prompt holds "Budget": Enter accepts it
            await settle(pilot)
            clock.advance(5)
            await press(pilot, "1")
            clock.advance(30)

    asyncio.run(code())
    data = archive.load(session_id)
    items = {item.id: item.title for item in data.session.agenda_items}
    assert [items[c.agenda_item_id] for c in data.contributions if c.agenda_item_id] == ["Welcome", "Welcome", "Budget"]
    assert [row.label for row in summarise(data).agenda] == ["Welcome", "Budget"]


def _roster(tmp_path: Path) -> Path:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,organisation\nAnn Lee,City Council\nBo Ek,NHS Trust\n", encoding="utf-8")
    return roster


async def test_the_help_screen_says_what_each_code_means_and_filters(tmp_path: Path, partnership: Codebook) -> None:
    from textual.widgets import Static

    from observer.tui.key_help import KeyHelp

    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    shield = partnership.flag("governance_shield")
    assert shield is not None and shield.description
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=FakeClock(at(0)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, KeyHelp)
        codes = str(app.screen.query_one("#help-codes", Static).render())
        assert shield.description in " ".join(codes.split())
        shown = " ".join(screen_text(pilot).split())
        assert "E End" in shown and "ctrl+q Quit" in shown
        await pilot.press("slash")
        await type_text(pilot, "board")
        await pilot.pause()
        codes = " ".join(str(app.screen.query_one("#help-codes", Static).render()).split())
        assert "Governance shield (GS)" in codes and "Coordinator" not in codes
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, KeyHelp)


async def test_exports_from_home_and_the_series_screen_land_where_they_say(
    tmp_path: Path, partnership: Codebook, monkeypatch
) -> None:
    """Home's export went to the home folder under a name cut mid-word, in a box too narrow to read; the
    series screen could not write the trend workbook at all."""
    from textual.widgets import Input, Static

    from observer.tui.dialogs import PathPrompt
    from observer.tui.home import HomeScreen
    from observer.tui.review import TrendsScreen

    from .tui_helpers import shown

    monkeypatch.chdir(tmp_path)
    archive, session_id, _ = _ended_meeting(tmp_path, partnership)
    title = "Board, November meeting of the North Locality partnership"
    data = archive.load(session_id)
    archive.trash_session(session_id)
    archive.add_session(data.model_copy(update={"session": data.session.model_copy(update={"title": title})}))
    expected = tmp_path / "observer-2026-03-02-board-november-meeting-of-the-north-locality-partnership.xlsx"
    app = ObserverApp(archive, clock=FakeClock(at(0)))
    async with app.run_test(size=(80, 24)) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        for _ in range(100):
            await pilot.pause(0.02)
            if home.sessions:
                break
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, PathPrompt)
        assert app.screen.query_one(Input).value == str(expected)
        assert str(expected) in " ".join(str(app.screen.query_one("#prompt-path", Static).render()).split())
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # names as recorded
        for _ in range(200):
            await pilot.pause(0.05)
            if expected.exists():
                break
        assert expected.exists()
        await pilot.press("s")
        await shown(pilot, TrendsScreen)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")
        trend = tmp_path / "observer-trends-north.xlsx"
        for _ in range(200):
            await pilot.pause(0.05)
            if trend.exists():
                break
        assert trend.exists()
    from openpyxl import load_workbook

    assert load_workbook(trend).sheetnames[0] == "Dashboard"
