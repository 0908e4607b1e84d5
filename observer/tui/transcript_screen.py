"""Coding a recorded meeting from its transcript: the coding screen, moving through turns instead of a clock.

Every key of the coding screen means what it means there, on the turn in view: the code and flag keys code it,
1–9 re-attribute it, N notes it, T moves its start, D deletes it. Which turn a key acts on is decided when it
is pressed (``turn_mover.TurnMover``): a coded turn stays in view, its flags still to key, until the next code
key, which codes the next uncoded turn. Tab and shift+Tab (or ↑↓) move freely and ``:`` goes to a turn by
number, J joins a turn with the next, S splits it between two words, A files the turns from this one on
under a new agenda item, F shows uncoded turns only, PageDown and PageUp read a long turn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar

from textual import events, on
from textual.binding import Binding, BindingType

from observer.clock import format_clock, format_tenths
from observer.coding import CodingSession
from observer.keys import CODING_KEYS, LEAVE_KEY, TRANSCRIPT_KEYS, AppKey
from observer.models import Contribution, SessionStatus, fully_coded
from observer.storage import Change
from observer.text import plural
from observer.tui.coding_screen import CodingScreen
from observer.tui.dialogs import Confirm, TextPrompt, WordCut
from observer.tui.key_order import handled_in_turn
from observer.tui.live_view import LiveView, turn_label
from observer.tui.panels import ClockBar, ClockState, TurnPanel, TurnState
from observer.tui.runner import Done
from observer.tui.turn_mover import TurnMover

TRANSCRIPT_OPENED = (
    "Transcript: the code keys code the turn shown, which stays (for its flags) until the next code key codes the "
    "next uncoded turn, shown below it. Tab/↑↓ move, : goes to a turn, 1–9 re-attribute, J joins with the next, "
    "S splits, F shows uncoded turns only, PgDn reads a long turn on."
)
# What the turn's words leave below them at least: the log's heading and three turns.
LOG_ROWS = 4
# The turn panel's lines besides the words: the turn before, "more follows", the turn after, its border.
TURN_PANEL_CHROME = 4
EVERY_TURN_CODED = "every turn is coded: Tab, ↑↓ or : go to a turn to change its codes"


# Keys of the coding screen that mean nothing on a transcript: no clock runs, nobody arrives or leaves.
LIVE_ONLY = {"toggle_clock", "add_attendee", "mark_left"}
# The screen's keys in its footer's order: End and Keys first, then the transcript's own, then the coding keys.
# Tab, undo and the keys that change turns come first: a narrow footer keeps them.
_FIRST = ("next_turn", "undo", "go_to_turn", "join_turns", "split_turn")
# E finishes a transcript's coding (the meeting itself is long over).
FINISH_KEY = replace(CODING_KEYS[0], description="Finish")
TRANSCRIPT_SCREEN_KEYS: tuple[AppKey, ...] = (
    FINISH_KEY,
    CODING_KEYS[1],
    *(key for action in _FIRST for key in (*TRANSCRIPT_KEYS, *CODING_KEYS) if key.action == action),
    *(key for key in TRANSCRIPT_KEYS if key.action not in _FIRST),
    *(key for key in CODING_KEYS[2:] if key.action not in LIVE_ONLY and key.action not in _FIRST),
)


def _binding(key: AppKey) -> Binding:
    # None has priority: a priority binding runs the moment the key arrives, ahead of the keys before it that the
    # screen has still to handle (Tab would move on before the code typed just ahead of it landed).
    return Binding(key.keys, key.action, key.description, show=key.show, id=key.action)


def _stepped(coding: CodingSession, change: Change, verb: str) -> Done:
    """An undone or redone step, naming the turn it changed; the screen goes to that turn."""
    turns = [
        write.record_id
        for write in change.writes
        if write.kind == "contribution" and write.record_id in coding.store.contributions
    ]
    if not turns:
        return Done(f"{verb}: {change.label}")
    return Done(f"{verb}: {turn_label(coding, turns[0])}: {change.label}", focus=turns[0])


class TranscriptScreen(CodingScreen, inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [*(_binding(key) for key in TRANSCRIPT_SCREEN_KEYS), _binding(LEAVE_KEY)]
    SCREEN_KEYS = TRANSCRIPT_SCREEN_KEYS
    TURNS = True
    ENDED_MESSAGE = TRANSCRIPT_OPENED

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.mover = TurnMover(())
        self.uncoded_only = False
        self._focus_wanted: str | None = None  # the turn an undo or redo changed, once a view shows it

    def on_mount(self) -> None:
        # Textual then calls the coding screen's own on_mount (it calls each class's handler in turn): calling
        # it here too would start a second worker and open the session twice.
        self.query_one("#centre").mount(TurnPanel(id="turn"), before="#current")

    # ------------------------------------------------------------ what is shown

    @on(CodingScreen.ActionDone)
    def follow_saved(self, message: CodingScreen.ActionDone) -> None:
        """Before the coding screen draws a saved view (Textual calls this class's handler first): the mover
        learns which keys it holds, and goes to the turn an undo or redo changed."""
        outcome = message.outcome
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

    def _render_view(self) -> None:
        self.selected_id = self.mover.current
        super()._render_view()
        self._show_turn()
        self.call_after_refresh(self._fit_turn)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_turn)

    def _fit_turn(self) -> None:
        """The turn's words take what the centre column has left once the codes and a few rows of the log are
        drawn: a long turn reads in full where it fits, and scrolls where it does not."""
        if not self.is_mounted:
            return
        centre = self.query_one("#centre").size.height
        codes = self.query_one("#current").outer_size.height
        self.query_one(TurnPanel).fit(max(3, centre - codes - TURN_PANEL_CHROME - LOG_ROWS))

    def _show_moved(self) -> None:
        """The mover went to another turn at a key press: show it now, before any view arrives."""
        self.selected_id = self.mover.current
        if self.view is None:
            return
        if self.uncoded_only:
            self._update_log(self.view)
        else:
            self._show_selection()
        self._show_current(self.view)
        self._show_turn()
        self._tick()

    def _show_turn(self) -> None:
        mover = self.mover
        view = self.view
        if view is None:
            return
        number = mover.number(mover.current) or 0
        turns = view.data.contributions
        after = mover.next_shown()
        self.query_one(TurnPanel).state = TurnState(
            view.session,
            mover.turn(mover.current),
            number,
            len(turns),
            turns[number - 2] if number > 1 else None,
            mover.turn(after),
            mover.number(after) or 0,
            mover.waiting,
        )

    def _show_clock(self, view: LiveView) -> None:
        turns = view.data.contributions
        dimensions = view.session.codebook.dimension_ids
        coded = sum(1 for turn in turns if fully_coded(turn, dimensions))
        number = self.mover.number(self.selected_id)
        where = f"turn {number} of {len(turns)}" if number is not None else plural(len(turns), "turn")
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
            self._log_order = [
                turn.id
                for turn in view.data.contributions
                if turn.id == self.selected_id or not self.mover.complete(turn.id)
            ]
            self._show_selection()

    def _move_selection(self, step: int) -> None:
        target = self.mover.step(self._log_order, step)
        if target is None:
            self._status("no turns to move to", "refused")
            return
        self.mover.go(target)
        self._show_moved()

    # ------------------------------------------------------------ saving, each confirmation naming its turn

    def submit(self, action: Callable[[CodingSession], str | Done]) -> int | None:
        """Queue an action on the turn in view, its confirmation naming the turn ("turn 21 · Amara Okafor: …")."""
        return self._submit_on(self.selected_id, action)

    def _submit_on(self, turn_id: str | None, action: Callable[[CodingSession], str | Done]) -> int | None:
        if turn_id is None:
            return super().submit(action)

        def on_turn(coding: CodingSession) -> str:
            label = turn_label(coding, turn_id)  # before the action: a deleted turn is named as it was
            done = action(coding)
            return f"{label}: {done.message if isinstance(done, Done) else done}"

        return super().submit(on_turn)

    def action_undo(self) -> None:
        sequence = super().submit(lambda c: _stepped(c, c.undo_step(), "undone"))
        if sequence is not None:
            self.mover.unforeseen(sequence)

    def action_redo(self) -> None:
        sequence = super().submit(lambda c: _stepped(c, c.redo_step(), "redone"))
        if sequence is not None:
            self.mover.unforeseen(sequence)

    # ------------------------------------------------------------ keys

    def on_key(self, event: events.Key) -> None:
        # The code and flag keys are this screen's: the coding screen's own on_key (which Textual would call
        # next) is kept from them. Speaker keys and the rest it handles as it does live, on the turn in view.
        character = event.character
        if handled_in_turn(self, event) or character is None or self.view is None:
            return
        meaning = self.view.session.codebook.key_meanings().get(character)
        if meaning is None:
            return
        event.prevent_default()
        event.stop()
        dimension_id, code_id = meaning
        pressed_at = self.now()
        if dimension_id is None:
            target = self.mover.current
            if target is None:
                self._status("no turn to flag", "refused")
                return
            self._submit_on(target, lambda c: c.toggle_flag(pressed_at, code_id, target))
            return
        turn_id, moved = self.mover.code_key()
        if turn_id is None:
            self._status(EVERY_TURN_CODED if self.mover.current else "no turn to code", "refused")
            return
        if moved:
            self._show_moved()
        sequence = self._submit_on(turn_id, lambda c: c.set_code(pressed_at, dimension_id, code_id, turn_id))
        if sequence is not None:
            self.mover.keyed(sequence, turn_id, dimension_id, code_id)
            if self.mover.complete(turn_id):
                self._show_turn()  # below it now: where the next code key goes

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

    def action_end_session(self) -> None:
        """E: a transcript still to code is finished by the coder, who is told how many turns stay uncoded."""
        if not self._ready():
            return
        assert self.view is not None
        session = self.view.session
        if session.status != SessionStatus.TO_CODE:
            super().action_end_session()  # finished already: its summary
            return
        turns = self.view.data.contributions
        # The keys typed before E count, saved or not: the code completing the last turn may be on its way.
        uncoded = sum(1 for turn in turns if not self.mover.complete(turn.id))
        if not uncoded:
            self._ending = True  # that code finishes the transcript; the view it brings shows the summary
            return
        pressed_at = self.now()

        def finish(confirmed: bool | None) -> None:
            if confirmed:
                self._ending = True
                super(TranscriptScreen, self).submit(lambda c: c.end_session(pressed_at))

        self.app.push_screen(
            Confirm(
                "Finish coding this transcript?",
                f"{plural(uncoded, 'turn')} of {len(turns)} not coded on every dimension: they stay so, and count "
                "as not coded. Finished, the meeting counts in the series' trends. Escape goes back to coding "
                "(F shows the uncoded turns).",
            ),
            finish,
        )

    def action_read_on(self) -> None:
        if not self.query_one(TurnPanel).page(1):
            self._status("the whole turn is in view", "refused")

    def action_read_back(self) -> None:
        if not self.query_one(TurnPanel).page(-1):
            self._status("the whole turn is in view", "refused")

    def action_go_to_turn(self) -> None:
        if not self._ready():
            return
        assert self.view is not None
        turns = self.view.data.contributions
        if not turns:
            self._status("no turns to go to", "refused")
            return

        def go(text: str | None) -> None:
            if text is None or not text.strip() or self.view is None:
                return
            now = self.view.data.contributions  # joins and splits saved meanwhile renumber the turns
            # Decimal digits only: "²" is a digit to Python, but no number.
            number = int(text) if text.strip().isdecimal() else 0
            if not 1 <= number <= len(now):
                self._status(f"'{text.strip()[:20]}' is not a turn: type a number from 1 to {len(now)}", "refused")
                return
            self.mover.go(now[number - 1].id)
            self._show_moved()

        self.app.push_screen(TextPrompt(f"Go to turn (1–{len(turns)})", placeholder="a turn's number"), go)

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
        if turn is None:
            return
        assert self.view is not None
        view = self.view
        position = view.positions[turn.id]
        if position + 1 >= len(view.data.contributions):
            self._status("the last turn has no next one to join", "refused")
            return
        second = view.data.contributions[position + 1]
        pressed_at = self.now()

        def join(confirmed: bool | None = True) -> None:
            if confirmed:
                self._submit_on(
                    turn.id,
                    lambda c: c.join_with_next(pressed_at, turn.id, second.id) + " · ctrl+z separates them again",
                )
            else:
                kept = f"nothing joined: turn {position + 2} stays {view.session.speaker_name(second)}'s"
                self._status(kept, "saved")

        if (turn.participant_id, turn.organisation_id) == (second.participant_id, second.organisation_id):
            join()
            return
        first_name, second_name = view.session.speaker_name(turn), view.session.speaker_name(second)
        airtime = format_tenths(max(0.0, (second.end_s or second.start_s) - second.start_s))
        self.app.push_screen(
            Confirm(
                f"Join turn {position + 1} ({first_name}) with turn {position + 2} ({second_name})?",
                f"Two speakers. Joined, it is one turn of {first_name}'s: {second_name}'s words and {airtime} of "
                f"talk become {first_name}'s. Enter joins · Escape keeps them apart.",
            ),
            join,
        )

    def action_split_turn(self) -> None:
        turn = self._selected_turn()
        if turn is None:
            return
        if len(turn.words.split()) < 2:
            self._status("a turn of fewer than two words cannot be split", "refused")
            return
        pressed_at = self.now()

        def split(at_word: int | None) -> None:
            if at_word is not None:
                self._submit_on(turn.id, lambda c: c.split_turn(pressed_at, turn.id, at_word))

        self.app.push_screen(WordCut(turn), split)

    def action_agenda_item(self) -> None:
        turn = self._selected_turn()
        if turn is None:
            return
        pressed_at = self.now()

        def start(title: str | None) -> None:
            if title is not None:
                self._submit_on(
                    turn.id,
                    lambda c: f"agenda item: {c.start_agenda_item_at(pressed_at, turn.start_s, title).title}",
                )

        assert self.view is not None
        planned = self.view.session.next_planned_item() or ""
        self.app.push_screen(
            TextPrompt(f"Agenda item from this turn ({format_clock(turn.start_s)}) on. Title?", planned), start
        )
