"""Coding a recorded meeting from its transcript: the coding screen, moving through turns instead of a clock.

Every key of the coding screen means what it means there, on the turn in view: the code and flag keys code it,
1–9 re-attribute it, N notes it, T moves its start, D deletes it. When a key codes its last dimension the
next uncoded turn comes up. Tab and shift+Tab (or ↑↓) move freely, J joins a turn with the next, S splits it,
A files the turns from this one on under a new agenda item, F shows uncoded turns only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType

from observer.clock import format_clock, parse_clock
from observer.keys import CODING_KEYS, LEAVE_KEY, SPEAKER_KEYS, TRANSCRIPT_KEYS, AppKey
from observer.models import Contribution
from observer.text import plural
from observer.tui.coding_screen import CodingScreen
from observer.tui.dialogs import TextPrompt
from observer.tui.live_view import LiveView
from observer.tui.panels import ClockBar, ClockState, TurnPanel, TurnState

TRANSCRIPT_OPENED = (
    "Transcript: the code keys code the turn shown; once every dimension is coded the next uncoded turn comes "
    "up. Tab/↑↓ move, 1–9 re-attribute, J joins with the next, S splits, F shows uncoded turns only."
)


def _tenths(seconds: float) -> str:
    """A moment to a tenth of a second ("0:04.3"): a turn can be shorter than a second."""
    tenths = round(seconds * 10)
    return f"{format_clock(tenths // 10)}.{tenths % 10}"


def fully_coded(turn: Contribution, dimension_ids: Sequence[str]) -> bool:
    return all(dimension in turn.codes for dimension in dimension_ids)


# Keys of the coding screen that mean nothing on a transcript: no clock runs, nobody arrives or leaves.
LIVE_ONLY = {"toggle_clock", "add_attendee", "mark_left"}
# The screen's keys in its footer's order: End and Keys first, then the transcript's own, then the coding keys.
TRANSCRIPT_SCREEN_KEYS: tuple[AppKey, ...] = (
    *CODING_KEYS[:2],
    *TRANSCRIPT_KEYS,
    *(key for key in CODING_KEYS[2:] if key.action not in LIVE_ONLY),
)


def _binding(key: AppKey) -> Binding:
    return Binding(key.keys, key.action, key.description, show=key.show, id=key.action, priority=key.keys == "tab")


class TranscriptScreen(CodingScreen, inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [*(_binding(key) for key in TRANSCRIPT_SCREEN_KEYS), _binding(LEAVE_KEY)]
    SCREEN_KEYS = TRANSCRIPT_SCREEN_KEYS
    TURNS = True
    ENDED_MESSAGE = TRANSCRIPT_OPENED

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._advance_from: str | None = None  # the turn a code key was pressed on: move on once it is coded
        self.uncoded_only = False

    def on_mount(self) -> None:
        # Textual then calls the coding screen's own on_mount (it calls each class's handler in turn): calling
        # it here too would start a second worker and open the session twice.
        self.query_one("#centre").mount(TurnPanel(id="turn"), before="#current")

    # ------------------------------------------------------------ what is shown

    def _render_view(self) -> None:
        view = self.view
        assert view is not None
        dimensions = view.session.codebook.dimension_ids
        if self._advance_from is not None:
            turn = view.contribution(self._advance_from)
            if turn is not None and self.selected_id == turn.id and fully_coded(turn, dimensions):
                self.selected_id = self._next_uncoded(view, after=turn) or turn.id
            self._advance_from = None
        if self.selected_id is None or view.contribution(self.selected_id) is None:
            first = view.data.contributions[0] if view.data.contributions else None
            self.selected_id = self._next_uncoded(view, after=None) or (first.id if first else None)
        super()._render_view()
        self._show_turn(view)

    def _next_uncoded(self, view: LiveView, after: Contribution | None) -> str | None:
        """The first uncoded turn after ``after`` (from the start if None), wrapping round to earlier ones."""
        dimensions = view.session.codebook.dimension_ids
        turns = view.data.contributions
        start = view.positions[after.id] + 1 if after is not None else 0
        for turn in [*turns[start:], *turns[:start]]:
            if not fully_coded(turn, dimensions):
                return turn.id
        return None

    def _show_turn(self, view: LiveView) -> None:
        turns = view.data.contributions
        position = view.positions.get(self.selected_id or "")
        if position is None:
            state = TurnState(view.session, None, None, None)
        else:
            state = TurnState(
                view.session,
                turns[position - 1] if position > 0 else None,
                turns[position],
                turns[position + 1] if position + 1 < len(turns) else None,
            )
        self.query_one(TurnPanel).state = state

    def _show_clock(self, view: LiveView) -> None:
        turns = view.data.contributions
        dimensions = view.session.codebook.dimension_ids
        coded = sum(1 for turn in turns if fully_coded(turn, dimensions))
        position = view.positions.get(self.selected_id or "")
        where = f"turn {position + 1} of {len(turns)}" if position is not None else plural(len(turns), "turn")
        filtered = " · uncoded only" if self.uncoded_only else ""
        turn = view.contribution(self.selected_id)
        indices = self.summary.indices if self.summary is not None else None
        self.query_one(ClockBar).state = ClockState(
            view.session,
            turn.start_s if turn else 0.0,
            indices,
            False,
            f"{where} · {coded} coded{filtered}",
            saving=self.saving.words,
        )

    def _update_log(self, view: LiveView) -> None:
        super()._update_log(view)
        if self.uncoded_only:
            dimensions = view.session.codebook.dimension_ids
            self._log_order = [
                turn.id
                for turn in view.data.contributions
                if turn.id == self.selected_id or not fully_coded(turn, dimensions)
            ]
            self._show_selection()

    def _move_selection(self, step: int) -> None:
        if not self._log_order:
            self._status("no turns to move to", "refused")
            return
        index = self._log_order.index(self.selected_id) + step if self.selected_id in self._log_order else 0
        self.selected_id = self._log_order[max(0, min(index, len(self._log_order) - 1))]
        self._show_selection()
        if self.view is not None:
            self._show_current(self.view)
            self._show_turn(self.view)
            self._tick()

    # ------------------------------------------------------------ keys

    def on_key(self, event: events.Key) -> None:
        # Textual then calls the coding screen's own on_key, which codes the turn.
        if self.view is not None and event.character is not None and event.character not in SPEAKER_KEYS:
            meaning = self.view.session.codebook.key_meanings().get(event.character)
            if meaning is not None and meaning[0] is not None:  # a dimension's code, not a flag
                self._advance_from = self.selected_id

    def action_next_turn(self) -> None:
        self._move_selection(1)

    def action_previous_turn(self) -> None:
        self._move_selection(-1)

    def action_select_live(self) -> None:
        self._status("a transcript has no live end: Tab moves to the next turn, F to uncoded turns only", "refused")

    def action_uncoded_only(self) -> None:
        self.uncoded_only = not self.uncoded_only
        if self.view is not None:
            self._update_log(self.view)
            self._tick()
            shown = "uncoded turns only (F shows all)" if self.uncoded_only else "every turn"
            self._status(f"showing {shown}", "saved")

    def _selected_turn(self) -> Contribution | None:
        if not self._ready():
            return None
        assert self.view is not None
        turn = self.view.contribution(self.selected_id)
        if turn is None:
            self._status("no turn selected", "refused")
        return turn

    def action_join_turns(self) -> None:
        turn = self._selected_turn()
        if turn is not None:
            pressed_at = self.now()
            self.submit(lambda c: c.join_with_next(pressed_at, turn.id) + " · ctrl+z separates them again")

    def action_split_turn(self) -> None:
        turn = self._selected_turn()
        if turn is None:
            return
        end = turn.end_s if turn.end_s is not None else turn.start_s
        pressed_at = self.now()

        def split(text: str | None) -> None:
            if text is None:
                return
            try:
                at_s = parse_clock(text)
            except ValueError as error:
                self._status(str(error), "refused")
                return
            self.submit(lambda c: c.split_turn(pressed_at, turn.id, at_s))

        middle = _tenths((turn.start_s + end) / 2)
        title = f"Split this turn at (between {_tenths(turn.start_s)} and {_tenths(end)}; the words follow)"
        self.app.push_screen(TextPrompt(title, middle), split)

    def action_agenda_item(self) -> None:
        turn = self._selected_turn()
        if turn is None:
            return
        pressed_at = self.now()

        def start(title: str | None) -> None:
            if title is not None:
                self.submit(lambda c: f"agenda item: {c.start_agenda_item_at(pressed_at, turn.start_s, title).title}")

        assert self.view is not None
        planned = self.view.session.next_planned_item() or ""
        self.app.push_screen(
            TextPrompt(f"Agenda item from this turn ({format_clock(turn.start_s)}) on. Title?", planned), start
        )
