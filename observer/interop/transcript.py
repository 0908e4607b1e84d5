"""Meeting transcripts made into sessions: turns of talk, spoken by the roster's attendees.

A transcript's cues (``transcript_files``) of one speaker a short gap apart make one turn, which becomes one
contribution with its own end; silence between turns is nobody's. Times are kept to the millisecond as the file
gives them. Speakers' names are matched to the roster by ``transcript_speakers``; importing again over an earlier
import is ``transcript_reimport``. Nothing here knows about the archive or the terminal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from observer.core.codebook_models import Codebook
from observer.core.errors import InputError
from observer.core.fields import MAX_ATTENDEES, NAME_MAX, WORDS_MAX, new_id, utc_now
from observer.core.models import (
    AgendaItem,
    Contribution,
    SessionData,
    SessionStatus,
    TranscriptSource,
    integrity_problem,
)
from observer.interop.transcript_cues import (
    DEFAULT_MERGE_GAP_S,
    MAX_TURNS,
    Cue,
    Transcript,
    TranscriptError,
    Turn,
    plain_text,
)
from observer.interop.transcript_speakers import MapLine, Unmatched, match_speakers

if TYPE_CHECKING:
    from observer.interop.roster import RosterEntry


# ---------------------------------------------------------------- turns


def turns_of(cues: Iterable[Cue], merge_gap_s: float = DEFAULT_MERGE_GAP_S) -> list[Turn]:
    """Consecutive cues of one speaker at most ``merge_gap_s`` apart, as one turn from the first cue's start to
    the last one's end. Cues are taken in order of their starts; another speaker's cue in between ends a turn
    (people talk over each other: each keeps their own length)."""
    turns: list[Turn] = []
    for cue in sorted(cues, key=lambda c: (c.start_s, c.line)):
        last = turns[-1] if turns else None
        if last is not None and last.speaker == cue.speaker and cue.start_s - last.end_s <= merge_gap_s + 1e-9:
            last.end_s = max(last.end_s, cue.end_s)
            last.words.append(cue.words)
        else:
            turns.append(Turn(cue.speaker, cue.start_s, cue.end_s, [cue.words]))
    for turn in turns:
        if len(turn.text) > WORDS_MAX:
            turn.words = [turn.text[: WORDS_MAX - 1] + "…"]
    return turns


# ---------------------------------------------------------------- into a session


def default_title(file_name: str) -> str:
    """A session title from a transcript's file name: its stem as text that can be stored (control and
    text-direction characters left out), shortened at a word with '…' when it is long."""
    return _storable(Path(file_name).stem) or "Transcript"


def storable_file_name(file_name: str) -> str:
    """A transcript's file name as a session records it."""
    return _storable(file_name) or "transcript"


def _storable(text: str) -> str:
    shown = plain_text(text)
    if len(shown) <= NAME_MAX:
        return shown
    cut = shown[: NAME_MAX - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[NAME_MAX // 2 :] else cut).rstrip() + "…"


@dataclass(frozen=True)
class Imported:
    data: SessionData
    cues: int
    unmatched: list[Unmatched]
    added_by_map: list[str] = field(default_factory=list)


def transcript_session(
    transcript: Transcript,
    *,
    file_name: str,
    title: str,
    codebook: Codebook,
    meeting_date: dt.date,
    series: str = "",
    observer: str = "",
    roster: Sequence[RosterEntry] = (),
    known_sessions: Iterable[SessionData] = (),
    remembered: dict[str, str] | None = None,
    remembered_organisations: dict[str, str] | None = None,
    name_map: Sequence[MapLine] = (),
    merge_gap_s: float = DEFAULT_MERGE_GAP_S,
    agenda: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Imported:
    """A session "to code" of the transcript's turns, each with its own end and its words, spoken by the roster's
    attendees where the names match (``remembered`` and ``name_map`` first: transcript name -> attendee).
    ``agenda``: the planned items; the first is filed from the first turn on, as live coding's first contribution
    opens it, and A on the transcript screen starts each next one at the turn shown."""
    from observer.interop.roster import build_session

    now = now or utc_now()
    turns = turns_of(transcript.cues, merge_gap_s)
    if len(turns) > MAX_TURNS:
        raise TranscriptError(f"{file_name}: {len(turns):,} turns; a session holds at most {MAX_TURNS:,} turns")
    matched = match_speakers(
        transcript.speakers,
        roster,
        file_name=file_name,
        remembered=remembered,
        remembered_organisations=remembered_organisations,
        name_map=name_map,
    )
    entries = matched.entries
    if len(entries) > MAX_ATTENDEES:
        raise TranscriptError(
            f"{file_name}: {len(entries):,} speakers and attendees; a session holds at most {MAX_ATTENDEES}"
        )
    try:
        session = build_session(
            title=title,
            codebook=codebook,
            meeting_date=meeting_date,
            series=series,
            observer=observer,
            roster=entries,
            known_sessions=known_sessions,
            agenda=agenda,
        )
    except InputError as error:  # a name the transcript or the map gives that cannot be stored
        raise TranscriptError(f"{file_name}: {error}") from None
    first_item = (
        AgendaItem(id=new_id("a"), title=session.planned_agenda[0], start_s=0.0, wall_time=now)
        if session.planned_agenda
        else None
    )
    contributions = []
    for turn in turns:
        participant = session.participants[matched.entry_of[turn.speaker]]  # in the order of the roster given
        contributions.append(
            Contribution(
                id=new_id("c"),
                start_s=turn.start_s,
                end_s=turn.end_s,
                wall_time=now,
                participant_id=participant.id,
                organisation_id=participant.organisation_id,
                words=turn.text,
                agenda_item_id=first_item.id if first_item else None,
            )
        )
    ended = max((turn.end_s for turn in turns), default=0.0)
    # The meeting is over (its length is known) but not its coding: "to code" until every turn is coded.
    session = session.model_copy(
        update={
            "status": SessionStatus.TO_CODE,
            "started_at": now,
            "clock_elapsed_s": ended,
            "agenda_items": [first_item] if first_item else [],
            "transcript": TranscriptSource(
                file=storable_file_name(file_name),
                kind=transcript.kind,
                merge_gap_s=merge_gap_s,
                names=matched.names_used,
                organisations=matched.organisations_used,
            ),
        }
    )
    data = SessionData(session=session, contributions=contributions)
    problem = integrity_problem(data)
    if problem:  # the importer's own mistake, never the file's: say so rather than store it
        raise TranscriptError(f"{file_name}: the session made from it is inconsistent ({problem})")
    return Imported(data, len(transcript.cues), matched.unmatched, matched.added_by_map)
