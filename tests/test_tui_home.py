"""Home journeys by key: demo data, review, agreement, export, delete and undelete."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from openpyxl import load_workbook
from textual.widgets import DataTable, Input

from observer.demo import DEMO_SESSIONS, second_observer
from observer.storage import Archive
from observer.tui.app import ObserverApp
from observer.tui.home import HomeScreen
from observer.tui.review import AgreementScreen, ReviewScreen

from .tui_helpers import FakeClock, screen_text


async def wait_for(pilot, condition, timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.02)):
        await pilot.pause()
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


def contribution_columns(path: Path) -> dict[str, list]:
    """The Contributions sheet of a workbook, column by column."""
    rows = list(load_workbook(path, read_only=True)["Contributions"].iter_rows(values_only=True))
    return {name: [row[index] for row in rows[1:]] for index, name in enumerate(rows[0])}


async def test_home_journeys(tmp_path: Path) -> None:
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
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert "Partnership-first (PFI)" in screen_text(pilot)
        await pilot.press("escape")
        await pilot.pause()

        # Agreement with a simulated second observer of the same meeting.
        first = home.sessions[0]
        archive.add_session(second_observer(first, change_share=0.3, seed=1))
        home.reload()
        await wait_for(pilot, lambda: len(home.sessions) == DEMO_SESSIONS + 1)
        table.move_cursor(row=next(i for i, d in enumerate(home.sessions) if d.session.id == first.session.id))
        await pilot.press("g")
        await pilot.pause()
        await pilot.press(*"second")  # type to filter the picker
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AgreementScreen)
        rendered = screen_text(pilot)
        assert "contribution-matched" in rendered and "kappa" in rendered
        await pilot.press("escape")
        await pilot.pause()

        # Export the selected session to a workbook: with names (the first choice), then pseudonymised.
        row, exported = next((i, d) for i, d in enumerate(home.sessions) if any(c.note for c in d.contributions))
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
