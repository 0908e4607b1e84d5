"""The live coding screen: keys become calls on the coding state machine; the screen renders what comes back.

Actions run in key order on the action runner's thread (``screen_session``); the screen shows views built once
an action is in the journal (a crash keeps it), never waiting for the disk itself (``saving``). The screen is
made of parts it composes: the log's rows (``log_rows``), the balance's timing (``balance_schedule``), the
collector's (``quiet_collector``), its panels (``screen_panels``), the keys it shares with the transcript
screen (``coding_keys``) and the live selection (``turn_movement``). What it shows follows three reactive
attributes: ``view`` (the latest saved view), ``selected_id`` (None: coding live) and ``summary`` (the balance).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import var

from observer.analysis.live_balance import LiveBalance
from observer.core.keys import CODING_KEYS, LEAVE_KEY, SPEAKER_KEYS, reserved_key_action
from observer.core.models import SessionStatus
from observer.live.coding import CodingSession
from observer.live.coding_steps import ENDED_OPENED
from observer.storage import Archive, SessionStore
from observer.tui.balance_schedule import BalanceSchedule
from observer.tui.coding_keys import CodingKeys
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
from observer.tui.turn_movement import LiveSelection

RUNNING_AIRTIME_REFRESH_SECONDS = 5.0


class CodingScreen(SessionScreen):
    HORIZONTAL_BREAKPOINTS = BREAKPOINTS
    AUTO_FOCUS = None  # keys belong to the screen; the log only shows the selection
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key.keys, key.action, key.description, show=key.show, id=key.action) for key in CODING_KEYS),
        Binding(LEAVE_KEY.keys, LEAVE_KEY.action, LEAVE_KEY.description, id=LEAVE_KEY.action),
    ]

    # Always updated: a view or a summary is a new object each time, and comparing two would cost a frame.
    view: var[LiveView | None] = var(None, init=False, always_update=True)
    selected_id: var[str | None] = var(None, init=False)  # the contribution being edited; None: coding live
    summary: var[LiveBalance | None] = var(None, init=False, always_update=True)  # follows the view shortly

    def __init__(self, archive: Archive, session_id: str, store: SessionStore | None = None) -> None:
        """``store``: the session already opened for writing (by ``observer new``/``resume``), else opened here."""
        super().__init__()
        self.archive, self.session_id = archive, session_id
        self.rows = LogRows()
        self.panels = ScreenPanels(self)
        self.early_keys = KeysBeforeOpen()
        self.link = ScreenSession(
            self, archive, session_id, store, ENDED_OPENED, self.tick, lambda: self.panels.show_selection(self.rows)
        )
        self.balance = BalanceSchedule(
            self, lambda: self.link.closed or self.link.busy, lambda: self.view.data if self.view else None, self.now
        )
        self.collector = QuietCollector(self, lambda: self.link.queued)
        self.keys = CodingKeys(self)
        self.selection = LiveSelection()

    def compose(self) -> ComposeResult:
        yield from compose_coding_body()

    def on_mount(self) -> None:
        self.panels.bind(self)
        self.link.start()
        self.set_interval(0.5, self._clock_moved)
        self.set_interval(RUNNING_AIRTIME_REFRESH_SECONDS, self._refresh_running_airtime)
        self.set_interval(SAVING_CHECK_SECONDS, self.link.look_at_disk)

    def now(self) -> dt.datetime:
        return self.link.now()

    def submit(self, action: Callable[[CodingSession], str | Done]) -> int | None:
        """Queue an action to run after every earlier key; the balance waits for it."""
        sequence = self.link.submit(action)
        if sequence is not None:
            self.balance.hold()
        return sequence

    # ------------------------------------------------------------ what comes back, and what follows it

    @on(ActionDone)
    def action_done(self, message: ActionDone) -> None:
        self.balance.key_saved(message.outcome.pending)
        view = self.link.take(message.outcome)
        if view is not None:
            self.view = view
            for key in self.early_keys.taken():
                self.on_key(key)
            self.keys.end_if_ending()

    def watch_view(self, view: LiveView) -> None:
        self.rows.update(view)
        if self.selected_id is not None and self.selected_id not in self.rows.cells:
            self.set_reactive(CodingScreen.selected_id, None)  # deleted: drawn below, once
        self.panels.show_clock(self._header(view))
        self.panels.show_selection(self.rows)
        self.panels.show_current()
        self.balance.schedule()
        self.collector.changed()

    def watch_selected_id(self) -> None:
        self.panels.show_selection(self.rows)
        self.panels.show_current()
        self.tick()

    def watch_summary(self) -> None:
        self.balance.draw(self.panels.balance_steps())

    def _header(self, view: LiveView) -> ClockState:
        return self.selection.header(view, self.now(), self.summary, self.selected_id, self.saving.words)

    def tick(self) -> None:
        if self.view is not None:
            self.panels.show_clock(self._header(self.view))
            self.collector.when_quiet()

    def _clock_moved(self) -> None:
        """Half a second on: only a running clock has moved (a paused or ended session's has not, and redrawing
        it would be a frame a key might wait behind)."""
        if self.view is not None and self.view.session.status == SessionStatus.RECORDING:
            self.tick()

    def _refresh_running_airtime(self) -> None:
        if self.view is not None and self.view.session.status == SessionStatus.RECORDING:
            self.balance.schedule()  # the running contribution's airtime grows with the clock

    # ------------------------------------------------------------ keys: speakers and codes

    def on_key(self, event: events.Key) -> None:
        if self.view is None and not self.link.closed:
            self.early_keys.hold(event)  # still opening: taken once it is open
            return
        character = event.character
        if handled_in_turn(self, event) or character is None or self.view is None:
            return
        if character in SPEAKER_KEYS:
            event.stop()
            self.keys.speaker_key(SPEAKER_KEYS.index(character))
            return
        pressed_at, target = self.now(), self.selected_id
        meaning = self.view.session.codebook.key_meanings().get(character)
        if meaning is not None:
            event.stop()
            dimension_id, code_id = meaning
            if dimension_id is None:
                self.submit(lambda c: c.toggle_flag(pressed_at, code_id, target))
            else:
                self.submit(lambda c: c.set_code(pressed_at, dimension_id, code_id, target))
            return
        if character.isprintable() and reserved_key_action(character) is None:
            self.link.status(f"'{character}' does nothing here · ? shows the keys", "refused")

    # ------------------------------------------------------------ keys: moving, and the screen's own

    def action_select_previous(self) -> None:
        self._move_selection(-1)

    def action_select_next(self) -> None:
        self._move_selection(1)

    def _move_selection(self, step: int) -> None:
        if not self.rows.order:
            self.link.status("no contributions to select yet", "refused")
            return
        self.selected_id = self.selection.step(self.rows.order, self.selected_id, step)

    def action_select_live(self) -> None:
        self.selected_id = None

    def action_pick_speaker(self) -> None:
        self.keys.pick_speaker()

    def action_pick_organisation(self) -> None:
        self.keys.pick_speaker(people=False)

    def action_toggle_clock(self) -> None:
        self.keys.toggle_clock()

    def action_undo(self) -> None:
        self.submit(lambda c: c.undo())

    def action_redo(self) -> None:
        self.submit(lambda c: c.redo())

    def action_note(self) -> None:
        self.keys.note()

    def action_agenda_item(self) -> None:
        self.keys.agenda_item()

    def action_add_attendee(self) -> None:
        self.keys.add_attendee()

    def action_mark_left(self) -> None:
        self.keys.mark_left()

    def action_edit_start(self) -> None:
        self.keys.edit_start()

    def action_delete_contribution(self) -> None:
        self.keys.delete()

    def action_help(self) -> None:
        self.keys.help(CODING_KEYS, turns=False)

    def action_end_session(self) -> None:
        self.keys.end_session()

    def action_leave(self) -> None:
        self.keys.leave()
