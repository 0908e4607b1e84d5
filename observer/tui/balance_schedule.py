"""When a coding screen redraws its balance: computed once the keys pause, on a worker thread, then its panels
drawn one a frame, each behind any key that came meanwhile.

Each key moves the moment of speaking on, so the balance (airtimes, shares of the room, indices) changes at
every key; redrawing it is a frame a key may have to wait behind, so it is not redrawn per key while an
observer keys quickly, yet never put off for more than a second.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import WorkerState

from observer.analysis.live_balance import LiveBalance, LiveBalanceTracker
from observer.core.models import SessionData

# Recomputed once the keys pause for this long, and at the latest this long after the first change not shown.
BALANCE_DELAY_SECONDS = 0.3
BALANCE_LATEST_SECONDS = 1.0
# Its panels are then drawn one a frame: a little over the 1/60 s between two frames.
BETWEEN_FRAMES_SECONDS = 0.02
# A key's own frame comes at the screen's next update (at most 1/60 s after its row changed) and takes a few
# milliseconds: no panel is drawn until then, so that the key's frame holds the key alone, not a panel too.
AFTER_KEY_SECONDS = 0.035


@dataclass
class BalanceReady(Message):
    """A balance computed on the worker thread, for the screen's ``summary``."""

    summary: LiveBalance


class BalanceSchedule:
    """The balance's timing for ``screen``: ``schedule`` after each change, ``hold`` while a key is queued,
    ``draw`` the panels once a summary is ready. ``busy`` says a key is queued or being saved (it goes first), or
    the session is closed;
    ``snapshot`` is the latest view's data (immutable, safe on the worker thread)."""

    def __init__(
        self,
        screen: Screen[None],
        busy: Callable[[], bool],
        snapshot: Callable[[], SessionData | None],
        now: Callable[[], dt.datetime],
    ) -> None:
        self._screen, self._busy, self._snapshot, self._now = screen, busy, snapshot, now
        self._tracker = LiveBalanceTracker()  # follows each change, instead of recounting the session
        self._timer: Timer | None = None
        self.due: float | None = None  # the latest moment a wanted update may come
        self._steps: list[Callable[[], None]] = []  # the panels still to draw, one a frame
        self._step_due = False  # the next of them is already scheduled
        self._key_at = float("-inf")  # when a key's outcome last arrived

    @property
    def pending(self) -> bool:
        """An update is scheduled, being computed, or still being drawn."""
        running = any(
            w.group == "balance" and w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in self._screen.workers
        )
        return self._timer is not None or running or bool(self._steps)

    def schedule(self) -> None:
        """Recompute once the keys pause, however many arrive meanwhile (within a second)."""
        now = time.monotonic()
        if self.due is None:
            self.due = now + BALANCE_LATEST_SECONDS
        if self._timer is not None:
            if now + BALANCE_DELAY_SECONDS >= self.due:
                return  # due soon anyway
            self._timer.stop()
        delay = min(BALANCE_DELAY_SECONDS, max(BETWEEN_FRAMES_SECONDS, self.due - now))
        self._timer = self._screen.set_timer(delay, self._start)

    def hold(self) -> None:
        """A key was queued: it goes first; the balance is scheduled again once its view arrives."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def key_saved(self, pending: int) -> None:
        """A key's outcome arrived: once the last queued key is saved, panels held for it go on after its frame."""
        self._key_at = time.monotonic()
        if self._steps and pending == 0 and not self._step_due:
            self._after_next_frame_and_keys()

    def draw(self, steps: Sequence[Callable[[], None]]) -> None:
        """Draw a new summary's panels one a frame, each after any key that came meanwhile: a key waits behind
        one small frame at most, not behind every panel drawn at once (~10 ms on a slow laptop)."""
        self._steps = list(steps)
        if not self._step_due:
            self._next_step()

    def _start(self) -> None:
        self._timer = None
        data = self._snapshot()
        if data is None or self._busy():
            return  # nothing to show yet, or a key is being saved: its view reschedules
        self.due = None
        screen, tracker, now = self._screen, self._tracker, self._now

        def compute() -> None:
            screen.post_message(BalanceReady(tracker.update(data, now())))

        # A fixed description: the default one would repr() the whole snapshot.
        screen.run_worker(compute, thread=True, exclusive=True, group="balance", description="balance panel")

    def _next_step(self) -> None:
        self._step_due = False
        if not self._steps or self._busy():
            return  # a key is being saved (its row first; its outcome carries on from here), or the session closed
        if time.monotonic() - self._key_at < AFTER_KEY_SECONDS:
            self._after_next_frame_and_keys()  # a key's frame is still to come
            return
        self._steps.pop(0)()
        self._after_next_frame_and_keys()

    def _after_next_frame_and_keys(self) -> None:
        """The next step once the screen has drawn what is pending (frames come at most every 1/60 s), behind
        any key queued by then: a timer's message joins the back of the queue. (``call_after_refresh`` runs
        before the panels' own refresh reaches the screen, so every panel would land in one frame.)"""
        self._step_due = True
        wait = max(BETWEEN_FRAMES_SECONDS, self._key_at + AFTER_KEY_SECONDS - time.monotonic())
        self._screen.set_timer(wait, self._next_step)
