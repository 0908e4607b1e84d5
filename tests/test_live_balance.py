"""The live panel follows each change instead of recounting: after any sequence of actions it shows exactly what
a recount of the session would."""

from __future__ import annotations

import contextlib
import itertools
import math
import tempfile
from pathlib import Path
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from observer.analysis.live_balance import LiveBalance, LiveBalanceTracker, live_balance
from observer.core.codebooks import resolve_codebook
from observer.live.coding import CodingSession
from observer.live.coding_steps import ActionRefused
from observer.storage import Archive, MemorySessionStore

from .conftest import at, current_journal, make_session

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            ["speak", "speak", "code", "code", "flag", "clock", "undo", "redo", "edit_old", "move", "delete", "leave"]
        ),
        st.integers(min_value=0, max_value=1000),
        st.floats(min_value=0.0, max_value=40.0),
    ),
    max_size=40,
)
CODES = [("orientation", "org_first"), ("orientation", "partnership_first"), ("orientation", "neutral")]
CODES += [("topic", "transactional"), ("topic", "relational")]


def _apply(coding: CodingSession, moment: float, action: str, choice: int) -> None:
    session = coding.session
    contributions = coding.store.data().contributions
    older = contributions[choice % len(contributions)] if contributions else None
    dimension, code = CODES[choice % len(CODES)]
    if action == "speak":
        coding.speak(at(moment), participant_id=session.participants[choice % len(session.participants)].id)
    elif action == "code":
        coding.set_code(at(moment), dimension, code)
    elif action == "flag":
        coding.toggle_flag(at(moment), session.codebook.flags[choice % len(session.codebook.flags)].id)
    elif action == "clock":
        coding.toggle_clock(at(moment))
    elif action == "undo":
        coding.undo()
    elif action == "redo":
        coding.redo()
    elif action == "edit_old" and older is not None:
        coding.set_code(at(moment), dimension, code, contribution_id=older.id)
    elif action == "move" and older is not None:
        coding.set_start(at(moment), older.id, max(0.0, older.start_s - (choice % 7)))
    elif action == "delete" and older is not None:
        coding.delete_contribution(at(moment), older.id)
    elif action == "leave":
        coding.toggle_left(at(moment), session.participants[choice % len(session.participants)].id)


def _close(followed: Any, counted: Any) -> bool:
    if isinstance(counted, float) and isinstance(followed, float):
        return math.isclose(followed, counted, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(counted, dict):
        return followed.keys() == counted.keys() and all(_close(followed[k], counted[k]) for k in counted)
    if isinstance(counted, list):
        return len(followed) == len(counted) and all(_close(a, b) for a, b in zip(followed, counted, strict=True))
    if hasattr(counted, "__dataclass_fields__"):
        return all(_close(getattr(followed, f), getattr(counted, f)) for f in counted.__dataclass_fields__)
    return followed == counted


THREE_SPEAKERS = [("speak", 0, 1.0), ("speak", 1, 5.0), ("speak", 2, 5.0)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=ACTIONS)
@example(actions=[*THREE_SPEAKERS, ("edit_old", 0, 1.0)])  # a code on an earlier contribution
@example(actions=[*THREE_SPEAKERS, ("move", 4, 1.0)])  # an earlier start moved: the one before ends elsewhere
@example(actions=[*THREE_SPEAKERS, ("delete", 1, 1.0), ("undo", 0, 1.0)])
@example(actions=[*THREE_SPEAKERS, ("clock", 0, 2.0), ("clock", 0, 9.0), ("speak", 0, 3.0), ("undo", 0, 1.0)])
def test_followed_balance_equals_a_recount_after_every_action(actions: list[tuple[str, int, float]]) -> None:
    coding = CodingSession(MemorySessionStore(make_session(resolve_codebook("partnership", None))))
    tracker = LiveBalanceTracker()
    moment = 0.0
    for action, choice, gap in actions:
        moment += gap
        with contextlib.suppress(ActionRefused):
            _apply(coding, moment, action, choice)
        data = coding.store.data()
        followed: LiveBalance = tracker.update(data, at(moment + 1))
        counted = live_balance(data, at(moment + 1))
        assert _close(followed, counted), (action, followed, counted)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=ACTIONS)
def test_the_memory_store_writes_what_the_archive_would(actions: list[tuple[str, int, float]]) -> None:
    """The in-memory store stands in for the archive in state-machine tests: same lines, same session."""
    session = make_session(resolve_codebook("partnership", None))
    with tempfile.TemporaryDirectory() as folder:
        archive = Archive(Path(folder) / "data")
        on_disk = archive.create_session(session)
        on_disk.fold_every = 10**6  # keep every line in the journal, to compare them
        in_memory = MemorySessionStore(session, fold_every=10**6)
        codings = [CodingSession(on_disk), CodingSession(in_memory)]
        counters = [itertools.count(), itertools.count()]  # the same ids on both sides
        moment = 0.0
        for action, choice, gap in actions:
            moment += gap
            for coding, counter in zip(codings, counters, strict=True):
                same_ids = patch("observer.live.coding.new_id", lambda prefix, c=counter: f"{prefix}{next(c):012d}")
                with same_ids, contextlib.suppress(ActionRefused):
                    _apply(coding, moment, action, choice)
        written = current_journal(archive, session.id).read_bytes()
        assert b"".join(in_memory.journal) == written
        assert in_memory.data() == on_disk.data()
        on_disk.close()


def test_a_long_session_is_followed_without_recounting_it(partnership) -> None:
    """After the first update, a new contribution is one contribution's work, not the session's."""
    with tempfile.TemporaryDirectory() as folder:
        archive = Archive(Path(folder) / "data")
        store = archive.create_session(make_session(partnership))
        coding = CodingSession(store)
        for second in range(300):
            coding.speak(at(second * 3), participant_id=coding.session.participants[second % 4].id)
        tracker = LiveBalanceTracker()
        tracker.update(coding.store.data(), at(901))
        coding.speak(at(902), participant_id=coding.session.participants[0].id)
        held_before = list(tracker._spans)
        followed = tracker.update(coding.store.data(), at(903))
        assert followed.contributions == 301
        # Only the last two were taken out and added again: every earlier entry is the very same tuple.
        assert all(a is b for a, b in zip(held_before[:298], tracker._spans[:298], strict=True))
        assert _close(followed, live_balance(coding.store.data(), at(903)))
        store.close()


def test_a_pause_inside_an_earlier_contribution_is_followed(partnership) -> None:
    """Not something the coding keys make (a pause falls in the running contribution), but data from elsewhere
    may: the tracker recounts from the contribution the pause falls in."""
    from observer.core.models import Pause

    with tempfile.TemporaryDirectory() as folder:
        archive = Archive(Path(folder) / "data")
        store = archive.create_session(make_session(partnership))
        coding = CodingSession(store)
        for second in (0, 10, 20, 30):
            coding.speak(at(second), participant_id=coding.session.participants[second // 10].id)
        data = coding.store.data()
        tracker = LiveBalanceTracker()
        tracker.update(data, at(40))
        paused = data.session.model_copy(update={"pauses": [Pause(at_s=4.0, wall_time=at(4))]})
        changed = data.model_copy(update={"session": paused})
        followed = tracker.update(changed, at(40))
        assert followed.participants[0].airtime_s == 4.0
        assert _close(followed, live_balance(changed, at(40)))
        store.close()
