"""Home journeys by key: demo data, review, agreement, export, delete and undelete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from textual.widgets import DataTable, Input

from observer.interop.demo import DEMO_SESSIONS, generate_demo, second_observer
from observer.storage import Archive
from observer.tui.app import ObserverApp
from observer.tui.home import HomeScreen
from observer.tui.review import AgreementScreen, ReviewScreen

from .tui_helpers import FakeClock, screen_text, shown, until


async def wait_for(pilot, condition, timeout: float = 20.0) -> None:
    await until(pilot, condition, "Home's state", timeout)


def contribution_columns(path: Path) -> dict[str, list]:
    """The Contributions sheet of a workbook, column by column."""
    rows = list(load_workbook(path, read_only=True)["Contributions"].iter_rows(values_only=True))
    return {name: [row[index] for row in rows[1:]] for index, name in enumerate(rows[0])}


@pytest.mark.parametrize("rules", ["posix", "windows"])
async def test_home_journeys(tmp_path: Path, rules: str, request: pytest.FixtureRequest) -> None:
    """Demo meetings, review, agreement, export (named and pseudonymised), delete and restore; also under
    Windows' file and process rules (``tests/windows_rules.py``)."""
    if rules == "windows":
        request.getfixturevalue("windows")
    archive = Archive(tmp_path / "data")
    app = ObserverApp(archive, clock=FakeClock())
    async with app.run_test(size=(140, 40)) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        await pilot.pause()
        assert "Welcome to observer" in screen_text(pilot)

        # An empty archive offers demo data: m loads it.
        await pilot.press("m")  # the same meetings as `observer demo`
        await wait_for(pilot, lambda: len(home.sessions) == DEMO_SESSIONS)
        table = home.query_one("#sessions", DataTable)
        assert table.row_count == DEMO_SESSIONS and not home.query_one("#welcome").display

        # Review the selected session.
        await pilot.press("v")  # the session is read off the event loop, then shown
        await shown(pilot, ReviewScreen)
        assert "Partnership-first (PFI)" in screen_text(pilot)
        await pilot.press("escape")
        await pilot.pause()

        # Agreement with a simulated second observer of the same meeting.
        first = archive.load(home.sessions[0].session.id)  # Home holds headers; whole sessions are read on demand
        archive.add_session(second_observer(first, change_share=0.3, seed=1))
        home.reload()
        await wait_for(pilot, lambda: len(home.sessions) == DEMO_SESSIONS + 1)
        table.move_cursor(row=next(i for i, d in enumerate(home.sessions) if d.session.id == first.session.id))
        await pilot.press("g")
        await pilot.pause()
        await pilot.press(*"second")  # type to filter the picker
        await pilot.press("enter")
        await shown(pilot, AgreementScreen)
        rendered = screen_text(pilot)
        assert "contribution-matched" in rendered and "kappa" in rendered
        await pilot.press("escape")
        await pilot.pause()

        # Export the selected session to a workbook: with names (the first choice), then pseudonymised.
        loaded = [archive.load(summary.session.id) for summary in home.sessions]
        row, exported = next((i, data) for i, data in enumerate(loaded) if any(c.note for c in data.contributions))
        table.move_cursor(row=row)
        names = {p.name for p in exported.session.participants} | {o.name for o in exported.session.organisations}
        noted = [c.note for c in exported.contributions if c.note]
        target = tmp_path / "out.xlsx"
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, target.exists)
        named = contribution_columns(target)
        assert set(named["participant"]) - {None} <= names and set(named["organisation"]) <= names
        assert [n for n in named["note"] if n] == noted

        research = tmp_path / "research.xlsx"
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one(Input).value = str(research)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*"dropped")  # type to filter: "Pseudonyms …, notes dropped"
        await pilot.press("enter")
        await wait_for(pilot, research.exists)
        pseudonymised = contribution_columns(research)
        assert all(re.fullmatch(r"P\d\d", p) for p in pseudonymised["participant"] if p is not None)
        assert all(re.fullmatch(r"O\d\d", o) for o in pseudonymised["organisation"])
        assert not any(pseudonymised["note"])
        assert len(pseudonymised["participant"]) == len(exported.contributions)
        cells = {str(v) for column in pseudonymised.values() for v in column}
        assert not cells & names
        assert (tmp_path / "data" / "pseudonyms.json").exists()
        await wait_for(pilot, lambda: "with pseudonyms" in screen_text(pilot))

        # Delete goes to the trash after a confirmation; u brings it back.
        doomed = home.sessions[table.cursor_row].session.id
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: len(home.sessions) == DEMO_SESSIONS)
        assert doomed not in archive.session_ids()
        await pilot.press("u")
        await wait_for(pilot, lambda: len(home.sessions) == DEMO_SESSIONS + 1)
        assert doomed in archive.session_ids()


async def test_home_starts_beside_a_copied_session_folder_and_says_so(tmp_path: Path, partnership) -> None:
    """``sessions/S.bak`` (a backup made by hand) used to crash every start of the app (DuplicateKey)."""
    import shutil

    from observer.tui.home import HomeScreen

    from .conftest import make_session

    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    shutil.copytree(archive.paths.session_dir(session.id), archive.paths.sessions / f"{session.id}.bak")
    app = ObserverApp(archive)
    async with app.run_test() as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        await wait_for(pilot, lambda: len(home.sessions) == 1)
        status = str(home.query_one("#home-status").render())
        assert f"{session.id}.bak" in status and f"holds session {session.id}" in status


async def test_coming_back_to_home_reads_only_the_session_that_changed(tmp_path: Path, partnership) -> None:
    from unittest import mock

    from observer.storage import archive as archive_module

    from .conftest import make_session

    archive = Archive(tmp_path / "data")
    sessions = [make_session(partnership, title=f"Board {n}") for n in range(6)]
    for session in sessions:
        archive.create_session(session).close()
    read: list[str] = []
    real = archive_module.trusted_header

    def counted(paths, session_id):
        read.append(session_id)
        return real(paths, session_id)

    app = ObserverApp(archive, clock=FakeClock())
    with mock.patch.object(archive_module, "trusted_header", counted):
        async with app.run_test(size=(140, 40)) as pilot:
            home = app.screen
            assert isinstance(home, HomeScreen)
            await wait_for(pilot, lambda: len(home.sessions) == 6)
            assert sorted(read) == sorted(s.id for s in sessions)
            read.clear()
            table = home.query_one("#sessions", DataTable)
            table.move_cursor(row=next(i for i, s in enumerate(home.sessions) if s.session.title == "Board 3"))
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is not home)
            await pilot.pause()
            await pilot.press("1")
            await pilot.pause(0.3)
            await pilot.press("ctrl+w")
            await wait_for(
                pilot,
                lambda: (
                    app.screen is home
                    and home.sessions[0].contributions + sum(s.contributions for s in home.sessions[1:]) == 1
                ),
            )
    board_3 = next(s.id for s in sessions if s.title == "Board 3")
    assert read == [board_3]


async def test_an_archive_folder_named_like_markup_is_shown_as_named(tmp_path: Path, monkeypatch) -> None:
    """The archive's folder is shown on Home as it is named: "[bold]" in a folder's name is not markup (read as
    markup, it vanished and turned the rest bold; "[/x]" alone stopped being read at all). Under the home folder
    the path is shown from "~", which an 80-column screen has room for."""
    monkeypatch.setenv("HOME", str(tmp_path))
    archive = Archive(tmp_path / "notes [bold]b" / "data")
    generate_demo(archive, sessions=1, contributions=5)
    app = ObserverApp(archive, clock=FakeClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "1 session in" in screen_text(pilot))
        assert "1 session in ~/notes [bold]b/data" in screen_text(pilot)
        assert app.sub_title == "~/notes [bold]b/data"
        assert screen_text(pilot).count("~/notes [bold]b/data") == 2  # the header's too


@pytest.mark.parametrize("where", ["home", "new-session form", "speaker search", "help", "end dialog"])
async def test_ctrl_q_quits_from_every_screen_and_dialog(tmp_path: Path, where: str) -> None:
    """ctrl+q reaches the app through the focused widget (so that it comes after every key typed before it): from
    a text field, a dialog or a screen over the coding screen, it still quits, and the session is closed."""
    from observer.core.models import SessionStatus

    from .conftest import make_session
    from .tui_helpers import coding_screen, press, settle

    archive = Archive(tmp_path / "data")
    archive.ensure()
    if where == "home":
        app = ObserverApp(archive, clock=FakeClock())
    else:
        from observer.core.codebooks import resolve_codebook

        session = make_session(resolve_codebook("partnership", None))
        app = ObserverApp(archive, start="coding", session_id=session.id, store=archive.create_session(session))
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        if where == "new-session form":
            await pilot.press("ctrl+w")  # home
            await pilot.pause()
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.focused, Input)
        elif where != "home":
            await settle(pilot)
            await press(pilot, "1", "p")
            keys = {"speaker search": "slash", "help": "question_mark", "end dialog": "E"}
            await pilot.press(keys[where])
            await pilot.pause()
            assert app.screen is not coding_screen(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app._exit, f"ctrl+q did not quit from the {where}"
    if where not in ("home", "new-session form"):
        stored = archive.load(session.id)
        assert stored.session.status == SessionStatus.PAUSED and len(stored.contributions) == 1


async def test_home_shows_a_second_codings_whole_id(tmp_path: Path) -> None:
    # The demo's second coding of a meeting is the first's id and "-b": cut to the column's 13 characters it
    # read as the first coding's id, on a row like the first's in every other column.
    archive = Archive(tmp_path / "data")
    generate_demo(archive, sessions=1, contributions=10)
    [first] = archive.session_ids()
    archive.add_session(second_observer(archive.load(first), change_share=0.3, seed=1))
    app = ObserverApp(archive, clock=FakeClock())
    async with app.run_test(size=(120, 35)) as pilot:
        home = app.screen
        await wait_for(pilot, lambda: len(home.sessions) == 2)
        table = home.query_one("#sessions", DataTable)
        shown_ids = {str(table.get_row_at(row)[-1]) for row in range(table.row_count)}
        assert shown_ids == {first, f"{first}-b"}, shown_ids
        assert f"{first}-b" in screen_text(pilot)
