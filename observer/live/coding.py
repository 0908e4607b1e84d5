"""The coding state machine: every observer action becomes one durable, undoable change.

Screens call these methods with the wall-clock moment the key was pressed; each method validates the
action, builds the records it changes and hands them to the store, which has them on disk before the
method returns. Nothing here knows about the terminal.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from observer.analysis.timing import pause_ends
from observer.core.clock import format_clock, format_tenths
from observer.core.errors import ObserverError
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
from observer.storage import HISTORY_LIMIT, Change, SessionStore, Write, paused_at_last_moment

# An ended meeting is open for editing only: one rule, said the same way by every key that would add to it.
ENDED_REFUSAL = "the meeting has ended: nothing can be added to it (↑↓ pick a contribution; the code keys edit it)"
TRANSCRIPT_REFUSAL = "a transcript's turns come from its file: nothing is added to it live (Tab moves between turns)"
ENDED_OPENED = (
    "This meeting has ended: you are editing its record. ↑↓ pick a contribution; code and flag keys, N (note), "
    "T (start time) and D (delete) change it. Nothing can be added."
)


class ActionRefused(ObserverError):
    """A key that means nothing in the current state; the message says why, briefly."""


def _check_line(field_name: str, value: str) -> None:
    problem = text_problem(value)
    if problem:
        raise ActionRefused(f"the {field_name} {problem}")


class CodingSession:
    """One session being coded. All changes go through ``SessionStore`` and can be undone and redone."""

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

    # ------------------------------------------------------------ the clock

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
        _check_line("agenda item", title.strip())
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
            _check_line(field_name, value.strip())
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

    # ------------------------------------------------------------ transcript turns

    def _turn(self, contribution_id: str) -> Contribution:
        if self.session.transcript is None:
            raise ActionRefused("joining and splitting are for turns of a transcript")
        return self._target(contribution_id)

    def join_with_next(self, at: dt.datetime, contribution_id: str, expected_next: str | None = None) -> str:
        """One turn made of a transcript turn and the one after it: the first's speaker and codes, both flags,
        notes and words, to the later end. ``expected_next``: the turn the coder saw after it (refused if
        another has come between since, by a split or an undo)."""
        first = self._turn(contribution_id)
        ordered = self.store.state.ordered()
        position = next(index for index, c in enumerate(ordered) if c.id == first.id)
        if position + 1 >= len(ordered):
            raise ActionRefused("the last turn has no next one to join")
        second = ordered[position + 1]
        if expected_next is not None and second.id != expected_next:
            raise ActionRefused("the turn after it is no longer the one shown: nothing joined (J again joins it)")
        flags = set(first.flags) | set(second.flags)
        joined = first.model_copy(
            update={
                "end_s": max(first.end_s or first.start_s, second.end_s or second.start_s),
                "words": " ".join(w for w in (first.words, second.words) if w),
                "flags": [f for f in self.session.codebook.flag_ids if f in flags],
                "note": "\n".join(n for n in (first.note, second.note) if n)[:NOTE_MAX],
            }
        )
        first_speaker, second_speaker = self.session.speaker_name(first), self.session.speaker_name(second)
        if (first.participant_id, first.organisation_id) == (second.participant_id, second.organisation_id):
            label = f"joined with the next turn ({second_speaker})"
        else:  # the second speaker's words and airtime change hands: say so
            airtime = max(0.0, (second.end_s or second.start_s) - second.start_s)
            label = (
                f"joined with the next turn: {second_speaker}'s words and {format_tenths(airtime)} of talk are now "
                f"{first_speaker}'s"
            )
        return self._commit(label, at, None, [(first, joined), (second, None)])

    def split_turn(self, at: dt.datetime, contribution_id: str, at_word: int) -> str:
        """Two turns of one, the second from word ``at_word`` (counted from 0) on; the moment between them is
        where the words before it end, by their share of the turn's words (``split_moment``). The second turn
        has the same speaker and comes uncoded."""
        turn = self._turn(contribution_id)
        words = turn.words.split()
        if not 0 < at_word < len(words):
            raise ActionRefused(
                "a turn of fewer than two words cannot be split"
                if len(words) < 2
                else f"split between two of its {len(words)} words (after the first, before the last)"
            )
        split_s = split_moment(turn, at_word)
        end = turn.end_s if turn.end_s is not None else turn.start_s
        first = turn.model_copy(update={"end_s": split_s, "words": " ".join(words[:at_word])})
        agenda_item = self.session.agenda_item_at(split_s)
        second = Contribution(
            id=new_id("c"),
            start_s=split_s,
            end_s=end,
            wall_time=at,
            participant_id=turn.participant_id,
            organisation_id=turn.organisation_id,
            words=" ".join(words[at_word:]),
            agenda_item_id=agenda_item.id if agenda_item else None,
        )
        label = f"split at {format_tenths(split_s)}, before '{words[at_word][:40]}'"
        return self._commit(label, at, None, [(turn, first), (None, second)])

    def start_agenda_item_at(self, at: dt.datetime, start_s: float, title: str = "") -> AgendaItem:
        """An agenda item from ``start_s`` on a transcript: the turns from there to the next item are filed
        under it (live, an item starts at the key press and only later talk falls in it)."""
        if self.session.transcript is None:
            raise ActionRefused("an agenda item at a chosen moment is for transcripts; live, A starts one now")
        _check_line("agenda item", title.strip())
        items = self.session.agenda_items
        item = AgendaItem(
            id=new_id("a"),
            title=title.strip() or f"Item {len(items) + 1}",
            start_s=round(start_s, 3),
            wall_time=at,
        )
        session = self.session.model_copy(update={"agenda_items": [*items, item]})
        moved = []
        for contribution in self.store.state.ordered():
            current = session.agenda_item_at(contribution.start_s)
            wanted = current.id if current else None
            if contribution.agenda_item_id != wanted:
                moved.append((contribution, contribution.model_copy(update={"agenda_item_id": wanted})))
        self._commit(f"agenda item: {item.title} from {format_clock(start_s)}", at, session, moved)
        return item

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


def split_moment(turn: Contribution, at_word: int) -> float:
    """Where a transcript turn splits before word ``at_word``: its time shared by the length of what is said on
    either side, as the import shares a cue between two voices (a transcript times cues, not words)."""
    words = turn.words.split()
    end = turn.end_s if turn.end_s is not None else turn.start_s
    before = len(" ".join(words[:at_word]))
    share = before / max(1, len(" ".join(words)))
    return round(turn.start_s + (end - turn.start_s) * share, 3)
