"""The session a coding screen shows: opened, and each key's action run, on the action runner's thread in key
order; each outcome back to the screen as a message; the status line; what the disk lacks; closing.

The screen shows a view once its action is in the journal (a crash keeps it), never waiting for the disk
itself (``tui/saving.py`` says what it lacks).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from observer.core.fields import utc_now
from observer.live.coding import CodingSession
from observer.storage import Archive, SessionStore
from observer.tui.live_view import LiveView, opening_message, view_of
from observer.tui.messages import GoHome
from observer.tui.runner import ActionRunner, Done, Outcome
from observer.tui.saving import SavingShown, SyncChanged
from observer.tui.tuning import freeze_long_lived_objects


@dataclass
class ActionDone(Message):
    """An action's outcome, from the action runner's thread."""

    outcome: Outcome[LiveView]


class ScreenSession:
    """``start`` on mounting, ``submit`` each key's action, ``take`` each ``ActionDone``, ``close`` on leaving.

    ``store``: the session already opened for writing (by ``observer new``/``resume``), else opened here.
    ``show_header`` and ``show_rows`` redraw what the disk's news changed; ``ended_message`` is what opening an
    ended session says.
    """

    def __init__(
        self,
        screen: Screen[None],
        archive: Archive,
        session_id: str,
        store: SessionStore | None,
        ended_message: str,
        show_header: Callable[[], object],
        show_rows: Callable[[], object],
    ) -> None:
        self._screen, self._archive, self.session_id = screen, archive, session_id
        self._given_store, self._ended_message = store, ended_message
        self._clock: Callable[[], dt.datetime] = utc_now
        self.coding: CodingSession | None = None
        self.runner: ActionRunner[LiveView] | None = None
        self.saving = SavingShown(show_header, show_rows, self._coding_stopped)  # what the disk lacks
        self._on_sync_change: Callable[[], object] = lambda: None
        self._status_shape = (-1, -1)  # the status line's (width, lines) when last laid out
        self._first_view_shown = False
        self.ending = False  # the end was confirmed: the view that shows it ended brings the summary
        # Not "_closed" on the screen: that name is Textual's own, and setting it silently stops its messages.
        self.closed = False
        self._close_error: str | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        screen = self._screen
        # Worker threads read the time through this, never through ``screen.app`` (Textual is not thread-safe).
        self._clock = screen.app.now  # type: ignore[attr-defined]

        def deliver(outcome: Outcome[LiveView]) -> None:
            # From the worker thread: wake the event loop now rather than at its next timer tick.
            loop.call_soon_threadsafe(screen.post_message, ActionDone(outcome))

        self._on_sync_change = lambda: loop.call_soon_threadsafe(screen.post_message, SyncChanged())
        self.runner = ActionRunner(self._make_view, deliver)
        self.runner.submit(self._open)

    def now(self) -> dt.datetime:
        return self._clock()

    @property
    def busy(self) -> bool:
        """An action is queued or running: the screen's own work waits for its outcome."""
        return self.runner is not None and not self.runner.idle

    @property
    def queued(self) -> bool:
        """Actions are waiting in the queue (not counting one running)."""
        return self.runner is not None and self.runner.pending > 0

    def _open(self) -> str:
        store = self._given_store or self._archive.open_session(self.session_id)
        store.on_sync_change(self._on_sync_change)
        self.coding = CodingSession(store)
        return opening_message(self.coding, self.coding.recover_after_interruption(self.now()), self._ended_message)

    def _make_view(self) -> LiveView | None:
        return None if self.coding is None else view_of(self.coding)

    def submit(self, action: Callable[[CodingSession], str | Done]) -> int | None:
        """Queue an action to run after every earlier key, on the worker thread; its number in the queue's order."""
        if self.runner is None or self.closed:
            return None

        def run() -> str | Done:
            return "" if self.coding is None else action(self.coding)

        return self.runner.submit(run)

    def take(self, outcome: Outcome[LiveView]) -> LiveView | None:
        """An outcome's message on the status line; the view it brings, for the screen to show (None: none)."""
        if outcome.failed and self.coding is None:
            # Only a session opened from Home gets here (the command line opens it before the app starts), so
            # Home is underneath.
            self.close()
            self._screen.app.notify(outcome.message.removeprefix("NOT SAVED: "), severity="error", timeout=10)
            self._screen.post_message(GoHome())
            return None
        if outcome.message:
            if outcome.storage_error:
                self.status(outcome.message, "error")
                self._screen.notify(outcome.message, severity="error", timeout=10)
            elif outcome.failed:
                self.status(outcome.message, "refused")
            else:
                self.status(f"✓ {outcome.message}", "saved")
        if outcome.view is not None and self.coding is not None:
            if not self._first_view_shown:
                self._first_view_shown = True
                freeze_long_lived_objects()  # the loaded session and the screen live as long as the screen
            self.look_at_disk(redraw=False)  # the screen draws it all anyway
        return outcome.view

    def status(self, text: str, kind: str) -> None:
        status = self._screen.query_one("#status", Static)
        # The whole screen is laid out again only when the message needs another number of lines.
        width = status.content_size.width
        shape = (width, len(Text(text).wrap(self._screen.app.console, width)) if width > 0 else -1)
        status.update(text, layout=shape != self._status_shape)
        self._status_shape = shape
        status.set_classes(kind)

    def look_at_disk(self, redraw: bool = True) -> None:
        self.saving.look(self.coding.store if self.coding is not None else None, redraw)

    def _coding_stopped(self, why: str) -> None:  # a sync failed: the store refuses every later action
        self._screen.post_message(ActionDone(Outcome(f"NOT SAVED: {why}", failed=True, storage_error=True)))

    def close(self) -> str | None:
        """Pause a running clock, fold the journal and release the session, after every queued key.

        Returns what went wrong, if closing failed (nothing recorded is lost then: it is all in the journal).
        Safe to call twice. Runs on the screen's thread, which waits for the disk: it is the last thing a screen
        does.
        """
        if self.closed or self.runner is None:
            return self._close_error
        self.closed = True
        now = self.now()
        problems: list[str] = []
        sync_failed: list[bool] = []  # a sync had failed (the screen may not have looked since)

        def finish() -> None:
            if self.coding is None:
                return
            sync_failed.append(self.coding.store.sync_failed)
            try:
                self.coding.close(now)
            except Exception as error:  # everything acknowledged is in the journal already
                problems.append(str(error))

        self.runner.stop(then=finish)
        self._close_error = self.saving.on_leaving(self.session_id, problems, any(sync_failed))
        if self.saving.saved_on_leaving is not None:
            self._screen.app.notify(self.saving.saved_on_leaving, timeout=20)
        return self._close_error
