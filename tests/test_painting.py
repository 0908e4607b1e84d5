"""The coding screen paints only what changed: a frame a key has to wait behind is as small as the key's effect.

A panel given a state that reads as before (the clock ticks twice a second; the second shown changes once) is not
painted again, and a key that changes one row of the log paints that row, not the forty on screen.
"""

from __future__ import annotations

from pathlib import Path

from textual.geometry import Region

from observer.storage import Archive
from observer.tui.app import ObserverApp
from observer.tui.log_view import ContributionLog
from observer.tui.panels import ClockBar

from .conftest import make_session
from .tui_helpers import FakeClock, coding_screen, press, settle


def _recording(widget) -> list[tuple[Region, ...]]:
    """Every refresh ``widget`` asks for from now on, as the regions it names (none: the whole widget)."""
    calls: list[tuple[Region, ...]] = []
    refresh = widget.refresh

    def recorded(*regions, **options):
        calls.append(regions)
        return refresh(*regions, **options)

    widget.refresh = recorded
    return calls


async def test_a_clock_tick_that_shows_the_same_second_paints_nothing(tmp_path: Path, partnership) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    clock = FakeClock()
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "1", "o")
        screen = coding_screen(pilot)
        painted = _recording(screen.query_one(ClockBar))
        screen.tick()
        screen.tick()
        assert painted == []
        clock.advance(1)  # the next second: the clock's time changes, and only its line is painted
        screen.tick()
        assert painted and all(regions and all(r.height == 1 for r in regions) for regions in painted)


async def test_a_code_key_paints_only_the_row_it_codes(tmp_path: Path, partnership) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, *"1o2p3o4p5o")
        log = coding_screen(pilot).query_one(ContributionLog)
        painted = _recording(log)
        await press(pilot, "t")  # codes the newest row
        assert painted, "the coded row was not painted"
        assert all(regions for regions in painted), "the whole log was painted for one row"
        rows = {region.y for regions in painted for region in regions}
        newest = min(len(log.ids), log.size.height - 1)  # under the header, the newest row is the last shown
        assert rows == {newest}, (rows, newest)
        painted.clear()
        await press(pilot, "1")  # a new row: each row moves up, and the whole log is painted
        assert () in painted
        await settle(pilot)
