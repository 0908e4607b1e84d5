"""The contribution log: a window of rows around the selection, rendered as one block of text.

A DataTable re-renders every visible cell after any change; at a key press per second on a long meeting
that is most of the time between a key and the screen. This widget keeps the rows as plain tuples and
renders only the lines that fit, so an update costs the same at row 20 and at row 2,000.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.widget import Widget

# Column names with their share of the width after the time column; codes matter most while coding.
COLUMNS = (("time", 0.0), ("speaker", 0.2), ("organisation", 0.2), ("codes", 0.32), ("flags", 0.14), ("note", 0.14))
TIME_WIDTH = 7
MAX_WIDTHS = {"speaker": 24, "organisation": 26}


def _fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` terminal cells: CJK and emoji take two cells each, not one character's."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def column_widths(width: int) -> list[int]:
    """Widths that always fit ``width``: time first, the rest shared out, spare room going to codes."""
    rest = max(0, width - TIME_WIDTH - len(COLUMNS))
    widths = [TIME_WIDTH]
    for name, share in COLUMNS[1:]:
        widths.append(min(int(rest * share), MAX_WIDTHS.get(name, rest)))
    widths[3] += rest - sum(widths[1:])  # codes take whatever the caps left over
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
        self.cells: dict[str, tuple[str, ...]] = {}
        self.selected: str | None = None

    def show(self, ids: Sequence[str], cells: dict[str, tuple[str, ...]], selected: str | None) -> None:
        self.ids, self.cells, self.selected = ids, cells, selected
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self.ids)

    def render(self) -> Text:
        width, height = self.size.width, max(1, self.size.height - 1)
        widths = column_widths(width)
        text = Text(no_wrap=True, overflow="crop")
        header = " ".join(_fit(name, w) for (name, _), w in zip(COLUMNS, widths, strict=True))
        text.append(_fit(header, width), "bold reverse")
        focus = self.ids.index(self.selected) if self.selected in self.cells else len(self.ids) - 1
        first = max(0, min(focus - height + 1 if focus >= height else 0, len(self.ids) - height))
        if focus >= first + height:
            first = focus - height + 1
        for position in range(first, min(len(self.ids), first + height)):
            contribution_id = self.ids[position]
            line = " ".join(_fit(cell, w) for cell, w in zip(self.cells[contribution_id], widths, strict=True))
            line = set_cell_size(line, width)
            style = ""
            if contribution_id == self.selected:
                style = "bold reverse magenta"
            elif position == len(self.ids) - 1 and self.selected is None:
                style = "bold"
            elif position % 2:
                style = "dim"
            text.append("\n")
            text.append(line, style)
        if not self.ids:
            text.append("\n(no contributions yet)", "dim italic")
        return text
