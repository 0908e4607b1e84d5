"""The coding screen's panels: each a widget that shows one piece of state, styled from the theme.

The screen hands each panel a small immutable state (a reactive: setting it repaints the panel); the panels
know how to draw it and nothing about keys, the state machine or the disk. Colours come from component
classes whose rules use theme variables, so a theme reaches every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Region
from textual.reactive import reactive, var
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from observer.analysis.live_balance import LiveBalance
from observer.analysis.metrics import OVERREPRESENTED_AIRTIME_RATIO
from observer.core.clock import format_clock
from observer.core.keys import SPEAKER_KEYS
from observer.core.models import Codebook, Contribution, Session, SessionStatus, short_form
from observer.core.text import plural, terminal_safe, without_direction_controls
from observer.present import palette, tables
from observer.present.report import bar
from observer.present.tables import number, percent
from observer.tui.log_view import text_strip
from observer.tui.saving import HeaderWords

StateT = TypeVar("StateT")


class Panel(Widget, Generic[StateT]):
    """A widget that draws one immutable state as text; setting ``state`` repaints it if its text changed (the
    clock's second, ticked twice a second, did half the time), and lays the screen out again only when the
    text's height changed (a layout of the whole screen at every key cost ~10 ms)."""

    # A var, not a reactive: the panel repaints itself, only where its text changed.
    state: var[StateT | None] = var(None, always_update=True)

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        # (state, width, text, its lines): drawn and wrapped once per state and width, for the layout's height
        # and for the lines drawn.
        self._drawn: tuple[object, int, Text, list[Text]] | None = None
        self._shape = (-1, -1)  # (width, height) at the last layout this panel asked for
        self._painted: list[tuple[object, ...]] = []  # each line's look when the panel last asked to be painted

    def _drawing(self) -> tuple[Text, list[Text]]:
        width = self.size.width
        if self._drawn is None or self._drawn[0] is not self.state or self._drawn[1] != width:
            text = Text() if self.state is None else self.draw(self.state)
            self._drawn = (self.state, width, text, list(text.wrap(self.app.console, max(1, width))))
        return self._drawn[2], self._drawn[3]

    def render(self) -> Text:
        return self._drawing()[0]

    def watch_state(self) -> None:
        width = self.size.width
        lines = self._drawing()[1]
        shape = (width, len(lines) if width > 0 else -1)
        painted, self._painted = self._painted, [_look(line) for line in lines]
        if shape != self._shape:
            self._shape = shape
            self.refresh(layout=True)
        elif len(painted) != len(self._painted):
            self.refresh()  # resized since: painted whole
        elif self._painted != painted:
            self.repaint_changed(painted, self._painted, width)

    def repaint_changed(self, before: list[tuple[object, ...]], after: list[tuple[object, ...]], width: int) -> None:
        """Repaint what changed between the lines ``before`` and ``after`` (the same number of them)."""
        self.refresh()

    def on_resize(self) -> None:
        self._painted = []  # repainted whole at the new size

    def draw(self, state: StateT) -> Text:
        raise NotImplementedError

    def style(self, component: str) -> Style:
        # Looked up once per theme: a panel asks for its styles a few dozen times a draw, at every key.
        styles = self.__dict__.setdefault("_panel_styles", {})
        if component not in styles:
            styles[component] = self.get_component_rich_style(component)
        return styles[component]

    def notify_style_update(self) -> None:
        self.__dict__.pop("_panel_styles", None)  # a new theme or class: look the styles up again
        super().notify_style_update()


def _look(line: Text) -> tuple[object, ...]:
    """What a line looks like: its characters and their styles."""
    return (line.plain, tuple(line.spans), line.style)


class LinePanel(Panel[StateT]):
    """A panel drawn a line at a time, each line kept until its text changes: a new state usually changes a
    line or two (an airtime, an index), and turning text into the screen's strips was most of a frame."""

    LINES_KEPT = 200

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._strips: dict[tuple[object, ...], Strip] = {}

    def repaint_changed(self, before: list[tuple[object, ...]], after: list[tuple[object, ...]], width: int) -> None:
        for y, (old, new) in enumerate(zip(before, after, strict=True)):
            if old != new:
                self.refresh(Region(0, y, width, 1))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        lines = self._drawing()[1]
        if y >= len(lines):
            return Strip.blank(width, self.visual_style.rich_style)
        line = lines[y]
        key = (width, *_look(line))
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > max(self.LINES_KEPT, 2 * len(lines)):  # old lines go; a long roster stays
                self._strips.clear()
            strip = text_strip(self, line, width)
            self._strips[key] = strip
        return strip

    def notify_style_update(self) -> None:
        self._strips = {}  # drawn in the old styles
        super().notify_style_update()


PANEL_LABEL_WIDTH = 18  # an index's label in the balance panel; longer ones end in "…"
WIDE_ATTENDEES = 32  # the attendees panel shows organisations' full names from this width
COMPACT_BELOW = 90  # the current contribution narrower than this shows codes by key and short form
AIRTIME_BAR_WIDTH = 20


@dataclass(frozen=True)
class ClockState:
    session: Session
    clock_s: float
    indices: dict[str, float | None] | None  # the balance's values, once computed
    editing: bool
    progress: str | None = None  # a transcript's "turn 37 of 112 · 35 coded", in place of the clock's state
    saving: HeaderWords | None = None  # "saving…" while the disk keeps actions waiting, or that saving failed


class ClockBar(LinePanel[ClockState]):
    """The session clock, its state, the title, the agenda item and the indices, on one line."""

    COMPONENT_CLASSES = {
        "clock-bar--time",
        "clock-bar--recording",
        "clock-bar--waiting",
        "clock-bar--ended",
        "clock-bar--title",
        "clock-bar--indices",
        "clock-bar--editing",
        "clock-bar--saving",
        "clock-bar--not-saved",
    }
    DEFAULT_CSS = """
    ClockBar { height: 1; background: $boost; padding: 0 1; }
    ClockBar > .clock-bar--time { text-style: bold reverse; }
    ClockBar > .clock-bar--recording { color: $error; text-style: bold; }
    ClockBar > .clock-bar--waiting { color: $warning; text-style: bold; }
    ClockBar > .clock-bar--ended { text-style: bold; }
    ClockBar > .clock-bar--title { text-style: bold; }
    ClockBar > .clock-bar--indices { color: $text-muted; }
    ClockBar > .clock-bar--editing { color: $accent; text-style: bold; }
    ClockBar > .clock-bar--saving { color: $warning; }
    ClockBar > .clock-bar--not-saved { color: $text; background: $error; text-style: bold; }
    """

    def draw(self, state: ClockState) -> Text:
        style = self.style
        session = state.session
        label, kind = {
            SessionStatus.NEW: ("NOT STARTED", "clock-bar--waiting"),
            SessionStatus.RECORDING: ("● RECORDING", "clock-bar--recording"),
            SessionStatus.PAUSED: ("❚❚ PAUSED", "clock-bar--waiting"),
            SessionStatus.ENDED: ("■ ENDED — editing", "clock-bar--ended"),
            SessionStatus.TO_CODE: ("TO CODE", "clock-bar--waiting"),
        }[session.status]
        # In order of what must survive a narrow terminal: the line is cut at its end, so the title goes first.
        if state.progress is not None:
            label, kind = f"TRANSCRIPT · {state.progress}", "clock-bar--editing"
        text = Text.assemble((f" {format_clock(state.clock_s)} ", style("clock-bar--time")), "  ", (label, style(kind)))
        if state.saving is not None:  # right after the state: what a narrow terminal must still show
            saving = state.saving
            text.append(f"  {saving.text}" if not saving.failed else "  ")
            if saving.failed:
                text.append(saving.text, style("clock-bar--not-saved"))
            else:
                text.stylize(style("clock-bar--saving"), len(text) - len(saving.text))
        if state.editing and session.status != SessionStatus.ENDED:
            text.append("  EDITING", style("clock-bar--editing"))
        if session.codebook.indices:
            values = state.indices or {}
            shown = "  ".join(f"{i.short} {number(values.get(i.id))}" for i in session.codebook.indices[:2])
            text.append(f"  {shown}", style("clock-bar--indices"))
        item = session.agenda_item_at(state.clock_s)
        if item is not None:
            text.append(f"  ▸ {item.title}")
        text.append("  ·  ")
        text.append(session.title, style("clock-bar--title"))
        text.no_wrap, text.overflow = True, "ellipsis"
        return text


@dataclass(frozen=True)
class AttendeesState:
    session: Session
    speaking: str | None  # the participant speaking now
    airtime: dict[str, float]  # participant id -> seconds, from the balance


class AttendeesPanel(LinePanel[AttendeesState]):
    """Everyone on the roster with their speaker key, organisation and airtime so far."""

    COMPONENT_CLASSES = {
        "attendees--key",
        "attendees--speaking",
        "attendees--left",
        "attendees--organisation",
        "attendees--hint",
    }
    DEFAULT_CSS = """
    AttendeesPanel { height: auto; }
    AttendeesPanel > .attendees--key { color: $secondary; text-style: bold; }
    AttendeesPanel > .attendees--speaking { text-style: bold reverse; }
    AttendeesPanel > .attendees--left { color: $text-muted; text-style: strike; }
    AttendeesPanel > .attendees--organisation { color: $text-muted; }
    AttendeesPanel > .attendees--hint { color: $text-muted; }
    """

    def draw(self, state: AttendeesState) -> Text:
        style = self.style
        session = state.session
        organisations = {o.id: o for o in session.organisations}
        # Laid out by hand, one line per attendee: this panel is redrawn at every key, and a Rich table measures
        # every cell twice over (for the screen's layout, then to draw), which cost most of a frame.
        airtimes = [format_clock(state.airtime.get(p.id, 0.0)) for p in session.participants]
        clock_width = max((len(airtime) for airtime in airtimes), default=0)
        name_width = max(1, self.size.width - clock_width - 3)  # the key, a space, the name, a space, the airtime
        lines = Text(no_wrap=True)
        for index, (participant, airtime) in enumerate(zip(session.participants, airtimes, strict=True)):
            key = SPEAKER_KEYS[index] if index < len(SPEAKER_KEYS) else "/"
            attendance = session.attendance_of(participant.id)
            left = attendance is not None and attendance.left_s is not None
            if participant.id == state.speaking:
                name = Text(participant.name, style=style("attendees--speaking"))
            else:
                name = Text(participant.name, style=style("attendees--left") if left else "")
            organisation = organisations.get(participant.organisation_id)
            # Room for a name and an organisation's name only on a wide panel: its short form otherwise.
            where = (
                ""
                if organisation is None
                else organisation.name
                if self.size.width >= WIDE_ATTENDEES
                else organisation.short_name
            )
            name.append(f"  {where}", style("attendees--organisation"))
            name.truncate(name_width, overflow="ellipsis", pad=True)
            lines.append_text(Text.assemble((key, style("attendees--key")), " ", name, " ", airtime.rjust(clock_width)))
            lines.append("\n")
        if not session.participants:
            lines.append_text(_cut(Text("  No attendees yet: + adds one", style="italic"), self.size.width))
            lines.append("\n")
        lines.append_text(
            _cut(Text("  0 / : organisation only · any attendee", style("attendees--hint")), self.size.width)
        )
        return lines


def _cut(text: Text, width: int) -> Text:
    text.truncate(max(1, width), overflow="ellipsis")
    return text


@dataclass(frozen=True)
class CurrentState:
    session: Session
    target: Contribution | None  # the contribution the code keys act on
    running: bool  # still going on
    end_s: float  # where it ends (now, while running)
    editing: bool


class CurrentContribution(Panel[CurrentState]):
    """The contribution the code keys act on: who, when, and every code and flag with its key."""

    COMPONENT_CLASSES = {
        "current--live",
        "current--editing",
        "current--chosen",
        "current--flagged",
        "current--option",
    }
    DEFAULT_CSS = """
    CurrentContribution > .current--live { color: $success; text-style: bold; }
    CurrentContribution > .current--editing { color: $accent; text-style: bold; }
    CurrentContribution > .current--chosen { color: $success; text-style: bold reverse; }
    CurrentContribution > .current--flagged { color: $warning; text-style: bold reverse; }
    CurrentContribution > .current--option { color: $text-muted; }
    """

    def draw(self, state: CurrentState) -> Text:
        style = self.style
        target = state.target
        text = Text()
        if target is None:
            text.append("No contribution yet.", "italic")
            hint = "  Press 1–9 when someone speaks (/ to search, 0 for organisation only)."
            text.append(hint, style("current--option"))
            return text
        heading = "EDITING" if state.editing else ("SPEAKING" if state.running else "LAST")
        if state.session.transcript is not None:
            heading = "TURN"
        text.append(f"{heading} ", style("current--editing" if state.editing else "current--live"))
        text.append(state.session.speaker_name(target), "bold")
        if state.running:
            text.append(f"  since {format_clock(target.start_s)}")  # still talking: no end yet
        else:
            text.append(f"  {format_clock(target.start_s)}–{format_clock(state.end_s)}")
        codebook = state.session.codebook
        # Narrow: each option by its key and short form, the chosen code and every flag that is on in full.
        compact = self.size.width < COMPACT_BELOW
        for dimension in codebook.dimensions:
            text.append(f"\n{dimension.label}: ", "bold")
            chosen_code = dimension.code(target.codes.get(dimension.id, ""))
            if compact:
                text.append(chosen_code.label if chosen_code else "—", "bold" if chosen_code else "")
                text.append("   ")
            for code in dimension.codes:
                if code is chosen_code:  # in the code's own colour (palette.py), as on every chart and table
                    shown = style("current--chosen") + Style(color=palette.code_colour(codebook, dimension.id, code.id))
                else:
                    shown = style("current--option")
                text.append(f"[{code.key}]{code.short_label if compact else ' ' + code.label}", shown)
                text.append(" " if compact else "  ")
        if codebook.flags:
            text.append("\nFlags: ", "bold")
            if compact:
                on = [flag.label for flag in codebook.flags if flag.id in target.flags]
                text.append(", ".join(on) if on else "none", "bold" if on else "")
                text.append("\n")
            for flag in codebook.flags:
                flagged = flag.id in target.flags
                label = f"[{flag.key}]{flag.short_label}" if compact else f"[{flag.key}] {flag.label}"
                text.append(label, style("current--flagged" if flagged else "current--option"))
                text.append(" ")
        if target.note:
            text.append(f"\nNote: {target.note}", "italic")
        return text


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


@dataclass(frozen=True)
class BalanceState:
    balance: LiveBalance
    codebook: Codebook


class BalancePanel(LinePanel[BalanceState]):
    """The codebook's indices, its 2×2, and each organisation's airtime against its share of the room."""

    COMPONENT_CLASSES = {"balance--heading", "balance--subheading", "balance--bar", "balance--over"}
    DEFAULT_CSS = """
    BalancePanel { height: auto; }
    BalancePanel > .balance--heading { text-style: bold underline; }
    BalancePanel > .balance--subheading { text-style: bold; }
    BalancePanel > .balance--bar { color: $text-muted; }  /* airtime is not a code: no code's colour */
    BalancePanel > .balance--over { color: $error; text-style: bold; }
    """

    def draw(self, state: BalanceState) -> Text:
        """The same tables as the Summary (``observer/present/tables.py``), laid out for a narrow side panel."""
        style = self.style
        summary, codebook = state.balance, state.codebook
        head = Text()
        head.append("Balance", style("balance--heading"))
        narrow = self.size.width < PANEL_LABEL_WIDTH + 20
        headline = tables.headline(summary, codebook)
        # Only what the codebook declares: a session never shows another's label.
        for position, (index, (_, by_count, by_time, _)) in enumerate(
            zip(codebook.indices, headline.rows, strict=True)
        ):
            colour = headline.colour(position)
            if narrow:  # the index by its short name: one line each, never wrapped
                head.append(f"\n{index.short:<6}", colour)
                head.append(f" {number(by_count)}  by time {number(by_time)}")
                continue
            label = index.label if len(index.label) <= PANEL_LABEL_WIDTH else f"{index.label[:17]}…"
            head.append(f"\n{label:<{PANEL_LABEL_WIDTH}}", colour)
            head.append(f" {number(by_count)}  (time {number(by_time)})")
        parts: list[Text] = [head, Text()]
        if summary.quadrant is not None:
            counts = tables.quadrant(summary.quadrant, codebook, totals=False)
            parts += [_quadrant(counts.only("code_label", *summary.quadrant.core_columns), self.size.width), Text()]
        tail = Text()
        tail.append("Airtime vs share of room\n", style("balance--subheading"))
        shares = tables.organisations(summary, codebook).only("organisation", "share_airtime", "share_of_room")
        for name, share, room in shares.rows:
            tail.append(f"{name[:22]:<22}\n")
            tail.append(f" {bar(share or 0.0, AIRTIME_BAR_WIDTH):<{AIRTIME_BAR_WIDTH}}", style("balance--bar"))
            tail.append(f" {percent(share)} / {percent(room)}")
            over = (share or 0.0) > (room or 0.0) * OVERREPRESENTED_AIRTIME_RATIO and (room or 0.0) > 0
            tail.append(" ▲\n" if over else "\n", style("balance--over"))
        tail.append(f"\n{plural(summary.contributions, 'contribution')} · {format_clock(summary.observed_s)} observed")
        return Text("\n").join([*parts, tail])


def _quadrant(table: tables.ReportTable, width: int) -> Text:
    """The 2×2's counts as aligned text: a heading row of the column codes, then a row per row code.
    Laid out by hand for the same reason as the attendees (a Rich table measures every cell twice a frame)."""
    columns = table.columns[1:]
    headings = [_abbreviated(column.heading) for column in columns]
    widths = [
        max(len(heading), *(len(str(row[place])) for row in table.rows))
        for place, heading in enumerate(headings, start=1)
    ]
    numbers_width = sum(2 + w for w in widths)
    name_width = max(1, min(max(len("contributions"), *(len(row[0]) for row in table.rows)), width - numbers_width))
    text = Text(no_wrap=True)
    text.append(_fit("contributions", name_width), "bold")
    for heading, column, column_width in zip(headings, columns, widths, strict=True):
        text.append(f"  {heading:>{column_width}}", Style(color=column.colour, bold=True))
    for position, row in enumerate(table.rows):
        text.append(f"\n{_fit(row[0], name_width)}", table.colour(position) or "")
        for count, column_width in zip(row[1:], widths, strict=True):
            text.append(f"  {count:>{column_width}}")
    return text


def _abbreviated(heading: str) -> str:
    return heading if len(heading) <= 10 else f"{heading[:8]}."


def _fit(name: str, width: int) -> str:
    return f"{name:<{width}}" if len(name) <= width else f"{name[: width - 1]}…"


@dataclass(frozen=True)
class BalanceLineState:
    balance: LiveBalance


class BalanceLine(LinePanel[BalanceLineState]):
    """The balance in one line, for a terminal too narrow for the balance panel: the organisation heard most and
    the one heard least for its share of the room, with their shares."""

    COMPONENT_CLASSES = {"balance-line--label", "balance-line--over"}
    DEFAULT_CSS = """
    BalanceLine { height: 1; padding: 0 1; background: $boost; }
    BalanceLine > .balance-line--label { color: $text-muted; }
    BalanceLine > .balance-line--over { color: $error; text-style: bold; }
    """

    def draw(self, state: BalanceLineState) -> Text:
        style = self.style
        present = [row for row in state.balance.organisations if row.share_of_room and row.airtime_ratio is not None]
        text = Text(no_wrap=True, overflow="ellipsis")
        if len(present) < 2:
            text.append("Balance: shown once two organisations in the room have spoken", style("balance-line--label"))
            return text
        most = max(present, key=lambda row: row.airtime_ratio or 0.0)
        least = min(present, key=lambda row: row.airtime_ratio or 0.0)
        for label, row in (("Most heard", most), ("least", least)):
            over = (row.airtime_ratio or 0.0) >= OVERREPRESENTED_AIRTIME_RATIO
            text.append(f"{label} ", style("balance-line--label"))
            text.append(
                _short(row.name, state.balance.short_names.get(row.id)), style("balance-line--over") if over else ""
            )
            text.append(f" {percent(row.share_airtime)} of talk, {percent(row.share_of_room)} of room")
            if row is most:
                text.append(" · ")
        return text


def _short(name: str, short: str | None = None, limit: int = 18) -> str:
    """A name where it fits; else the organisation's own short name ("NFT"), else its initials."""
    return name if len(name) <= limit else short or short_form(name)
