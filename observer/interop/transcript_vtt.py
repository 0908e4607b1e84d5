"""WebVTT transcripts, as Teams and Zoom write them, read into cues in one pass.

Every file is read in time that grows with its length, and within bounds besides its bytes (cues, lines): a
small hostile file must not take minutes or gigabytes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from observer.core.fields import MAX_CLOCK_S
from observer.interop.transcript_cues import (
    MAX_CUE_LINES,
    MAX_CUES,
    MAX_WORDS_CHARACTERS,
    UNKNOWN_SPEAKER,
    Cue,
    Transcript,
    TranscriptError,
    clock_ms,
    plain_text,
    stored_name,
)


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
        voices.append((stored_name(annotation) or UNKNOWN_SPEAKER, []))
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
    return stored_name(name), plain[colon + 1 :].strip()


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
