"""How a coding action becomes one step: the session it reads, the change it commits (on disk before the
action returns, undoable unless it is the program's own), what it refuses and why, and undo and redo.

``CodingSession`` (``coding``) builds every observer action on these; nothing here knows about the terminal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from observer.analysis.timing import pause_ends
from observer.core.errors import ObserverError
from observer.core.fields import text_problem, utc_now
from observer.core.models import Contribution, Session, SessionStatus, fully_coded
from observer.storage import HISTORY_LIMIT, Change, SessionStore, Write

# An ended meeting is open for editing only: one rule, said the same way by every key that would add to it.
ENDED_REFUSAL = "the meeting has ended: nothing can be added to it (↑↓ pick a contribution; the code keys edit it)"
TRANSCRIPT_REFUSAL = "a transcript's turns come from its file: nothing is added to it live (Tab moves between turns)"
ENDED_OPENED = (
    "This meeting has ended: you are editing its record. ↑↓ pick a contribution; code and flag keys, N (note), "
    "T (start time) and D (delete) change it. Nothing can be added."
)


class ActionRefused(ObserverError):
    """A key that means nothing in the current state; the message says why, briefly."""


def check_line(field_name: str, value: str) -> None:
    problem = text_problem(value)
    if problem:
        raise ActionRefused(f"the {field_name} {problem}")


class CodingSteps:
    """One session being coded, as steps: every change goes through ``SessionStore`` and can be undone and
    redone."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    # ------------------------------------------------------------ reading

    @property
    def session(self) -> Session:
        return self.store.session

    def contributions(self) -> list[Contribution]:
        return self.store.data().contributions

    def clock(self, at: dt.datetime | None = None) -> float:
        return self.session.clock_at(at or utc_now())

    def latest(self) -> Contribution | None:
        return self.store.state.latest()

    def running(self) -> Contribution | None:
        """The contribution still going on: the latest one, while the clock runs and no pause has ended it."""
        latest = self.latest()
        if latest is None or self.session.status != SessionStatus.RECORDING:
            return None
        if any(pause_ends(pause, latest) for pause in self.session.pauses):
            return None
        return latest

    # ------------------------------------------------------------ committing

    def _commit(
        self,
        label: str,
        at: dt.datetime,
        session: Session | None = None,
        contributions: Iterable[tuple[Contribution | None, Contribution | None]] = (),
        undoable: bool = True,
    ) -> str:
        writes: list[Write] = []
        if session is not None:
            writes.append(Write("session", session.id, self.session, session))
        for before, after in contributions:
            record = after or before
            assert record is not None
            writes.append(Write("contribution", record.id, before, after))
        header = session or self.session
        if header.status == SessionStatus.TO_CODE and writes and self._every_turn_coded(writes):
            # The last turn to code is coded: the transcript is finished, in the same step (undo reopens it).
            finished = header.model_copy(update={"status": SessionStatus.ENDED, "ended_s": header.clock_elapsed_s})
            writes = [write for write in writes if write.kind != "session"]
            writes.insert(0, Write("session", finished.id, self.session, finished))
            label += " · every turn is coded: the transcript is finished (E shows the summary)"
        clock_s = header.clock_at(at)
        change = Change(label, tuple(writes), clock_s, at)
        if undoable:
            self.store.do(change)
        else:
            self.store.record(change)
        return label

    def _every_turn_coded(self, writes: list[Write]) -> bool:
        """Every turn coded on every dimension once ``writes`` are made (the first uncoded one found ends the
        look: coding goes in order, so it is usually near)."""
        dimensions = self.session.codebook.dimension_ids
        written = {write.record_id: write.after for write in writes if write.kind == "contribution"}
        if not written or not all(
            c is None or (isinstance(c, Contribution) and fully_coded(c, dimensions)) for c in written.values()
        ):
            return False
        unwritten = (c for key, c in self.store.contributions.items() if key not in written)
        return all(fully_coded(c, dimensions) for c in unwritten)

    def _require_open(self) -> None:
        """The meeting is still going on live: neither ended nor a transcript."""
        if self.session.status == SessionStatus.ENDED:
            raise ActionRefused(ENDED_REFUSAL)
        if self.session.transcript is not None:
            raise ActionRefused(TRANSCRIPT_REFUSAL)

    def _target(self, contribution_id: str | None) -> Contribution:
        if contribution_id is not None:
            target = self.store.contributions.get(contribution_id)
            if target is None:
                raise ActionRefused("that contribution no longer exists")
            return target
        latest = self.latest()
        if latest is None:
            raise ActionRefused("no contribution yet: press a speaker key first")
        return latest

    # ------------------------------------------------------------ undo

    def undo(self) -> str:
        return f"undone: {self.undo_step().label}"

    def undo_step(self) -> Change:
        """Undo the last step; the change undone (what it wrote, to show where it was)."""
        change = self.store.undo()
        if change is None:
            if len(self.store.state.redo_stack) >= HISTORY_LIMIT:  # undone as far as the history reaches
                raise ActionRefused(f"nothing more to undo (undo reaches back {HISTORY_LIMIT} steps)")
            if self.session.transcript is not None:
                raise ActionRefused("nothing more to undo: the turns as imported are where undo starts")
            if self.store.contributions:
                raise ActionRefused("nothing more to undo")
            raise ActionRefused("nothing to undo")
        return change

    def redo(self) -> str:
        return f"redone: {self.redo_step().label}"

    def redo_step(self) -> Change:
        change = self.store.redo()
        if change is None:
            raise ActionRefused("nothing to redo")
        return change
