"""The coding screen's panels: each a widget that shows one piece of state, styled from the theme.

The screen hands each panel a small immutable state (a reactive: setting it repaints the panel); the panels
know how to draw it and nothing about keys, the state machine or the disk. Colours come from component
classes whose rules use theme variables, so a theme reaches every one of them.
The balance's panels are in ``balance_panel.py``, a transcript's turn in ``turn_panel.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.reactive import var
from textual.strip import Strip
from textual.widget import Widget

from observer.core.clock import format_clock
from observer.core.keys import SPEAKER_KEYS
from observer.core.models import Contribution, Session, SessionStatus
from observer.present import palette
from observer.present.tables import number
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


WIDE_ATTENDEES = 32  # the attendees panel shows organisations' full names from this width
COMPACT_BELOW = 90  # the current contribution narrower than this shows codes by key and short form


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
