"""The state a session folder holds once read: its records, undo history and where its clock stands."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from observer.core.fields import utc_now
from observer.core.models import Contribution, Pause, Session, SessionData, SessionStatus, clock_order
from observer.storage.changes import Change, Operation, Write

# Undo steps a session keeps, live and in its checkpoint alike: undo can never reach a step that a replay
# after a crash could not reproduce (the checkpoint's history is what a replay starts from).
HISTORY_LIMIT = 500


@dataclass
class SessionState:
    """Everything a session folder holds once the journal has been replayed over the checkpoint."""

    session: Session
    contributions: dict[str, Contribution]
    undo_stack: list[Change] = field(default_factory=list)
    redo_stack: list[Change] = field(default_factory=list)
    seq: int = 0  # last journal entry applied
    last_clock_s: float = 0.0  # the clock reading of the latest recorded action
    last_wall_time: dt.datetime | None = None  # and its wall-clock time
    warnings: list[str] = field(default_factory=list)
    # The contributions in clock order, with each one's position, kept up to date as changes apply where
    # that is cheap (a new latest contribution, a contribution coded): a key press never sorts them all.
    _ordered: list[Contribution] | None = None
    _positions: dict[str, int] = field(default_factory=dict)
    # Contributions written since ``take_touched`` last asked (None: too many to say, take them all).
    _touched: set[str] | None = None

    def ordered(self) -> list[Contribution]:
        """Every contribution in clock order (the list is the state's own: copy it to keep it)."""
        if self._ordered is None:
            self._ordered = sorted(self.contributions.values(), key=clock_order)
            self._positions = {c.id: position for position, c in enumerate(self._ordered)}
        return self._ordered

    def positions(self) -> dict[str, int]:
        """Each contribution's place in ``ordered()`` (a copy, safe to hand to another thread)."""
        self.ordered()
        return dict(self._positions)

    def position(self, contribution_id: str) -> int | None:
        """A contribution's place in ``ordered()`` (None: no such contribution)."""
        self.ordered()
        return self._positions.get(contribution_id)

    def latest(self) -> Contribution | None:
        """The contribution with the latest start (ties: the later keystroke)."""
        ordered = self.ordered()
        return ordered[-1] if ordered else None

    def take_touched(self) -> set[str] | None:
        """The ids of contributions written since the last call; None when every one must be taken as new."""
        touched, self._touched = self._touched, set()
        return touched

    def _track_order(self, record_id: str, record: Contribution | None) -> None:
        if self._touched is not None:
            self._touched.add(record_id)
        ordered = self._ordered
        if ordered is None:
            return
        position = self._positions.get(record_id)
        if record is not None and position is not None and clock_order(ordered[position]) == clock_order(record):
            ordered[position] = record  # coded, noted or flagged: same place in the order
        elif (
            record is not None and position is None and (not ordered or clock_order(record) >= clock_order(ordered[-1]))
        ):
            self._positions[record_id] = len(ordered)
            ordered.append(record)  # the newest contribution
        else:
            self._ordered = None  # moved or deleted: sorted again when next asked

    def apply(self, operation: Operation, change: Change) -> None:
        side = "before" if operation == "undo" else "after"
        for write in change.writes:
            record = getattr(write, side)
            if write.kind == "session":
                assert isinstance(record, Session), "a session cannot be deleted by a change"
                if operation in ("undo", "redo") and not _moves_clock(write):
                    # An agenda item or an arrival does not stop or start the clock, so undoing it must not
                    # either: the clock keeps the state it has now (paused after an interruption, say).
                    record = record.model_copy(update={name: getattr(self.session, name) for name in CLOCK_FIELDS})
                self.session = record
            elif record is None:
                self.contributions.pop(write.record_id, None)
                self._track_order(write.record_id, None)
            else:
                assert isinstance(record, Contribution)
                current = self.contributions.get(write.record_id) if write.words_kept else None
                if current is not None:  # read back without its words: they are the record's as it stands
                    record = record.model_copy(update={"words": current.words})
                self.contributions[write.record_id] = record
                self._track_order(write.record_id, record)
        if operation == "do":
            self.undo_stack.append(change)
            if len(self.undo_stack) > HISTORY_LIMIT:
                del self.undo_stack[0]
            self.redo_stack.clear()
        elif operation == "undo":
            self._step_history(operation, self.undo_stack, self.redo_stack, change)
        elif operation == "redo":
            self._step_history(operation, self.redo_stack, self.undo_stack, change)
        self.last_clock_s = max(self.last_clock_s, change.clock_s)
        if self.last_wall_time is None or change.wall_time > self.last_wall_time:
            self.last_wall_time = change.wall_time

    def _step_history(self, operation: Operation, source: list[Change], target: list[Change], change: Change) -> None:
        """Move an undone (or redone) step between the stacks. The journal line holds the whole change, so a
        step the stack does not have is still applied as written: that is a bug to report, never damage that
        would make a replay drop the lines after it."""
        if source:
            source.pop()
        else:
            self.warnings.append(
                f"the journal {operation}s a step its history no longer holds ('{change.label}'); it was applied "
                "as written (please report this)"
            )
        target.append(change)

    def snapshot(self) -> SessionState:
        """A copy to fold on another thread while this one moves on: the containers are copied, the records
        (immutable) are shared. Cheap: no record is copied or validated."""
        return SessionState(
            session=self.session,
            contributions=dict(self.contributions),
            undo_stack=list(self.undo_stack),
            redo_stack=list(self.redo_stack),
            seq=self.seq,
            last_clock_s=self.last_clock_s,
            last_wall_time=self.last_wall_time,
            _ordered=None if self._ordered is None else list(self._ordered),
            _positions=dict(self._positions) if self._ordered is not None else {},
        )

    def data(self) -> SessionData:
        # Built without validating again: every record was validated when it was read or made.
        return SessionData.model_construct(session=self.session, contributions=list(self.ordered()))


# The fields of a session header that say where its clock stands.
CLOCK_FIELDS = ("status", "clock_elapsed_s", "running_since", "pauses", "started_at", "ended_s")


def _moves_clock(write: Write) -> bool:
    before, after = write.before, write.after
    return before is None or after is None or any(getattr(before, f) != getattr(after, f) for f in CLOCK_FIELDS)


def paused_at_last_moment(state: SessionState) -> Session | None:
    """A session left recording by a process that died, as it stands: paused at the last recorded moment.

    None when the session was not recording. Time after the last recorded action was not observed, so it
    never counts: not in listings, summaries or exports, and not once the session is resumed.
    """
    session = state.session
    if session.status != SessionStatus.RECORDING:
        return None
    latest = state.latest()
    last_clock = round(max(state.last_clock_s, session.clock_elapsed_s, latest.start_s if latest else 0.0), 3)
    last_wall = state.last_wall_time or session.running_since or utc_now()
    return session.model_copy(
        update={
            "status": SessionStatus.PAUSED,
            "clock_elapsed_s": last_clock,
            "running_since": None,
            "pauses": [*session.pauses, Pause(at_s=last_clock, wall_time=last_wall, interrupted=True)],
        }
    )
