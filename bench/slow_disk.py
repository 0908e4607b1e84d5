"""A slow disk imposed from outside: every sync of a session's journal takes longer, other syncs as they were.

Kept apart from the benchmarks that use it (and the tests' writers) so that loading it costs nothing but the
platform module: a writer killed at a random moment must be at work by then, not still importing the app.
"""

from __future__ import annotations

import os
import time

from observer.storage import system


def slow_journal_syncs(seconds: float) -> None:
    """Every sync of a session's journal takes ``seconds`` longer (other syncs as they were)."""
    real_sync = system.sync_file

    def sync(fd: int) -> None:
        if is_journal(fd):
            time.sleep(seconds)
        real_sync(fd)

    system.sync_file = sync  # type: ignore[assignment]


def is_journal(fd: int) -> bool:
    """Whether ``fd`` is a session's journal (where the system cannot say which file it is, every one is)."""
    try:
        return os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith("journal.")
    except OSError:
        return not os.path.isdir("/proc/self/fd")
