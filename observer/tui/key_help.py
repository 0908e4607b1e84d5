"""The keys of a screen, and the coding screen's keys and codes in full, with a filter over the codes."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from observer.core.codebook_models import Code, Codebook
from observer.core.keys import CODING_KEYS, LEAVE_KEY, QUIT_KEY, SPEAKER_KEYS, AppKey
from observer.core.text import search_key
from observer.tui.log_view import UNSAVED_MARK


def _code_words(code: Code) -> str:
    return search_key(f"{code.label} {code.short_label} {code.description}")


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
