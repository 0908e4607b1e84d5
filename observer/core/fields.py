"""What every record is made of: the limits on what a person types, the typed text and clock fields that enforce
them, ids, and the strict base model.

Validation lives here so that the TUI, the command line and the importers all reject the same things.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

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


# Short forms for narrow columns: a code's or an organisation's, and an index's ("PFI").
ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=6), AfterValidator(_line)]
IndexShortName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8), AfterValidator(_line)
]


def short_form(name: str, limit: int = 6) -> str:
    """An abbreviation for a narrow column: the initials of a name of several words ("Integrated Care Board"
    -> "ICB"), else the word's first letters ("Healthwatch" -> "Health")."""
    words = [word for word in re.findall(r"[^\W_]+", name) if word.casefold() not in _MINOR_WORDS]
    if len(words) >= 2:
        return "".join(word[0].upper() for word in words)[:limit]
    return (words[0] if words else name)[:limit]


_MINOR_WORDS = frozenset({"of", "and", "the", "for", "in", "on", "at", "to", "a", "an", "&"})
