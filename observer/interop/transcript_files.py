"""Transcript files read into cues: WebVTT from Teams or Zoom (``transcript_vtt``), and the .docx Teams writes
(``transcript_docx``), told apart by their contents. The cues and the bounds every file is read within are in
``transcript_cues``. Nothing here knows about the roster, the archive or the terminal.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from observer.interop.transcript_cues import (
    MAX_TRANSCRIPT_BYTES,
    Transcript,
    TranscriptError,
)
from observer.interop.transcript_docx import parse_docx
from observer.interop.transcript_vtt import parse_vtt


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
