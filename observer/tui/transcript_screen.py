"""Coding a recorded meeting from its transcript: the coding screen's parts, moving through turns, not a clock.

Every key of the coding screen means what it means there, on the turn in view: the code and flag keys code it,
1–9 re-attribute it, N notes it, T moves its start, D deletes it. Which turn a key acts on is decided when it
is pressed (``turn_mover.TurnMover``): a coded turn stays in view, its flags still to key, until the next code
key, which codes the next uncoded turn. Tab and shift+Tab (or ↑↓) move freely and ``:`` goes to a turn by
number, J joins a turn with the next, S splits it between two words, A files the turns from this one on
under a new agenda item, F shows uncoded turns only, PageDown and PageUp read a long turn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import var

from observer.analysis.live_balance import LiveBalance
from observer.core.clock import format_clock, format_tenths
from observer.core.keys import CODING_KEYS, LEAVE_KEY, SPEAKER_KEYS, TRANSCRIPT_KEYS, AppKey, reserved_key_action
from observer.core.models import Contribution, SessionStatus
from observer.core.text import plural
from observer.live.coding import CodingSession
from observer.storage import Archive, SessionStore
from observer.tui.balance_schedule import BalanceSchedule
from observer.tui.coding_keys import CodingKeys
from observer.tui.dialogs import Confirm, TextPrompt, WordCut
from observer.tui.key_order import KeysBeforeOpen, handled_in_turn
from observer.tui.live_view import LiveView
from observer.tui.log_rows import LogRows
from observer.tui.panels import ClockState
from observer.tui.quiet_collector import QuietCollector
from observer.tui.runner import Done
from observer.tui.saving import SAVING_CHECK_SECONDS
from observer.tui.screen_panels import BREAKPOINTS, ScreenPanels, compose_coding_body
from observer.tui.screen_session import ActionDone, ScreenSession
from observer.tui.session_screen import SessionScreen
from observer.tui.turn_movement import TranscriptTurns, stepped
from observer.tui.turn_panel import TurnPanel, TurnState

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


class TranscriptScreen(SessionScreen, inherit_bindings=False):
    HORIZONTAL_BREAKPOINTS = BREAKPOINTS
    AUTO_FOCUS = None  # keys belong to the screen; the log only shows the turn in view
    BINDINGS: ClassVar[list[BindingType]] = [*(_binding(key) for key in TRANSCRIPT_SCREEN_KEYS), _binding(LEAVE_KEY)]

    # Always updated: a view or a summary is a new object each time, and comparing two would cost a frame; the
    # turn in view is drawn again when the coder goes to it, where it was already (it may be being corrected now).
    view: var[LiveView | None] = var(None, init=False, always_update=True)
    selected_id: var[str | None] = var(None, init=False, always_update=True)  # the turn in view: the mover's
    summary: var[LiveBalance | None] = var(None, init=False, always_update=True)

    def __init__(self, archive: Archive, session_id: str, store: SessionStore | None = None) -> None:
        super().__init__()
        self.archive, self.session_id = archive, session_id
        self.rows = LogRows()
        self.panels = ScreenPanels(self)
        self.early_keys = KeysBeforeOpen()
        self.link = ScreenSession(
            self,
            archive,
            session_id,
            store,
            TRANSCRIPT_OPENED,
            self.tick,
            lambda: self.panels.show_selection(self.rows),
        )
        self.balance = BalanceSchedule(
            self, lambda: self.link.closed or self.link.busy, lambda: self.view.data if self.view else None, self.now
        )
        self.collector = QuietCollector(self, lambda: self.link.queued)
        self.keys = CodingKeys(self)
        self.turns = TranscriptTurns()
        self.mover = self.turns.mover

    def compose(self) -> ComposeResult:
        yield from compose_coding_body()

    def on_mount(self) -> None:
        self.query_one("#centre").mount(TurnPanel(id="turn"), before="#current")
        self.panels.bind(self)
        self.link.start()
        self.set_interval(SAVING_CHECK_SECONDS, self.link.look_at_disk)

    def now(self) -> dt.datetime:
        return self.link.now()

    # ------------------------------------------------------------ what comes back, and what follows it

    @on(ActionDone)
    def action_done(self, message: ActionDone) -> None:
        self.balance.key_saved(message.outcome.pending)
        self.turns.take(message.outcome)  # before the view is drawn: the mover learns which keys it holds
        view = self.link.take(message.outcome)
        if view is not None:
            self.view = view
            for key in self.early_keys.taken():
                self.on_key(key)
            self.keys.end_if_ending()

    def watch_view(self, view: LiveView) -> None:
        self.rows.update(view)
        selected = self.mover.current if self.mover.current in self.rows.cells else None
        self.set_reactive(TranscriptScreen.selected_id, selected)  # drawn below, once
        self.rows.order = self.turns.log_order(view, self.rows.all_ids, selected)
        self.panels.show_clock(self._header(view))
        self.panels.show_selection(self.rows)
        self.panels.show_current()
        self.balance.schedule()
        self.collector.changed()
        self._show_turn()
        self.call_after_refresh(self._fit_turn)

    def watch_selected_id(self, selected: str | None) -> None:
        """The mover went to another turn at a key press: show it now, before any view arrives."""
        if self.view is None:
            return
        self.rows.order = self.turns.log_order(self.view, self.rows.all_ids, selected)
        self.panels.show_selection(self.rows)
        self.panels.show_current()
        self._show_turn()
        self.tick()

    def watch_summary(self) -> None:
        self.balance.draw(self.panels.balance_steps())

    def _header(self, view: LiveView) -> ClockState:
        return self.turns.header(view, self.summary, self.selected_id, self.saving.words)

    def tick(self) -> None:
        if self.view is not None:
            self.panels.show_clock(self._header(self.view))
            self.collector.when_quiet()

    def _show_moved(self) -> None:
        self.selected_id = self.mover.current

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

    # ------------------------------------------------------------ saving, each confirmation naming its turn

    def submit(self, action: Callable[[CodingSession], str | Done]) -> int | None:
        """Queue an action on the turn in view, its confirmation naming the turn ("turn 21 · Amara Okafor: …")."""
        return self._queue(self.turns.on_turn(self.selected_id, action))

    def _queue(self, action: Callable[[CodingSession], str | Done]) -> int | None:
        sequence = self.link.submit(action)
        if sequence is not None:
            self.balance.hold()  # the key first: the balance is scheduled again once its view arrives
        return sequence

    def action_undo(self) -> None:
        sequence = self._queue(lambda c: stepped(c, c.undo_step(), "undone"))
        if sequence is not None:
            self.mover.unforeseen(sequence)

    def action_redo(self) -> None:
        sequence = self._queue(lambda c: stepped(c, c.redo_step(), "redone"))
        if sequence is not None:
            self.mover.unforeseen(sequence)

    # ------------------------------------------------------------ keys

    def on_key(self, event: events.Key) -> None:
        if self.view is None and not self.link.closed:
            self.early_keys.hold(event)  # still opening: taken once it is open
            return
        character = event.character
        if handled_in_turn(self, event) or character is None or self.view is None:
            return
        if character in SPEAKER_KEYS:  # this turn's speaker is…
            event.stop()
            self.keys.speaker_key(SPEAKER_KEYS.index(character))
            return
        meaning = self.view.session.codebook.key_meanings().get(character)
        if meaning is None:
            if character.isprintable() and reserved_key_action(character) is None:
                self.link.status(f"'{character}' does nothing here · ? shows the keys", "refused")
            return
        event.stop()
        dimension_id, code_id = meaning
        pressed_at = self.now()
        if dimension_id is None:
            target = self.mover.current
            if target is None:
                self.link.status("no turn to flag", "refused")
                return
            self._queue(self.turns.on_turn(target, lambda c: c.toggle_flag(pressed_at, code_id, target)))
            return
        turn_id, moved = self.mover.code_key()
        if turn_id is None:
            self.link.status(EVERY_TURN_CODED if self.mover.current else "no turn to code", "refused")
            return
        if moved:
            self._show_moved()
        action = self.turns.on_turn(turn_id, lambda c: c.set_code(pressed_at, dimension_id, code_id, turn_id))
        sequence = self._queue(action)
        if sequence is not None:
            self.mover.keyed(sequence, turn_id, dimension_id, code_id)
            if self.mover.complete(turn_id):
                self._show_turn()  # below it now: where the next code key goes

    def _move_selection(self, step: int) -> None:
        target = self.mover.step(self.rows.order, step)
        if target is None:
            self.link.status("no turns to move to", "refused")
            return
        self.mover.go(target)
        self._show_moved()

    def action_next_turn(self) -> None:
        self._move_selection(1)

    def action_previous_turn(self) -> None:
        self._move_selection(-1)

    def action_select_next(self) -> None:
        self._move_selection(1)

    def action_select_previous(self) -> None:
        self._move_selection(-1)

    def action_select_live(self) -> None:
        self.link.status("a transcript has no live end: Tab moves to the next turn, F to uncoded turns only", "refused")

    def action_uncoded_only(self) -> None:
        self.turns.uncoded_only = not self.turns.uncoded_only
        if self.view is not None:
            self.rows.order = self.turns.log_order(self.view, self.rows.all_ids, self.selected_id)
            self.panels.show_selection(self.rows)
            self.tick()
            shown = "uncoded turns only (F shows all)" if self.turns.uncoded_only else "every turn"
            self.link.status(f"showing {shown}", "saved")

    def action_pick_speaker(self) -> None:
        self.keys.pick_speaker()

    def action_pick_organisation(self) -> None:
        self.keys.pick_speaker(people=False)

    def action_note(self) -> None:
        self.keys.note()

    def action_edit_start(self) -> None:
        self.keys.edit_start()

    def action_delete_contribution(self) -> None:
        self.keys.delete()

    def action_help(self) -> None:
        self.keys.help(TRANSCRIPT_SCREEN_KEYS, turns=True)

    def action_leave(self) -> None:
        self.keys.leave()

    def action_end_session(self) -> None:
        """E: a transcript still to code is finished by the coder, who is told how many turns stay uncoded."""
        if not self.keys.ready():
            return
        assert self.view is not None
        session = self.view.session
        if session.status != SessionStatus.TO_CODE:
            self.keys.end_session()  # finished already: its summary
            return
        turns = self.view.data.contributions
        # The keys typed before E count, saved or not: the code completing the last turn may be on its way.
        uncoded = sum(1 for turn in turns if not self.mover.complete(turn.id))
        if not uncoded:
            self.link.ending = True  # that code finishes the transcript; the view it brings shows the summary
            return
        pressed_at = self.now()

        def finish(confirmed: bool | None) -> None:
            if confirmed:
                self.link.ending = True
                self._queue(lambda c: c.end_session(pressed_at))

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
            self.link.status("the whole turn is in view", "refused")

    def action_read_back(self) -> None:
        if not self.query_one(TurnPanel).page(-1):
            self.link.status("the whole turn is in view", "refused")

    def action_go_to_turn(self) -> None:
        if not self.keys.ready():
            return
        assert self.view is not None
        turns = self.view.data.contributions
        if not turns:
            self.link.status("no turns to go to", "refused")
            return

        def go(text: str | None) -> None:
            if text is None or not text.strip() or self.view is None:
                return
            now = self.view.data.contributions  # joins and splits saved meanwhile renumber the turns
            # Decimal digits only: "²" is a digit to Python, but no number.
            number = int(text) if text.strip().isdecimal() else 0
            if not 1 <= number <= len(now):
                self.link.status(f"'{text.strip()[:20]}' is not a turn: type a number from 1 to {len(now)}", "refused")
                return
            self.mover.go(now[number - 1].id)
            self._show_moved()

        self.app.push_screen(TextPrompt(f"Go to turn (1–{len(turns)})", placeholder="a turn's number"), go)

    def _selected_turn(self) -> Contribution | None:
        if not self.keys.ready():
            return None
        assert self.view is not None
        turn = self.view.contribution(self.selected_id)
        if turn is None:
            self.link.status("no turn selected", "refused")
        return turn

    def action_join_turns(self) -> None:
        turn = self._selected_turn()
        if turn is None:
            return
        assert self.view is not None
        view = self.view
        position = view.positions[turn.id]
        if position + 1 >= len(view.data.contributions):
            self.link.status("the last turn has no next one to join", "refused")
            return
        second = view.data.contributions[position + 1]
        pressed_at = self.now()

        def join(confirmed: bool | None = True) -> None:
            if confirmed:
                joined = self.turns.on_turn(
                    turn.id,
                    lambda c: c.join_with_next(pressed_at, turn.id, second.id) + " · ctrl+z separates them again",
                )
                self._queue(joined)
            else:
                kept = f"nothing joined: turn {position + 2} stays {view.session.speaker_name(second)}'s"
                self.link.status(kept, "saved")

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
            self.link.status("a turn of fewer than two words cannot be split", "refused")
            return
        pressed_at = self.now()

        def split(at_word: int | None) -> None:
            if at_word is not None:
                self._queue(self.turns.on_turn(turn.id, lambda c: c.split_turn(pressed_at, turn.id, at_word)))

        self.app.push_screen(WordCut(turn), split)

    def action_agenda_item(self) -> None:
        turn = self._selected_turn()
        if turn is None:
            return
        pressed_at = self.now()

        def start(title: str | None) -> None:
            if title is not None:
                self._queue(
                    self.turns.on_turn(
                        turn.id,
                        lambda c: f"agenda item: {c.start_agenda_item_at(pressed_at, turn.start_s, title).title}",
                    )
                )

        assert self.view is not None
        planned = self.view.session.next_planned_item() or ""
        self.app.push_screen(
            TextPrompt(f"Agenda item from this turn ({format_clock(turn.start_s)}) on. Title?", planned), start
        )
