"""Every key of the coding screen in one table.

The codebook validator reads it (a codebook may not take an app key) and the TUI builds its bindings from it,
so the footer, the help screen and the collision check can never disagree. No Textual import here.
"""

from __future__ import annotations

from dataclasses import dataclass

SPEAKER_KEYS = "123456789"


@dataclass(frozen=True)
class AppKey:
    action: str  # the coding screen's action name
    keys: str  # Textual key names, comma separated
    description: str  # shown in the footer and the help screen
    characters: str = ""  # printable characters the key takes away from codebooks
    show: bool = True

    @property
    def display(self) -> str:
        """The keys as a person reads them: '/', '+', 'ctrl+z / backspace', not Textual's names."""
        return " / ".join(KEY_SYMBOLS.get(key, key) for key in self.keys.split(","))


# Textual's names for keys whose symbol is what people look for.
KEY_SYMBOLS = {
    "slash": "/",
    "plus": "+",
    "minus": "-",
    "question_mark": "?",
    "up": "↑",
    "down": "↓",
    "escape": "Esc",
    "tab": "Tab",
    "shift+tab": "Shift+Tab",
    "colon": ":",
    "pageup": "PgUp",
    "pagedown": "PgDn",
}


# In the footer's order: what a newcomer must always find comes first (a narrow footer drops the last).
CODING_KEYS: tuple[AppKey, ...] = (
    AppKey("end_session", "E", "End", "E"),
    AppKey("help", "question_mark", "Keys", "?"),
    AppKey("toggle_clock", "space", "Clock", " "),
    AppKey("pick_speaker", "slash", "Speaker…", "/"),
    AppKey("undo", "ctrl+z,backspace", "Undo"),
    AppKey("agenda_item", "A", "Agenda", "A"),
    AppKey("note", "N", "Note", "N"),
    AppKey("add_attendee", "plus", "Arrival", "+"),
    AppKey("mark_left", "minus", "Left", "-"),
    AppKey("redo", "ctrl+y", "Redo"),
    AppKey("pick_organisation", "0", "Org only…", "0"),
    AppKey("edit_start", "T", "Start time", "T"),
    AppKey("delete_contribution", "D", "Delete", "D"),
    AppKey("select_previous", "up", "Older", show=False),
    AppKey("select_next", "down", "Newer", show=False),
    AppKey("select_live", "escape", "Live", show=False),
)

# The transcript screen's own keys, besides the coding keys (codebooks may not take them either).
TRANSCRIPT_KEYS: tuple[AppKey, ...] = (
    AppKey("next_turn", "tab", "Next turn"),
    AppKey("previous_turn", "shift+tab", "Previous turn"),
    AppKey("go_to_turn", "colon", "Go to turn…", ":"),
    AppKey("join_turns", "J", "Join next", "J"),
    AppKey("split_turn", "S", "Split…", "S"),
    AppKey("uncoded_only", "F", "Uncoded only", "F"),
    AppKey("read_on", "pagedown", "Read on"),
    AppKey("read_back", "pageup", "Read back"),
)

# Leaving: Home closes the session and goes back to the list; Quit closes it and ends the program.
LEAVE_KEY = AppKey("leave", "ctrl+w", "Home")
QUIT_KEY = AppKey("quit", "ctrl+q", "Quit")


def reserved_key_action(character: str) -> str | None:
    """The app action that owns ``character``, or None when a codebook may use it."""
    for app_key in (*CODING_KEYS, *TRANSCRIPT_KEYS):
        if character in app_key.characters:
            return app_key.description
    return None
