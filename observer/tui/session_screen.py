"""What the app knows of a screen that codes a session, live or from a transcript: it closes the session when
asked (and when it goes away), and says what leaving saved; and what both screens do with the news their parts
send (a balance computed, a change on the disk). The screens themselves are made of parts
(``screen_session``, ``balance_schedule``, ``log_rows``, ``quiet_collector``, ``coding_keys``, ``turn_movement``)."""

from __future__ import annotations

from textual import on
from textual.screen import Screen

from observer.analysis.live_balance import LiveBalance
from observer.live.coding import CodingSession
from observer.tui.balance_schedule import BalanceReady, BalanceSchedule
from observer.tui.live_view import LiveView
from observer.tui.runner import ActionRunner
from observer.tui.saving import SavingShown, SyncChanged
from observer.tui.screen_session import ScreenSession


class SessionScreen(Screen[None]):
    link: ScreenSession
    balance: BalanceSchedule
    summary: LiveBalance | None  # a reactive attribute of each screen, drawn by its watcher

    @property
    def coding(self) -> CodingSession | None:
        return self.link.coding

    @property
    def runner(self) -> ActionRunner[LiveView] | None:
        return self.link.runner

    @property
    def saving(self) -> SavingShown:
        return self.link.saving

    def close_session(self) -> str | None:
        """Close the session after every queued key (safe to call twice); what went wrong, if anything."""
        return self.link.close()

    def on_unmount(self) -> None:
        self.close_session()

    @on(BalanceReady)
    def balance_ready(self, message: BalanceReady) -> None:
        self.summary = message.summary

    @on(SyncChanged)
    def disk_news(self) -> None:
        self.link.look_at_disk()
