"""Snapshots of the main screens at fixed sizes, with a fixed clock and fixed ids.

Review every snapshot change as you would a diff: ``pytest --snapshot-update`` accepts new ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from observer.core.codebooks import resolve_codebook
from observer.live.coding import CodingSession
from observer.storage import Archive
from observer.tui.app import ObserverApp

from .conftest import at, make_session
from .tui_helpers import FakeClock, settle


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own archive folder, shown the same on every run and machine: "~/observer-data"."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path / "observer-data"


def mid_meeting_archive(root: Path) -> tuple[Archive, str]:
    """A fixed archive: one earlier ended meeting and one in progress with twelve coded contributions."""
    archive = Archive(root)
    codebook = resolve_codebook("partnership", None)
    earlier = make_session(codebook, title="Board, February").model_copy(update={"id": "s-earlier"})
    with archive.create_session(earlier) as store:
        coding = CodingSession(store)
        coding.speak(at(0), participant_id=earlier.participants[0].id)
        coding.set_code(at(1), "orientation", "org_first")
        coding.end_session(at(90))
    session = make_session(codebook, title="Board, March").model_copy(update={"id": "s-current"})
    with archive.create_session(session) as store:
        coding = CodingSession(store)
        coding.start_agenda_item(at(0), "Budget pressures")
        script = [
            (0, "o", "t"),
            (2, "p", "r"),
            (1, "o", "t"),
            (3, "p", "r"),
            (0, "n", ""),
            (2, "p", "t"),
            (1, "o", "t"),
            (3, "p", "r"),
            (2, "p", "r"),
            (0, "o", "r"),
            (1, "o", "t"),
            (3, "", ""),
        ]
        for index, (who, orientation, topic) in enumerate(script):
            coding.speak(at(index * 25), participant_id=session.participants[who].id)
            if orientation:
                coding.set_code(
                    at(index * 25 + 1),
                    "orientation",
                    {"o": "org_first", "p": "partnership_first", "n": "neutral"}[orientation],
                )
            if topic:
                coding.set_code(at(index * 25 + 2), "topic", {"t": "transactional", "r": "relational"}[topic])
            if index == 5:
                coding.toggle_flag(at(index * 25 + 3), "coordinator")
                coding.set_note(at(index * 25 + 4), "asks what the partnership needs from us")
            if index == 7:
                coding.start_agenda_item(at(index * 25 + 10), "Shared outcomes")
    return archive, session.id


def app(root: Path, start: str = "home", session_id: str | None = None, seconds: float = 300) -> ObserverApp:
    archive, current = mid_meeting_archive(root)
    return ObserverApp(archive, start=start, session_id=session_id and current, clock=FakeClock(at(seconds)))


async def settled(pilot: Pilot) -> None:
    await settle(pilot)


async def listed(pilot: Pilot) -> None:
    """Home with its list on screen (it is read by a worker)."""
    from observer.tui.home import HomeScreen

    for _ in range(500):
        await pilot.pause()
        home = pilot.app.screen
        if isinstance(home, HomeScreen) and home.sessions and not home.workers:
            break
    await pilot.pause()


SIZES = [(80, 24), (120, 35), (160, 45)]
SIZE_IDS = ["80x24", "120x35", "160x45"]


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_home(snap_compare, data_dir: Path, size: tuple[int, int]) -> None:
    assert snap_compare(app(data_dir), terminal_size=size, run_before=listed)


def test_home_empty_archive(snap_compare, data_dir: Path) -> None:
    empty = ObserverApp(Archive(data_dir), clock=FakeClock(at(0)))
    assert snap_compare(empty, terminal_size=(100, 24), run_before=settled)


def test_new_session_form(snap_compare, data_dir: Path) -> None:
    async def open_form(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()

    assert snap_compare(app(data_dir), terminal_size=(100, 40), run_before=open_form)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_coding_mid_meeting(snap_compare, data_dir: Path, size: tuple[int, int]) -> None:
    assert snap_compare(app(data_dir, "coding", "current"), terminal_size=size, run_before=settled)


def test_end_summary(snap_compare, data_dir: Path) -> None:
    async def end(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("E")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)

    assert snap_compare(app(data_dir, "coding", "current"), terminal_size=(120, 50), run_before=end)
