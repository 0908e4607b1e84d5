"""The observer app: Home at the bottom of the stack, coding and review screens on top.

The app alone moves between screens: screens post the messages of ``observer.tui.messages`` and never import
one another (as harlequin's app does).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
from collections.abc import Callable
from pathlib import Path

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen

from observer.core.fields import utc_now
from observer.core.keys import QUIT_KEY
from observer.storage import Archive, SessionStore, system
from observer.tui.coding_screen import CodingScreen
from observer.tui.home import HomeScreen
from observer.tui.messages import GoHome, OpenSession, ShowAgreement, ShowReview, ShowTrends, StartNewSession
from observer.tui.new_session import NewSessionScreen
from observer.tui.review import AgreementScreen, ReviewScreen, TrendsScreen
from observer.tui.session_screen import SessionScreen
from observer.tui.transcript_screen import TranscriptScreen

SIGNAL_EXIT_SECONDS = 1.5
QUIT_FALLBACK_SECONDS = 2.0


class ObserverApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "observer"
    # Every action has its own key, shown in the footer and by ?: the palette would offer only Textual's own
    # commands (themes, screenshots) and take footer room from the coding keys.
    ENABLE_COMMAND_PALETTE = False
    # A priority binding, so that ctrl+q quits from any dialog (a modal screen hides the app's other bindings).
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
        self.archive = archive
        self.start = start
        self.start_session_id = session_id
        self.start_store = store
        self._clock = clock
        self._stop_leaving_on_close: Callable[[], None] = lambda: None
        self._quitting = False

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

    def action_help_quit(self) -> None:
        """ctrl+c: Textual's hint says "[b]ctrl+q[/b]" in markup, which our plain-text notices would show raw."""
        self.notify("Press ctrl+q to quit (every key pressed is saved).", title="Do you want to quit?")

    def now(self) -> dt.datetime:
        """Wall-clock time of a key press (a fixed clock in tests makes screens reproducible)."""
        return self._clock()

    def get_default_screen(self) -> Screen[None]:
        return HomeScreen(self.archive)

    def on_mount(self) -> None:
        if self.start == "coding" and self.start_session_id:
            transcript = self.start_store is not None and self.start_store.session.transcript is not None
            kind = TranscriptScreen if transcript else CodingScreen
            self.push_screen(kind(self.archive, self.start_session_id, self.start_store))
        # A closed terminal or a dropped SSH connection (SIGHUP; on Windows the console's close event), or a
        # polite kill (SIGTERM): leave as ctrl+q does, closing the session, rather than end mid-meeting.
        loop = asyncio.get_running_loop()
        self._stop_leaving_on_close = system.leave_when_terminal_closes(loop, self._leave_on_signal)

    # ------------------------------------------------------------ navigation: every move between screens

    @on(OpenSession)
    def open_session(self, message: OpenSession) -> None:
        kind = TranscriptScreen if message.transcript else CodingScreen
        screen = kind(self.archive, message.session_id, message.store)
        if message.replace:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    @on(StartNewSession)
    def start_new_session(self, message: StartNewSession) -> None:
        self.push_screen(NewSessionScreen(self.archive, message.sessions))

    @on(ShowReview)
    def show_review(self, message: ShowReview) -> None:
        review = ReviewScreen(self.archive, message.session_id, data=message.data, ended=message.ended)
        if message.ended:
            self.switch_screen(review)  # in place of the coding screen of the session just ended
        else:
            self.push_screen(review)

    @on(ShowTrends)
    def show_trends(self, message: ShowTrends) -> None:
        self.push_screen(TrendsScreen(message.series, message.sessions, self.archive, message.left_out))

    @on(ShowAgreement)
    def show_agreement(self, message: ShowAgreement) -> None:
        self.push_screen(AgreementScreen(message.first, message.second))

    @on(GoHome)
    def go_home(self) -> None:
        while len(self.screen_stack) > 1:  # Home is the default screen: always at the bottom
            self.pop_screen()

    def on_unmount(self) -> None:
        self._stop_leaving_on_close()

    def close_sessions(self) -> list[str]:
        """Close every open session (pause its clock, fold its journal, free its lock); what failed, if anything."""
        problems = []
        for screen in self.screen_stack:
            if isinstance(screen, SessionScreen) and (problem := screen.close_session()):
                problems.append(problem)
        return problems

    class QuitAfterKeys(Message):
        """ctrl+q, on its way to the app along the path every key takes (see ``action_quit``)."""

    async def action_quit(self) -> None:
        """Quit once every key that came before ctrl+q has been acted on.

        A priority key is acted on the moment it arrives, but the keys read with it (keys typed fast, or pasted,
        come in one read) are still on their way from the focused widget up to the screen. Quitting there and
        then closed the session before those keys were saved, and they were dropped. So the quit goes the way
        they went, and runs when it reaches the app behind them.
        """
        if self._quitting:
            return
        self._quitting = True
        (self.focused or self.screen).post_message(self.QuitAfterKeys())
        # Should it not arrive (the widget removed meanwhile), quit all the same.
        self.set_timer(QUIT_FALLBACK_SECONDS, self._quit_now)

    @on(QuitAfterKeys)
    def _quit_after_keys(self, message: QuitAfterKeys) -> None:
        message.stop()
        self._quit_now()

    def _quit_now(self) -> None:
        if self._exit:
            return
        problems = self.close_sessions()
        if problems:
            self.exit(return_code=1, message="observer: error: " + " ".join(problems))
        else:
            coding = [screen for screen in self.screen_stack if isinstance(screen, SessionScreen)]
            saved = [screen.saving.saved_on_leaving for screen in coding]
            said = " ".join(note for note in saved if note)
            self.exit(message=f"observer: {said}" if said else None)

    def _leave_on_signal(self, signum: int) -> None:
        self.close_sessions()  # the data is safe from here on, whatever the terminal does next
        # With the terminal gone, restoring it can block: do not let that keep the process alive.
        deadline = threading.Timer(SIGNAL_EXIT_SECONDS, os._exit, args=(128 + signum,))
        deadline.daemon = True
        deadline.start()
        self.exit(return_code=128 + signum)
