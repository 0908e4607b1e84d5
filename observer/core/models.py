"""The vocabulary every layer speaks: codebooks, people, sessions and contributions.

Validation lives here so that the TUI, the command line and the importers all reject the same things.
Models serialise with ``model_dump(mode="json")``; datetimes travel as ISO strings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_serializer, model_validator
from pydantic_core.core_schema import SerializerFunctionWrapHandler

from observer.core import columns
from observer.core.keys import SPEAKER_KEYS, reserved_key_action
from observer.core.text import BIDI_CONTROLS

# Limits on what a person types, in one place: the roster reader, the forms and the importers use these.
NAME_MAX = 200  # names, titles, series, roles, agenda items, labels
NOTE_MAX = 10_000  # notes and descriptions
WORDS_MAX = 100_000  # the words of one transcript turn
MAX_ATTENDEES = 500  # a meeting's roster, late arrivals included
MAX_PLANNED_ITEMS = 100  # a meeting's planned agenda
MAX_CLOCK_S = 7 * 24 * 3600.0  # no meeting is observed for longer than a week: a time past it is forged or damage
RECORD_ID_MAX = 64

# Names Windows will not give a file or folder (with any extension): a session id becomes a folder name.
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)


def text_problem(
    value: str, *, multiline: bool = False, max_length: int = NAME_MAX, stored: bool = False
) -> str | None:
    """Why ``value`` cannot be stored as typed text, or None when it can.

    Control characters are refused: printed back they would drive the terminal (clear it, retitle it) rather
    than show as text. Notes may hold line breaks and tabs. Bidirectional controls are refused where text is
    typed; ``stored`` text (read back from the archive) may hold them from before, and is shown made safe.
    """
    allowed = "\n\t" if multiline else ""
    # Printable text has no control character: skip the character-by-character look (it runs on every read).
    for character in "" if value.isprintable() else value:
        if character not in allowed and unicodedata.category(character) == "Cc":
            return f"contains the control character U+{ord(character):04X}, which cannot be stored"
        if character in BIDI_CONTROLS and not stored:
            return (
                f"contains the text-direction control U+{ord(character):04X}, which would reorder what is shown "
                "after it"
            )
    if len(value) > max_length:
        return f"is {len(value):,} characters long (the limit is {max_length:,})"
    return None


def _line(value: str) -> str:
    problem = text_problem(value, stored=True)
    if problem:
        raise ValueError(problem)
    return value


def _multiline(value: str) -> str:
    problem = text_problem(value, multiline=True, max_length=NOTE_MAX, stored=True)
    if problem:
        raise ValueError(problem)
    return value


_WINDOWS_RESERVED_STARTS = ("con", "prn", "aux", "nul", "com", "lpt")


def _record_id(value: str) -> str:
    # The pattern only where the id could be one of those names: this runs for every record read.
    reserved = value[:3].lower() in _WINDOWS_RESERVED_STARTS and _WINDOWS_RESERVED.match(value)
    if value.endswith(".") or reserved:
        raise ValueError(f"'{value}' cannot be an id: it is not a valid file name on every system")
    return value


Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
RecordId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=RECORD_ID_MAX),
    AfterValidator(_record_id),
]
Line = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_line)]  # one line, may be empty
NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_line)]
Note = Annotated[str, AfterValidator(_multiline)]  # free text: line breaks allowed


def _words(value: str) -> str:
    problem = text_problem(value, multiline=True, max_length=WORDS_MAX, stored=True)
    if problem:
        raise ValueError(problem)
    return value


Words = Annotated[str, AfterValidator(_words)]  # what was said in a transcript turn
# A reading of the session clock: finite, never negative, never past a week (a forged 1e300 would make every
# reader that walks the clock spin).
ClockSeconds = Annotated[float, Field(ge=0, le=MAX_CLOCK_S, allow_inf_nan=False)]


ORGANISATION_SLUG_MAX = 48


def organisation_id_for(name: str) -> str:
    """A readable id for an organisation, the same for the same name in every session of an archive.

    The id is the name's Latin letters and digits where they say all of it ("City Council" -> city-council);
    a name the slug would lose letters of (another script, accents, more than fits) gets a digest of the
    whole name too, so that "Клиника 1" and "Больница 1" never share an id.
    """
    folded = " ".join(name.casefold().split())
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if slug and len(slug) <= ORGANISATION_SLUG_MAX and slug.replace("-", "") == "".join(filter(str.isalnum, folded)):
        return slug
    digest = hashlib.sha256(folded.encode("utf-8")).hexdigest()[:8]
    return f"{slug[: ORGANISATION_SLUG_MAX - 9].rstrip('-')}-{digest}" if slug else f"org-{digest}"


def new_id(prefix: str) -> str:
    """A short random id, unique enough for one archive (2^48 values per prefix)."""
    return f"{prefix}{secrets.token_hex(6)}"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Strict(BaseModel):
    """Unknown fields are errors: a typo in a codebook or a bundle must not pass silently."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- codebooks


ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=6), AfterValidator(_line)]


class Code(Strict):
    id: Identifier
    key: Annotated[str, StringConstraints(min_length=1, max_length=1)]
    label: NonEmptyText
    short: ShortName | None = None  # for narrow columns: "ORG", "PART", "CO"
    description: Note = ""
    group: Line | None = None

    @property
    def short_label(self) -> str:
        """The short form where space is short: the codebook's own, else the label's initials ("GS")."""
        if self.short:
            return self.short
        words = re.findall(r"[^\W_]+", self.label)
        return short_form(self.label) if len(words) >= 2 else self.label[:3].upper()  # "Neutral" -> "NEU"


def short_form(name: str, limit: int = 6) -> str:
    """An abbreviation for a narrow column: the initials of a name of several words ("Integrated Care Board"
    -> "ICB"), else the word's first letters ("Healthwatch" -> "Health")."""
    words = [word for word in re.findall(r"[^\W_]+", name) if word.casefold() not in _MINOR_WORDS]
    if len(words) >= 2:
        return "".join(word[0].upper() for word in words)[:limit]
    return (words[0] if words else name)[:limit]


_MINOR_WORDS = frozenset({"of", "and", "the", "for", "in", "on", "at", "to", "a", "an", "&"})


class Dimension(Strict):
    """Mutually exclusive codes: a contribution holds at most one of them."""

    id: Identifier
    label: NonEmptyText
    description: Note = ""
    codes: list[Code] = Field(min_length=1)

    def code(self, code_id: str) -> Code | None:
        return next((code for code in self.codes if code.id == code_id), None)


class IndexDefinition(Strict):
    """A share a codebook asks for: contributions coded ``counts`` over those coded ``counts`` or ``against``,
    on one dimension (codes in neither, and uncoded contributions, are outside it). Also measured by time."""

    id: Identifier
    label: NonEmptyText  # what the share is of, in words: "Partnership-first"
    short: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8), AfterValidator(_line)]
    dimension: Identifier
    counts: list[Identifier] = Field(min_length=1)
    against: list[Identifier] = Field(min_length=1)
    description: Note = ""

    @property
    def heading(self) -> str:
        """The index as a heading, in every report: "Partnership-first (PFI)"."""
        return f"{self.label} ({self.short})"


# Columns the exports already have beside the indices (rows per person, organisation, agenda item, meeting),
# declared in columns.py: an index may not take one of these names, nor end in "_time" (its by-time value).
RESERVED_INDEX_IDS = columns.RESERVED_IDS

# Codebooks written before they declared their indices: the indices the metrics computed for them then, for
# whichever of these dimensions and codes they have. Sessions keep their frozen codebook, so this stays.
LEGACY_INDICES: list[dict[str, Any]] = [
    {
        "id": "pfi",
        "label": "Partnership-first",
        "short": "PFI",
        "dimension": "orientation",
        "counts": ["partnership_first"],
        "against": ["org_first"],
        "description": "Partnership-first contributions over partnership-first and organisation-first ones.",
    },
    {
        "id": "ri",
        "label": "Relational",
        "short": "RI",
        "dimension": "topic",
        "counts": ["relational"],
        "against": ["transactional"],
        "description": "Relational contributions over relational and transactional ones.",
    },
]


def _field(item: object, name: str) -> object:
    """A field of a dimension or code given as data (a dict) or as a model."""
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _legacy_indices(dimensions: object) -> list[dict[str, Any]]:
    codes_by_dimension: dict[object, set[object]] = {}
    for dimension in dimensions if isinstance(dimensions, list) else []:
        codes = _field(dimension, "codes")
        codes_by_dimension[_field(dimension, "id")] = {
            _field(code, "id") for code in (codes if isinstance(codes, list) else [])
        }
    return [
        index
        for index in LEGACY_INDICES
        if {*index["counts"], *index["against"]} <= codes_by_dimension.get(index["dimension"], set())
    ]


class CalibrationThresholds(Strict):
    """What an observer's coding must reach against a reference coding to pass calibration, per dimension."""

    min_kappa: Annotated[float, Field(ge=-1, le=1, allow_inf_nan=False)] = 0.6
    min_agreement: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.8
    # Turns coded by either coding, per dimension, below which nothing is judged: one turn alike is no evidence.
    min_turns: Annotated[int, Field(ge=1, le=100_000)] = 10


class Codebook(Strict):
    name: Identifier | Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
    version: NonEmptyText
    title: Line = ""
    description: Note = ""
    dimensions: list[Dimension] = Field(min_length=1)
    flags: list[Code] = Field(default_factory=list)
    indices: list[IndexDefinition] = Field(default_factory=list)
    calibration: CalibrationThresholds = Field(default_factory=CalibrationThresholds)

    @model_validator(mode="before")
    @classmethod
    def _indices_of_older_codebooks(cls, data: object) -> object:
        # No ``indices`` table at all (not an empty one): a codebook from before they were declared.
        if isinstance(data, dict) and "indices" not in data:
            return {**data, "indices": _legacy_indices(data.get("dimensions"))}
        return data

    @model_validator(mode="after")
    def _check_unique_ids_and_keys(self) -> Codebook:
        dimension_ids: set[str] = set()
        for dimension in self.dimensions:
            if dimension.id in dimension_ids:
                raise ValueError(f"dimension '{dimension.id}', field 'id': the dimension is defined twice")
            dimension_ids.add(dimension.id)
        code_owner: dict[str, str] = {}
        key_owner: dict[str, str] = {}
        for where, code in self.all_codes():
            if code.id in code_owner:
                raise ValueError(f"{where}, field 'id': '{code.id}' is already used by {code_owner[code.id]}")
            code_owner[code.id] = where
            key = code.key
            if key in SPEAKER_KEYS:
                raise ValueError(f"{where}, field 'key': '{key}' collides with the speaker keys 1-9")
            if key.isspace() or not key.isprintable():
                raise ValueError(f"{where}, field 'key': must be one printable character, not {key!r}")
            action = reserved_key_action(key)
            if action is not None:
                raise ValueError(f"{where}, field 'key': '{key}' collides with the app's key for '{action}'")
            if key in key_owner:
                raise ValueError(f"{where}, field 'key': '{key}' is already used by {key_owner[key]}")
            key_owner[key] = where
        self._check_indices()
        return self

    def _check_indices(self) -> None:
        index_ids: set[str] = set()
        for index in self.indices:
            where = f"index '{index.id}'"
            if index.id in index_ids:
                raise ValueError(f"{where}, field 'id': the index is defined twice")
            if (
                index.id in RESERVED_INDEX_IDS
                or index.id.endswith(columns.BY_TIME)
                or index.id.startswith(columns.FLAG_PREFIX)
                or index.id in self.dimension_ids
            ):
                raise ValueError(
                    f"{where}, field 'id': '{index.id}' would clash with a column the exports already have "
                    "(a table's column, a dimension's, a flag's or an index's by-time column); choose another id"
                )
            index_ids.add(index.id)
            dimension = self.dimension(index.dimension)
            if dimension is None:
                known = ", ".join(self.dimension_ids)
                raise ValueError(f"{where}, field 'dimension': no dimension '{index.dimension}' (there are: {known})")
            for field_name in ("counts", "against"):
                for code_id in getattr(index, field_name):
                    if dimension.code(code_id) is None:
                        known = ", ".join(code.id for code in dimension.codes)
                        raise ValueError(
                            f"{where}, field '{field_name}': dimension '{dimension.id}' has no code '{code_id}' "
                            f"(it has: {known})"
                        )
            both = sorted(set(index.counts) & set(index.against))
            if both:
                raise ValueError(f"{where}, field 'against': {', '.join(both)} cannot also be in 'counts'")

    def index(self, index_id: str) -> IndexDefinition | None:
        return next((index for index in self.indices if index.id == index_id), None)

    @property
    def index_ids(self) -> list[str]:
        return [index.id for index in self.indices]

    def quadrant_indices(self) -> tuple[IndexDefinition, IndexDefinition] | None:
        """The two indices a 2×2 cross-tabulates: the first two, if they are on two different dimensions."""
        if len(self.indices) >= 2 and self.indices[0].dimension != self.indices[1].dimension:
            return self.indices[0], self.indices[1]
        return None

    def all_codes(self) -> list[tuple[str, Code]]:
        """Every code with a human description of where it sits, dimension codes first."""
        located = [
            (f"dimension '{dimension.id}', code '{code.id}'", code)
            for dimension in self.dimensions
            for code in dimension.codes
        ]
        located += [(f"flag '{flag.id}'", flag) for flag in self.flags]
        return located

    def key_meanings(self) -> dict[str, tuple[str | None, str]]:
        """key -> (dimension id, code id) for dimension codes, (None, flag id) for flags."""
        meanings: dict[str, tuple[str | None, str]] = {
            code.key: (dimension.id, code.id) for dimension in self.dimensions for code in dimension.codes
        }
        meanings.update({flag.key: (None, flag.id) for flag in self.flags})
        return meanings

    def dimension(self, dimension_id: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.id == dimension_id), None)

    def flag(self, flag_id: str) -> Code | None:
        return next((flag for flag in self.flags if flag.id == flag_id), None)

    def label_of(self, dimension_id: str, code_id: str | None) -> str:
        dimension = self.dimension(dimension_id)
        code = dimension.code(code_id) if dimension and code_id else None
        return code.label if code else ""

    @property
    def dimension_ids(self) -> list[str]:
        return [dimension.id for dimension in self.dimensions]

    @property
    def flag_ids(self) -> list[str]:
        return [flag.id for flag in self.flags]


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
    """One person's continuous turn of talk. Coded live, its end is derived (see ``metrics.contribution_spans``):
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
