"""What the coding screen shows is built from: an immutable view of the session after each saved action, its
contribution ids in clock order, a contribution as a row of the log, and the words on opening a session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from observer.core.clock import format_clock
from observer.core.models import Contribution, Session, SessionData, SessionStatus
from observer.live.coding import CodingSession
from observer.tui.log_view import Cell, Word


@dataclass(frozen=True)
class LiveView:
    """An immutable picture of the session after the latest saved action."""

    data: SessionData
    positions: dict[str, int]  # contribution id -> index in data.contributions
    running_id: str | None
    changed: set[str] | None = None  # contributions written since the last view (None: take every one as new)

    @property
    def session(self) -> Session:
        return self.data.session

    def contribution(self, contribution_id: str | None) -> Contribution | None:
        position = self.positions.get(contribution_id or "")
        return None if position is None else self.data.contributions[position]


class ContributionIds(Sequence[str]):
    """A view's contribution ids in clock order, read from the view instead of copied out of it."""

    def __init__(self, view: LiveView) -> None:
        self._contributions = view.data.contributions
        self._positions = view.positions

    def __len__(self) -> int:
        return len(self._contributions)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [c.id for c in self._contributions[index]]
        return self._contributions[index].id

    def index(self, value: object, start: int = 0, stop: int | None = None) -> int:
        position = self._positions.get(value) if isinstance(value, str) else None
        if position is None:
            raise ValueError(f"{value!r} is not in the log")
        return position

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and value in self._positions


def log_row(session: Session, contribution: Contribution, colours: dict[tuple[str, str], str]) -> tuple[Cell, ...]:
    """A contribution as the log shows it: clock, speaker, organisation, each code and flag (long and short
    forms, in its colour), note."""
    codebook = session.codebook
    organisation = session.organisation(contribution.organisation_id)
    participant = session.participant(contribution.participant_id)
    codes: list[Word] = []
    for dimension in codebook.dimensions:  # in the codebook's order, whatever order they were keyed in
        code = dimension.code(contribution.codes.get(dimension.id, ""))
        if code is not None:
            codes.append((code.label, code.short_label, colours.get((dimension.id, code.id), "")))
    flags = tuple((f.label, f.short_label, "") for f in codebook.flags if f.id in contribution.flags)
    where: tuple[Word, ...] = (
        ((organisation.name, organisation.short_name, ""),)
        if organisation
        else ((contribution.organisation_id, contribution.organisation_id, ""),)
    )
    return (
        format_clock(contribution.start_s),
        participant.name if participant else "(organisation only)",
        where,
        tuple(codes),
        flags,
        " ⏎ ".join(contribution.note.splitlines()),  # one line per contribution in the log
    )


def view_of(coding: CodingSession) -> LiveView:
    """The view after the latest saved action (built on the action runner's thread)."""
    state = coding.store.state
    running = coding.running()
    return LiveView(
        data=state.data(),
        positions=state.positions(),
        running_id=running.id if running else None,
        changed=state.take_touched(),
    )


def opening_message(coding: CodingSession, recovered: str | None, ended_message: str) -> str:
    """What the status line says when a session opens: what was recovered, and what to press first."""
    messages = list(coding.store.state.warnings)
    if recovered:
        messages.append(recovered)
    status = coding.session.status
    if status in (SessionStatus.ENDED, SessionStatus.TO_CODE):
        messages.append(ended_message)
    elif status == SessionStatus.NEW:
        planned = coding.session.planned_agenda
        agenda = (
            f"The first contribution opens '{planned[0]}'; A moves to the next agenda item."
            if planned
            else "Press A first to name the agenda item (talk is filed under the item running)."
        )
        messages.append(f"Press a speaker key (1–9) when the first person speaks. {agenda} ? shows every key.")
    elif status == SessionStatus.PAUSED and not recovered:
        messages.append("Paused. Space resumes the clock; a speaker key resumes it too.")
    return " ".join(m if m.endswith((".", "!", "?", "…")) else f"{m}." for m in messages) or "Resumed."


def spoke(coding: CodingSession, at: dt.datetime, participant_id: str | None, organisation_id: str | None) -> str:
    """A speaker key: the new contribution, and the status line's words for it."""
    attendance = coding.session.attendance_of(participant_id) if participant_id is not None else None
    left_s = attendance.left_s if attendance is not None else None
    contribution = coding.speak(at, participant_id, organisation_id)
    speaking = f"{coding.session.speaker_name(contribution)} speaking"
    if left_s is not None:
        return f"{speaking} — had left at {format_clock(left_s)}, now marked back (ctrl+z if that was the wrong key)"
    return speaking


def turn_label(coding: CodingSession, turn_id: str | None) -> str:
    """A transcript's turn as confirmations name it: "turn 21 · Amara Okafor" (its place now, its speaker)."""
    state = coding.store.state
    position = state.position(turn_id or "")
    if turn_id is None or position is None:
        return "no turn"
    return f"turn {position + 1} · {coding.session.speaker_name(state.contributions[turn_id])}"
