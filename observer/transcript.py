"""Meeting transcripts read into turns of talk: WebVTT from Teams or Zoom, and the .docx Teams writes.

A transcript is a list of cues (a start, an end, a speaker, words). Consecutive cues of one speaker a short gap
apart make one turn, which becomes one contribution with its own end; silence between turns is nobody's. Times
are kept to the millisecond as the file gives them. Nothing here knows about the archive or the terminal.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from observer.errors import InputError, ObserverError
from observer.models import (
    MAX_ATTENDEES,
    MAX_CLOCK_S,
    NAME_MAX,
    WORDS_MAX,
    AgendaItem,
    Codebook,
    Contribution,
    SessionData,
    SessionStatus,
    TranscriptSource,
    fully_coded,
    integrity_problem,
    new_id,
    utc_now,
)
from observer.text import BIDI_CONTROLS

if TYPE_CHECKING:
    from observer.roster import RosterEntry

DEFAULT_MERGE_GAP_S = 2.0
MAX_TRANSCRIPT_BYTES = 50 * 1024 * 1024  # a day-long meeting's VTT is a few MB
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a .docx is a zip: what it unpacks to, checked before it is (a zip bomb)
# A .docx gives starts only: the last turn is given the time its words take at this pace.
WORDS_PER_SECOND = 2.5
UNKNOWN_SPEAKER = "Unknown speaker"


class TranscriptError(ObserverError):
    """A file that is not a transcript we can read; the message names the file and the line."""


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    speaker: str
    words: str
    line: int  # where it starts in the file (1-based), for messages


@dataclass
class Turn:
    """Consecutive cues of one speaker: one contribution."""

    speaker: str
    start_s: float
    end_s: float
    words: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(w for w in self.words if w)


@dataclass(frozen=True)
class Transcript:
    kind: str  # "vtt" or "docx"
    cues: tuple[Cue, ...]

    @property
    def speakers(self) -> list[str]:
        """Each speaker once, in the order they first speak."""
        return list(dict.fromkeys(cue.speaker for cue in self.cues))


# ---------------------------------------------------------------- times

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,9}))?$")


def clock_ms(text: str) -> int | None:
    """``h:mm:ss.ttt``, ``mm:ss.ttt`` or the older ``0:0:13.540`` as whole milliseconds (never via a float:
    13.540 must stay 13,540 ms); None if it is not a clock reading."""
    match = _CLOCK.match(text.strip())
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    milliseconds = int((fraction or "0").ljust(3, "0")[:3])
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + milliseconds


# ---------------------------------------------------------------- WebVTT

_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>(.*?)(?:</v>|(?=<v[\s.])|$)", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_ZOOM_SPEAKER = re.compile(r"^([^:\n]{1,120}?):\s+(.*)$", re.DOTALL)


def _plain(text: str) -> str:
    """Cue text without its tags (<i>, <c.yellow>, <00:00:01.000>), entities and control characters (an escape
    sequence in a transcript is not speech, and printed it would drive the terminal), on one line."""
    unescaped = html.unescape(_TAG.sub("", text))
    if not unescaped.isprintable():
        unescaped = "".join(" " if unicodedata.category(c) == "Cc" else c for c in unescaped)
    return " ".join(unescaped.split())


def _name(text: str) -> str:
    """A speaker's name as stored: plain, without text-direction controls (refused in every name), cut to fit."""
    return "".join(c for c in _plain(text) if c not in BIDI_CONTROLS)[:NAME_MAX].strip()


def parse_vtt(text: str, name: str) -> Transcript:
    lines = text.splitlines()
    if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise TranscriptError(f"{name}:1: not a WebVTT transcript (its first line must start with WEBVTT)")
    cues: list[Cue] = []
    index = 1
    while index < len(lines) and lines[index].strip() and "-->" not in lines[index]:
        index += 1  # the header's own lines ("Kind: captions", "Language: en"), up to the first blank line
    previous_speaker = ""
    while index < len(lines):
        line = lines[index].strip()
        if not line:
            index += 1
            continue
        block_start = index
        block: list[str] = []
        while index < len(lines) and lines[index].strip():
            block.append(lines[index])
            index += 1
        if block[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing_at = next((n for n, entry in enumerate(block[:2]) if "-->" in entry), None)
        if timing_at is None:
            raise TranscriptError(f"{name}:{block_start + 1}: a cue without a time line ('start --> end')")
        line_number = block_start + timing_at + 1
        start_text, _, rest = block[timing_at].partition("-->")
        end_text = rest.split()[0] if rest.split() else ""
        start, end = clock_ms(start_text), clock_ms(end_text)
        if start is None or end is None:
            raise TranscriptError(f"{name}:{line_number}: '{block[timing_at].strip()[:60]}' is not 'start --> end'")
        if end < start:
            raise TranscriptError(
                f"{name}:{line_number}: the cue ends ({end_text.strip()}) before it starts ({start_text.strip()})"
            )
        if end / 1000 > MAX_CLOCK_S:
            raise TranscriptError(f"{name}:{line_number}: {end_text} is past a week into the meeting")
        voices = _voices("\n".join(block[timing_at + 1 :]), previous_speaker)
        cues.extend(_shared_between(start, end, voices, line_number))
        previous_speaker = voices[-1][0]
    if not cues:
        raise TranscriptError(f"{name}:1: a WebVTT file with no cues: nothing was said in it")
    return Transcript("vtt", tuple(cues))


def _voices(body: str, previous_speaker: str) -> list[tuple[str, str]]:
    """The (speaker, words) in a cue's text: Teams' voice tags, Zoom's "Name: " prefix, or else the speaker
    before (Zoom leaves the name off a speaker's next cue)."""
    voices = [(_name(speaker), _plain(words)) for speaker, words in _VOICE.findall(body)]
    voices = [(speaker, words) for speaker, words in voices if speaker]
    if voices:
        return voices
    plain = _plain(body)
    match = _ZOOM_SPEAKER.match(plain)
    if match and not match.group(1).strip().endswith(("http", "https")):
        return [(_name(match.group(1)), match.group(2).strip())]
    return [(previous_speaker or UNKNOWN_SPEAKER, plain)]


def _shared_between(start: int, end: int, voices: list[tuple[str, str]], line: int) -> list[Cue]:
    """One timed cue as a cue per voice in it: two voices in one cue share its time in proportion to the
    length of what each said (the file gives no finer timing)."""
    weights = [max(1, len(words)) for _, words in voices]
    total, begin = sum(weights), start
    cues = []
    for number, ((speaker, words), weight) in enumerate(zip(voices, weights, strict=True)):
        finish = end if number == len(voices) - 1 else begin + (end - start) * weight // total
        cues.append(Cue(begin / 1000, finish / 1000, speaker or UNKNOWN_SPEAKER, words, line))
        begin = finish
    return cues


# ---------------------------------------------------------------- Teams .docx

_DOCX_SPEAKER = re.compile(r"^(?P<name>\S.*?)\s+(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\s*$")


def parse_docx(path: Path) -> Transcript:
    """Teams' Word transcript: a paragraph "Speaker Name   0:03" (or 0:00:03), then what was said. Starts only:
    a turn ends where the next begins; the last, when its words would have taken at 150 a minute."""
    import docx  # python-docx: only reading a .docx needs it
    from docx.opc.exceptions import PackageNotFoundError

    name = path.name
    try:
        with zipfile.ZipFile(path) as package:
            unpacked = sum(member.file_size for member in package.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise TranscriptError(f"{name}:1: unpacks to {unpacked:,} bytes, too large for a transcript")
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise TranscriptError(f"{name}:1: not a Word document ({error})") from None
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    starts: list[tuple[int, str, int]] = []  # (ms, speaker, paragraph number)
    words: list[list[str]] = []
    for number, paragraph in enumerate(paragraphs, start=1):
        text = paragraph.strip()
        match = _DOCX_SPEAKER.match(text)
        moment = clock_ms(match.group("time")) if match else None
        if match and moment is not None:
            starts.append((moment, _name(match.group("name")) or UNKNOWN_SPEAKER, number))
            words.append([])
        elif starts and text:
            words[-1].append(_plain(text))
    if not starts:
        raise TranscriptError(f"{name}:1: no speaker lines ('Name   0:03') in this document: not a Teams transcript")
    cues: list[Cue] = []
    for position, ((moment, speaker, number), said) in enumerate(zip(starts, words, strict=True)):
        text = " ".join(said)
        if position + 1 < len(starts):
            following = starts[position + 1][0]
            if following < moment:
                raise TranscriptError(
                    f"{name}: paragraph {starts[position + 1][2]}: its time goes back before the one above"
                )
            end = following
        else:
            end = moment + int(1000 * max(1, len(text.split())) / WORDS_PER_SECOND)
        cues.append(Cue(moment / 1000, min(end, int(MAX_CLOCK_S * 1000)) / 1000, speaker, text, number))
    return Transcript("docx", tuple(cues))


# ---------------------------------------------------------------- reading a file


def read_transcript(path: Path) -> Transcript:
    """The transcript in ``path``, by its contents (a .docx is a zip; a VTT starts WEBVTT)."""
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_TRANSCRIPT_BYTES:
            raise TranscriptError(f"{name}: {size:,} bytes is too large for a transcript (the limit is 50 MB)")
        if size == 0:
            raise TranscriptError(f"{name}: the file is empty")
        with path.open("rb") as handle:
            head = handle.read(4)
        if head.startswith(b"PK"):
            return parse_docx(path)
        raw = path.read_bytes()
    except OSError as error:
        raise TranscriptError(f"{name}: cannot be read ({error.strerror or error})") from None
    if b"\x00" in raw:
        raise TranscriptError(f"{name}:1: a binary file, not a transcript")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise TranscriptError(f"{name}:{line}: not UTF-8 text (a transcript is saved as UTF-8)") from None
    return parse_vtt(text, name)


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

_SUFFIX = re.compile(r"\s*(\((guest|external|unverified|extern|invité|gast)\)|\[(guest|external)\])\s*$", re.I)


def name_key(name: str) -> str:
    """A name as compared with the roster: case, accents, extra spaces, and what Teams adds ("(Guest)",
    "(External)", "| Organisation") ignored."""
    name = name.split("|")[0]
    while _SUFFIX.search(name):
        name = _SUFFIX.sub("", name)
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


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
    except (OSError, UnicodeDecodeError) as error:
        raise TranscriptError(f"{path.name}: cannot be read as UTF-8 text ({error})") from None
    lines: list[MapLine] = []
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and name_key(cells[0]) in {"transcript name", "transcript", "name"}:
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise TranscriptError(f"{path.name}:{number}: expected 'transcript name,attendee name[,organisation]'")
        if len(cells) > 3:
            raise TranscriptError(f"{path.name}:{number}: {len(cells)} columns; a line has two or three")
        if any(len(cell) > NAME_MAX for cell in cells):
            raise TranscriptError(f"{path.name}:{number}: a name longer than {NAME_MAX} characters")
        lines.append(MapLine(cells[0], cells[1], cells[2] if len(cells) == 3 else ""))
    return lines


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


@dataclass(frozen=True)
class Imported:
    data: SessionData
    cues: int
    unmatched: list[Unmatched]


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
    name_map: Sequence[MapLine] = (),
    merge_gap_s: float = DEFAULT_MERGE_GAP_S,
    agenda: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Imported:
    """A session "to code" of the transcript's turns, each with its own end and its words, spoken by the roster's
    attendees where the names match (``remembered`` and ``name_map`` first: transcript name -> attendee).
    ``agenda``: the planned items; the first is filed from the first turn on, as live coding's first contribution
    opens it, and A on the transcript screen starts each next one at the turn shown."""
    from observer.roster import RosterEntry, build_session

    now = now or utc_now()
    turns = turns_of(transcript.cues, merge_gap_s)
    entries = list(roster)
    by_key = {name_key(entry.name): entry for entry in entries}
    mapped = {name_key(name): (attendee, "") for name, attendee in (remembered or {}).items()}
    mapped.update({name_key(line.transcript_name): (line.attendee, line.organisation) for line in name_map})
    speaker_of: dict[str, str] = {}  # transcript name -> attendee name
    names_used: dict[str, str] = {}
    unmatched: list[Unmatched] = []
    for speaker in transcript.speakers:
        key = name_key(speaker)
        if key in mapped:
            attendee, organisation = mapped[key]
            if name_key(attendee) not in by_key:
                entry = RosterEntry(attendee, organisation or NOT_ON_ROSTER)
                entries.append(entry)
                by_key[name_key(attendee)] = entry
            speaker_of[speaker] = by_key[name_key(attendee)].name
            names_used[speaker] = speaker_of[speaker]
        elif key in by_key:
            speaker_of[speaker] = by_key[key].name
        else:
            shown = _SUFFIX.sub("", speaker.split("|")[0]).strip() or speaker
            if name_key(shown) not in by_key:
                entry = RosterEntry(shown, NOT_ON_ROSTER)
                entries.append(entry)
                by_key[name_key(shown)] = entry
            speaker_of[speaker] = by_key[name_key(shown)].name
            unmatched.append(Unmatched(speaker, closest(speaker, [e.name for e in roster])))
    if len(entries) > MAX_ATTENDEES:
        raise TranscriptError(
            f"{file_name}: {len(entries)} speakers and attendees; a session holds at most {MAX_ATTENDEES}"
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
    participant_of = {participant.name: participant for participant in session.participants}
    first_item = (
        AgendaItem(id=new_id("a"), title=session.planned_agenda[0], start_s=0.0, wall_time=now)
        if session.planned_agenda
        else None
    )
    contributions = []
    for turn in turns:
        participant = participant_of[speaker_of[turn.speaker]]
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
                file=file_name[:NAME_MAX], kind=transcript.kind, merge_gap_s=merge_gap_s, names=names_used
            ),
        }
    )
    data = SessionData(session=session, contributions=contributions)
    problem = integrity_problem(data)
    if problem:  # the importer's own mistake, never the file's: say so rather than store it
        raise TranscriptError(f"{file_name}: the session made from it is inconsistent ({problem})")
    return Imported(data, len(transcript.cues), unmatched)


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
    from observer.roster import roster_of

    return [entry for entry in roster_of(data) if entry.organisation != NOT_ON_ROSTER]


def speakers_as_imported(transcript: Transcript, earlier: SessionData) -> dict[TurnKey, SpeakerNames]:
    """Who the earlier import of ``transcript`` made each turn's speaker, before any coder changed one: the same
    import again, with the earlier's whole roster (its names not on the roster too), names and merge gap."""
    from observer.roster import roster_of

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
    session = session.model_copy(update={"notes": earlier.session.notes})
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
