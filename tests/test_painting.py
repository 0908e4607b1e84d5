"""The coding screen paints only what changed: a frame a key has to wait behind is as small as the key's effect.

A panel given a state that reads as before (the clock ticks twice a second; the second shown changes once) is not
painted again, and a key that changes one row of the log paints that row, not the forty on screen.
"""

from __future__ import annotations

from pathlib import Path

import pytest
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


class _Timers:
    """A screen's timers, run by hand: what ``BalanceSchedule`` asks for and when."""

    def __init__(self) -> None:
        self.due: list[tuple[float, object]] = []

    def set_timer(self, delay: float, callback) -> None:  # type: ignore[no-untyped-def]
        self.due.append((delay, callback))


def test_no_balance_panel_is_drawn_into_a_keys_frame(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A panel waiting to be drawn when a key's outcome arrives waits for that key's frame to go out first, so that
    the frame the key waits for holds the key, not a panel as well (the slowest frames after a key, measured)."""
    from observer.tui import balance_schedule
    from observer.tui.balance_schedule import AFTER_KEY_SECONDS, BETWEEN_FRAMES_SECONDS, BalanceSchedule

    now = [100.0]
    monkeypatch.setattr(balance_schedule.time, "monotonic", lambda: now[0])
    timers = _Timers()
    schedule = BalanceSchedule(timers, busy=lambda: False, snapshot=lambda: None, now=lambda: None)  # type: ignore[arg-type]
    drawn: list[str] = []
    schedule.draw([lambda: drawn.append("header"), lambda: drawn.append("balance"), lambda: drawn.append("people")])
    assert drawn == ["header"] and timers.due[-1][0] == BETWEEN_FRAMES_SECONDS  # one a frame, as before

    now[0] += 0.015
    schedule.key_saved(pending=0)  # a key's row is on screen; its frame is at most 1/60 s away
    now[0] += BETWEEN_FRAMES_SECONDS - 0.015
    timers.due.pop()[1]()  # the panel's turn came: it is put off, not drawn into the key's frame
    assert drawn == ["header"]
    wait, step = timers.due.pop()
    assert wait == pytest.approx(AFTER_KEY_SECONDS - (BETWEEN_FRAMES_SECONDS - 0.015))  # after the key, not the panel
    now[0] += wait + 1e-9
    step()
    assert drawn == ["header", "balance"]
    now[0] += BETWEEN_FRAMES_SECONDS
    timers.due.pop()[1]()
    assert drawn == ["header", "balance", "people"]


def test_the_app_draws_up_to_120_frames_a_second_unless_told_otherwise() -> None:
    """At Textual's default 60, a key shown just after a still moment's frame waits up to two periods (33 ms)
    for its own frame; at 120, half that. A value the user set is kept."""
    import os
    import subprocess
    import sys

    probe = "import observer.tui.app, textual.constants as c; print(c.MAX_FPS)"
    environment = {key: value for key, value in os.environ.items() if key != "TEXTUAL_FPS"}
    ours = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=environment, timeout=60)
    assert ours.stdout.strip() == "120", ours.stderr
    theirs = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**environment, "TEXTUAL_FPS": "30"},
        timeout=60,
    )
    assert theirs.stdout.strip() == "30", theirs.stderr
