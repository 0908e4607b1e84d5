"""Speakers of a transcript matched to the roster: names compared as people write them, a map of transcript
names to attendees (``--map``, and the series' memory of one), namesakes told apart or asked about.

Nothing here knows about the archive or the terminal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from observer.core.fields import MAX_ATTENDEES, NAME_MAX, text_problem
from observer.core.text import name_key as folded_name
from observer.interop.transcript_cues import TranscriptError

if TYPE_CHECKING:
    from observer.interop.roster import RosterEntry

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


def closest(name: str, candidates: Sequence[str]) -> str | None:
    """The roster name most like ``name`` (for the suggested map line), if one is close."""
    import difflib

    keys = {name_key(candidate): candidate for candidate in candidates}
    found = difflib.get_close_matches(name_key(name), list(keys), n=1, cutoff=0.75)
    return keys[found[0]] if found else None


# ---------------------------------------------------------------- speakers as attendees

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
