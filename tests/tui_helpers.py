"""Driving the app in tests: a clock the test moves, and a wait for saved actions to reach the screen."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from observer.tui.log_view import ContributionLog
from observer.tui.runner import ActionRunner
from observer.tui.session_screen import SessionScreen

from .conftest import T0


class FakeClock:
    """Wall-clock time that only moves when the test says so."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.current = start

    def __call__(self) -> dt.datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)


def coding_screen(pilot: Pilot):  # a live or a transcript screen
    screen = next((s for s in reversed(pilot.app.screen_stack) if isinstance(s, SessionScreen)), None)
    assert screen is not None, f"no coding screen in {pilot.app.screen_stack}"
    return screen


def wait_idle(runner: ActionRunner[Any], timeout: float) -> bool:
    """Block (on a thread of the test's) until no action is queued or running on ``runner``, its outcome on its
    way to the screen; False if that took longer than ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not runner.idle:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


async def until(pilot: Pilot, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Wait for screen state: each round lets the app handle what is queued and lets its threads run (Textual's
    workers are awaited; the coding screens' action threads waited on until idle), then looks again."""
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {timeout:g} s")
        for screen in pilot.app.screen_stack:
            runner = getattr(screen, "runner", None)
            if runner is not None:
                await asyncio.to_thread(wait_idle, runner, max(0.0, deadline - time.monotonic()))
            coding = getattr(screen, "coding", None)
            if coding is not None:
                await asyncio.to_thread(coding.store.wait_synced, max(0.0, deadline - time.monotonic()))
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.01)  # a timer's moment (the balance waits for keys to pause)


async def settle(pilot: Pilot) -> None:
    """Wait until every queued action is saved, on the disk itself, and its outcome has been rendered."""

    def settled() -> bool:
        screens = [s for s in pilot.app.screen_stack if isinstance(s, SessionScreen)]
        return all(
            s.runner is None
            or (
                s.runner.idle
                and s.view is not None
                and not s.balance.pending
                and not s.saving.unsaved
                and not _syncing(s)
            )
            for s in screens
        )

    await until(pilot, settled, "saved actions on screen")
    await pilot.pause()


def _syncing(screen: SessionScreen) -> bool:
    return screen.coding is not None and screen.saving.failed is None and screen.coding.store.sync_state().waiting > 0


async def press(pilot: Pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*[_key_name(ch) for ch in text])


def _key_name(character: str) -> str:
    return {
        " ": "space",
        "/": "slash",
        ".": "full_stop",
        ",": "comma",
        ":": "colon",
        "-": "minus",
        "_": "underscore",
    }.get(character, character)


def log_rows(pilot: Pilot) -> list[str]:
    """What the log shows: each row as text at the log's width, oldest first."""
    log = coding_screen(pilot).query_one("#log", ContributionLog)
    return [log.row_text(contribution_id, log.size.width).plain for contribution_id in log.ids]


def log_ids(pilot: Pilot) -> list[str]:
    return list(coding_screen(pilot).query_one("#log", ContributionLog).ids)


def status_text(pilot: Pilot) -> str:
    from textual.widgets import Static

    return str(coding_screen(pilot).query_one("#status", Static).render())


def screen_text(pilot: Pilot) -> str:
    """The text on the terminal screen right now, as a user reads it."""
    import html
    import re

    svg = pilot.app.export_screenshot()
    text = re.sub(r"<[^>]+>", "", re.sub(r"</text>", "\n", svg))
    return html.unescape(text).replace("\xa0", " ")


async def review_from_home(pilot: Pilot) -> str:
    """Open the selected session's review from Home (``v``); its words on one line, spaces collapsed."""
    from observer.tui.review import ReviewScreen

    await pilot.pause()
    await pilot.press("v")
    await shown(pilot, ReviewScreen)
    return " ".join(screen_text(pilot).split())


async def shown(pilot: Pilot, screen_type: type) -> None:
    """Wait until a screen of ``screen_type`` is on top and has drawn what its workers computed."""

    def drawn() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, screen_type) and not screen.workers and not any(w.loading for w in screen.query("*"))

    await until(pilot, drawn, f"{screen_type.__name__} shown")
    await pilot.pause()


def panel_text(pilot: Pilot, selector: str) -> str:
    """What a panel of the coding screen shows, as plain text at its width on screen."""
    import io

    from rich.console import Console

    widget = coding_screen(pilot).query_one(selector)
    console = Console(width=max(widget.size.width, 20), file=io.StringIO(), record=True)
    console.print(widget.render())
    return console.export_text()


def turn_panel(pilot: Pilot) -> str:
    """What the transcript screen's turn panel holds, line by line: the turn before, the current turn whole
    (however much of it is scrolled out of view), what says more follows (if shown), the turn that comes next."""
    from textual.widgets import Static

    panel = coding_screen(pilot).query_one("#turn")
    parts = [str(panel.query_one(f"#{name}", Static).content) for name in ("turn-before", "turn-text")]
    more = panel.query_one("#turn-more", Static)
    if more.display:
        parts.append(str(more.content))
    parts.append(str(panel.query_one("#turn-after", Static).content))
    return "\n".join(parts)


def screen_lines(pilot: Pilot) -> list[str]:
    """The terminal's lines right now, each as a user reads it across the screen."""
    return [strip.text for strip in pilot.app.screen._compositor.render_strips()]
