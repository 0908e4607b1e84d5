"""A transcript as cues: what every transcript file is read into, the bounds a file is read within, and the
text and names of a cue as they can be stored.

A cue is a start, an end, a speaker and words, with its line in the file for messages. Nothing here knows about
the roster, the archive or the terminal.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

from observer.core.errors import ObserverError
from observer.core.fields import NAME_MAX
from observer.core.text import BIDI_CONTROLS

DEFAULT_MERGE_GAP_S = 2.0
MAX_MERGE_GAP_S = 3600.0
MAX_TRANSCRIPT_BYTES = 50 * 1024 * 1024  # a day-long meeting's VTT is a few MB
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a .docx is a zip: what it unpacks to, checked before it is (a zip bomb)
# What a file may describe, besides its bytes: a small file can still describe millions of cues or paragraphs,
# each an object in memory. A day-long meeting has a few thousand turns.
MAX_CUES = 200_000
MAX_TURNS = 20_000
MAX_CUE_LINES = 1_000
MAX_DOCX_PARAGRAPHS = 100_000
MAX_DOCX_ELEMENTS = 2_000_000  # the XML elements of a document (a Teams paragraph has about eight)
MAX_WORDS_CHARACTERS = MAX_TRANSCRIPT_BYTES  # what was said, over the whole transcript
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
_CLOCK_MAX_LENGTH = 24  # "999:59:59.999999999" and some: a longer word is no clock reading


def clock_ms(text: str) -> int | None:
    """``h:mm:ss.ttt``, ``mm:ss.ttt`` or the older ``0:0:13.540`` as whole milliseconds (never via a float:
    13.540 must stay 13,540 ms); None if it is not a clock reading."""
    text = text.strip()
    match = _CLOCK.match(text) if len(text) <= _CLOCK_MAX_LENGTH else None
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    milliseconds = int((fraction or "0").ljust(3, "0")[:3])
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + milliseconds


# ---------------------------------------------------------------- text as said and names as written
#
# Everything a file gives is read by scanning it once, left to right: no pattern here can backtrack over what a
# hostile file holds (a cue of a million '<' took minutes through regular expressions).


def _without_tags(text: str) -> str:
    """Text with its tags (<i>, <c.yellow>, <00:00:01.000>) left out; a '<' never closed runs to the end."""
    if "<" not in text:
        return text
    kept: list[str] = []
    position = 0
    while True:
        opening = text.find("<", position)
        if opening == -1:
            kept.append(text[position:])
            return "".join(kept)
        kept.append(text[position:opening])
        closing = text.find(">", opening + 1)
        if closing == -1:
            return "".join(kept)
        position = closing + 1


def plain_text(text: str) -> str:
    """Cue text without its tags, entities, control characters (an escape sequence in a transcript is not
    speech, and printed it would drive the terminal) and text-direction controls (they would reorder what is
    shown after them), on one line."""
    unescaped = html.unescape(_without_tags(text))
    if not unescaped.isprintable():
        unescaped = "".join(
            " " if unicodedata.category(c) == "Cc" else "" if c in BIDI_CONTROLS else c for c in unescaped
        )
    return " ".join(unescaped.split())


def _invisible(character: str) -> bool:
    return character.isspace() or unicodedata.category(character) in ("Cf", "Cc", "Zs", "Zl", "Zp")


def stored_name(text: str) -> str:
    """A speaker's name as stored: plain, cut to fit, and empty when nothing of it can be seen (a name of
    zero-width spaces would be stored as an invisible name)."""
    name = plain_text(text)[:NAME_MAX]
    start, end = 0, len(name)
    while start < end and _invisible(name[start]):
        start += 1
    while end > start and _invisible(name[end - 1]):
        end -= 1
    return name[start:end]
