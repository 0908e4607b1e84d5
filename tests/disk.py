"""A disk whose journal syncs the test holds, slows or fails."""

from __future__ import annotations

import os
import threading
import time

import pytest

from observer.storage import system


class Disk:
    """The journal's syncs, held until the test lets them go (a slow disk at the test's command)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open = threading.Event()
        self.open.set()
        self.failing: OSError | None = None
        self.syncs: list[float] = []
        real_sync = system.sync_file

        def sync(fd: int) -> None:
            if _is_journal(fd):
                self.open.wait(30)
                if self.failing is not None:
                    raise self.failing
                self.syncs.append(time.monotonic())
            real_sync(fd)

        monkeypatch.setattr(system, "sync_file", sync)


def _is_journal(fd: int) -> bool:
    """Whether ``fd`` is a journal; where the system cannot say which file a descriptor is, every one counts."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}").endswith(".jsonl")
    except OSError:
        return not os.path.isdir("/proc/self/fd")
