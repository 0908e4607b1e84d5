"""Interpreter settings for live coding, in one place: set on entering, restored on leaving.

The app's entry point and the latency benchmarks enter ``tuned_for_live_coding``; tests that drive the app
do not, so that no test inherits settings another one made.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# The balance panel is computed on a worker thread: hand the interpreter back to the screen every millisecond
# (not every 5) so that a key pressed meanwhile is not kept waiting.
SWITCH_INTERVAL_S = 0.001
# Drawing the screen leaves thousands of objects in reference cycles (Textual's caches, Rich segments, strips):
# the cyclic collector, left to itself, frees them in one pause of 30-60 ms in the middle of whichever key
# happened to allocate past its threshold. While tuned, the screen collects them itself a moment after each
# key (``collect_while_quiet``), a few keys' worth at a time; the thresholds are only a backstop for a
# screen that never goes quiet.
GC_THRESHOLDS = (200_000, 50, 100)
# What lives through two quiet collections reaches the oldest generation; its garbage is freed by a full
# collection, run only when no key has come for a while and after this many quiet collections.
FULL_COLLECTION_EVERY = 50

_depth = 0
_quiet_collections_since_full = 0


@contextmanager
def tuned_for_live_coding() -> Iterator[None]:
    global _depth
    previous_interval, previous_thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    gc.set_threshold(*GC_THRESHOLDS)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            gc.unfreeze()
        sys.setswitchinterval(previous_interval)
        gc.set_threshold(*previous_thresholds)


def freeze_long_lived_objects() -> None:
    """Once a session is loaded: keep full collections from rescanning it and the screen on every pass (pauses of
    up to ~90 ms were measured on 2,000 contributions). Only while tuned: the freeze is undone on leaving."""
    if _depth:
        gc.freeze()


def collect_while_quiet(*, idle: bool) -> None:
    """Free the cyclic garbage that drawing the screen left, at a moment no key is waiting (the caller picks
    it; ``idle``: no key for a while, so a longer pause costs nobody). Only while tuned: elsewhere the
    interpreter's own thresholds are in force.

    The young and middle generations together: a drawn line is still on the screen at the first quiet moment
    after it was drawn, so it survives the young generation and is freed from the middle one a key or two
    later, a few hundred objects at a time (collected in one go at the default thresholds they were some
    10,000 and took 30-60 ms)."""
    global _quiet_collections_since_full
    if not _depth:
        return
    if idle and _quiet_collections_since_full >= FULL_COLLECTION_EVERY:
        gc.collect(2)
        _quiet_collections_since_full = 0
    else:
        gc.collect(1)
        _quiet_collections_since_full += 1
