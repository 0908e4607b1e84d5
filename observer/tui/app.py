"""The observer app: Home at the bottom of the stack, coding and review screens on top."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from observer.models import utc_now
from observer.store import Archive
from observer.tui.coding_screen import CodingScreen
from observer.tui.home import HomeScreen


class ObserverApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "observer"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(
        self,
        archive: Archive,
        start: str = "home",
        session_id: str | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        super().__init__()
        # Smooth scrolling of the log on every key only delays what the observer needs to see.
        self.animation_level = "none"
        # The balance panel is computed on a worker thread; hand the interpreter back to the screen every
        # millisecond (not every 5) so that a key pressed meanwhile is not kept waiting.
        sys.setswitchinterval(0.001)
        self.archive = archive
        self.start = start
        self.start_session_id = session_id
        self._clock = clock

    def now(self) -> dt.datetime:
        """Wall-clock time of a key press (a fixed clock in tests makes screens reproducible)."""
        return self._clock()

    def on_mount(self) -> None:
        self.push_screen(HomeScreen(self.archive))
        if self.start == "coding" and self.start_session_id:
            self.push_screen(CodingScreen(self.archive, self.start_session_id))

    async def action_quit(self) -> None:
        # Pause running clocks and fold journals before leaving; nothing depends on this for safety.
        for screen in self.screen_stack:
            if isinstance(screen, CodingScreen):
                screen.close_session()
        self.exit()
