"""Text as people type it and as a terminal shows it: search keys that ignore accents, output without controls,
and the small pieces of English that reports are written in."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

# Apostrophes and their typographic cousins: 'oneil' should find O'Neil and O’Neil.
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´ʼ"), None)


def search_key(text: str) -> str:
    """Text folded for matching: case, accents and apostrophes ignored ('Siân O’Neil' -> 'sian oneil')."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


# Bidirectional embeddings, overrides and isolates: typed into a name they reorder whatever is printed after
# it ("evil" shown as "live"). Right-to-left text itself needs none of them (and the marks U+200E/F stay).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


_WITHOUT_DIRECTION_CONTROLS = dict.fromkeys(map(ord, BIDI_CONTROLS), None)


def without_direction_controls(text: str) -> str:
    """``text`` without text-direction overrides and isolates (what was said, shown or exported as it reads)."""
    return text.translate(_WITHOUT_DIRECTION_CONTROLS) if not text.isprintable() else text


def terminal_safe(text: str, keep_newlines: bool = False) -> str:
    """``text`` with every control character (and text-direction control) shown as '?', so that printing it
    cannot drive the terminal or reorder the line."""
    if text.isprintable():
        return text
    kept = "\n\t" if keep_newlines else ""
    return "".join(
        "?" if ch not in kept and (unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS) else ch for ch in text
    )


def listed(words: Sequence[str], conjunction: str = "and") -> str:
    """ "PFI and RI"; "A, B and C"; with ``conjunction="or"``, "A or B"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def lower_first(label: str) -> str:
    """A label inside a sentence: "Organisation-first" -> "organisation-first"; an acronym ("IPA 1") stays."""
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def percent(value: float) -> str:
    """A share as a whole percentage: 0.456 -> "46%"."""
    return f"{value:.0%}"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """ "1 session", "3 sessions", "1,200 contributions"; ``many`` where adding an s is wrong ("people")."""
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"


def name_key(text: str) -> str:
    """A name folded for "is this the same name?": case, accents, apostrophes and spacing ignored."""
    return " ".join(search_key(text).split())


def existing_like(typed: str, existing: Sequence[str]) -> str | None:
    """The existing name ``typed`` most likely means when it is not one of them as typed: the same name but for
    case, accents or spacing, or the start of one ("Middles" for "Middlesbrough Council"). None otherwise."""
    if typed in existing:
        return None
    key = name_key(typed)
    if not key:
        return None
    same = [name for name in existing if name_key(name) == key]
    if same:
        return same[0]
    starting = [name for name in existing if name_key(name).startswith(key)]
    return min(starting, key=len) if starting else None


# Names Windows keeps for devices, whatever their extension ("con.xlsx" opens the console, not a file).
RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"{device}{number}" for device in ("com", "lpt") for number in "0123456789¹²³"}
)
MAX_NAME_BYTES = 255  # a name's length on Linux and macOS (in UTF-8 bytes); Windows' 255 UTF-16 units is less strict


def export_name(stem: str, suffix: str = ".xlsx", limit: int = 120) -> str:
    """A file name from a title, whole words kept, valid on every platform: "observer-2026-11-05-Board, November"
    -> "observer-2026-11-05-board-november.xlsx". Only letters, digits and hyphens (none of Windows' ``<>:"/\\|?*``,
    no trailing dot or space), never a device name, at most ``limit`` characters and 255 bytes before the suffix;
    a very long one ends at a word, never inside one."""
    words = "".join(ch if ch.isalnum() or ch == "-" else " " for ch in stem.casefold()).split()
    name = ""
    for word in words:
        joined = f"{name}-{word}" if name else word
        if len(joined) > limit or len(f"{joined}{suffix}_".encode()) > MAX_NAME_BYTES:
            break
        name = joined
    name = name or "observer"
    return f"{name}_{suffix}" if name in RESERVED_NAMES else name + suffix
