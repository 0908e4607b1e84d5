"""Importing a transcript again over an earlier import of it (to put names right with a map, say): every
unchanged turn keeps its coding, and what cannot be kept is listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from observer.core.fields import utc_now
from observer.core.models import Contribution, Session, SessionData, SessionStatus, fully_coded, integrity_problem
from observer.interop.transcript import transcript_session
from observer.interop.transcript_cues import Transcript, TranscriptError
from observer.interop.transcript_speakers import NOT_ON_ROSTER
from observer.live.coding import CodingSession
from observer.storage import MemorySessionStore

if TYPE_CHECKING:
    from observer.interop.roster import RosterEntry


@dataclass(frozen=True)
class Replacement:
    """A new import with what it keeps of the earlier import of the same file it replaces."""

    data: SessionData
    kept: int  # turns whose coding (codes, flags, note, a speaker put right by hand) came over
    lost: list[Contribution]  # the earlier import's coded turns the new one cannot keep (in the earlier's order)


# A turn as the file gives it (start, end, words), and a speaker as a person reads it (attendee, organisation).
TurnKey = tuple[float, float | None, str]
SpeakerNames = tuple[str, str]


def roster_before(data: SessionData) -> list[RosterEntry]:
    """An earlier import's roster without the names it added itself under "Not on the roster": importing again
    (with a map, say) adds whichever still match nobody."""
    from observer.interop.planning import roster_of

    return [entry for entry in roster_of(data) if entry.organisation != NOT_ON_ROSTER]


def speakers_as_imported(transcript: Transcript, earlier: SessionData) -> dict[TurnKey, SpeakerNames]:
    """Who the earlier import of ``transcript`` made each turn's speaker, before any coder changed one: the same
    import again, with the earlier's whole roster (its names not on the roster too), names and merge gap."""
    from observer.interop.planning import roster_of

    session, source = earlier.session, earlier.session.transcript
    assert source is not None
    again = transcript_session(
        transcript,
        file_name=source.file,
        title=session.title,
        codebook=session.codebook,
        meeting_date=session.meeting_date,
        roster=roster_of(earlier),
        remembered=source.names,
        remembered_organisations=source.organisations,
        merge_gap_s=source.merge_gap_s,
    ).data
    return {_turn_key(turn): _speaker_names(again, turn) for turn in again.contributions}


def replacing(
    earlier: SessionData, imported: SessionData, as_imported: dict[TurnKey, SpeakerNames] | None = None
) -> Replacement:
    """``imported`` with the coding of ``earlier``'s unchanged turns (the same start, end and words: a speaker
    put right by a map is the point of importing again), the earlier's agenda items and session notes.

    ``as_imported`` (``speakers_as_imported``) tells a speaker the coder put right by hand, which is kept, from one
    the earlier import gave, which the new import's names replace. A turn the coder joined or split, or one the
    new import cuts differently, is not unchanged: its coding is listed in ``lost``; so are codes and flags the new
    import's codebook does not have, and a speaker put right by hand who is not among the new import's people."""
    codebook = imported.session.codebook
    waiting: dict[TurnKey, list[Contribution]] = {}
    for turn in earlier.contributions:
        waiting.setdefault(_turn_key(turn), []).append(turn)
    contributions: list[Contribution] = []
    kept: set[str] = set()
    by_hand = _speakers_by_hand(earlier, as_imported or {})
    for turn in imported.contributions:
        same = waiting.get(_turn_key(turn))
        before = same.pop(0) if same else None
        if before is None:
            contributions.append(turn)
            continue
        codes = {
            dimension: code
            for dimension, code in before.codes.items()
            if (found := codebook.dimension(dimension)) is not None and found.code(code) is not None
        }
        flags = [flag for flag in before.flags if codebook.flag(flag) is not None]
        coding: dict[str, object] = {"id": before.id, "codes": codes, "flags": flags, "note": before.note}
        speaker_kept = True
        if before.id in by_hand:
            speaker = _speaker_in(imported, by_hand[before.id])
            speaker_kept = speaker is not None
            if speaker is not None:
                coding["participant_id"], coding["organisation_id"] = speaker
        contributions.append(turn.model_copy(update=coding))
        if codes == before.codes and flags == before.flags and speaker_kept:
            kept.add(before.id)
    worked_on = [turn for turn in earlier.contributions if _coded(turn) or turn.id in by_hand]
    lost = [turn for turn in worked_on if turn.id not in kept]
    session = imported.session
    if earlier.session.agenda_items:
        session = session.model_copy(update={"agenda_items": list(earlier.session.agenda_items)})
        if not session.planned_agenda:
            session = session.model_copy(update={"planned_agenda": list(earlier.session.planned_agenda)})
    # The notes, and which meeting it codes (a second coding stays one).
    session = session.model_copy(update={"notes": earlier.session.notes, "meeting_id": earlier.session.meeting_id})
    filed = []
    for turn in contributions:
        item = session.agenda_item_at(turn.start_s)
        filed.append(turn.model_copy(update={"agenda_item_id": item.id if item else None}))
    dimensions = codebook.dimension_ids
    # Finished stays finished: the coder who ended it early (E) meant it, and it counts in the trends.
    if earlier.session.status == SessionStatus.ENDED or all(fully_coded(turn, dimensions) for turn in filed):
        session = _finished(session)
    data = SessionData(session=session, contributions=filed)
    problem = integrity_problem(data)
    if problem:  # our own mistake, never the file's
        raise TranscriptError(f"the session made from it is inconsistent ({problem})")
    return Replacement(data, sum(1 for turn in worked_on if turn.id in kept), lost)


def _finished(session: Session) -> Session:
    """``session`` with its coding finished, as the coding state machine finishes it (E on the transcript screen,
    or coding its last turn): ended at the end of the meeting."""
    coding = CodingSession(MemorySessionStore(session))
    coding.end_session(utc_now())
    return coding.session


def _coded(turn: Contribution) -> bool:
    return bool(turn.codes or turn.flags or turn.note)


def _turn_key(turn: Contribution) -> TurnKey:
    return turn.start_s, turn.end_s, turn.words


def _speaker_names(data: SessionData, turn: Contribution) -> SpeakerNames:
    session = data.session
    participant, organisation = session.participant(turn.participant_id), session.organisation(turn.organisation_id)
    return (participant.name if participant else "", organisation.name if organisation else "")


def _speakers_by_hand(earlier: SessionData, as_imported: dict[TurnKey, SpeakerNames]) -> dict[str, SpeakerNames]:
    """The earlier's turns whose speaker is not the one its import gave them: the coder put them right."""
    by_hand = {}
    for turn in earlier.contributions:
        imported_as = as_imported.get(_turn_key(turn))
        speaker = _speaker_names(earlier, turn)
        if imported_as is not None and imported_as != speaker:
            by_hand[turn.id] = speaker
    return by_hand


def _speaker_in(data: SessionData, speaker: SpeakerNames) -> tuple[str | None, str] | None:
    """The (participant id, organisation id) of the person, or the organisation alone, named ``speaker`` in
    ``data``; None when it has nobody of that name in that organisation."""
    session = data.session
    name, organisation_name = speaker
    organisation = next((o for o in session.organisations if o.name == organisation_name), None)
    if organisation is None:
        return None
    if not name:
        return None, organisation.id
    participant = next(
        (p for p in session.participants if p.name == name and p.organisation_id == organisation.id), None
    )
    return (participant.id, organisation.id) if participant is not None else None
