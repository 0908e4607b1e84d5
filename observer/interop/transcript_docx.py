"""The Word transcript Teams writes (.docx), read into cues: streamed from its package one paragraph at a time.

Every document is read within bounds besides its bytes (what it unpacks to, paragraphs, XML elements): a small
hostile file must not take minutes or gigabytes.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from observer.core.fields import MAX_CLOCK_S
from observer.interop.transcript_cues import (
    MAX_CUES,
    MAX_DOCX_ELEMENTS,
    MAX_DOCX_PARAGRAPHS,
    MAX_UNPACKED_BYTES,
    MAX_WORDS_CHARACTERS,
    UNKNOWN_SPEAKER,
    WORDS_PER_SECOND,
    Cue,
    Transcript,
    TranscriptError,
    clock_ms,
    plain_text,
    stored_name,
)

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
            starts.append((speaker_line[1], stored_name(speaker_line[0]) or UNKNOWN_SPEAKER, number))
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
