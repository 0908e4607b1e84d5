"""The coding screen: keys become calls on the coding state machine; the screen renders what comes back.

Actions run in key order on the action runner's thread, so typing never waits for the disk; what the
screen shows comes from views built after the action was saved. A contribution appears in the log only
once it is on disk.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from observer import palette
from observer.clock import format_clock, parse_clock
from observer.coding import ENDED_OPENED, ENDED_REFUSAL, CodingSession
from observer.keys import CODING_KEYS, LEAVE_KEY, SPEAKER_KEYS, AppKey, reserved_key_action
from observer.live_balance import LiveBalance, LiveBalanceTracker
from observer.metrics import span_at
from observer.models import Contribution, SessionStatus, utc_now
from observer.storage import Archive, SessionStore
from observer.text import plural
from observer.tui.dialogs import (
    AttendeeForm,
    Confirm,
    KeyHelp,
    NewAttendee,
    NotePrompt,
    Speaker,
    SpeakerPicker,
    TextPrompt,
)
from observer.tui.live_view import ContributionIds, LiveView, log_row, opening_message, spoke, view_of
from observer.tui.log_view import Cell, ContributionLog
from observer.tui.messages import GoHome, ShowReview
from observer.tui.panels import (
    AttendeesPanel,
    AttendeesState,
    BalanceLine,
    BalanceLineState,
    BalancePanel,
    BalanceState,
    ClockBar,
    ClockState,
    CurrentContribution,
    CurrentState,
)
from observer.tui.runner import ActionRunner, Outcome
from observer.tuning import collect_while_quiet, freeze_long_lived_objects

NARROW_WIDTH = 110
WIDE_WIDTH = 150
RUNNING_AIRTIME_REFRESH_SECONDS = 5.0
# The balance panel is recomputed once the keys pause for this long (each key moves the moment on), and at
# the latest this long after the first change it has not shown: redrawing it is a frame a key may have to wait
# behind, so not one per key while an observer keys quickly.
BALANCE_DELAY_SECONDS = 0.3
BALANCE_LATEST_SECONDS = 1.0
# Its panels are then drawn one a frame: a little over the 1/60 s between two frames.
BETWEEN_FRAMES_SECONDS = 0.02
# How long the screen must have been still before it collects the garbage its drawing left, and how long
# without a change before the collection may be a full one.
QUIET_COLLECT_DELAY_SECONDS = 0.03
IDLE_SECONDS = 1.0


class CodingScreen(Screen[None]):
    # Designed for three sizes (app.tcss): narrow (80×24 up), the balance panel folded into one line over the
    # log; medium (110 columns up, 120×35), every panel, narrower; wide (150 up, 160×45), every panel in full.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_WIDTH, "-medium"), (WIDE_WIDTH, "-wide")]
    AUTO_FOCUS = None  # keys belong to the screen; the log only shows the selection
    # What a subclass changes: the keys the help screen lists, whether it moves through a transcript's turns,
    # and what opening an ended session says.
    SCREEN_KEYS: ClassVar[tuple[AppKey, ...]] = CODING_KEYS
    TURNS: ClassVar[bool] = False
    ENDED_MESSAGE: ClassVar[str] = ENDED_OPENED
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key.keys, key.action, key.description, show=key.show, id=key.action) for key in CODING_KEYS),
        Binding(LEAVE_KEY.keys, LEAVE_KEY.action, LEAVE_KEY.description, id=LEAVE_KEY.action),
    ]

    @dataclass
    class ActionDone(Message):
        outcome: Outcome[LiveView]

    @dataclass
    class BalanceReady(Message):
        summary: LiveBalance

    def __init__(self, archive: Archive, session_id: str, store: SessionStore | None = None) -> None:
        """``store``: the session already opened for writing (by ``observer new``/``resume``), else opened here."""
        super().__init__()
        self.archive = archive
        self.session_id = session_id
        self._given_store = store
        self._clock: Callable[[], dt.datetime] = utc_now
        self.coding: CodingSession | None = None
        self.view: LiveView | None = None
        self.summary: LiveBalance | None = None  # for the balance panel; follows the view shortly
        self._balance = LiveBalanceTracker()  # follows each change, instead of recounting the session
        self._balance_timer: Timer | None = None
        self._balance_due: float | None = None  # the latest moment a wanted balance update may come
        # The balance's panels still to draw, one a frame; kept while a key is being saved.
        self._balance_steps: list[Callable[[], None]] = []
        self._balance_step_due = False  # the next of them is already scheduled
        self._collect_timer: Timer | None = None
        self._status_shape = (-1, -1)  # the status line's (width, lines) when last laid out
        self._last_change = time.monotonic()
        self.selected_id: str | None = None
        self.runner: ActionRunner[LiveView] | None = None
        self._log_order: Sequence[str] = []
        self._log_cells: dict[str, tuple[Cell, ...]] = {}
        self._log_people: object = None
        self._colours: tuple[object, dict[tuple[str, str], str]] = (None, {})
        self._ending = False
        # Not "_closed": that name is Textual's own, and setting it silently stops the screen's messages.
        self._session_closed = False
        self._close_error: str | None = None

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield ClockBar(id="clock-bar")
        yield BalanceLine(id="balance-line")
        with Horizontal(id="coding-body"):
            with Vertical(id="attendees-panel"):
                yield AttendeesPanel(id="attendees")
            with Vertical(id="centre"):
                yield CurrentContribution(id="current")
                yield ContributionLog(id="log")
            with Vertical(id="balance-panel"):
                yield BalancePanel(id="balance")
        yield Static("opening…", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        # Worker threads read the time through this, never through ``self.app`` (Textual is not thread-safe).
        self._clock = self.app.now  # type: ignore[attr-defined]

        def deliver(outcome: Outcome[LiveView]) -> None:
            # From the worker thread: wake the event loop now rather than at its next timer tick.
            loop.call_soon_threadsafe(self.post_message, self.ActionDone(outcome))

        self.runner = ActionRunner(self._make_view, deliver)
        self.runner.submit(self._open)
        self.set_interval(0.5, self._clock_moved)
        self.set_interval(RUNNING_AIRTIME_REFRESH_SECONDS, self._refresh_running_airtime)

    # ------------------------------------------------------------ the worker side

    def now(self) -> dt.datetime:
        return self._clock()

    def _open(self) -> str:
        store = self._given_store or self.archive.open_session(self.session_id)
        self.coding = CodingSession(store)
        return opening_message(self.coding, self.coding.recover_after_interruption(self.now()), self.ENDED_MESSAGE)

    def _make_view(self) -> LiveView | None:
        return None if self.coding is None else view_of(self.coding)

    def _schedule_balance(self) -> None:
        """Recompute the balance panel once the keys pause, however many arrive meanwhile (within a second)."""
        now = time.monotonic()
        if self._balance_due is None:
            self._balance_due = now + BALANCE_LATEST_SECONDS
        if self._balance_timer is not None:
            if now + BALANCE_DELAY_SECONDS >= self._balance_due:
                return  # due soon anyway
            self._balance_timer.stop()
        delay = min(BALANCE_DELAY_SECONDS, max(BETWEEN_FRAMES_SECONDS, self._balance_due - now))
        self._balance_timer = self.set_timer(delay, self._start_balance)

    @property
    def balance_pending(self) -> bool:
        """A balance panel update is scheduled or being computed."""
        from textual.worker import WorkerState

        running = any(
            w.group == "balance" and w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in self.workers
        )
        return self._balance_timer is not None or running or bool(self._balance_steps)

    def _start_balance(self) -> None:
        self._balance_timer = None
        if self.view is None:
            return
        if self.runner is not None and not self.runner.idle:
            # A key is being saved: computing now would take the interpreter from it. Its view reschedules.
            return
        self._balance_due = None
        data = self.view.data  # an immutable snapshot, safe to read on the worker thread

        def compute() -> None:
            self.post_message(self.BalanceReady(self._balance.update(data, self.now())))

        # A fixed description: the default one would repr() the whole snapshot.
        self.run_worker(compute, thread=True, exclusive=True, group="balance", description="balance panel")

    @on(BalanceReady)
    def balance_ready(self, message: BalanceReady) -> None:
        self.summary = message.summary
        # One panel a frame, each after any key that came meanwhile: a key waits behind one small frame at
        # most, not behind all four panels drawn at once (~10 ms on a slow laptop). The indices first.
        self._balance_steps = [self._tick, self._show_balance_line, self._show_balance_panel, self._show_attendees]
        if not self._balance_step_due:
            self._next_balance_step()

    def _show_balance_panel(self) -> None:
        if self.view is not None and self.summary is not None:
            self.query_one(BalancePanel).state = BalanceState(self.summary, self.view.session.codebook)

    def _show_balance_line(self) -> None:
        if self.summary is not None:
            self.query_one(BalanceLine).state = BalanceLineState(self.summary)

    def _next_balance_step(self) -> None:
        self._balance_step_due = False
        if not self._balance_steps or self._session_closed:
            return
        if self.runner is not None and not self.runner.idle:
            return  # a key is being saved: its row first; its outcome carries on from here
        self._balance_steps.pop(0)()
        self._after_next_frame_and_keys(self._next_balance_step)

    def _after_next_frame_and_keys(self, step: Callable[[], None]) -> None:
        """Run ``step`` once the screen has drawn what is pending (frames come at most every 1/60 s), behind
        any key queued by then: a timer's message joins the back of the queue. (``call_after_refresh`` runs
        before the panels' own refresh reaches the screen, so every panel would land in one frame.)"""
        self._balance_step_due = True
        self.set_timer(BETWEEN_FRAMES_SECONDS, step)

    def submit(self, action: Callable[[CodingSession], str]) -> None:
        """Queue an action; it runs after every earlier key, on the worker thread."""
        if self.runner is None or self._session_closed:
            return

        def run() -> str:
            if self.coding is None:
                return ""
            return action(self.coding)

        self.runner.submit(run)
        if self._balance_timer is not None:
            # The key first: the balance is scheduled again once its view arrives.
            self._balance_timer.stop()
            self._balance_timer = None
        if self.runner.pending > 1:
            self._status("saving…", "pending")

    @on(ActionDone)
    def action_done(self, message: ActionDone) -> None:
        outcome = message.outcome
        if self._balance_steps and outcome.pending == 0 and not self._balance_step_due:
            # The last key saved (refused or not): the balance held for it goes on after the key's own frame.
            self._after_next_frame_and_keys(self._next_balance_step)
        if outcome.failed and self.coding is None:
            self._failed_to_open(outcome.message)
            return
        if outcome.message:
            if outcome.storage_error:
                self._status(outcome.message, "error")
                self.notify(outcome.message, severity="error", timeout=10)
            elif outcome.failed:
                self._status(outcome.message, "refused")
            else:
                self._status(f"✓ {outcome.message}", "saved")
        if outcome.view is not None:
            if self.view is None:
                freeze_long_lived_objects()  # the loaded session and the screen live as long as the screen
            self.view = outcome.view
            self._render_view()
            if self._ending and self.view.session.status == SessionStatus.ENDED:
                self._show_end_summary()

    def _failed_to_open(self, message: str) -> None:
        # Only a session opened from Home gets here (the command line opens it before the app starts), so
        # Home is underneath.
        self.close_session()
        self.app.notify(message.removeprefix("NOT SAVED: "), severity="error", timeout=10)
        self.post_message(GoHome())

    def _status(self, text: str, kind: str) -> None:
        status = self.query_one("#status", Static)
        # The whole screen is laid out again only when the message needs another number of lines.
        width = status.content_size.width
        shape = (width, len(Text(text).wrap(self.app.console, width)) if width > 0 else -1)
        status.update(text, layout=shape != self._status_shape)
        self._status_shape = shape
        status.set_classes(kind)

    def _refresh_running_airtime(self) -> None:
        if self.view is not None and self.view.session.status == SessionStatus.RECORDING:
            self._schedule_balance()  # the running contribution's airtime grows with the clock

    # ------------------------------------------------------------ rendering

    def _clock_moved(self) -> None:
        """Half a second on: only a running clock has moved (a paused, ended or transcript session's has not,
        and redrawing it would be a frame a key might wait behind)."""
        if self.view is not None and self.view.session.status == SessionStatus.RECORDING:
            self._tick()

    def _tick(self) -> None:
        if self.view is not None:
            self._show_clock(self.view)
            self._collect_when_quiet()

    def _render_view(self) -> None:
        view = self.view
        assert view is not None
        self._show_clock(view)
        self._update_log(view)
        self._show_current(view)
        self._schedule_balance()
        self._last_change = time.monotonic()
        self._collect_when_quiet()

    def _collect_when_quiet(self) -> None:
        """Free what drawing the screen left a moment after the last change, not in the middle of a key
        (``observer/tuning.py`` says why); each new change moves the moment on."""
        if self._collect_timer is not None:
            self._collect_timer.stop()
        self._collect_timer = self.set_timer(QUIET_COLLECT_DELAY_SECONDS, self._collect_now)

    def _collect_now(self) -> None:
        self._collect_timer = None
        if self.runner is not None and self.runner.pending:
            self._collect_when_quiet()  # a key is being saved: its screen update comes first
            return
        collect_while_quiet(idle=time.monotonic() - self._last_change >= IDLE_SECONDS)

    def _show_clock(self, view: LiveView) -> None:
        indices = self.summary.indices if self.summary is not None else None
        state = ClockState(view.session, view.session.clock_at(self.now()), indices, self.selected_id is not None)
        self.query_one(ClockBar).state = state

    def _show_attendees(self) -> None:
        view = self.view
        if view is None:
            return
        running = view.contribution(view.running_id)
        airtime = {row.id: row.airtime_s for row in self.summary.participants} if self.summary else {}
        speaking = running.participant_id if running else None
        self.query_one(AttendeesPanel).state = AttendeesState(view.session, speaking, airtime)

    def _show_current(self, view: LiveView) -> None:
        target = self._target(view)
        end_s = span_at(view.data, view.positions[target.id], self.now()).end_s if target is not None else 0.0
        running = target is not None and target.id == view.running_id
        editing = self.selected_id is not None
        self.query_one(CurrentContribution).state = CurrentState(view.session, target, running, end_s, editing)

    def _target(self, view: LiveView) -> Contribution | None:
        if self.selected_id is not None:
            return view.contribution(self.selected_id)
        return view.data.contributions[-1] if view.data.contributions else None

    def _log_row(self, view: LiveView, contribution: Contribution) -> tuple[Cell, ...]:
        codebook = view.session.codebook
        if self._colours[0] is not codebook:  # the session's codebook never changes: its colours are kept
            self._colours = (codebook, palette.code_colours(codebook))
        return log_row(view.session, contribution, self._colours[1])

    def _update_log(self, view: LiveView) -> None:
        """Rows for the log; only contributions that changed since the last view are formatted again."""
        # Records are immutable: an unchanged contribution is the very same object as last time.
        people = (view.session.participants, view.session.organisations)
        names_changed = not (
            isinstance(self._log_people, tuple) and all(a is b for a, b in zip(self._log_people, people, strict=True))
        )
        contributions = view.data.contributions
        if names_changed or view.changed is None:
            self._log_cells = {c.id: self._log_row(view, c) for c in contributions}
        else:  # a key press: only what it wrote, whatever the length of the meeting
            for contribution_id in view.changed:
                position = view.positions.get(contribution_id)
                if position is None:
                    self._log_cells.pop(contribution_id, None)
                else:
                    self._log_cells[contribution_id] = self._log_row(view, contributions[position])
        self._log_people = people
        self._log_order = ContributionIds(view)
        if self.selected_id is not None and self.selected_id not in self._log_cells:
            self.selected_id = None
        self._show_selection()

    def _show_selection(self) -> None:
        log = self.query_one("#log", ContributionLog)
        log.show(self._log_order, self._log_cells, self.selected_id)
        log.set_class(self.selected_id is not None, "editing")

    # ------------------------------------------------------------ keys: speakers and codes

    def on_key(self, event: events.Key) -> None:
        character = event.character
        if character is None or self.view is None:
            return
        if character in SPEAKER_KEYS:
            event.stop()
            self._speaker_key(SPEAKER_KEYS.index(character))
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
            self._status(f"'{character}' does nothing here · ? shows the keys", "refused")

    def _speaker_key(self, index: int) -> None:
        assert self.view is not None
        participants = self.view.session.participants
        if index >= len(participants):
            self._status(f"no attendee on key {index + 1}: + adds one, / picks by name", "refused")
            return
        self._choose_speaker(Speaker(participants[index].id, participants[index].organisation_id))

    def _choose_speaker(self, speaker: Speaker | None) -> None:
        if speaker is None:
            return
        pressed_at = self.now()
        selected = self.selected_id
        if selected is not None:
            self.submit(
                lambda c: c.set_speaker(pressed_at, selected, speaker.participant_id, speaker.organisation_id or None)
            )
        else:
            self.submit(lambda c: spoke(c, pressed_at, speaker.participant_id, speaker.organisation_id or None))

    def _picker(self, title: str, organisations_only: bool = False) -> SpeakerPicker:
        assert self.view is not None
        session = self.view.session
        names = {o.id: o.name for o in session.organisations}
        people = (
            []
            if organisations_only
            else [(p.id, p.name, names.get(p.organisation_id, "")) for p in session.participants]
        )
        return SpeakerPicker(title, people, [(o.id, o.name) for o in session.organisations])

    def action_pick_speaker(self) -> None:
        if (self.selected_id is not None and self._ready()) or self._can_add():  # re-attribute, or a new speaker
            self.app.push_screen(self._picker("Who is speaking?"), self._choose_speaker)

    def action_pick_organisation(self) -> None:
        if (self.selected_id is not None and self._ready()) or self._can_add():
            self.app.push_screen(self._picker("Which organisation? (speaker unknown)", True), self._choose_speaker)

    # ------------------------------------------------------------ keys: the app's own

    def _ready(self) -> bool:
        if self.view is None:
            self._status("still opening the session…", "refused")
            return False
        return True

    def _can_add(self) -> bool:
        """Ready, and the meeting still going: an ended one is only edited (say so before any dialog opens)."""
        if not self._ready():
            return False
        assert self.view is not None
        if self.view.session.status == SessionStatus.ENDED:
            self._status(ENDED_REFUSAL, "refused")
            return False
        return True

    def action_toggle_clock(self) -> None:
        if self._can_add():
            pressed_at = self.now()
            self.submit(lambda c: c.toggle_clock(pressed_at))

    def action_undo(self) -> None:
        self.submit(lambda c: c.undo())

    def action_redo(self) -> None:
        self.submit(lambda c: c.redo())

    def action_note(self) -> None:
        if not self._ready():
            return
        assert self.view is not None
        target = self._target(self.view)
        if target is None:
            self._status("no contribution to annotate yet", "refused")
            return

        pressed_at = self.now()

        def save(note: str | None) -> None:
            if note is not None:
                self.submit(lambda c: c.set_note(pressed_at, note, target.id))

        title = f"Note on {self.view.session.speaker_name(target)} at {format_clock(target.start_s)}"
        self.app.push_screen(NotePrompt(title, target.note), save)

    def action_agenda_item(self) -> None:
        if not self._can_add():
            return
        assert self.view is not None
        pressed_at = self.now()  # the item starts at the key press, however long the title takes to type

        def start(title: str | None) -> None:
            if title is not None:
                self.submit(lambda c: f"agenda item: {c.start_agenda_item(pressed_at, title).title}")

        planned = self.view.session.next_planned_item()
        if planned is not None:  # Enter accepts the plan; typing replaces it
            prompt = TextPrompt("Next agenda item starts now (the next one planned; type to replace it)", planned)
        else:
            prompt = TextPrompt("Next agenda item starts now. Title? (Enter: 'Item N')")
        self.app.push_screen(prompt, start)

    def action_add_attendee(self) -> None:
        if not self._can_add():
            return
        assert self.view is not None
        pressed_at = self.now()

        def add(attendee: NewAttendee | None) -> None:
            if attendee is not None:
                self.submit(
                    lambda c: (
                        "arrived: "
                        + c.add_attendee(pressed_at, attendee.name, attendee.organisation, attendee.role).name
                    )
                )

        self.app.push_screen(AttendeeForm([o.name for o in self.view.session.organisations]), add)

    def action_mark_left(self) -> None:
        if not self._can_add():
            return
        assert self.view is not None
        pressed_at = self.now()

        def mark(speaker: Speaker | None) -> None:
            if speaker is not None and speaker.participant_id is not None:
                participant_id = speaker.participant_id
                self.submit(lambda c: c.toggle_left(pressed_at, participant_id))

        session = self.view.session
        names = {o.id: o.name for o in session.organisations}
        people = [(p.id, p.name, names.get(p.organisation_id, "")) for p in session.participants]
        self.app.push_screen(SpeakerPicker("Who left (or came back)?", people, []), mark)

    def action_edit_start(self) -> None:
        if not self._ready():
            return
        assert self.view is not None
        target = self._target(self.view)
        if target is None:
            self._status("no contribution to move", "refused")
            return

        pressed_at = self.now()

        def move(text: str | None) -> None:
            if text is None:
                return
            try:
                seconds = parse_clock(text)
            except ValueError as error:
                self._status(str(error), "refused")
                return
            self.submit(lambda c: c.set_start(pressed_at, target.id, seconds))

        title = f"New start for {self.view.session.speaker_name(target)} (m:ss on the session clock)"
        self.app.push_screen(TextPrompt(title, format_clock(target.start_s)), move)

    def action_delete_contribution(self) -> None:
        if not self._ready():
            return
        assert self.view is not None
        target = self._target(self.view)
        if target is None:
            self._status("nothing to delete", "refused")
            return
        pressed_at = self.now()
        self.submit(lambda c: c.delete_contribution(pressed_at, target.id) + " · ctrl+z brings it back")

    def action_select_previous(self) -> None:
        self._move_selection(-1)

    def action_select_next(self) -> None:
        self._move_selection(1)

    def _move_selection(self, step: int) -> None:
        if not self._log_order:
            self._status("no contributions to select yet", "refused")
            return
        if self.selected_id is None:
            index = len(self._log_order) - 1 if step < 0 else None
        else:
            index = self._log_order.index(self.selected_id) + step
            if index >= len(self._log_order):
                index = None  # past the newest: back to live coding
        self.selected_id = self._log_order[max(0, index)] if index is not None else None
        self._show_selection()
        if self.view is not None:
            self._show_current(self.view)
            self._tick()

    def action_select_live(self) -> None:
        if self.selected_id is not None:
            self.selected_id = None
            self._move_selection(0)

    def action_help(self) -> None:
        if self._ready():
            assert self.view is not None
            self.app.push_screen(KeyHelp(self.view.session.codebook, self.SCREEN_KEYS, self.TURNS))

    def action_end_session(self) -> None:
        if not self._ready():
            return
        assert self.view is not None
        if self.view.session.status == SessionStatus.ENDED:
            self._show_end_summary()
            return
        pressed_at = self.now()

        def end(confirmed: bool | None) -> None:
            if confirmed:
                self._ending = True
                self.submit(lambda c: c.end_session(pressed_at))

        count = len(self.view.data.contributions)
        self.app.push_screen(
            Confirm(
                "End this session?", f"{plural(count, 'contribution')} recorded. You can still edit them afterwards."
            ),
            end,
        )

    def _show_end_summary(self) -> None:
        self._ending = False
        assert self.view is not None
        self._report_close_failure(self.close_session())
        self.post_message(ShowReview(self.session_id, data=self.view.data, ended=True))

    def action_leave(self) -> None:
        self._report_close_failure(self.close_session())
        self.post_message(GoHome())

    def _report_close_failure(self, error: str | None) -> None:
        if error is not None:
            self.app.notify(error, severity="error", timeout=20)

    # ------------------------------------------------------------ closing

    def close_session(self) -> str | None:
        """Pause a running clock, fold the journal and release the session, after every queued key.

        Returns what went wrong, if closing failed (nothing recorded is lost then: it is all in the journal).
        Safe to call twice. Runs on this thread, which waits for the disk: it is the last thing a screen does.
        """
        if self._session_closed or self.runner is None:
            return self._close_error
        self._session_closed = True
        now = self.now()
        problems: list[str] = []

        def finish() -> None:
            if self.coding is None:
                return
            try:
                self.coding.close(now)
            except Exception as error:  # everything acknowledged is in the journal already
                problems.append(str(error))

        self.runner.stop(then=finish)
        if problems:
            self._close_error = (
                f"Closing session '{self.session_id}' failed: {problems[-1]}. Everything recorded is kept in its "
                "journal; it is folded in when the session is next opened."
            )
        return self._close_error

    def on_unmount(self) -> None:
        self.close_session()
