"""The session clock as people read and type it."""

from __future__ import annotations

import re


def format_clock(seconds: float | None) -> str:
    """Session clock as h:mm:ss or m:ss."""
    if seconds is None:
        return "—"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_tenths(seconds: float) -> str:
    """A moment to a tenth of a second ("0:04.3"): a transcript's turn can be shorter than a second."""
    tenths = round(seconds * 10)
    return f"{format_clock(tenths // 10)}.{tenths % 10}"


_CLOCK_TEXT = re.compile(r"^\s*(?:(\d+):)??(?:(\d+):)?(\d+(?:\.\d+)?)\s*$")


def parse_clock(text: str) -> float:
    """'75', '1:15' or '0:01:15' -> seconds; ValueError saying what to type on anything else."""
    hint = "type the time as m:ss or h:mm:ss, for example 12:05"
    match = _CLOCK_TEXT.match(text)
    if match is None:
        raise ValueError(f"'{text.strip()}' is not a time: {hint}")
    hours, minutes, seconds = match.groups()
    if hours is None and minutes is None:
        return float(seconds)
    if float(seconds) >= 60 or (hours is not None and minutes is not None and int(minutes) >= 60):
        raise ValueError(f"'{text.strip()}' is not a time (minutes and seconds go up to 59): {hint}")
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)
