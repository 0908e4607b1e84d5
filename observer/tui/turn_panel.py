"""A transcript's current turn: its words in full, scrolled where they do not fit, between its neighbours."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from observer.core.clock import format_clock
from observer.core.models import Contribution, Session
from observer.core.text import plural, terminal_safe, without_direction_controls

NEIGHBOUR_CHARACTERS = 400  # of the turns before and after: more than a line of the widest screen


@dataclass(frozen=True)
class TurnState:
    session: Session
    turn: Contribution | None  # the turn the keys act on
    number: int  # its number (1 for the first)
    total: int  # turns in the transcript
    before: Contribution | None  # the turn before it
    after: Contribution | None  # the turn shown below it: the next to code once this one is coded
    after_number: int = 0
    waiting: bool = False  # this turn is coded: the next code key goes to ``after``


class TurnWords(VerticalScroll):
    """The turn's words, scrolled: the panel hears whenever their height or the room for them changes (a new turn,
    a resized terminal, the screen shown again after a dialog), which is when "more follows" may change."""

    def on_resize(self) -> None:
        self._tell_panel()

    def watch_virtual_size(self) -> None:
        # Longer words in the same room are no resize; the room is known once the layout that set this is done.
        self.call_later(self._tell_panel)

    def _tell_panel(self) -> None:
        if isinstance(self.parent, TurnPanel):
            self.parent.say_more()


class TurnPanel(Vertical):
    """A transcript's current turn in full — scrolled with PageUp/PageDown where it does not fit, saying that
    more follows — between a line of the turn before and one of the turn that comes next."""

    COMPONENT_CLASSES = {"turn--context", "turn--speaker", "turn--next"}
    DEFAULT_CSS = """
    TurnPanel { height: auto; padding: 0 1; border-bottom: solid $primary-darken-2; }
    TurnPanel > .turn--context { color: $text-muted; }
    TurnPanel > .turn--speaker { text-style: bold; color: $accent; }
    TurnPanel > .turn--next { color: $success; text-style: bold; }
    TurnPanel > #turn-before, TurnPanel > #turn-after { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    TurnPanel > #turn-more { height: 1; color: $warning; text-style: bold; display: none; }
    TurnPanel > #turn-words { height: auto; max-height: 12; scrollbar-size-vertical: 1; }
    """

    state: reactive[TurnState | None] = reactive(None, always_update=True)

    def compose(self) -> ComposeResult:
        yield Static(id="turn-before", markup=False)
        with TurnWords(id="turn-words", can_focus=False):
            yield Static(id="turn-text", markup=False)
        yield Static(id="turn-more", markup=False)
        yield Static(id="turn-after", markup=False)

    def on_mount(self) -> None:
        self._shown: tuple[object, ...] = ()
        self.watch(self.query_one(TurnWords), "scroll_y", self.say_more, init=False)

    def watch_state(self, state: TurnState | None) -> None:
        if state is None or not self.is_mounted:
            return
        self.query_one("#turn-before", Static).update(self._neighbour(state, state.before, "↑", 0))
        self.query_one("#turn-after", Static).update(self._neighbour(state, state.after, "↓", state.after_number))
        turn = state.turn
        shown = (turn.id, turn.words, turn.participant_id, turn.start_s, turn.end_s, state.number) if turn else ()
        if shown == self._shown:
            return  # the same turn, as it was: keep where the coder has scrolled to
        self._shown = shown
        text = Text()
        if turn is None:
            text.append("No turns in this transcript.", "italic")
        else:
            end = format_clock(turn.end_s) if turn.end_s is not None else "…"
            text.append(
                f"turn {state.number} of {state.total} · {state.session.speaker_name(turn)} "
                f"{format_clock(turn.start_s)}–{end}: ",
                self.get_component_rich_style("turn--speaker"),
            )
            text.append(terminal_safe(without_direction_controls(turn.words)) or "(no words)")
        self.query_one("#turn-text", Static).update(text)
        words = self.query_one(TurnWords)
        words.scroll_home(animate=False)
        self.call_after_refresh(self.say_more)  # in the frame that shows the words, where the layout allows

    def _neighbour(self, state: TurnState, turn: Contribution | None, arrow: str, number: int) -> Text:
        """One line of a neighbouring turn (the line is cut to the panel's width where it is drawn)."""
        if turn is None:
            words = "↑ (the first turn)" if arrow == "↑" else "↓ (the last turn)"
            return Text(words, self.get_component_rich_style("turn--context"))
        # One line of it is shown, however long.
        words = terminal_safe(without_direction_controls(turn.words[:NEIGHBOUR_CHARACTERS])) or "(no words)"
        said = f"{state.session.speaker_name(turn)} {format_clock(turn.start_s)}: {words}"
        if arrow == "↓" and state.waiting:  # the coder's next code key goes there
            line = Text(f"↓ next code → turn {number} · ", self.get_component_rich_style("turn--next"))
            line.append(said, self.get_component_rich_style("turn--context"))
        else:
            line = Text(f"{arrow} {said}", self.get_component_rich_style("turn--context"))
        return line

    def say_more(self) -> None:
        """Under a turn that does not fit: how much more there is, and the key that shows it."""
        words = self.query_one(TurnWords)
        more = self.query_one("#turn-more", Static)
        below = max(0, round(words.max_scroll_y - words.scroll_y))
        if words.max_scroll_y <= 0:
            more.display = False
            return
        more.display = True
        if below:
            more.update(f"▼ {plural(below, 'more line')} of this turn: PgDn reads on")
        else:
            more.update("▲ the end of this turn: PgUp reads back")

    def fit(self, rows: int) -> None:
        """Let the turn's words take up to ``rows`` lines before they scroll."""
        words = self.query_one(TurnWords)
        if words.styles.max_height is None or words.styles.max_height.value != rows:
            words.styles.max_height = rows

    def page(self, step: int) -> bool:
        """Scroll the turn a page on (1) or back (-1); False when it all fits, so there is nothing to scroll."""
        words = self.query_one(TurnWords)
        if words.max_scroll_y <= 0:
            return False
        page = max(1, words.scrollable_content_region.height - 1)
        words.scroll_to(y=words.scroll_y + step * page, animate=False)
        return True
