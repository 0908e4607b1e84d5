"""Key press to screen, on the coding screen of a session that already holds 2,000 contributions.

Inside ``App.run_test``: a key is injected with ``App.simulate_key`` and the clock stops when the screen's
widgets show its effect (a new log row for a speaker key, the code in the log row for a code key). The
action itself (validation, the journal write, the summary for the live panel) is inside the time; the journal's
sync runs beside it, on a thread of its own. "painted" goes on to the end of the first screen update after that:
the terminal has been sent the frame. ``--slow-disk SECONDS`` makes every sync of a journal take that much
longer (the platform module's sync is wrapped from here; the app knows nothing of it), as a laptop's disk with
BitLocker and antivirus, or a network home folder, can.
Usage: python bench/tui_latency.py [--presses N] [--contributions N] [--slow-disk SECONDS] [--collections]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import random
import statistics
import tempfile
import time
from pathlib import Path

from slow_disk import slow_journal_syncs

from observer.core.codebooks import resolve_codebook
from observer.interop.roster import RosterEntry, build_session
from observer.live.coding import CodingSession
from observer.storage import FOLD_EVERY, Archive
from observer.tui.app import ObserverApp
from observer.tui.coding_screen import CodingScreen
from observer.tui.log_view import ContributionLog
from observer.tui.tuning import tuned_for_live_coding

# The cyclic collector's pauses while keys are pressed: (seconds, generation, objects freed).
PAUSES: list[tuple[float, int, int]] = []
MEASURING: list[bool] = []  # not empty while keys are being pressed
# When each update of the screen (Textual's compositor writing a frame) ended, by perf_counter.
FRAMES: list[float] = []


def record_frames() -> None:
    """Note the end of every screen update: the benchmark's own instrument, not the app's."""
    from textual.screen import Screen

    update = Screen._on_timer_update

    def timed(screen: Screen) -> None:
        update(screen)
        FRAMES.append(time.perf_counter())

    Screen._on_timer_update = timed  # type: ignore[method-assign]


ROSTER = [RosterEntry(f"Person {i}", f"Organisation {i % 6}") for i in range(15)]


def prepared_archive(contributions: int) -> tuple[Archive, str]:
    archive = Archive(Path(tempfile.mkdtemp(prefix="observer-tui-bench-")))
    session = build_session(
        title="Long meeting",
        codebook=resolve_codebook("partnership", None),
        meeting_date=dt.date(2026, 3, 2),
        roster=ROSTER,
    )
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=contributions * 3)
    with archive.create_session(session) as store:
        coding = CodingSession(store)
        for index in range(contributions):
            moment = start + dt.timedelta(seconds=index * 3)
            coding.speak(moment, participant_id=session.participants[index % 15].id)
            coding.set_code(moment, "orientation", "partnership_first" if index % 3 else "org_first")
    return archive, session.id


async def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen did not show the key's effect")
        await asyncio.sleep(0.0005)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(presses: int, contributions: int, fold_every: int, slow_disk: float) -> dict[str, list[float]]:
    archive, session_id = prepared_archive(contributions)
    if slow_disk:
        slow_journal_syncs(slow_disk)
    store = archive.open_session(session_id)
    store.fold_every = fold_every
    app = ObserverApp(archive, start="coding", session_id=session_id, store=store)
    times: dict[str, list[float]] = {"speaker key": [], "code key": [], "speaker painted": [], "code painted": []}
    pace = random.Random(7)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = next(s for s in app.screen_stack if isinstance(s, CodingScreen))
        await wait_until(lambda: screen.view is not None)
        log = screen.query_one("#log", ContributionLog)
        await pilot.pause()
        PAUSES.clear()  # loading the session is not what is measured
        MEASURING.append(True)
        for index in range(presses):
            rows = len(log.ids)
            began = time.perf_counter()
            app.simulate_key(str(index % 4 + 1))
            await wait_until(lambda rows=rows: len(log.ids) == rows + 1)
            shown = time.perf_counter()
            times["speaker key"].append(shown - began)
            await wait_until(lambda shown=shown: bool(FRAMES) and FRAMES[-1] > shown)
            times["speaker painted"].append(FRAMES[-1] - began)

            last = screen.rows.order[-1]
            await asyncio.sleep(pace.uniform(0.05, 0.6))
            began = time.perf_counter()
            app.simulate_key("p" if index % 2 else "o")
            await wait_until(lambda last=last: bool(screen.rows.cells.get(last, ((),) * 4)[3]))  # its codes shown
            shown = time.perf_counter()
            times["code key"].append(shown - began)
            await wait_until(lambda shown=shown: bool(FRAMES) and FRAMES[-1] > shown)
            times["code painted"].append(FRAMES[-1] - began)
            await asyncio.sleep(pace.uniform(0.05, 0.6))  # an observer's pace: varied, sometimes quick
        MEASURING.clear()  # closing the app (and the collections that follow) is not measured either
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--contributions", type=int, default=2000)
    parser.add_argument(
        "--fold-every", type=int, default=FOLD_EVERY, help="journal entries between folds (fewer: more folds measured)"
    )
    parser.add_argument(
        "--slow-disk", type=float, default=0.0, metavar="SECONDS", help="every journal sync takes this much longer"
    )
    parser.add_argument(
        "--collections", action="store_true", help="also list the cyclic collector's five longest pauses"
    )
    args = parser.parse_args()
    began: list[float] = []

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[:] = [time.perf_counter()]
        elif began and MEASURING:
            PAUSES.append((time.perf_counter() - began[0], info["generation"], info["collected"]))

    if args.collections:
        gc.callbacks.append(timed)
    record_frames()
    with tuned_for_live_coding():  # as the app's entry point runs it
        times = asyncio.run(measure(args.presses, args.contributions, args.fold_every, args.slow_disk))
    print(
        f"session already holding {args.contributions:,} contributions; {args.presses} presses of each kind; "
        f"a fold every {args.fold_every} entries"
        + (f"; every journal sync {args.slow_disk:g} s slower" if args.slow_disk else "")
    )
    print(f"{'key':<15} | {'median':>9} | {'p99':>9} | {'max':>9}")
    for kind, values in times.items():
        print(
            f"{kind:<15} | {statistics.median(values) * 1e3:>6.1f} ms | {percentile(values, 0.99) * 1e3:>6.1f} ms"
            f" | {max(values) * 1e3:>6.1f} ms"
        )
    if args.collections:
        print(f"{len(PAUSES)} collections while keys were pressed; the longest:")
        for seconds, generation, freed in sorted(PAUSES, reverse=True)[:5]:
            print(f"  generation {generation}: {seconds * 1e3:.1f} ms, {freed:,} objects freed")


if __name__ == "__main__":
    main()
