"""Transcript files read into cues: WebVTT from Teams or Zoom, and the .docx Teams writes.

A cue is a start, an end, a speaker and words, with its line in the file for messages. Every file is read in
one pass, in time that grows with its length, and within bounds besides its bytes (cues, lines, paragraphs,
XML elements): a small hostile file must not take minutes or gigabytes. Nothing here knows about the roster,
the archive or the terminal.
"""

from __future__ import annotations

import codecs
import contextlib
import html
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from observer.core.errors import ObserverError
from observer.core.fields import MAX_CLOCK_S, NAME_MAX
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


def _name(text: str) -> str:
    """A speaker's name as stored: plain, cut to fit, and empty when nothing of it can be seen (a name of
    zero-width spaces would be stored as an invisible name)."""
    name = plain_text(text)[:NAME_MAX]
    start, end = 0, len(name)
    while start < end and _invisible(name[start]):
        start += 1
    while end > start and _invisible(name[end - 1]):
        end -= 1
    return name[start:end]


# ---------------------------------------------------------------- WebVTT


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time (a file of millions of short lines is never a list of them)."""
    position, length = 0, len(text)
    while position < length:
        end = text.find("\n", position)
        if end == -1:
            end = length
        line = text[position:end]
        yield line[:-1] if line.endswith("\r") else line
        position = end + 1


def _blocks(text: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """Runs of non-blank lines, each with the number of its first line; a NOTE, STYLE or REGION block is
    skipped without being kept."""
    block: list[str] = []
    first = 0
    skipping = False
    for number, line in enumerate(_lines(text.replace("\r\n", "\n").replace("\r", "\n")), start=1):
        if not line.strip():
            if block:
                yield first, block
            block, skipping = [], False
            continue
        if skipping:
            continue
        if not block:
            first = number
            if line.startswith(("NOTE", "STYLE", "REGION")) and number > 1:
                skipping = True
                continue
        block.append(line)
        if len(block) > MAX_CUE_LINES:
            raise TranscriptError(f"{name}:{first}: a cue of more than {MAX_CUE_LINES:,} lines is not a cue")
    if block:
        yield first, block


def parse_vtt(text: str, name: str) -> Transcript:
    blocks = _blocks(text, name)
    header = next(blocks, None)
    if header is None or not header[1][0].lstrip("\ufeff").startswith("WEBVTT"):
        raise TranscriptError(f"{name}:1: not a WebVTT transcript (its first line must start with WEBVTT)")
    cues: list[Cue] = []
    characters = 0
    previous_speaker = ""
    # The header's own lines ("Kind: captions", "Language: en") run up to the first blank line, unless a cue
    # follows WEBVTT at once.
    timed = next((n for n, line in enumerate(header[1]) if "-->" in line), None)
    first_cue = [] if timed is None else [(header[0] + timed, header[1][timed:])]
    for block_start, block in itertools.chain(first_cue, blocks):
        timing_at = next((n for n, entry in enumerate(block[:2]) if "-->" in entry), None)
        if timing_at is None:
            raise TranscriptError(f"{name}:{block_start}: a cue without a time line ('start --> end')")
        line_number = block_start + timing_at
        start_text, _, rest = block[timing_at].partition("-->")
        settings = rest.split(maxsplit=1)
        end_text = settings[0] if settings else ""
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
        characters += sum(len(words) for _, words in voices)
        if len(cues) > MAX_CUES:
            raise TranscriptError(f"{name}:{line_number}: more than {MAX_CUES:,} cues; a transcript holds at most that")
        if characters > MAX_WORDS_CHARACTERS:
            raise TranscriptError(f"{name}:{line_number}: more than {MAX_WORDS_CHARACTERS:,} characters of words")
        previous_speaker = voices[-1][0]
    if not cues:
        raise TranscriptError(f"{name}:1: a WebVTT file with no cues: nothing was said in it")
    return Transcript("vtt", tuple(cues))


def _is_voice_tag(text: str, opening: int) -> bool:
    """``<v Name>`` or ``<v.class Name>`` starts at ``opening``."""
    return text.startswith("<v", opening) and text[opening + 2 : opening + 3] in (".", " ", "\t", "\n")


def _voice_tag_end(text: str, start: int) -> int:
    """Where the voice tag whose name starts at ``start`` ends: at its '>', past any tag inside the name
    (``<v <b>Bold</b> Bob>``); at the end of the text if it is never closed."""
    position = start
    while True:
        closing = text.find(">", position)
        if closing == -1:
            return len(text)
        if text.find("<", position, closing) == -1:
            return closing
        position = closing + 1  # a tag inside the name ends at this '>': the name goes on after it


def _voices(body: str, previous_speaker: str) -> list[tuple[str, str]]:
    """The (speaker, words) in a cue's text: Teams' voice tags, Zoom's "Name: " prefix, or else the speaker
    before (Zoom leaves the name off a speaker's next cue). Text outside every voice of a cue that has voices
    is not anyone's words."""
    voices: list[tuple[str, list[str]]] = []
    position = 0
    while True:
        opening = body.find("<v", position)
        while opening != -1 and not _is_voice_tag(body, opening):
            opening = body.find("<v", opening + 2)
        said = body[position : len(body) if opening == -1 else opening]
        if voices:
            closing = said.find("</v>")
            voices[-1][1].append(said if closing == -1 else said[:closing])
        if opening == -1:
            break
        tag_end = _voice_tag_end(body, opening + 2)
        annotation = body[opening + 2 : tag_end]
        if annotation.startswith("."):  # classes, up to the name: <v.loud Ann>
            annotation = annotation.split(maxsplit=1)[1] if len(annotation.split(maxsplit=1)) > 1 else ""
        voices.append((_name(annotation) or UNKNOWN_SPEAKER, []))
        position = tag_end + 1
    if voices:
        return [(speaker, plain_text("".join(words))) for speaker, words in voices]
    plain = plain_text(body)
    speaker, words = _zoom_speaker(plain)
    if speaker:
        return [(speaker, words)]
    return [(previous_speaker or UNKNOWN_SPEAKER, plain)]


_ZOOM_NAME_MAX = 120


def _zoom_speaker(plain: str) -> tuple[str, str]:
    """Zoom's ``Name: words``: the first colon, within the first 120 characters and followed by a space (a
    time of day or a link is not a name)."""
    colon = plain.find(":", 0, _ZOOM_NAME_MAX + 1)
    if colon < 1 or plain[colon + 1 : colon + 2] != " ":
        return "", plain
    name = plain[:colon].strip()
    if not name or name.endswith(("http", "https")):
        return "", plain
    return _name(name), plain[colon + 1 :].strip()


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

_DOCX_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# What each element of a run adds to a paragraph's text, as Word shows it.
_RUN_TEXT = {f"{_W}tab": "\t", f"{_W}ptab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}noBreakHyphen": "-"}
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_RELATIONSHIPS_MAX_BYTES = 1024 * 1024


def _docx_speaker(paragraph: str) -> tuple[str, int] | None:
    """``Speaker Name   0:03`` (or 0:00:03): the name and the start in milliseconds; None for other text."""
    parts = paragraph.rsplit(maxsplit=1)
    if len(parts) != 2 or len(parts[1]) > 8 or not _DOCX_TIME.fullmatch(parts[1]):
        return None
    moment = clock_ms(parts[1])
    return (parts[0], moment) if moment is not None else None


def _document_part(package: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    """The package's main document, as its relationships name it (word/document.xml as Word writes it)."""
    from lxml import etree

    target = "word/document.xml"
    try:
        relationships = package.getinfo("_rels/.rels")
    except KeyError:
        relationships = None
    if relationships is not None and relationships.file_size <= _RELATIONSHIPS_MAX_BYTES:
        with contextlib.suppress(etree.XMLSyntaxError, ValueError):
            root = etree.fromstring(package.read(relationships), _safe_parser())
            for relationship in root:
                if relationship.get("Type") == _OFFICE_DOCUMENT and relationship.get("Target"):
                    target = str(relationship.get("Target")).lstrip("/")
                    break
    try:
        part = package.getinfo(target)
    except KeyError:
        raise TranscriptError(f"{name}:1: not a Word document (it has no document part, {target})") from None
    if part.flag_bits & 0x1:
        raise TranscriptError(f"{name}:1: the document is protected by a password; save it again without one")
    if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise TranscriptError(
            f"{name}:1: the document is packed with a compression method Word does not use "
            f"(method {part.compress_type}); open it in Word and save it again"
        )
    return part


def _safe_parser() -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def _docx_paragraphs(path: Path) -> Iterator[tuple[int, str]]:
    """The paragraphs of a Word document as Word shows their text, numbered from 1, streamed from the package:
    however large the document, one paragraph is in memory at a time. Bounded in paragraphs and elements."""
    import zlib

    from lxml import etree

    name = path.name
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as error:
        raise TranscriptError(f"{name}:1: not a Word document ({error})") from None
    try:
        with package:
            unpacked = sum(member.file_size for member in package.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                raise TranscriptError(f"{name}:1: unpacks to {unpacked:,} bytes, too large for a transcript")
            part = _document_part(package, name)
            with package.open(part) as document:
                yield from _paragraphs_of(document, name)
    except etree.XMLSyntaxError as error:
        raise TranscriptError(f"{name}:1: {_xml_problem(error)}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise TranscriptError(f"{name}:1: the file is damaged: it cannot be unpacked ({error})") from None
    except (RuntimeError, NotImplementedError, ValueError) as error:  # what zipfile says of what it cannot read
        raise TranscriptError(f"{name}:1: not a Word document we can read ({error})") from None


def _paragraphs_of(document: IO[bytes], name: str) -> Iterator[tuple[int, str]]:
    from lxml import etree

    events = etree.iterparse(
        document,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    open_paragraphs: list[list[str]] = []  # the text so far of each paragraph being read (a text box nests one)
    paragraphs = elements = 0
    for event, element in events:
        tag = element.tag
        if event == "start":
            elements += 1
            if elements == 1 and element.getroottree().docinfo.internalDTD is not None:
                raise TranscriptError(
                    f"{name}:1: the document has a document type declaration, which Word never writes: "
                    "not a Teams transcript"
                )
            if elements > MAX_DOCX_ELEMENTS:
                raise TranscriptError(
                    f"{name}:1: more than {MAX_DOCX_ELEMENTS:,} XML elements: not a transcript we can read"
                )
            if tag == f"{_W}p":
                paragraphs += 1
                if paragraphs > MAX_DOCX_PARAGRAPHS:
                    raise TranscriptError(
                        f"{name}: more than {MAX_DOCX_PARAGRAPHS:,} paragraphs; a transcript holds at most that"
                    )
                open_paragraphs.append([])
            continue
        if open_paragraphs:
            if tag == f"{_W}t":
                open_paragraphs[-1].append(element.text or "")
            elif tag in _RUN_TEXT:
                open_paragraphs[-1].append(_RUN_TEXT[tag])
        if tag == f"{_W}p" and open_paragraphs:
            yield paragraphs, "".join(open_paragraphs.pop())
        # What has been read is let go: only the elements still open stay in memory.
        element.clear()
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]


def _xml_problem(error: Exception) -> str:
    """An XML parser's complaint about a document, as a person reads it."""
    said = str(error)
    if "depth" in said.casefold():
        return "the document is nested too deep (over 256 levels): not a Teams transcript"
    if "too long" in said.casefold() or "huge" in said.casefold():
        return "the document holds a text too long to read (over 10 MB in one piece): not a Teams transcript"
    if "entit" in said.casefold():
        return f"the document uses XML entities Word never writes ({said[:80]}): not a Teams transcript"
    return f"the file is damaged: its document is not well-formed XML ({said[:120]})"


def parse_docx(path: Path) -> Transcript:
    """Teams' Word transcript: a paragraph "Speaker Name   0:03" (or 0:00:03), then what was said. Starts only:
    a turn ends where the next begins; the last, when its words would have taken at 150 a minute."""
    name = path.name
    starts: list[tuple[int, str, int]] = []  # (ms, speaker, paragraph number)
    words: list[list[str]] = []
    characters = 0
    for number, paragraph in _docx_paragraphs(path):
        text = paragraph.strip()
        speaker_line = _docx_speaker(text)
        if speaker_line is not None:
            starts.append((speaker_line[1], _name(speaker_line[0]) or UNKNOWN_SPEAKER, number))
            words.append([])
            if len(starts) > MAX_CUES:
                raise TranscriptError(f"{name}: paragraph {number}: more than {MAX_CUES:,} speaker lines")
        elif starts and text:
            plain = plain_text(text)
            characters += len(plain)
            if characters > MAX_WORDS_CHARACTERS:
                raise TranscriptError(f"{name}: paragraph {number}: more than {MAX_WORDS_CHARACTERS:,} characters")
            words[-1].append(plain)
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
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Notepad's "Unicode": UTF-16 with its byte-order mark says which it is.
        try:
            return parse_vtt(raw.decode("utf-16"), name)
        except UnicodeDecodeError as error:
            raise TranscriptError(f"{name}:1: not readable UTF-16 text ({error.reason})") from None
    if b"\x00" in raw:
        if raw[:64].count(b"\x00") * 3 >= len(raw[:64]):
            raise TranscriptError(
                f"{name}:1: looks like UTF-16 text without a byte-order mark; save it as UTF-8 and import it again"
            )
        raise TranscriptError(f"{name}:1: a binary file, not a transcript")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise TranscriptError(f"{name}:{line}: not UTF-8 text (a transcript is saved as UTF-8)") from None
    return parse_vtt(text, name)
