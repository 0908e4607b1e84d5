"""The contribution log: a window of rows around the selection, drawn a line at a time.

A DataTable re-renders every visible cell after any change; at a key press per second on a long meeting
that is most of the time between a key and the screen. This widget keeps the rows as plain tuples and
renders only the lines that fit, so an update costs the same at row 20 and at row 2,000.

A cell is plain text, or words that each have a long and a short form and a colour (an organisation, each
dimension's code, each flag): the long forms are shown where they fit the column, else the short ones
("Partnership-first Transactional" becomes "PART TRX"), so every coded dimension shows at any width.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

# A word of a cell: (long form, short form, colour or "").
Word = tuple[str, str, str]
Cell = str | tuple[Word, ...]

# Column names with their share of the width after the time column; codes matter most while coding.
COLUMNS = (("time", 0.0), ("speaker", 0.24), ("organisation", 0.16), ("codes", 0.3), ("flags", 0.15), ("note", 0.15))
TIME_WIDTH = 7
# After the time, in the column's gap: this row's latest change is written but not yet on the disk itself (a
# crash keeps it, a power cut might not).
UNSAVED_MARK = "◦"
MAX_WIDTHS = {"speaker": 24, "organisation": 26}
MIN_WIDTHS = {"organisation": 6, "codes": 9}  # a short organisation name; two short codes ("PART TRX")


def _fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` terminal cells: CJK and emoji take two cells each, not one character's."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def fits(words: Sequence[Word], width: int) -> bool:
    """Whether the words' long forms fit ``width`` cells."""
    return cell_len(" ".join(word[0] for word in words)) <= width


def fit_words(words: Sequence[Word], width: int, short: bool | None = None) -> list[tuple[str, str]]:
    """The words as (text, colour) pieces filling exactly ``width`` cells: in their long forms, or short ones
    (``short`` None: long if they all fit), cut at the end only if even those do not fit."""
    if width <= 0:
        return []
    if short is None:
        short = not fits(words, width)
    shown = [word[1 if short else 0] for word in words]
    pieces: list[tuple[str, str]] = []
    used = 0
    for text, (_, _, colour) in zip(shown, words, strict=True):
        if pieces:
            pieces.append((" ", ""))
            used += 1
        room = width - used
        if room <= 0:
            break
        text = text if cell_len(text) <= room else _fit(text, room)
        pieces.append((text, colour))
        used += cell_len(text)
    pieces.append((" " * max(0, width - used), ""))
    return pieces


def text_strip(widget: Widget, text: Text, width: int) -> Strip:
    """One line of text as the screen draws it in ``widget`` (its styles applied), padded to ``width``."""
    return Visual.to_strips(widget, visualize(widget, text), width, 1, widget.visual_style, pad=True)[0]


def column_widths(width: int) -> list[int]:
    """Widths that always fit ``width``: time first, the rest shared out, spare room going to codes."""
    rest = max(0, width - TIME_WIDTH - len(COLUMNS))
    widths = [TIME_WIDTH]
    for name, share in COLUMNS[1:]:
        wanted = max(int(rest * share), MIN_WIDTHS.get(name, 0)) if rest >= 40 else int(rest * share)
        widths.append(min(wanted, MAX_WIDTHS.get(name, rest)))
    widths[3] += rest - sum(widths[1:])  # codes take whatever the caps left over (or give what the minimums took)
    return widths


class ContributionLog(Widget):
    """Rows of (contribution id, cells); the selected row, or the newest when coding live, stays in view."""

    DEFAULT_CSS = """
    ContributionLog {
        height: 1fr;
    }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ids: Sequence[str] = []
        self.cells: dict[str, tuple[Cell, ...]] = {}
        self.selected: str | None = None
        self.unsaved: frozenset[str] = frozenset()  # rows whose latest change is not yet on the disk itself
        self._shown: tuple[range, list[bool]] | None = None  # the window, until the rows or the size change
        self._painted: list[object] = []  # each line's look when the log last asked to be painted
        # Per row: (what it was drawn from, its cells, the drawn line).
        self._lines: dict[str, tuple[tuple[object, ...], tuple[Cell, ...], Strip]] = {}

    def show(
        self,
        ids: Sequence[str],
        cells: dict[str, tuple[Cell, ...]],
        selected: str | None,
        unsaved: frozenset[str] = frozenset(),
    ) -> None:
        moved = selected != self.selected
        self.ids, self.cells, self.selected, self.unsaved = ids, cells, selected, unsaved
        self._shown = None
        if len(self._lines) > 4 * max(1, self.size.height):  # keep the rows near the window only
            self._lines.clear()
        # Only the lines that look different are painted again: a code key or a saved mark changes one row, not
        # the forty on screen (a new row at the bottom moves them all, and all are painted then).
        width = self.size.width
        painted, self._painted = self._painted, [self._look(y) for y in range(self.size.height)]
        changed = [y for y, (before, after) in enumerate(zip(painted, self._painted, strict=False)) if before != after]
        # A moved selection is painted whole, in one frame with what the screen shows of the contribution moved to
        # (a transcript's turn panel measures its words after that frame).
        if moved or len(painted) != len(self._painted) or 2 * len(changed) > len(self._painted):
            self.refresh()
            return
        for y in changed:
            self.refresh(Region(0, y, width, 1))

    def row_text(self, contribution_id: str, width: int, short: Sequence[bool] = ()) -> Text:
        """One row as shown at ``width``: every cell fitted to its column, words in their colours; ``short``
        says, per column, whether its words show in short form (default: wherever the long ones do not fit)."""
        line = Text(no_wrap=True, overflow="crop")
        for position, (cell, column_width) in enumerate(
            zip(self.cells[contribution_id], column_widths(width), strict=True)
        ):
            if position:
                line.append(" ")
            if isinstance(cell, str):
                line.append(_fit(cell, column_width))
            else:
                form = short[position] if position < len(short) else None
                for text, colour in fit_words(cell, column_width, form):
                    line.append(text, Style(color=colour) if colour else None)
        line.truncate(width)
        return line

    def _short_columns(self, rows: Sequence[str], width: int) -> list[bool]:
        """Per column, whether the rows on screen show its words short: one form for the whole column, so
        that ORG and Organisation-first never stand one above the other."""
        widths = column_widths(width)
        short = [False] * len(widths)
        for contribution_id in rows:
            for position, cell in enumerate(self.cells[contribution_id]):
                if not isinstance(cell, str) and not short[position] and not fits(cell, widths[position]):
                    short[position] = True
        return short

    def _window(self) -> tuple[range, list[bool]]:
        """The positions of the rows on screen (the focused one in view) and, per column, whether it is short."""
        width, height = self.size.width, max(1, self.size.height - 1)
        focus = self.ids.index(self.selected) if self.selected in self.cells else len(self.ids) - 1
        first = max(0, min(focus - height + 1 if focus >= height else 0, len(self.ids) - height))
        if focus >= first + height:
            first = focus - height + 1
        shown = range(first, min(len(self.ids), first + height))
        return shown, self._short_columns([self.ids[position] for position in shown], width)

    def _row_style(self, position: int, contribution_id: str) -> str:
        if contribution_id == self.selected:
            return "bold reverse magenta"
        if position == len(self.ids) - 1 and self.selected is None:
            return "bold"
        return "dim" if position % 2 else ""

    def _header(self, width: int) -> Text:
        widths = column_widths(width)
        header = " ".join(_fit(name, w) for (name, _), w in zip(COLUMNS, widths, strict=True))
        return Text(_fit(header, width), "bold reverse")

    def _row(self, position: int, width: int, short: Sequence[bool]) -> Text:
        contribution_id = self.ids[position]
        row = self.row_text(contribution_id, width, short)
        if contribution_id in self.unsaved and width > TIME_WIDTH:
            row = Text.assemble(
                row[:TIME_WIDTH], (UNSAVED_MARK, "dim"), row[TIME_WIDTH + 1 :], no_wrap=True, overflow="crop"
            )
        style = self._row_style(position, contribution_id)
        if style:
            row.stylize(style)
        return row

    # The line API: each line drawn on its own and kept until its row, its style or the width changes, so a new
    # contribution draws one row and the header rather than the whole window (most of a frame at every key).

    def on_resize(self) -> None:
        self._shown = None
        self._painted = []  # painted whole at the new size

    def _look(self, y: int) -> object:
        """What line ``y`` shows, as ``render_line`` draws it: the header, a row as drawn from its cells, or blank."""
        if y == 0:
            return self.size.width
        if self._shown is None:
            self._shown = self._window()
        shown, short = self._shown
        if y - 1 < len(shown):
            contribution_id = self.ids[shown[y - 1]]
            return (self._drawn_from(shown[y - 1], short), self.cells[contribution_id])
        return "empty" if y == 1 and not self.ids else None

    def _drawn_from(self, position: int, short: Sequence[bool]) -> tuple[object, ...]:
        contribution_id = self.ids[position]
        style = self._row_style(position, contribution_id)
        return (contribution_id, self.size.width, tuple(short), style, contribution_id in self.unsaved)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._shown is None:
            self._shown = self._window()
        shown, short = self._shown
        if y == 0:
            return text_strip(self, self._header(width), width)
        if y - 1 < len(shown):
            position = shown[y - 1]
            contribution_id = self.ids[position]
            drawn_from = self._drawn_from(position, short)
            cached = self._lines.get(contribution_id)
            if cached is not None and cached[0] == drawn_from and cached[1] is self.cells[contribution_id]:
                return cached[2]
            strip = text_strip(self, self._row(position, width, short), width)
            self._lines[contribution_id] = (drawn_from, self.cells[contribution_id], strip)
            return strip
        if y == 1 and not self.ids:
            return text_strip(self, Text("(no contributions yet)", "dim italic"), width)
        return Strip.blank(width, self.visual_style.rich_style)
