"""The live balance, drawn: the side panel (indices, the 2×2, airtime against share of the room) and, on a
terminal too narrow for it, the one line over the log."""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from observer.analysis.live_balance import LiveBalance
from observer.analysis.metrics import OVERREPRESENTED_AIRTIME_RATIO
from observer.core.clock import format_clock
from observer.core.codebook_models import Codebook
from observer.core.fields import short_form
from observer.core.text import plural
from observer.present import tables
from observer.present.report import bar
from observer.present.tables import number, percent
from observer.tui.panels import LinePanel

PANEL_LABEL_WIDTH = 18  # an index's label in the balance panel; longer ones end in "…"
AIRTIME_BAR_WIDTH = 20


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
