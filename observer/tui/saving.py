"""What the coding screen says of the disk: a key shows once its entry is in the journal (a crash keeps it);
until the journal's syncer has put it on the disk itself (a power cut keeps it), its row carries a mark, the
header says "saving…" once actions have waited half a second, and that the disk is slow past five seconds, with
how many actions wait. A failed sync stops coding with one line naming what may not be saved."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from textual.message import Message

from observer.core.text import plural
from observer.storage import SessionStore
from observer.storage.syncer import SyncState

SAVING_SHOWN_SECONDS = 0.5
DISK_SLOW_SECONDS = 5.0
SAVING_CHECK_SECONDS = 0.25  # how often the screen looks, between the syncer's own news


class SyncChanged(Message):
    """The disk has caught up with written actions, or failed to (posted from the syncer's thread)."""


@dataclass(frozen=True)
class HeaderWords:
    text: str
    failed: bool = False


class SavingShown:
    """The screen's picture of the syncs: the rows to mark, the header's words, why syncing stopped; ``look``
    redraws through the screen's own ``show_header``, ``show_rows`` and ``say_failed`` what changed."""

    def __init__(
        self, show_header: Callable[[], object], show_rows: Callable[[], object], say_failed: Callable[[str], object]
    ) -> None:
        self.unsaved: frozenset[str] = frozenset()  # contributions whose latest change is not yet on the disk
        self.words: HeaderWords | None = None
        self.failed: str | None = None  # coding has stopped: what the failed sync could not save
        self.saved_on_leaving: str | None = None  # after a failed sync: leaving saved it all (said on the way out)
        self._show_header, self._show_rows, self._say_failed = show_header, show_rows, say_failed

    def look(self, store: SessionStore | None, redraw: bool = True) -> None:
        """Take in the store's syncs and redraw what changed (``redraw`` False: the screen draws it all anyway)."""
        if store is None:
            return
        header, rows, failed = self.update(store.sync_state(), time.monotonic())
        if failed is not None:
            self._say_failed(failed)
        if redraw and header:
            self._show_header()
        if redraw and rows:
            self._show_rows()

    def on_leaving(self, session_id: str, problems: list[str], sync_failed: bool) -> str | None:
        """What closing the session says went wrong, if anything; after a failed sync, ``saved_on_leaving`` says
        that leaving saved what the disk had not confirmed."""
        sync_failed = sync_failed or self.failed is not None
        if problems and sync_failed:
            # The journal is what the disk failed to confirm: nothing can be promised of it.
            return f"Closing session '{session_id}' failed: {problems[-1]}. Note them down."
        if problems:
            return (
                f"Closing session '{session_id}' failed: {problems[-1]}. Everything recorded is kept in its journal; "
                "it is folded in when the session is next opened."
            )
        if sync_failed:
            self.saved_on_leaving = (
                f"Session '{session_id}' saved on leaving: every action is on the disk now, those the disk had not "
                "confirmed included."
            )
        return None

    def update(self, state: SyncState, now: float) -> tuple[bool, bool, str | None]:
        """Take in the syncer's state: (the header's words changed, the marked rows changed, why syncing failed if
        it has only now failed)."""
        waited = 0.0 if state.waiting_since is None else now - state.waiting_since
        if state.failed is not None:
            words: HeaderWords | None = HeaderWords("NOT SAVED: coding stopped", failed=True)
        elif waited >= DISK_SLOW_SECONDS:
            words = HeaderWords(f"disk slow: {plural(state.waiting, 'action')} waiting to be saved")
        elif waited >= SAVING_SHOWN_SECONDS:
            words = HeaderWords("saving…")
        else:
            words = None
        failed_now = state.failed if state.failed is not None and self.failed is None else None
        self.failed = self.failed or state.failed
        unsaved = state.unsynced if state.failed is None else state.unsynced | self.unsaved  # none is saved now
        changed = (words != self.words, unsaved != self.unsaved)
        self.words, self.unsaved = words, unsaved
        return changed[0], changed[1], failed_now
