"""Transcripts written for tests: turns of the roster's people, each a cue of its own, ten seconds apart."""

from __future__ import annotations

from pathlib import Path

from .conftest import REPO

ROSTER = REPO / "tests" / "data" / "transcripts" / "roster.csv"
PEOPLE = ("Ann Lee", "Bob Khan", "Cath Diaz", "Dev Shah")
# A long turn: 900 characters, its last word "ENDMARK." (a test reads the turn to it).
LONG_WORDS = (
    "We have to think about the governance of this fund very carefully, because the council's board has not "
    "signed off on anything like it before, and the trust's finance committee meets only quarterly. "
) * 4
LONG_WORDS = (LONG_WORDS + "x" * 900)[: 900 - len(" ENDMARK.")].rstrip() + " ENDMARK."


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}.{round((seconds - whole) * 1000):03d}"


def write_vtt(path: Path, turns: list[tuple[str, str]], length_s: float = 8.0, every_s: float = 10.0) -> Path:
    """A Teams WebVTT file: each (speaker, words) a cue of ``length_s`` seconds, one every ``every_s``."""
    lines = ["WEBVTT", ""]
    for number, (speaker, words) in enumerate(turns):
        start = number * every_s
        lines += [f"{clock(start)} --> {clock(start + length_s)}", f"<v {speaker}>{words}</v>", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def alternating(count: int, long_at: int | None = None) -> list[tuple[str, str]]:
    """``count`` turns, each by the next person on the roster (no two neighbours the same speaker)."""
    return [
        (PEOPLE[number % len(PEOPLE)], LONG_WORDS if number == long_at else f"Point {number + 1}, said in a few words.")
        for number in range(count)
    ]
