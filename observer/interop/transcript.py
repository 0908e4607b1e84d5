"""Meeting transcripts made into sessions: turns of talk, and speakers matched to the roster.

A transcript's cues (``transcript_files``) of one speaker a short gap apart make one turn, which becomes one
contribution with its own end; silence between turns is nobody's. Times are kept to the millisecond as the file
gives them. Speakers' names are matched to the roster, namesakes told apart or asked about. Nothing here knows
about the archive or the terminal.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from observer.core.codebook_models import Codebook
from observer.core.errors import InputError
from observer.core.fields import MAX_ATTENDEES, NAME_MAX, WORDS_MAX, new_id, text_problem, utc_now
from observer.core.models import (
    AgendaItem,
    Contribution,
    SessionData,
    SessionStatus,
    TranscriptSource,
    fully_coded,
    integrity_problem,
)
from observer.core.text import name_key as folded_name
from observer.interop.transcript_files import (
    DEFAULT_MERGE_GAP_S,
    MAX_CUES,
    MAX_DOCX_ELEMENTS,
    MAX_DOCX_PARAGRAPHS,
    MAX_MERGE_GAP_S,
    MAX_TURNS,
    UNKNOWN_SPEAKER,
    Cue,
    Transcript,
    TranscriptError,
    Turn,
    clock_ms,
    plain_text,
    read_transcript,
)

if TYPE_CHECKING:
    from observer.interop.roster import RosterEntry

__all__ = [
    "DEFAULT_MERGE_GAP_S",
    "MAX_CUES",
    "MAX_DOCX_ELEMENTS",
    "MAX_DOCX_PARAGRAPHS",
    "MAX_MERGE_GAP_S",
    "MAX_TURNS",
    "UNKNOWN_SPEAKER",
    "Cue",
    "Transcript",
    "TranscriptError",
    "Turn",
    "clock_ms",
    "read_transcript",
]


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


# ---------------------------------------------------------------- speakers' names

# What Teams and Zoom add after a name: "(Guest)", "(External)", in English and in a few other languages.
_SUFFIXES = ("(guest)", "(external)", "(unverified)", "(extern)", "(invité)", "(gast)", "[guest]", "[external]")


def _without_suffixes(name: str) -> str:
    name = name.strip()
    while True:
        for suffix in _SUFFIXES:
            if name[-len(suffix) :].casefold() == suffix:
                name = name[: -len(suffix)].rstrip()
                break
        else:
            return name


def name_key(name: str) -> str:
    """A name as compared with the roster: case, accents, apostrophes (O’Neil is O'Neil), extra spaces,
    invisible characters, and what Teams adds ("(Guest)", "(External)", "| Organisation") ignored."""
    base = _without_suffixes(name.partition("|")[0])
    if not base.isprintable():
        base = "".join(c for c in base if unicodedata.category(c) not in ("Cf", "Cc"))
    return folded_name(base)


def organisation_hint(speaker: str) -> str:
    """The organisation Teams writes after a name ("Ann Smith | NHS Trust"), as written; "" when none."""
    return _without_suffixes(speaker.partition("|")[2])


def _speaker_key(speaker: str) -> str:
    """``name_key``, or for a speaker with no name at all ("(Guest)", "| NHS Trust") the whole of what the
    transcript writes: two such speakers are not one person."""
    return name_key(speaker) or "\0" + " ".join(speaker.casefold().split())


def _spelling(name: str) -> str:
    """A name as spelled: case and spacing ignored, accents kept ("José Núñez" is not "Jose Nunez")."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


@dataclass(frozen=True)
class MapLine:
    transcript_name: str
    attendee: str
    organisation: str = ""


def read_name_map(path: Path) -> list[MapLine]:
    """``transcript name,attendee name[,organisation]`` per line (a header line naming the columns is skipped)."""
    import csv

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TranscriptError(f"{path.name}: no such map file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise TranscriptError(f"{path.name}: cannot be read as UTF-8 text ({error})") from None
    lines: list[MapLine] = []
    said_on: dict[tuple[str, str], tuple[int, tuple[str, str]]] = {}  # a transcript name -> its line, whom
    rows = csv.reader(text.splitlines(), strict=True)  # strict: a quote left open is an error, not a name
    number = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            reason = "a quote is not closed" if "unexpected end of data" in str(error) else str(error)
            raise TranscriptError(f"{path.name}:{rows.line_num}: not a line of a map ({reason})") from None
        number = rows.line_num
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if any(len(cell) > NAME_MAX for cell in cells):
            raise TranscriptError(f"{path.name}:{number}: a name longer than {NAME_MAX} characters")
        if number == 1 and name_key(cells[0]) in {"transcript name", "transcript", "name"}:
            continue
        if len(cells) > 3:
            raise TranscriptError(f"{path.name}:{number}: {len(cells)} columns; a line has two or three")
        for position, column in enumerate(("transcript name", "attendee name")):
            if position >= len(cells) or not cells[position]:
                missing = f"the {column} is empty" if position < len(cells) else f"no {column}"
                raise TranscriptError(
                    f"{path.name}:{number}: expected 'transcript name,attendee name[,organisation]': {missing}"
                )
        for column, cell in zip(("transcript name", "attendee name", "organisation"), cells, strict=False):
            problem = text_problem(cell)
            if problem:
                raise TranscriptError(f"{path.name}:{number}: the {column} {problem}")
        line = MapLine(cells[0], cells[1], cells[2] if len(cells) == 3 else "")
        # As the map is applied: one transcript name (and organisation Teams gives) is one person.
        key = (_speaker_key(line.transcript_name), folded_name(organisation_hint(line.transcript_name)))
        whom = (name_key(line.attendee), folded_name(line.organisation))
        earlier = said_on.setdefault(key, (number, whom))
        if earlier[1] != whom:
            raise TranscriptError(
                f"{path.name}:{number}: '{line.transcript_name}' is mapped to someone else on line {earlier[0]}; "
                "give each transcript name one line"
            )
        lines.append(line)
    return lines


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


def closest(name: str, candidates: Sequence[str]) -> str | None:
    """The roster name most like ``name`` (for the suggested map line), if one is close."""
    import difflib

    keys = {name_key(candidate): candidate for candidate in candidates}
    found = difflib.get_close_matches(name_key(name), list(keys), n=1, cutoff=0.75)
    return keys[found[0]] if found else None


# ---------------------------------------------------------------- into a session

NOT_ON_ROSTER = "Not on the roster"


@dataclass(frozen=True)
class Unmatched:
    """A transcript name that matched nobody on the roster, with the map line that would fix it."""

    transcript_name: str
    suggestion: str | None  # the roster name it is most like, if any

    @property
    def map_line(self) -> str:
        import csv
        import io

        row = [self.transcript_name, self.suggestion or "ATTENDEE NAME"]
        if not self.suggestion:
            row.append("ORGANISATION")
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(row)
        return out.getvalue()


@dataclass
class SpeakerMatch:
    """Who each transcript speaker is: an entry of the roster, or one added for a speaker not on it."""

    entries: list[RosterEntry]  # the roster, then the speakers added to it
    entry_of: dict[str, int]  # transcript speaker -> position in ``entries``
    names_used: dict[str, str]  # transcript name -> attendee, from a map line or the series' memory
    organisations_used: dict[str, str]  # transcript name -> the attendee's organisation, where it has namesakes
    unmatched: list[Unmatched]
    added_by_map: list[str] = field(default_factory=list)  # "Name (Organisation)": a line of --map put them on


def _same_organisation(hint: str, entry: RosterEntry) -> bool:
    """Whether what Teams writes after '|' names the entry's organisation: the same name or short name, or
    one's words within the other's ("NHS Trust" in "Riverside NHS Trust")."""
    hint_words = set(folded_name(hint).split())
    if not hint_words:
        return False
    for name in (entry.organisation, entry.short):
        words = set(folded_name(name).split())
        if words and (words <= hint_words or hint_words <= words):
            return True
    return False


def _described(entry: RosterEntry) -> str:
    return f"{entry.name} ({entry.organisation})"


def match_speakers(
    speakers: Sequence[str],
    roster: Sequence[RosterEntry],
    *,
    file_name: str,
    remembered: dict[str, str] | None = None,
    remembered_organisations: dict[str, str] | None = None,
    name_map: Sequence[MapLine] = (),
) -> SpeakerMatch:
    """Each speaker as an attendee: a map line (``name_map``, then the series' ``remembered`` map) first, else
    the roster's entry of that name. Namesakes on the roster (two "Ann Smith"s, or "José Núñez" and "Jose
    Nunez") are told apart by the organisation Teams writes after '|', and by spelling when every one of them
    speaks as spelled; otherwise TranscriptError asks for --map, naming them, rather than merge two people.
    A speaker on nobody's line is added under the roster organisation the transcript names, else under "Not
    on the roster", and listed with the map line that would fix it."""
    from observer.interop.roster import RosterEntry

    if len(speakers) > MAX_ATTENDEES:  # said before any is matched: a crowd of names costs nothing to refuse
        raise TranscriptError(f"{file_name}: {len(speakers):,} speakers; a session holds at most {MAX_ATTENDEES}")
    entries = list(roster)
    by_key: dict[str, list[int]] = {}
    for position, entry in enumerate(entries):
        by_key.setdefault(name_key(entry.name), []).append(position)
    mapped: dict[tuple[str, str], tuple[str, str]] = {}
    for name, attendee in (remembered or {}).items():
        organisation = (remembered_organisations or {}).get(name, "")
        mapped[_speaker_key(name), folded_name(organisation_hint(name))] = (attendee, organisation)
    from_this_map: set[tuple[str, str]] = set()
    for line in name_map:
        line_key = (_speaker_key(line.transcript_name), folded_name(organisation_hint(line.transcript_name)))
        mapped[line_key] = (line.attendee, line.organisation)
        from_this_map.add(line_key)
    added_by_map: list[str] = []
    spoken = {_spelling(_without_suffixes(speaker.partition("|")[0])) for speaker in speakers}

    def chosen(candidates: list[int], organisation: str, spelled: str, explicit: bool) -> int | None:
        if len(candidates) > 1 and organisation:
            narrowed = [i for i in candidates if _same_organisation(organisation, entries[i])]
            candidates = narrowed or candidates
        if len(candidates) == 1:
            return candidates[0]
        # By spelling only when it cannot be Teams' spelling of another: the map says so, or each namesake
        # speaks under their own spelling.
        same = [i for i in candidates if _spelling(entries[i].name) == _spelling(spelled)]
        every_one_speaks = all(_spelling(entries[i].name) in spoken for i in candidates)
        return same[0] if len(same) == 1 and (explicit or every_one_speaks) else None

    added_for: dict[int, str] = {}  # an added entry -> the organisation its speaker's transcript name gave

    def added(name: str, organisation: str, hint: str = "") -> int:
        for position in by_key.get(name_key(name) or _speaker_key(name), []):
            same = entries[position].organisation.casefold() == organisation.casefold()
            if same and _spelling(entries[position].name) == _spelling(name):
                if folded_name(added_for.get(position, hint)) == folded_name(hint):
                    return position
                name = f"{name} | {hint}" if hint else name  # namesakes from two places, neither on the roster
        entries.append(RosterEntry(name, organisation))
        by_key.setdefault(name_key(name) or _speaker_key(name), []).append(len(entries) - 1)
        added_for[len(entries) - 1] = hint
        return len(entries) - 1

    def organisation_named(hint: str) -> str:
        """The roster's organisation the transcript names, else "Not on the roster"."""
        return next((entry.organisation for entry in roster if _same_organisation(hint, entry)), NOT_ON_ROSTER)

    entry_of: dict[str, int] = {}
    names_used: dict[str, str] = {}
    organisations_used: dict[str, str] = {}
    unmatched: list[Unmatched] = []
    ambiguous: list[str] = []
    on_roster: dict[int, list[str]] = {}  # roster position -> the speakers matched to it by name
    for speaker in speakers:
        key, hint = _speaker_key(speaker), organisation_hint(speaker)
        line_key = (key, folded_name(hint)) if (key, folded_name(hint)) in mapped else (key, "")
        found = mapped.get(line_key)
        if found is not None:
            attendee, organisation = found
            candidates = by_key.get(name_key(attendee) or _speaker_key(attendee), [])
            found_at = chosen(candidates, organisation or hint, attendee, explicit=True) if candidates else None
            # The map places them in another organisation than the roster's: someone else, as with Teams'.
            elsewhere = found_at is not None and not _same_organisation(organisation, entries[found_at])
            if elsewhere and line_key in from_this_map and organisation:
                found_at = None
            if found_at is None and candidates and not organisation:
                names = " or ".join(_described(entries[i]) for i in candidates)
                ambiguous.append(f"the map's '{attendee}' could be {names} (give the organisation in its line)")
                continue
            if found_at is None:
                found_at = added(attendee, organisation or NOT_ON_ROSTER)
                if line_key in from_this_map and _described(entries[found_at]) not in added_by_map:
                    added_by_map.append(_described(entries[found_at]))  # a typo of an organisation shows here
            entry_of[speaker] = found_at
            names_used[speaker] = entries[found_at].name
            if len(by_key.get(name_key(attendee), [])) > 1:
                organisations_used[speaker] = entries[found_at].organisation
            continue
        candidates = by_key.get(key, []) if name_key(speaker) else []
        if not candidates:
            base = _without_suffixes(speaker.partition("|")[0]) or speaker
            entry_of[speaker] = added(base, organisation_named(hint) if hint else NOT_ON_ROSTER, hint)
            unmatched.append(Unmatched(speaker, closest(speaker, [e.name for e in roster])))
            continue
        found_at = chosen(candidates, hint, _without_suffixes(speaker.partition("|")[0]), explicit=False)
        if found_at is None:
            names = " or ".join(_described(entries[i]) for i in candidates)
            ambiguous.append(f"'{speaker}' could be {names}")
            continue
        entry_of[speaker] = found_at
        on_roster.setdefault(found_at, []).append(speaker)
    # Two speakers of one name whom Teams places in different organisations are two people: the one whose
    # organisation is the roster entry's is that attendee; another is someone not on the roster.
    for position, group in on_roster.items():
        hints = {folded_name(organisation_hint(speaker)) for speaker in group} - {""}
        if len(hints) < 2:
            continue
        theirs = [s for s in group if _same_organisation(organisation_hint(s), entries[position])]
        if not theirs:
            ambiguous.append(f"{' and '.join(repr(s) for s in group)} could each be {_described(entries[position])}")
            continue
        for speaker in group:
            if speaker not in theirs and organisation_hint(speaker):
                base = _without_suffixes(speaker.partition("|")[0]) or speaker
                organisation = organisation_named(organisation_hint(speaker))
                if organisation == entries[position].organisation:
                    organisation = NOT_ON_ROSTER
                entry_of[speaker] = added(base, organisation, organisation_hint(speaker))
                unmatched.append(Unmatched(speaker, None))
    if ambiguous:
        raise TranscriptError(
            f"{file_name}: the roster has namesakes and the transcript does not say which of them spoke: "
            f"{'; '.join(ambiguous)}. Say who with --map FILE, lines 'transcript name,attendee name,organisation'"
        )
    return SpeakerMatch(entries, entry_of, names_used, organisations_used, unmatched, added_by_map)


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


# ---------------------------------------------------------------- importing again over an earlier import


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
    from observer.interop.roster import roster_of

    return [entry for entry in roster_of(data) if entry.organisation != NOT_ON_ROSTER]


def speakers_as_imported(transcript: Transcript, earlier: SessionData) -> dict[TurnKey, SpeakerNames]:
    """Who the earlier import of ``transcript`` made each turn's speaker, before any coder changed one: the same
    import again, with the earlier's whole roster (its names not on the roster too), names and merge gap."""
    from observer.interop.roster import roster_of

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
        session = session.model_copy(update={"status": SessionStatus.ENDED, "ended_s": session.clock_elapsed_s})
    data = SessionData(session=session, contributions=filed)
    problem = integrity_problem(data)
    if problem:  # our own mistake, never the file's
        raise TranscriptError(f"the session made from it is inconsistent ({problem})")
    return Replacement(data, sum(1 for turn in worked_on if turn.id in kept), lost)


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
