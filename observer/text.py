"""Text as people type it and as a terminal shows it: search keys that ignore accents, output without controls."""

from __future__ import annotations

import unicodedata

# Apostrophes and their typographic cousins: 'oneil' should find O'Neil and O’Neil.
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´ʼ"), None)


def search_key(text: str) -> str:
    """Text folded for matching: case, accents and apostrophes ignored ('Siân O’Neil' -> 'sian oneil')."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def terminal_safe(text: str, keep_newlines: bool = False) -> str:
    """``text`` with every control character shown as '?', so that printing it cannot drive the terminal."""
    kept = "\n\t" if keep_newlines else ""
    return "".join("?" if ch not in kept and unicodedata.category(ch) == "Cc" else ch for ch in text)
