"""Latency of recording one contribution, against a bare append+fsync of the same bytes.

"written": until ``speak`` returns (the entry is in the journal, where a crash cannot lose it: the screen shows
it then). "saved": until its sync, which runs on the syncer's thread, has put it on the disk (measured here
one key at a time, each waiting for its own sync: the worst case, without the group commit a burst gets).
Measures at archive sizes of 10, 10,000 and 1,000,000 stored contributions (other sessions of the same
archive), each in the same run and on the same disk. Usage: python bench/capture_latency.py [--max N] [--dir D]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

from observer.core.codebooks import resolve_codebook
from observer.core.models import Contribution, SessionData, SessionStatus
from observer.interop.roster import RosterEntry, build_session
from observer.live.coding import CodingSession
from observer.storage import Archive
from observer.tui.tuning import tuned_for_live_coding

RECORDS = 2000
PER_SESSION = 1000
ROSTER = [RosterEntry(f"Person {i}", f"Organisation {i % 6}") for i in range(15)]


def fill(archive: Archive, target: int, stored: int) -> int:
    """Add whole stored sessions until the archive holds ``target`` contributions."""
    codebook = resolve_codebook("partnership", None)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    while stored < target:
        count = min(PER_SESSION, target - stored)
        session = build_session(
            title=f"Filler {stored}",
            codebook=codebook,
            meeting_date=dt.date(2026, 1, 1),
            series="Filler",
            roster=ROSTER,
        )
        session = session.model_copy(
            update={
                "status": SessionStatus.ENDED,
                "started_at": start,
                "ended_s": count * 5.0,
                "clock_elapsed_s": count * 5.0,
            }
        )
        contributions = [
            Contribution(
                id=f"c{stored + i:08d}",
                start_s=i * 5.0,
                wall_time=start,
                participant_id=session.participants[i % 15].id,
                organisation_id=session.participants[i % 15].organisation_id,
                codes={"orientation": "partnership_first", "topic": "relational"},
            )
            for i in range(count)
        ]
        archive.add_session(SessionData(session=session, contributions=contributions))
        stored += count
    return stored


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(archive: Archive) -> tuple[list[float], list[float], list[float]]:
    codebook = resolve_codebook("partnership", None)
    session = build_session(title="Measured", codebook=codebook, meeting_date=dt.date(2026, 2, 1), roster=ROSTER)
    store = archive.create_session(session)
    store.fold_every = RECORDS + 1  # one journal throughout
    coding = CodingSession(store)
    journal = archive.paths.journals(session.id)[-1]
    record_times: list[float] = []
    saved_times: list[float] = []
    lines: list[bytes] = []
    for index in range(RECORDS):
        offset = journal.stat().st_size
        began = time.perf_counter()
        coding.speak(dt.datetime.now(dt.UTC), participant_id=session.participants[index % 15].id)
        record_times.append(time.perf_counter() - began)
        store.wait_synced()
        saved_times.append(time.perf_counter() - began)
        with journal.open("rb") as handle:
            handle.seek(offset)
            lines.append(handle.read())
    store.close()
    # The floor: the same bytes appended and fsynced to a plain file beside it.
    bare_path = archive.paths.session_dir(session.id) / "bare.bin"
    fd = os.open(bare_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    bare_times = []
    for line in lines:
        began = time.perf_counter()
        os.write(fd, line)
        os.fsync(fd)
        bare_times.append(time.perf_counter() - began)
    os.close(fd)
    bare_path.unlink()
    archive.trash_session(session.id)
    return record_times, saved_times, bare_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max", type=int, default=1_000_000, help="largest archive size to measure")
    parser.add_argument("--dir", type=Path, default=None, help="where to build the archive (default: a temp dir)")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="observer-bench-"))
    archive = Archive(root)
    archive.ensure()
    sizes = [size for size in (10, 10_000, 1_000_000) if size <= args.max]
    print(f"archive at {root}; {RECORDS} records per size")
    print(
        f"{'archive':>10} | {'written median':>14} {'p99':>9} | {'saved median':>12} {'p99':>9} |"
        f" {'bare median':>11} {'bare p99':>9} | saved/bare p99"
    )
    stored = 0
    for size in sizes:
        began = time.perf_counter()
        stored = fill(archive, size, stored)
        filled_in = time.perf_counter() - began
        with tuned_for_live_coding():  # as the app's entry point runs it
            record, saved, bare = measure(archive)
        ratio = percentile(saved, 0.99) / percentile(bare, 0.99)
        print(
            f"{stored:>10,} | {statistics.median(record) * 1e3:>11.3f} ms {percentile(record, 0.99) * 1e3:>6.3f} ms |"
            f" {statistics.median(saved) * 1e3:>9.3f} ms {percentile(saved, 0.99) * 1e3:>6.3f} ms |"
            f" {statistics.median(bare) * 1e3:>8.3f} ms {percentile(bare, 0.99) * 1e3:>6.3f} ms | {ratio:>5.2f}x"
            f"   (filled in {filled_in:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
