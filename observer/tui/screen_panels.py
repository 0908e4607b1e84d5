"""A coding screen's panels, drawn from what its host shows: the view, the selection, the balance, the disk.

Each panel is found once, when the screen is mounted, not looked up at every key.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from observer.analysis.timing import span_at
from observer.tui.balance_panel import BalanceLine, BalanceLineState, BalancePanel, BalanceState
from observer.tui.coding_host import CodingHost, target_of
from observer.tui.log_rows import LogRows
from observer.tui.log_view import ContributionLog
from observer.tui.panels import (
    AttendeesPanel,
    AttendeesState,
    ClockBar,
    ClockState,
    CurrentContribution,
    CurrentState,
)

# Designed for three sizes (app.tcss): narrow (80×24 up), the balance panel folded into one line over the log;
# medium (110 columns up, 120×35), every panel, narrower; wide (150 up, 160×45), every panel in full.
NARROW_WIDTH = 110
WIDE_WIDTH = 150
BREAKPOINTS = [(0, "-narrow"), (NARROW_WIDTH, "-medium"), (WIDE_WIDTH, "-wide")]


def compose_coding_body() -> ComposeResult:
    """The panels both coding screens show, in the layout app.tcss gives them."""
    yield ClockBar(id="clock-bar")
    yield BalanceLine(id="balance-line")
    with Horizontal(id="coding-body"):
        with Vertical(id="attendees-panel"):
            yield AttendeesPanel(id="attendees")
        with Vertical(id="centre"):
            yield CurrentContribution(id="current")
            yield ContributionLog(id="log")
        with Vertical(id="balance-panel"):
            yield BalancePanel(id="balance")
    yield Static("opening…", id="status", markup=False)
    yield Footer()


class ScreenPanels:
    def __init__(self, host: CodingHost) -> None:
        self._host = host

    def bind(self, screen: Screen[None]) -> None:
        """Find the panels once the screen is composed."""
        self.clock_bar = screen.query_one(ClockBar)
        self.log = screen.query_one("#log", ContributionLog)
        self.current = screen.query_one(CurrentContribution)
        self.attendees = screen.query_one(AttendeesPanel)
        self.balance = screen.query_one(BalancePanel)
        self.balance_line = screen.query_one(BalanceLine)

    def show_clock(self, state: ClockState) -> None:
        self.clock_bar.state = state

    def show_selection(self, rows: LogRows) -> None:
        selected = self._host.selected_id
        self.log.show(rows.order, rows.cells, selected, self._host.link.saving.unsaved)
        self.log.set_class(selected is not None, "editing")

    def show_current(self) -> None:
        host, view = self._host, self._host.view
        if view is None:
            return
        target = target_of(view, host.selected_id)
        end_s = span_at(view.data, view.positions[target.id], host.now()).end_s if target is not None else 0.0
        running = target is not None and target.id == view.running_id
        editing = host.selected_id is not None
        self.current.state = CurrentState(view.session, target, running, end_s, editing)

    def show_attendees(self) -> None:
        view, summary = self._host.view, self._host.summary
        if view is None:
            return
        running = view.contribution(view.running_id)
        airtime = {row.id: row.airtime_s for row in summary.participants} if summary else {}
        speaking = running.participant_id if running else None
        self.attendees.state = AttendeesState(view.session, speaking, airtime)

    def show_balance_panel(self) -> None:
        view, summary = self._host.view, self._host.summary
        if view is not None and summary is not None:
            self.balance.state = BalanceState(summary, view.session.codebook)

    def show_balance_line(self) -> None:
        if self._host.summary is not None:
            self.balance_line.state = BalanceLineState(self._host.summary)

    def balance_steps(self) -> list[Callable[[], None]]:
        """A new balance, drawn a panel a frame: the header's indices first."""
        return [self._host.tick, self.show_balance_line, self.show_balance_panel, self.show_attendees]
