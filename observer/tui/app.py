"""The observer app: Home at the bottom of the stack, coding and review screens on top."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel

from observer.keys import QUIT_KEY
from observer.models import utc_now
from observer.store import Archive, SessionStore
from observer.tui.coding_screen import CodingScreen
from observer.tui.home import HomeScreen

SIGNAL_EXIT_SECONDS = 1.5


class ObserverApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "observer"
    BINDINGS = [Binding(QUIT_KEY.keys, QUIT_KEY.action, QUIT_KEY.description, priority=True)]

    def __init__(
        self,
        archive: Archive,
        start: str = "home",
        session_id: str | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        store: SessionStore | None = None,
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
        self.start_store = store
        self._clock = clock
        self._signals: list[int] = []

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """As Textual's, but plain text unless asked: messages carry names and titles people typed."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def now(self) -> dt.datetime:
        """Wall-clock time of a key press (a fixed clock in tests makes screens reproducible)."""
        return self._clock()

    def on_mount(self) -> None:
        self.push_screen(HomeScreen(self.archive))
        if self.start == "coding" and self.start_session_id:
            self.push_screen(CodingScreen(self.archive, self.start_session_id, self.start_store))
        # A closed terminal or a dropped SSH connection (SIGHUP), or a polite kill (SIGTERM): leave as ctrl+q
        # does, closing the session. (The kernel would otherwise end the process mid-meeting.)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError, AttributeError):
                loop.add_signal_handler(signum, self._leave_on_signal, signum)
                self._signals.append(signum)

    def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in self._signals:
            loop.remove_signal_handler(signum)

    def close_sessions(self) -> list[str]:
        """Close every open session (pause its clock, fold its journal, free its lock); what failed, if anything."""
        problems = []
        for screen in self.screen_stack:
            if isinstance(screen, CodingScreen) and (problem := screen.close_session()):
                problems.append(problem)
        return problems

    async def action_quit(self) -> None:
        problems = self.close_sessions()
        if problems:
            self.exit(return_code=1, message="observer: error: " + " ".join(problems))
        else:
            self.exit()

    def _leave_on_signal(self, signum: int) -> None:
        self.close_sessions()  # the data is safe from here on, whatever the terminal does next
        # With the terminal gone, restoring it can block: do not let that keep the process alive.
        deadline = threading.Timer(SIGNAL_EXIT_SECONDS, os._exit, args=(128 + signum,))
        deadline.daemon = True
        deadline.start()
        self.exit(return_code=128 + signum)
