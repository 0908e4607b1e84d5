"""Small typed dialogs: each returns its result through ``dismiss``. A form's fields and the late arrival's form
are in ``forms.py``, the lists of keys in ``key_help.py``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from observer.core.clock import format_tenths
from observer.core.models import Contribution, Session
from observer.core.text import search_key, terminal_safe, without_direction_controls
from observer.live.transcript_edits import split_moment


class TextPrompt(ModalScreen[str | None]):
    """One line of text; Enter keeps it, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.prompt_title = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.prompt_title, classes="dialog-title", markup=False)
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield from self.below_input()
            yield Label("Enter to save · Escape to cancel", classes="dialog-hint")

    def below_input(self) -> ComposeResult:
        yield from ()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PathPrompt(TextPrompt):
    """A file to write: the whole path it will be is shown under the box as it is typed, wrapped, never cut."""

    def below_input(self) -> ComposeResult:
        yield Static(self._where(self.value), id="prompt-path", markup=False)

    @staticmethod
    def _where(typed: str) -> str:
        return f"Writes {Path(typed.strip() or '.').expanduser().resolve()}"

    @on(Input.Changed, "#prompt-input")
    def show_path(self, event: Input.Changed) -> None:
        self.query_one("#prompt-path", Static).update(self._where(event.value))


class WordCut(ModalScreen[int | None]):
    """Where to split a transcript turn: its words with a cut between two of them, which ← and → move a word at a
    time (ctrl+← →, PgUp and PgDn ten words, Home and End to either end). The moment of the cut follows the
    words' share of the turn; Enter splits there, Escape does not. Dismisses with the first word of the second
    turn (counted from 0)."""

    BINDINGS = [
        Binding("left", "move(-1)", "Word back", show=False),
        Binding("right", "move(1)", "Word on", show=False),
        Binding("ctrl+left,pageup", "move(-10)", "Ten back", show=False),
        Binding("ctrl+right,pagedown", "move(10)", "Ten on", show=False),
        Binding("home", "move(-1000000)", "First", show=False),
        Binding("end", "move(1000000)", "Last", show=False),
        Binding("enter", "split", "Split here", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    # The dialog's lines besides the words (border, padding, title, times, hint) and its share of the screen.
    CHROME_ROWS = 13
    SCREEN_SHARE = 0.9

    def __init__(self, turn: Contribution) -> None:
        super().__init__()
        self.turn = turn
        # Split as the split itself splits them; each word shown safe (a transcript may hold direction controls).
        self.words = [terminal_safe(without_direction_controls(word)) for word in turn.words.split()]
        self.cut = max(1, len(self.words) // 2)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("", id="cut-title", classes="dialog-title", markup=False)
            yield Static("", id="cut-parts", markup=False)
            yield Static("", id="cut-words", markup=False)
            yield Label("← → a word · PgUp PgDn ten · Home End · Enter splits · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        turn = self.turn
        moment = split_moment(turn, self.cut)
        end = turn.end_s if turn.end_s is not None else turn.start_s
        self.query_one("#cut-title", Label).update(
            f"Split at {format_tenths(moment)}, before word {self.cut + 1} of {len(self.words)}"
        )
        self.query_one("#cut-parts", Static).update(
            f"Two turns: {format_tenths(turn.start_s)}–{format_tenths(moment)} and "
            f"{format_tenths(moment)}–{format_tenths(end)} (the time follows the words)\n"
        )
        room = self._characters_either_side()
        before, cut_before = _words_within(self.words[: self.cut], room, nearest_the_end=True)
        after, cut_after = _words_within(self.words[self.cut :], room)
        text = Text()
        if cut_before:
            text.append("… ", "dim")
        text.append(" ".join(before))
        text.append(" ▌", "bold reverse")
        text.append(" ")
        text.append(" ".join(after), "bold")
        if cut_after:
            text.append(" …", "dim")
        self.query_one("#cut-words", Static).update(text)

    def _characters_either_side(self) -> int:
        """How much of the turn fits on either side of the cut with the whole dialog on screen: a turn of
        thousands of words, or one word of thousands of letters, still shows the cut and the keys."""
        width, height = self.app.size
        columns = min(72, int(width * 0.95)) - 6  # the dialog's width less its border and padding
        rows = max(2, int(height * self.SCREEN_SHARE) - self.CHROME_ROWS)
        return max(20, rows * columns * 2 // 5)  # half the room each side, less what wrapping wastes

    def on_resize(self) -> None:
        self._show()

    def action_move(self, step: int) -> None:
        self.cut = max(1, min(len(self.words) - 1, self.cut + step))
        self._show()

    def action_split(self) -> None:
        self.dismiss(self.cut)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _words_within(words: list[str], cells: int, nearest_the_end: bool = False) -> tuple[list[str], bool]:
    """As many of ``words`` as fit in ``cells`` terminal cells, from their start (or, ``nearest_the_end``, from
    their end), a word too long alone cut to fit; and whether any were left out."""
    order = list(reversed(words)) if nearest_the_end else words
    taken: list[str] = []
    used = 0
    left_out = False
    for word in order:
        width = cell_len(word)
        if used + width > cells:
            if not taken:  # one word wider than the room: the part of it next to the cut
                letters = word[::-1] if nearest_the_end else word
                part = set_cell_size(letters, cells).rstrip()
                taken.append(part[::-1] if nearest_the_end else part)
            left_out = True
            break
        taken.append(word)
        used += width + 1
    return (list(reversed(taken)) if nearest_the_end else taken), left_out


class NoteArea(TextArea):
    """The note's text, where Enter keeps the note rather than starting a line (a paste keeps its lines). Enter
    is taken here, after every letter typed before it: a binding on the dialog would run as soon as Enter
    arrives, and keep the note without the letters still on their way."""

    @dataclass
    class Keep(Message):
        text: str

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Keep(self.text))
            return
        await super()._on_key(event)


class NotePrompt(ModalScreen[str | None]):
    """A note: Enter keeps it, Escape cancels; a pasted text keeps all its lines."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.prompt_title = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.prompt_title, classes="dialog-title", markup=False)
            yield NoteArea(self.value, id="note-text", soft_wrap=True, show_line_numbers=False)
            yield Label("Enter to save · Escape to cancel · a paste keeps its lines", classes="dialog-hint")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @on(NoteArea.Keep)
    def keep(self, message: NoteArea.Keep) -> None:
        self.dismiss(message.text)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class Speaker:
    participant_id: str | None
    organisation_id: str


class Picker(ModalScreen[Any]):
    """Type part of a label, Enter picks the highlighted choice; dismisses with its value (None: cancelled)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, title: str, choices: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.picker_title = title
        self.choices = choices
        self._keys = [search_key(label) for label, _ in choices]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(self.picker_title, classes="dialog-title", markup=False)
            yield Input(placeholder="type to filter…", id="picker-filter")
            yield OptionList(id="picker-options", markup=False)
            yield Label("↑↓ choose · Enter pick · Escape cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill("")

    def _fill(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        wanted = search_key(text).split()
        for index, (label, _) in enumerate(self.choices):
            if all(part in self._keys[index] for part in wanted):
                options.add_option(Option(label, id=str(index)))
        if options.option_count:
            options.highlighted = 0

    @on(Input.Changed)
    def filter_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    @on(Input.Submitted)
    def submitted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            self.notify("nothing matches", severity="warning", timeout=2)
            return
        option = options.get_option_at_index(options.highlighted)
        self.dismiss(self.choices[int(option.id or 0)][1])

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)][1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class SpeakerPicker(Picker):
    """Attendees by name and organisation, then each organisation for "speaker not identified"."""

    def __init__(self, title: str, people: list[tuple[str, str, str]], organisations: list[tuple[str, str]]) -> None:
        """``people``: (participant id, name, organisation name); ``organisations``: (id, name)."""
        choices: list[tuple[str, Any]] = [
            (f"{name} — {organisation}", Speaker(pid, "")) for pid, name, organisation in people
        ] + [(f"({name} — organisation only)", Speaker(None, oid)) for oid, name in organisations]
        super().__init__(title, choices)

    @classmethod
    def of(cls, session: Session, title: str, people: bool = True, organisations: bool = True) -> SpeakerPicker:
        """A session's attendees (``people``) and organisations, as the picker offers them."""
        names = {o.id: o.name for o in session.organisations}
        attendees = [(p.id, p.name, names.get(p.organisation_id, "")) for p in session.participants] if people else []
        return cls(title, attendees, list(names.items()) if organisations else [])


class Confirm(ModalScreen[bool]):
    """A yes/no question; y or Enter confirms, n or Escape does not."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title", markup=False)
            if self.detail:
                yield Static(self.detail, markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", id="yes", variant="primary")
                yield Button("No (n)", id="no")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
