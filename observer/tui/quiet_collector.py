"""When a coding screen frees the garbage its drawing left: a moment after the last change, never in the
middle of a key (``observer/tui/tuning.py`` says why and how much); each new change moves the moment on."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.screen import Screen
from textual.timer import Timer

from observer.tui.tuning import collect_while_quiet

# How long the screen must have been still before it collects, and how long without a change before the
# collection may be a full one.
QUIET_COLLECT_DELAY_SECONDS = 0.03
IDLE_SECONDS = 1.0


class QuietCollector:
    """``changed`` after a view is drawn, ``when_quiet`` after any other redraw; ``busy``: keys are queued."""

    def __init__(self, screen: Screen[None], busy: Callable[[], bool]) -> None:
        self._screen, self._busy = screen, busy
        self._timer: Timer | None = None
        self._last_change = time.monotonic()

    def changed(self) -> None:
        self._last_change = time.monotonic()
        self.when_quiet()

    def when_quiet(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._screen.set_timer(QUIET_COLLECT_DELAY_SECONDS, self._collect)

    def _collect(self) -> None:
        self._timer = None
        if self._busy():
            self.when_quiet()  # a key is being saved: its screen update comes first
            return
        collect_while_quiet(idle=time.monotonic() - self._last_change >= IDLE_SECONDS)
