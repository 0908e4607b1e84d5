"""The coding state machine: every observer action becomes one durable, undoable change.

Screens call these methods with the wall-clock moment the key was pressed; each method validates the
action, builds the records it changes and hands them to the store, which has them on disk before the
method returns. Nothing here knows about the terminal. How a step is committed and undone is
``coding_steps``; the edits only a transcript's turns take are ``transcript_edits``.
"""

from __future__ import annotations

import datetime as dt
import secrets

from observer.core.clock import format_clock
from observer.core.fields import MAX_ATTENDEES, NOTE_MAX, new_id, organisation_id_for, text_problem, utc_now
from observer.core.models import (
    AgendaItem,
    Attendance,
    Contribution,
    Organisation,
    Participant,
    Pause,
    Session,
    SessionStatus,
    fully_coded,
)
from observer.core.text import plural
from observer.live.coding_steps import ENDED_REFUSAL, ActionRefused, check_line
from observer.live.transcript_edits import TranscriptEdits
from observer.storage import paused_at_last_moment


class CodingSession(TranscriptEdits):
    """One session being coded: the observer's actions, live or on a transcript's turns."""

    # ------------------------------------------------------------ the clock

    def _with_clock_running(self, at: dt.datetime) -> Session | None:
        """The session header with the clock running from ``at``, or None if it already runs."""
        session = self.session
        if session.status == SessionStatus.RECORDING:
            return None
        if session.status == SessionStatus.NEW:
            return session.model_copy(update={"status": SessionStatus.RECORDING, "started_at": at, "running_since": at})
        pauses = list(session.pauses)
        if pauses and pauses[-1].resumed_wall_time is None:
            pauses[-1] = pauses[-1].model_copy(update={"resumed_wall_time": at})
        return session.model_copy(update={"status": SessionStatus.RECORDING, "running_since": at, "pauses": pauses})

    def _paused(self, at: dt.datetime) -> Session:
        session = self.session
        clock_s = round(session.clock_at(at), 3)
        return session.model_copy(
            update={
                "status": SessionStatus.PAUSED,
                "clock_elapsed_s": clock_s,
                "running_since": None,
                "pauses": [*session.pauses, Pause(at_s=clock_s, wall_time=at)],
            }
        )

    def toggle_clock(self, at: dt.datetime) -> str:
        """Start the clock, pause it, or resume it."""
        self._require_open()
        session = self.session
        if session.status == SessionStatus.RECORDING:
            return self._commit("paused", at, session=self._paused(at))
        started = self._with_clock_running(at)
        assert started is not None
        label = "clock started" if session.status == SessionStatus.NEW else "resumed"
        return self._commit(label, at, session=started)

    def recover_after_interruption(self, now: dt.datetime | None = None) -> str | None:
        """After the program died with the clock running: pause at the last recorded moment.

        The pause is the program's, not the observer's: undo passes it by. Returns a message describing the
        gap, or None when the session was not interrupted.
        """
        paused = paused_at_last_moment(self.store.state)
        if paused is None:
            return None
        last_wall = paused.pauses[-1].wall_time
        self._commit("paused after interruption", last_wall, session=paused, undoable=False)
        gap_minutes = max(0.0, ((now or utc_now()) - last_wall).total_seconds() / 60)
        return (
            f"The program stopped while recording. The clock is paused at the last recorded moment "
            f"({format_clock(paused.clock_elapsed_s)}); {gap_minutes:.0f} min were not observed. Space resumes."
        )

    def close(self, at: dt.datetime) -> None:
        """Leave the session: a running clock pauses, the journal is folded and the lock freed.

        The pause is the program's step, not the observer's: undo after reopening passes it by (else the whole
        time the app was closed would count as observed), and it keeps what redo could still bring back.
        """
        try:
            if self.session.status == SessionStatus.RECORDING:
                self._commit("paused on leaving", at, session=self._paused(at), undoable=False)
        finally:
            self.store.close()

    def end_session(self, at: dt.datetime) -> str:
        """End the meeting; a transcript's coding is finished this way with turns still uncoded (they count as
        not coded)."""
        session = self.session
        if session.status == SessionStatus.ENDED:
            raise ActionRefused(ENDED_REFUSAL)
        ended_s = session.clock_at(at)
        ended = session.model_copy(
            update={
                "status": SessionStatus.ENDED,
                "clock_elapsed_s": ended_s,
                "running_since": None,
                "ended_s": ended_s,
            }
        )
        if session.transcript is None:
            return self._commit("session ended", at, session=ended)
        dimensions = session.codebook.dimension_ids
        uncoded = sum(1 for c in self.store.contributions.values() if not fully_coded(c, dimensions))
        return self._commit(f"coding finished, {plural(uncoded, 'turn')} not coded", at, session=ended)

    # ------------------------------------------------------------ speakers

    def speak(
        self, at: dt.datetime, participant_id: str | None = None, organisation_id: str | None = None
    ) -> Contribution:
        """A new contribution by a participant, or by an organisation when the speaker is unknown."""
        self._require_open()
        organisation_id = self._speaker_organisation(participant_id, organisation_id)
        running = self.running()
        if running is not None and participant_id is not None and running.participant_id == participant_id:
            # The same person again under a new agenda item (the chair's "moving on to item 2") is a new
            # contribution, filed under that item; within one item it is a key pressed twice.
            item_now = self.session.agenda_item_at(self.session.clock_at(at))
            if (item_now.id if item_now else None) == running.agenda_item_id:
                name = self.session.participant(participant_id)
                raise ActionRefused(f"{name.name if name else participant_id} is already speaking")
        started = self._with_clock_running(at)
        header = started or self.session
        start_s = header.clock_at(at)
        if not header.agenda_items and header.planned_agenda:
            # The first contribution opens the first planned item, from the start of the clock.
            first = AgendaItem(id=new_id("a"), title=header.planned_agenda[0], start_s=0.0, wall_time=at)
            header = started = header.model_copy(update={"agenda_items": [first]})
        attendance = header.attendance_of(participant_id) if participant_id is not None else None
        if attendance is not None and attendance.left_s is not None:
            # Someone marked as having left who speaks is back in the room (undo takes both back, if the key was
            # the wrong one).
            back = [a.model_copy(update={"left_s": None}) if a is attendance else a for a in header.attendance]
            header = started = header.model_copy(update={"attendance": back})
        agenda_item = header.agenda_item_at(start_s)
        contribution = Contribution(
            id=new_id("c"),
            start_s=round(start_s, 3),
            wall_time=at,
            participant_id=participant_id,
            organisation_id=organisation_id,
            agenda_item_id=agenda_item.id if agenda_item else None,
        )
        self._commit(f"speaker: {self.session.speaker_name(contribution)}", at, started, [(None, contribution)])
        return contribution

    def _speaker_organisation(self, participant_id: str | None, organisation_id: str | None) -> str:
        if participant_id is not None:
            participant = self.session.participant(participant_id)
            if participant is None:
                raise ActionRefused(f"no participant '{participant_id}' in this session")
            return participant.organisation_id
        if organisation_id is None or self.session.organisation(organisation_id) is None:
            raise ActionRefused("choose a participant or an organisation")
        return organisation_id

    def set_speaker(
        self,
        at: dt.datetime,
        contribution_id: str,
        participant_id: str | None = None,
        organisation_id: str | None = None,
    ) -> str:
        target = self._target(contribution_id)
        organisation_id = self._speaker_organisation(participant_id, organisation_id)
        changed = target.model_copy(update={"participant_id": participant_id, "organisation_id": organisation_id})
        return self._commit(f"speaker changed to {self.session.speaker_name(changed)}", at, None, [(target, changed)])

    # ------------------------------------------------------------ codes, flags, notes

    def set_code(self, at: dt.datetime, dimension_id: str, code_id: str, contribution_id: str | None = None) -> str:
        """Set a dimension's value; pressing the value it already has clears it."""
        dimension = self.session.codebook.dimension(dimension_id)
        if dimension is None or dimension.code(code_id) is None:
            raise ActionRefused(f"'{code_id}' is not a code of '{dimension_id}' in this codebook")
        target = self._target(contribution_id)
        codes = dict(target.codes)
        if codes.get(dimension_id) == code_id:
            del codes[dimension_id]
            label = f"{dimension.label} cleared"
        else:
            codes[dimension_id] = code_id
            label = f"{dimension.label}: {self.session.codebook.label_of(dimension_id, code_id)}"
        return self._commit(label, at, None, [(target, target.model_copy(update={"codes": codes}))])

    def toggle_flag(self, at: dt.datetime, flag_id: str, contribution_id: str | None = None) -> str:
        flag = self.session.codebook.flag(flag_id)
        if flag is None:
            raise ActionRefused(f"'{flag_id}' is not a flag in this codebook")
        target = self._target(contribution_id)
        flags = set(target.flags)
        flags ^= {flag_id}
        label = f"{flag.label} {'on' if flag_id in flags else 'off'}"
        ordered = [f for f in self.session.codebook.flag_ids if f in flags]
        return self._commit(label, at, None, [(target, target.model_copy(update={"flags": ordered}))])

    def set_note(self, at: dt.datetime, note: str, contribution_id: str | None = None) -> str:
        target = self._target(contribution_id)
        text = note.replace("\r\n", "\n").replace("\r", "\n").strip()  # a paste from Windows keeps its lines
        problem = text_problem(text, multiline=True, max_length=NOTE_MAX)
        if problem:
            raise ActionRefused(f"note not saved: it {problem}")
        changed = target.model_copy(update={"note": text})
        return self._commit("note saved" if text else "note removed", at, None, [(target, changed)])

    def set_start(self, at: dt.datetime, contribution_id: str, start_s: float) -> str:
        """Move a contribution's start on the session clock (its agenda item follows the new start)."""
        target = self._target(contribution_id)
        limit = self.session.observed_seconds(at)
        if not 0 <= start_s <= limit:
            raise ActionRefused(f"start must lie between 0:00 and {format_clock(limit)}")
        if target.end_s is not None and round(start_s, 3) > target.end_s:
            # A transcript turn has its own end: a start past it would make a turn no bundle or export can hold.
            raise ActionRefused(
                f"the turn ends at {format_clock(target.end_s)}; its start must come before that "
                "(S splits a turn, J joins it with the next)"
            )
        agenda_item = self.session.agenda_item_at(start_s)
        changed = target.model_copy(
            update={"start_s": round(start_s, 3), "agenda_item_id": agenda_item.id if agenda_item else None}
        )
        return self._commit(f"start moved to {format_clock(start_s)}", at, None, [(target, changed)])

    def delete_contribution(self, at: dt.datetime, contribution_id: str) -> str:
        target = self._target(contribution_id)
        return self._commit(f"deleted {self.session.speaker_name(target)}", at, None, [(target, None)])

    # ------------------------------------------------------------ agenda and attendance

    def start_agenda_item(self, at: dt.datetime, title: str = "") -> AgendaItem:
        """The next agenda item starts now; contributions from here on belong to it."""
        self._require_open()
        check_line("agenda item", title.strip())
        start_s = self.session.clock_at(at)
        item = AgendaItem(
            id=new_id("a"),
            title=title.strip() or f"Item {len(self.session.agenda_items) + 1}",
            start_s=round(start_s, 3),
            wall_time=at,
        )
        session = self.session.model_copy(update={"agenda_items": [*self.session.agenda_items, item]})
        self._commit(f"agenda item: {item.title}", at, session)
        return item

    def add_attendee(self, at: dt.datetime, name: str, organisation_name: str, role: str = "") -> Participant:
        """A late arrival: joins the roster now and counts as present from this moment."""
        self._require_open()
        if not name.strip() or not organisation_name.strip():
            raise ActionRefused("a new attendee needs a name and an organisation")
        for field_name, value in (("name", name), ("organisation", organisation_name), ("role", role)):
            check_line(field_name, value.strip())
        session = self.session
        if len(session.participants) >= MAX_ATTENDEES:
            raise ActionRefused(f"a session holds at most {MAX_ATTENDEES} attendees")
        organisations = list(session.organisations)
        organisation = next(
            (o for o in organisations if o.name.casefold() == organisation_name.strip().casefold()), None
        )
        if organisation is None:
            organisation = Organisation(id=organisation_id_for(organisation_name), name=organisation_name.strip())
            if session.organisation(organisation.id) is not None:
                organisation = Organisation(id=f"{organisation.id}-{secrets.token_hex(2)}", name=organisation.name)
            organisations.append(organisation)
        participant = Participant(id=new_id("p"), name=name.strip(), organisation_id=organisation.id, role=role.strip())
        arrived_s = session.clock_at(at) if session.status != SessionStatus.NEW else None
        updated = session.model_copy(
            update={
                "organisations": organisations,
                "participants": [*session.participants, participant],
                "attendance": [*session.attendance, Attendance(participant_id=participant.id, arrived_s=arrived_s)],
            }
        )
        self._commit(f"arrived: {participant.name}", at, updated)
        return participant

    def toggle_left(self, at: dt.datetime, participant_id: str) -> str:
        """Mark a participant as having left the room now, or as back if they had left."""
        self._require_open()
        session = self.session
        attendance = session.attendance_of(participant_id)
        participant = session.participant(participant_id)
        if attendance is None or participant is None:
            raise ActionRefused("no such attendee")
        if attendance.left_s is None:
            changed = attendance.model_copy(update={"left_s": round(session.clock_at(at), 3)})
            label = f"left: {participant.name}"
        else:
            changed = attendance.model_copy(update={"left_s": None})
            label = f"back: {participant.name}"
        records = [changed if a.participant_id == participant_id else a for a in session.attendance]
        return self._commit(label, at, session.model_copy(update={"attendance": records}))
