"""Small typed dialogs: each returns its result through ``dismiss``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from observer.core.clock import format_tenths
from observer.core.codebook_models import Code, Codebook
from observer.core.keys import CODING_KEYS, LEAVE_KEY, QUIT_KEY, SPEAKER_KEYS, AppKey
from observer.core.models import Contribution, Session
from observer.core.text import existing_like, search_key, terminal_safe, without_direction_controls
from observer.live.transcript_edits import split_moment
from observer.tui.log_view import UNSAVED_MARK


class FormInput(Input):
    """A field of a form whose Enter and Tab move on to the next field as the field reads them.

    Keys reach a field through its own queue: a fast typist's "Priya Shah", Enter, "Healthwatch" are all queued
    for the name field before Enter has moved anything, and the words meant for the next field followed the
    name ("Priya ShahHealthwatch Riverside"). So Enter moves on here, at once, and a key this field reads after
    the focus has gone is passed on to the field that has it. The form still hears Submitted."""

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not self and focused is not None:
            event.stop()
            event.prevent_default()
            # Typed ahead, for the field now focused; passed on as the app passes keys on (not read as new).
            focused._forward_event(events.Key(event.key, event.character))
            return
        if event.key in ("enter", "tab"):
            event.stop()
            event.prevent_default()
            if event.key == "tab":
                self.action_complete_or_next()
                return
            self.screen.focus_next()
            await self.action_submit()
            return
        await super()._on_key(event)

    def action_complete_or_next(self) -> None:
        self.screen.focus_next()


class CompletingInput(FormInput):
    """An Input whose suggestion Tab accepts, as → does: Tab moves on only when nothing is suggested, so a
    prefix ("Middles") is never left standing for the name it suggested ("Middlesbrough Council")."""

    BINDINGS = [Binding("tab", "complete_or_next", "Complete", show=False)]

    def action_complete_or_next(self) -> None:
        suggestion = self._suggestion  # Textual keeps it here; its own → reads the same
        if self.cursor_at_end and suggestion and suggestion != self.value:
            self.value = suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()


def _code_words(code: Code) -> str:
    return search_key(f"{code.label} {code.short_label} {code.description}")


class ExistingOrNew(ModalScreen[str | None]):
    """A name typed that an existing one looks like: use the existing one (Enter, the default) or make the
    new one (n); Escape goes back to the form."""

    BINDINGS = [
        Binding("enter,y", "choose('existing')", "Use the existing one"),
        Binding("n", "choose('new')", "Make a new one"),
        Binding("escape", "choose('back')", "Back"),
    ]

    def __init__(self, kind: str, typed: str, existing: str) -> None:
        super().__init__()
        self.kind, self.typed, self.existing = kind, typed, existing

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"New {self.kind} '{self.typed}'?", classes="dialog-title", markup=False)
            yield Static(f"'{self.existing}' exists.", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"Use '{self.existing}' (Enter)", id="existing", variant="primary")
                yield Button(f"New '{self.typed}' (n)", id="new")
            yield Label("Escape goes back to the form", classes="dialog-hint")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "back")

    def action_choose(self, choice: str) -> None:
        self.dismiss({"existing": self.existing, "new": self.typed}.get(choice))


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


@dataclass(frozen=True)
class NewAttendee:
    name: str
    organisation: str
    role: str


class AttendeeForm(ModalScreen[NewAttendee | None]):
    """A late arrival: name, organisation (an existing one or a new one), role."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, organisations: list[str]) -> None:
        super().__init__()
        self.organisations = organisations

    def compose(self) -> ComposeResult:
        from textual.suggester import SuggestFromList

        with Vertical(classes="dialog"):
            yield Label("Late arrival", classes="dialog-title")
            yield FormInput(placeholder="name", id="attendee-name")
            yield CompletingInput(
                placeholder="organisation (Tab or → completes)",
                id="attendee-organisation",
                suggester=SuggestFromList(self.organisations, case_sensitive=False),
            )
            yield FormInput(placeholder="role (optional)", id="attendee-role")
            yield Label("", id="attendee-error", classes="field-error", markup=False)
            yield Label("Enter in the last field saves · Escape cancels", classes="dialog-hint")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        name = self.query_one("#attendee-name", Input).value.strip()
        organisation = self.query_one("#attendee-organisation", Input).value.strip()
        role = self.query_one("#attendee-role", Input).value.strip()
        if event.input.id == "attendee-name" or (event.input.id != "attendee-role" and not (name and organisation)):
            # The field has moved on to the next already. Enter on the name never saves: the organisation may be
            # being typed ahead into the next field, not yet there.
            return
        if not name or not organisation:
            self.query_one("#attendee-error", Label).update("A name and an organisation are needed.")
            return
        existing = existing_like(organisation, self.organisations)
        if existing is None:
            self.dismiss(NewAttendee(name, organisation, role))
            return

        def chosen(choice: str | None) -> None:
            if choice is None:  # back to the form, to change what was typed
                self.query_one("#attendee-organisation", Input).focus()
            else:
                self.dismiss(NewAttendee(name, choice, role))

        self.app.push_screen(ExistingOrNew("organisation", organisation, existing), chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)


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


class KeyList(ModalScreen[None]):
    """A screen's keys and what each does, in full (its footer has room for a word each)."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, title: str, pairs: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.list_title = title
        self.pairs = pairs

    def compose(self) -> ComposeResult:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column()
        for key, meaning in self.pairs:
            grid.add_row(key, meaning)  # Text cells: a key's words are never markup
        with Vertical(classes="dialog"):
            yield Label(self.list_title, classes="dialog-title", markup=False)
            yield Static(grid)

    def action_close(self) -> None:
        self.dismiss(None)


class KeyHelp(ModalScreen[None]):
    """Every key of the coding screen, and what each code and flag means (the codebook's descriptions).

    The keys come first, in columns that fit an 80-column terminal; the codes follow, scrollable; ``/`` types a
    filter over the codes ("trust" finds Trust avoidance by its words as well as its name).
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark,q", "close", "Close", show=False),
        Binding("slash", "filter", "Filter codes"),
    ]

    def __init__(self, codebook: Codebook, keys: Sequence[AppKey] = CODING_KEYS, transcript: bool = False) -> None:
        """``keys``: the screen's own keys, in its footer's order; ``transcript``: the transcript screen's."""
        super().__init__()
        self.codebook = codebook
        self.screen_keys = keys
        self.transcript = transcript

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Label("Keys and codes  ·  / filters the codes  ·  Esc closes", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._keys(), id="help-keys")
                yield Input(placeholder="filter the codes: a word of a name or a description", id="help-filter")
                yield Static(self._codes(""), id="help-codes")

    def on_mount(self) -> None:
        self.query_one("#help-filter", Input).display = False

    def _keys(self) -> Table:
        """The app's keys and the codebook's, as key–meaning pairs in columns (two on a narrow terminal)."""
        speakers = f"{SPEAKER_KEYS[0]}–{SPEAKER_KEYS[-1]}"
        pairs = [(speakers, "this turn's speaker is…" if self.transcript else "attendee speaks")]
        pairs += [(key.display, key.description) for key in (*self.screen_keys, LEAVE_KEY, QUIT_KEY) if key.show]
        if self.transcript:
            pairs += [("↑ ↓", "previous / next turn")]
        else:
            pairs += [("↑ ↓", "pick a contribution"), ("Esc", "back to live coding")]
        pairs += [(UNSAVED_MARK, "not yet on the disk")]
        columns = 3 if self.app.size.width >= 100 else 2
        grid = Table.grid(padding=(0, 2), expand=True)
        for _ in range(columns):
            grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        rows = -(-len(pairs) // columns)
        for row in range(rows):
            cells = []
            for column in range(columns):
                index = column * rows + row
                key, meaning = pairs[index] if index < len(pairs) else ("", "")
                cells.append(Text.assemble((key, "bold"), f" {meaning}"))
            grid.add_row(*cells)
        return grid

    def _codes(self, wanted: str) -> Text:
        """Each code and flag with its key, short form and description; only those matching ``wanted``."""
        words = search_key(wanted).split()
        groups = [
            (f"{dimension.label} (one value; the same key again clears)", dimension.codes)
            for dimension in self.codebook.dimensions
        ]
        if self.codebook.flags:
            groups.append(("Flags (each on or off)", self.codebook.flags))
        # Text, not markup: codebook labels and descriptions are typed by people.
        text = Text()
        for heading, codes in groups:
            matching = [code for code in codes if all(word in _code_words(code) for word in words)]
            if not matching:
                continue
            text.append(f"\n{heading}\n", "bold underline")
            for code in matching:
                text.append(f" {code.key} ", "bold reverse")
                text.append(f" {code.label} ({code.short_label})\n", "bold")
                if code.description:
                    text.append(f"     {code.description}\n")
        if not text:
            return Text(f"\nNo code or flag mentions '{wanted}'.", "italic")
        return text

    @on(Input.Changed, "#help-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.query_one("#help-codes", Static).update(self._codes(event.value))

    def action_filter(self) -> None:
        box = self.query_one("#help-filter", Input)
        box.display = True
        self.query_one("#help-keys").display = False  # the room goes to the codes being looked for
        box.focus()

    def action_close(self) -> None:
        self.dismiss(None)
