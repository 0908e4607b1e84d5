"""Coding actions run one at a time, in key order, on a thread of their own: typing never waits on the disk."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from observer.core.errors import ObserverError
from observer.live.coding_steps import ActionRefused

View = TypeVar("View")


@dataclass(frozen=True)
class Done:
    """What an action says when it has more to say than its message: the contribution the screen should show
    (undo goes to what it undid)."""

    message: str
    focus: str | None = None


@dataclass(frozen=True)
class Outcome(Generic[View]):
    """What one action did: a message for the status line, and (when the queue is drained) a fresh view."""

    message: str
    failed: bool = False  # refused or not saved
    storage_error: bool = False
    view: View | None = None
    pending: int = 0
    # The action's number in submission order (the first is 1): a view comes with the outcome of the last
    # action it shows, so the screen knows which of its keys the view already holds.
    sequence: int = 0
    focus: str | None = None


class ActionRunner(Generic[View]):
    """A queue of actions with one worker thread.

    Each action returns a status message. After the action (and so its journal write) completes, ``make_view`` is
    called on the worker thread to build an immutable view of the new state, which ``deliver`` hands back to
    the screen. In a burst of keys the view is built once the queue is drained, not after every key.
    """

    def __init__(self, make_view: Callable[[], View | None], deliver: Callable[[Outcome[View]], None]) -> None:
        self._make_view = make_view
        self._deliver = deliver
        self._jobs: queue.Queue[tuple[int, Callable[[], str | Done]] | None] = queue.Queue()
        self._submitted = 0
        self._thread = threading.Thread(target=self._work, name="observer-actions", daemon=True)
        self._busy = False
        self._then: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._thread.start()

    @property
    def pending(self) -> int:
        return self._jobs.qsize()

    @property
    def idle(self) -> bool:
        """No action queued or running (its outcome may still be on its way to the screen)."""
        return not self._busy and self._jobs.empty()

    def submit(self, action: Callable[[], str | Done]) -> int:
        """Queue ``action``; returns its number in submission order (its outcome's ``sequence``)."""
        with self._lock:
            self._submitted += 1
            self._jobs.put((self._submitted, action))
            return self._submitted

    def stop(self, then: Callable[[], None] | None = None) -> None:
        """Finish every queued action, then run ``then`` on the worker thread and end it.

        Nothing is delivered for ``then``: it runs while the screen is going away.
        """
        self._then = then
        self._jobs.put(None)
        self._thread.join()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                if self._then is not None:
                    self._then()
                return
            sequence, action = job
            self._busy = True
            try:
                done = action()
                outcome: Outcome[View] = (
                    Outcome(done.message, focus=done.focus) if isinstance(done, Done) else Outcome(done)
                )
            except ActionRefused as refusal:
                outcome = Outcome(str(refusal), failed=True)
            except ObserverError as error:
                outcome = Outcome(f"NOT SAVED: {error}", failed=True, storage_error=True)
            except Exception as error:  # a bug must not kill the worker and silently stop saving
                outcome = Outcome(
                    f"NOT SAVED: unexpected {type(error).__name__}: {error}", failed=True, storage_error=True
                )
            pending = self._jobs.qsize()
            view = self._make_view() if pending == 0 else None
            self._deliver(
                Outcome(outcome.message, outcome.failed, outcome.storage_error, view, pending, sequence, outcome.focus)
            )
            with self._lock:
                self._busy = False
