"""The records of a meeting: its people, the session and its contributions, and how they must refer to one another.

Models serialise with ``model_dump(mode="json")``; datetimes travel as ISO strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_serializer, model_validator
from pydantic_core.core_schema import SerializerFunctionWrapHandler

from observer.core.codebook_models import Codebook
from observer.core.fields import (
    MAX_ATTENDEES,
    MAX_PLANNED_ITEMS,
    ClockSeconds,
    Line,
    NonEmptyText,
    Note,
    RecordId,
    ShortName,
    Strict,
    Words,
    short_form,
    utc_now,
)

# ---------------------------------------------------------------- people


class Organisation(Strict):
    id: RecordId
    name: NonEmptyText
    short: ShortName | None = None  # for narrow columns; else the name's initials (short_form)

    @property
    def short_name(self) -> str:
        return self.short or short_form(self.name)


class Participant(Strict):
    """A person, with an id that stays the same across the meetings of a series."""

    id: RecordId
    name: NonEmptyText
    organisation_id: RecordId
    role: Line = ""


class Attendance(Strict):
    """When a participant was in the room, on the session clock (None: from the start / to the end)."""

    participant_id: RecordId
    arrived_s: ClockSeconds | None = None
    left_s: ClockSeconds | None = None


# ---------------------------------------------------------------- sessions


class SessionStatus(StrEnum):
    NEW = "new"  # created, clock not started
    RECORDING = "recording"  # clock running
    PAUSED = "paused"
    ENDED = "ended"
    # A transcript whose turns are not all coded on every dimension yet: its meeting is over (its length is
    # known) but its coding is not, so it counts as unfinished. It ends once every turn is coded, or when the
    # coder finishes it (E).
    TO_CODE = "to_code"

    @property
    def shown(self) -> str:
        """As a person reads it in a list: "to code", not "to_code"."""
        return self.value.replace("_", " ")


class AgendaItem(Strict):
    id: RecordId
    title: Line = ""
    start_s: ClockSeconds
    wall_time: dt.datetime


class Pause(Strict):
    """The clock stood still at ``at_s``; ``interrupted`` marks a pause made by recovery after a crash."""

    at_s: ClockSeconds
    wall_time: dt.datetime
    resumed_wall_time: dt.datetime | None = None
    interrupted: bool = False


class TranscriptSource(Strict):
    """Where a session coded from a transcript came from, and how its speakers' names were matched."""

    file: Line  # the file's name, without its folder
    kind: Literal["vtt", "docx"]
    merge_gap_s: Annotated[float, Field(ge=0, le=3600, allow_inf_nan=False)] = 2.0
    # A name as the transcript writes it -> the attendee it is (a map line, or a match): carried to the series'
    # next import.
    names: dict[Line, NonEmptyText] = Field(default_factory=dict, max_length=MAX_ATTENDEES * 4)
    # A name whose attendee has a namesake on the roster -> the attendee's organisation, which tells them apart.
    organisations: dict[Line, NonEmptyText] = Field(default_factory=dict, max_length=MAX_ATTENDEES * 4)


class Session(Strict):
    id: RecordId
    title: NonEmptyText
    series: Line = ""
    meeting_date: dt.date
    observer: Line = ""
    codebook: Codebook
    organisations: list[Organisation] = Field(default_factory=list, max_length=MAX_ATTENDEES)
    participants: list[Participant] = Field(default_factory=list, max_length=MAX_ATTENDEES)
    attendance: list[Attendance] = Field(default_factory=list, max_length=MAX_ATTENDEES)
    agenda_items: list[AgendaItem] = Field(default_factory=list)
    # Agenda items planned before the meeting, in order: the first contribution opens the first, and ``A``
    # offers the next one not yet started.
    planned_agenda: list[NonEmptyText] = Field(default_factory=list, max_length=MAX_PLANNED_ITEMS)
    pauses: list[Pause] = Field(default_factory=list)
    notes: Note = ""
    status: SessionStatus = SessionStatus.NEW
    created_at: dt.datetime = Field(default_factory=utc_now)
    # Wall-clock time at which the session clock read 0; aligns two observers' clocks.
    started_at: dt.datetime | None = None
    # The clock reading at the last start/pause, and the wall time it started running (None: not running).
    clock_elapsed_s: ClockSeconds = 0.0
    running_since: dt.datetime | None = None
    ended_s: ClockSeconds | None = None
    transcript: TranscriptSource | None = None  # None: coded live
    # Another observer's coding of a meeting already coded: the first coding's id, which both share as the
    # meeting's (None: the session is its meeting's first coding). Trends count a meeting once.
    meeting_id: RecordId | None = None

    @model_serializer(mode="wrap")
    def _without_an_absent_link(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A first coding is written as before the link existed: files an older version can still read.
        document: dict[str, Any] = handler(self)
        if document.get("meeting_id", "") is None:
            del document["meeting_id"]
        return document

    @property
    def meeting(self) -> str:
        """The meeting this session codes: shared by every coding of it."""
        return self.meeting_id or self.id

    @model_validator(mode="after")
    def _check_references(self) -> Session:
        organisation_ids = {organisation.id for organisation in self.organisations}
        if len(organisation_ids) != len(self.organisations):
            raise ValueError("an organisation id is used twice")
        participant_ids: set[str] = set()
        for participant in self.participants:
            if participant.organisation_id not in organisation_ids:
                raise ValueError(
                    f"participant '{participant.id}' names unknown organisation '{participant.organisation_id}'"
                )
            if participant.id in participant_ids:
                raise ValueError(f"participant id '{participant.id}' is used twice")
            participant_ids.add(participant.id)
        for attendance in self.attendance:
            if attendance.participant_id not in participant_ids:
                raise ValueError(f"attendance names unknown participant '{attendance.participant_id}'")
        return self

    def clock_at(self, now: dt.datetime) -> float:
        """The session clock (observed seconds) at wall time ``now``."""
        if self.running_since is None:
            return self.clock_elapsed_s
        return self.clock_elapsed_s + max(0.0, (now - self.running_since).total_seconds())

    def observed_seconds(self, now: dt.datetime | None = None) -> float:
        """Observed time T: the clock at the end, or now for a session still open."""
        if self.ended_s is not None:
            return self.ended_s
        return self.clock_at(now or utc_now())

    def participant(self, participant_id: str | None) -> Participant | None:
        return next((p for p in self.participants if p.id == participant_id), None)

    def organisation(self, organisation_id: str | None) -> Organisation | None:
        return next((o for o in self.organisations if o.id == organisation_id), None)

    def speaker_name(self, contribution: Contribution) -> str:
        """Who spoke, as people read it: the participant's name, or "(Organisation)" when only that is known."""
        participant = self.participant(contribution.participant_id)
        if participant is not None:
            return participant.name
        organisation = self.organisation(contribution.organisation_id)
        return f"({organisation.name if organisation else contribution.organisation_id})"

    def attendance_of(self, participant_id: str) -> Attendance | None:
        return next((a for a in self.attendance if a.participant_id == participant_id), None)

    def next_planned_item(self) -> str | None:
        """The first planned agenda item not started yet (by title, in the planned order), if any."""
        started = [item.title for item in self.agenda_items]
        for title in self.planned_agenda:
            if title in started:
                started.remove(title)  # an agenda may plan the same title twice ("Break")
            else:
                return title
        return None

    def agenda_item_at(self, clock_s: float) -> AgendaItem | None:
        """The agenda item running at ``clock_s``: the last one started at or before it."""
        current = None
        for item in sorted(self.agenda_items, key=lambda item: item.start_s):
            if item.start_s <= clock_s:
                current = item
        return current


class Contribution(Strict):
    """One person's continuous turn of talk. Coded live, its end is derived (see ``timing.contribution_spans``):
    the next start. From a transcript, it has its own ``end_s`` and the ``words`` said (personal data)."""

    id: RecordId
    start_s: ClockSeconds
    end_s: ClockSeconds | None = None
    words: Words = ""
    wall_time: dt.datetime
    participant_id: RecordId | None = None  # None: known organisation, unknown speaker
    organisation_id: RecordId
    codes: dict[str, str] = Field(default_factory=dict)  # dimension id -> code id; absent = not coded
    flags: list[str] = Field(default_factory=list)
    note: Note = ""
    agenda_item_id: RecordId | None = None


def fully_coded(contribution: Contribution, dimension_ids: Sequence[str]) -> bool:
    """Coded on every dimension (a transcript's turn is "to code" until it is)."""
    return all(dimension in contribution.codes for dimension in dimension_ids)


def count_turns_to_code(data: SessionData) -> int | None:
    """A transcript's turns not coded on every dimension (None for a session coded live, where a contribution
    may be left uncoded by choice)."""
    if data.session.transcript is None:
        return None
    dimension_ids = data.session.codebook.dimension_ids
    return sum(1 for contribution in data.contributions if not fully_coded(contribution, dimension_ids))


def clock_order(contribution: Contribution) -> tuple[float, dt.datetime]:
    """Contributions in the order they were said: by session clock, then by the moment they were keyed."""
    return contribution.start_s, contribution.wall_time


class SessionData(BaseModel):
    """A session with its contributions in clock order: what metrics and exports work on."""

    session: Session
    contributions: list[Contribution]


# Rounding of stored clock readings (to the millisecond) may put a start a hair past the clock.
_CLOCK_SLACK_S = 0.002


def integrity_problem(data: SessionData) -> str | None:
    """What a session read from outside (a bundle) holds that the writer never writes, as "field: why"; None
    when it is whole. Each record is valid on its own by now: this checks how they refer to one another."""
    session, codebook = data.session, data.session.codebook
    if session.ended_s is not None and session.status != SessionStatus.ENDED:
        return f"session.ended_s: set, but the session's status is '{session.status}'"
    observed = session.ended_s if session.ended_s is not None else session.clock_elapsed_s
    if session.status == SessionStatus.ENDED and session.ended_s is None:
        return "session.ended_s: the session has ended but says not when"
    if session.status == SessionStatus.RECORDING:
        return "session.status: a session being recorded cannot be moved (end or pause it first)"
    agenda_ids = [item.id for item in session.agenda_items]
    if len(set(agenda_ids)) != len(agenda_ids):
        return "session.agenda_items: an agenda item id is used twice"
    for number, item in enumerate(session.agenda_items):
        if item.start_s > observed + _CLOCK_SLACK_S:
            return f"session.agenda_items.{number}.start_s: {item.start_s:g} s is after the session's end"
    for number, pause in enumerate(session.pauses):
        if pause.at_s > observed + _CLOCK_SLACK_S:
            return f"session.pauses.{number}.at_s: {pause.at_s:g} s is after the session's end"
    for number, attendance in enumerate(session.attendance):
        if (
            attendance.arrived_s is not None
            and attendance.left_s is not None
            and attendance.left_s < attendance.arrived_s
        ):
            return f"session.attendance.{number}.left_s: before the attendee arrived"
    organisation_of = {participant.id: participant.organisation_id for participant in session.participants}
    organisation_ids = {organisation.id for organisation in session.organisations}
    contribution_ids: set[str] = set()
    for number, contribution in enumerate(data.contributions):
        where = f"contributions.{number}"
        if contribution.id in contribution_ids:
            return f"{where}.id: '{contribution.id}' is used twice"
        contribution_ids.add(contribution.id)
        if contribution.start_s > observed + _CLOCK_SLACK_S:
            return f"{where}.start_s: {contribution.start_s:g} s is after the session's end ({observed:g} s)"
        if contribution.end_s is not None and contribution.end_s < contribution.start_s:
            return (
                f"{where}.end_s: the turn ends ({contribution.end_s:g} s) before it starts ({contribution.start_s:g} s)"
            )
        if contribution.end_s is not None and contribution.end_s > observed + _CLOCK_SLACK_S:
            return f"{where}.end_s: {contribution.end_s:g} s is after the session's end ({observed:g} s)"
        if contribution.organisation_id not in organisation_ids:
            return f"{where}.organisation_id: no organisation '{contribution.organisation_id}' in the session"
        if contribution.participant_id is not None:
            organisation = organisation_of.get(contribution.participant_id)
            if organisation is None:
                return f"{where}.participant_id: no participant '{contribution.participant_id}' in the session"
            if organisation != contribution.organisation_id:
                return f"{where}.organisation_id: not the organisation of participant '{contribution.participant_id}'"
        if contribution.agenda_item_id is not None and contribution.agenda_item_id not in agenda_ids:
            return f"{where}.agenda_item_id: no agenda item '{contribution.agenda_item_id}' in the session"
        for dimension_id, code_id in contribution.codes.items():
            dimension = codebook.dimension(dimension_id)
            if dimension is None:
                return f"{where}.codes: no dimension '{dimension_id}' in the codebook"
            if dimension.code(code_id) is None:
                return f"{where}.codes.{dimension_id}: no code '{code_id}' in that dimension"
        for flag_id in contribution.flags:
            if codebook.flag(flag_id) is None:
                return f"{where}.flags: no flag '{flag_id}' in the codebook"
        if len(set(contribution.flags)) != len(contribution.flags):
            return f"{where}.flags: a flag is listed twice"
    return None


RecordKind = Literal["session", "contribution"]
