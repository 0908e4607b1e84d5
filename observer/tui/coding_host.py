"""What the parts a coding screen is made of (its panels, its keys) ask of the screen that composes them: the
live screen and the transcript screen both answer, each in its own way (which contribution is selected, how
an action is confirmed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from textual.app import App
from textual.message import Message

from observer.analysis.live_balance import LiveBalance
from observer.core.models import Contribution
from observer.live.coding import CodingSession
from observer.tui.live_view import LiveView
from observer.tui.runner import Done
from observer.tui.screen_session import ScreenSession


class CodingHost(Protocol):
    @property
    def app(self) -> App[Any]: ...

    @property
    def view(self) -> LiveView | None:
        """The latest saved view (None until the session is open)."""

    @property
    def selected_id(self) -> str | None:
        """The contribution the keys edit (None: coding live, on the newest)."""

    @property
    def summary(self) -> LiveBalance | None:
        """The balance, following the view shortly."""

    @property
    def link(self) -> ScreenSession: ...

    def now(self) -> dt.datetime: ...

    def submit(self, action: Callable[[CodingSession], str | Done]) -> int | None:
        """Queue an action, confirmed as the screen confirms it."""

    def post_message(self, message: Message) -> bool: ...

    def tick(self) -> None:
        """Redraw the header (the clock, or a transcript's progress)."""


def target_of(view: LiveView, selected_id: str | None) -> Contribution | None:
    """What the keys act on: the selected contribution, or the newest."""
    if selected_id is not None:
        return view.contribution(selected_id)
    return view.data.contributions[-1] if view.data.contributions else None
