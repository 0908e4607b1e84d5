"""How a coding screen moves between contributions, and what its header says of where it is.

Live, ↑↓ select an earlier contribution and Esc (or ↓ past the newest) returns to coding live, on the newest;
the header shows the session clock. On a transcript the turn in view is the ``TurnMover``'s, decided as each
key is pressed; the log may show uncoded turns only; the header shows the turn's number and how many are coded,
and each confirmation names the turn it acted on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from observer.analysis.live_balance import LiveBalance
from observer.core.models import fully_coded
from observer.core.text import plural
from observer.live.coding import CodingSession
from observer.storage import Change
from observer.tui.live_view import LiveView, turn_label
from observer.tui.panels import ClockState
from observer.tui.runner import Done, Outcome
from observer.tui.saving import HeaderWords
from observer.tui.turn_mover import TurnMover

Action = Callable[[CodingSession], str | Done]


class LiveSelection:
    """The live screen's selection: None while coding live, else an earlier contribution being edited."""

    @staticmethod
    def step(order: Sequence[str], selected: str | None, step: int) -> str | None:
        """The contribution ``step`` rows from ``selected`` in ``order`` (None: live, past the newest)."""
        if selected is None:
            index = len(order) - 1 if step < 0 else None
        else:
            index = order.index(selected) + step
            if index >= len(order):
                index = None  # past the newest: back to live coding
        return order[max(0, index)] if index is not None else None

    @staticmethod
    def header(
        view: LiveView, now: dt.datetime, summary: LiveBalance | None, selected: str | None, saving: HeaderWords | None
    ) -> ClockState:
        indices = summary.indices if summary is not None else None
        return ClockState(view.session, view.session.clock_at(now), indices, selected is not None, saving=saving)


def stepped(coding: CodingSession, change: Change, verb: str) -> Done:
    """An undone or redone step, naming the turn it changed; the screen goes to that turn."""
    turns = [
        write.record_id
        for write in change.writes
        if write.kind == "contribution" and write.record_id in coding.store.contributions
    ]
    if not turns:
        return Done(f"{verb}: {change.label}")
    return Done(f"{verb}: {turn_label(coding, turns[0])}: {change.label}", focus=turns[0])


class TranscriptTurns:
    """The transcript screen's movement: the mover, whether the log shows uncoded turns only, and the turn an
    undo or redo changed, to go to once a view shows it."""

    def __init__(self) -> None:
        self.mover = TurnMover(())
        self.uncoded_only = False
        self._focus_wanted: str | None = None

    def take(self, outcome: Outcome[LiveView]) -> None:
        """Before a saved view is shown: the mover learns which keys it holds, and goes to the turn an undo or
        redo changed."""
        if outcome.focus is not None:
            self._focus_wanted = outcome.focus
        view = outcome.view
        if view is None:
            return
        self.mover.dimension_ids = view.session.codebook.dimension_ids
        self.mover.take_view(view.data.contributions, view.positions, outcome.sequence)
        if self._focus_wanted is not None and self.mover.turn(self._focus_wanted) is not None:
            self.mover.go(self._focus_wanted)
        self._focus_wanted = None

    def log_order(self, view: LiveView, order: Sequence[str], selected: str | None) -> Sequence[str]:
        """The turns the log lists: every one, or the uncoded ones (and the one in view)."""
        if not self.uncoded_only:
            return order
        return [turn.id for turn in view.data.contributions if turn.id == selected or not self.mover.complete(turn.id)]

    def header(
        self, view: LiveView, summary: LiveBalance | None, selected: str | None, saving: HeaderWords | None
    ) -> ClockState:
        turns = view.data.contributions
        dimensions = view.session.codebook.dimension_ids
        coded = sum(1 for turn in turns if fully_coded(turn, dimensions))
        number = self.mover.number(selected)
        where = f"turn {number} of {len(turns)}" if number is not None else plural(len(turns), "turn")
        filtered = " · uncoded only" if self.uncoded_only else ""
        turn = view.contribution(selected)
        indices = summary.indices if summary is not None else None
        progress = f"{where} · {coded} coded{filtered}"
        return ClockState(view.session, turn.start_s if turn else 0.0, indices, False, progress, saving=saving)

    @staticmethod
    def on_turn(turn_id: str | None, action: Action) -> Action:
        """``action``, its confirmation naming the turn ("turn 21 · Amara Okafor: …")."""
        if turn_id is None:
            return action

        def labelled(coding: CodingSession) -> str:
            label = turn_label(coding, turn_id)  # before the action: a deleted turn is named as it was
            done = action(coding)
            return f"{label}: {done.message if isinstance(done, Done) else done}"

        return labelled
