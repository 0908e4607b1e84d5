"""What a screen asks of the app. Screens post these and never import one another: the app alone decides
which screen comes next (see ``ObserverApp``)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from observer.core.models import SessionData
from observer.storage import SessionStore


@dataclass
class OpenSession(Message):
    """Code a session: on top of the asking screen, or instead of it with ``replace`` (a form just created it).
    ``store``: the session already open for writing, if the asker opened it. ``transcript``: a session made
    from a transcript, coded turn by turn."""

    session_id: str
    store: SessionStore | None = None
    replace: bool = False
    transcript: bool = False


@dataclass
class StartNewSession(Message):
    """The form for a new session; ``sessions`` offer their series and rosters to carry over."""

    sessions: list[SessionData]


@dataclass
class ShowReview(Message):
    """One session's summary; ``ended``: the session was just ended, and the review replaces its coding screen."""

    session_id: str
    data: SessionData | None = None
    ended: bool = False


@dataclass
class ShowTrends(Message):
    series: str
    sessions: list[SessionData]
    left_out: int = 0  # unfinished sessions of the series not counted


@dataclass
class ShowAgreement(Message):
    first: SessionData
    second: SessionData


class GoHome(Message):
    """Back to Home, closing whatever is above it."""
