"""Export of an archive of 100 sessions × 1,000 contributions, against openpyxl's write-only floor.

Each measurement runs in a fresh process so that its peak memory is its own:
- session workbook: every session into one workbook, exactly as ``observer export`` runs (sessions read from
  the archive and summarised by a helper process while this one writes);
- in one process: the same with the helper turned off (``OBSERVER_EXPORT_HELPER=0``);
- trend workbook: the same sessions as one series' trend workbook;
- floor: openpyxl write-only mode appending the same rows to the same sheets, nothing else (rows prepared
  before the clock starts).
They take turns for ``--rounds`` rounds, because a virtual machine's speed drifts by tens of per cent
between minutes: the ratio of medians, and each round's own ratio, say more than any single pair of runs.
Usage: python bench/export.py [--sessions 100] [--contributions 1000] [--rounds 3] [--dir D]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


class TimedSessions:
    """The trend export's source (sessions read from the archive one at a time, as ``observer trends`` does),
    counting the time spent reading them from disk during the export."""

    def __init__(self, archive, session_ids: list[str]) -> None:
        from observer.interop.export import ArchiveSessions

        self.source = ArchiveSessions(archive, session_ids)
        self.reading_s = 0.0

    def __iter__(self):
        for session_id in self.source.session_ids:
            began = time.perf_counter()
            data = self.source.archive.load(session_id)
            self.reading_s += time.perf_counter() - began
            yield data

    def __len__(self) -> int:
        return len(self.source)


def child(kind: str, data_dir: Path, out: Path, rows_file: Path) -> None:
    from observer.interop.export import ArchiveSessions, ExportOptions, export_sessions, export_trends
    from observer.storage import Archive

    archive = Archive(data_dir)
    ids = [h.session.id for h in archive.headers()[0]]
    reading_s = None
    if kind == "floor":
        rows_by_sheet = pickle.loads(rows_file.read_bytes())
        began = time.perf_counter()
        _write_floor(rows_by_sheet, out)
    elif kind == "trend":
        sessions = TimedSessions(archive, ids)
        began = time.perf_counter()
        export_trends(sessions, "all demo series", out, ExportOptions())
        reading_s = sessions.reading_s
    else:
        # Exactly what `observer export ... -o out.xlsx` runs; "serial": without the helper process.
        if kind == "serial":
            os.environ["OBSERVER_EXPORT_HELPER"] = "0"
        began = time.perf_counter()
        export_sessions(ArchiveSessions(archive, ids), out)
    done = time.perf_counter()
    # The helper process's memory counts too (its peak, from the kernel, once it has exited).
    helper_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {"write_s": done - began, "reading_s": reading_s, "peak_mb": peak_memory_mb(), "helper_mb": helper_mb}
        )
    )


def peak_memory_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM belongs to the process image; ru_maxrss would also
    count the parent's peak, which Linux carries into a child it starts."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kilobytes) / 1024


def same_rows(data_dir: Path, rows_file: Path) -> None:
    """Every row the session workbook holds, as plain values (the floor writes them without any styling),
    pickled for the floor's runs; the simplest faithful source of "the same rows" is the workbook itself."""
    from openpyxl import load_workbook

    from observer.interop.export import ArchiveSessions, export_sessions
    from observer.storage import Archive

    archive = Archive(data_dir)
    reference = rows_file.with_suffix(".xlsx")
    export_sessions(ArchiveSessions(archive, archive.session_ids()), reference)
    book = load_workbook(reference, read_only=True)
    rows = {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}
    book.close()
    rows_file.write_bytes(pickle.dumps(rows))


def _write_floor(rows_by_sheet, out: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, rows in rows_by_sheet.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(out)


def run(kind: str, data_dir: Path, out: Path, rows_file: Path) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            kind,
            "--dir",
            str(data_dir),
            "--out",
            str(out),
            "--rows",
            str(rows_file),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--contributions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--rows", type=Path, default=None)
    parser.add_argument("--child", default=None)
    args = parser.parse_args()
    if args.child == "rows":
        same_rows(args.dir, args.rows)
        return
    if args.child:
        child(args.child, args.dir, args.out, args.rows)
        return
    from observer.interop.demo import generate_demo
    from observer.storage import Archive

    root = args.dir or Path(tempfile.mkdtemp(prefix="observer-export-bench-"))
    archive = Archive(root / "data")
    if not archive.session_ids():
        began = time.perf_counter()
        generate_demo(archive, sessions=args.sessions, contributions=args.contributions, seed=3)
        print(
            f"demo archive: {args.sessions} sessions × {args.contributions} contributions "
            f"in {time.perf_counter() - began:.0f} s at {root}"
        )
    rows_file = root / "floor-rows.pickle"
    # In a process of its own: Linux carries a parent's peak memory into the children it starts.
    subprocess.run(
        [sys.executable, __file__, "--child", "rows", "--dir", str(root / "data"), "--rows", str(rows_file)], check=True
    )
    kinds = ("floor", "workbook", "serial", "trend")
    labels = {
        "floor": "write-only floor",
        "workbook": "session workbook",
        "serial": "  in one process",
        "trend": "trend workbook",
    }
    runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for round_number in range(1, args.rounds + 1):
        for kind in kinds:
            runs[kind].append(run(kind, root / "data", root / f"{kind}.xlsx", rows_file))
        floor_s = runs["floor"][-1]["write_s"]
        print(
            f"round {round_number}: "
            + ", ".join(
                f"{labels[kind].strip()} {runs[kind][-1]['write_s']:.1f}s ({runs[kind][-1]['write_s'] / floor_s:.2f}×)"
                for kind in kinds
            ),
            flush=True,
        )
    floor = statistics.median(r["write_s"] for r in runs["floor"])
    print(f"\nmedians of {args.rounds} rounds")
    print(
        f"{'':<18} | {'export':>8} | {'× floor':>7} | {'reading':>8} | {'peak memory':>11} | {'helper':>7} |"
        " per-round × floor"
    )
    for kind in kinds:
        write_s = statistics.median(r["write_s"] for r in runs[kind])
        readings = [r["reading_s"] for r in runs[kind] if r["reading_s"] is not None]
        reading = f"{statistics.median(readings):>7.1f}s" if readings else f"{'—':>8}"
        peak_mb = max(r["peak_mb"] for r in runs[kind])
        helper_mb = max(r["helper_mb"] for r in runs[kind])
        helper = f"{helper_mb:>4.0f} MB" if kind == "workbook" else f"{'—':>7}"
        per_round = ", ".join(
            f"{r['write_s'] / f['write_s']:.2f}" for r, f in zip(runs[kind], runs["floor"], strict=True)
        )
        print(
            f"{labels[kind]:<18} | {write_s:>7.1f}s | {write_s / floor:>6.2f}× | {reading} | {peak_mb:>8.0f} MB | "
            f"{helper} | {per_round}"
        )
    print("session workbook: `observer export` as it runs, a helper process reading and summarising sessions")
    print("ahead of the writer; in one process: the same without the helper. reading: time spent loading sessions")
    print("from disk (the floor is handed its rows in memory). helper: the helper process's own peak memory.")
    sizes = {kind: (root / f"{kind}.xlsx").stat().st_size / 1e6 for kind in kinds}
    print("file sizes: " + ", ".join(f"{k} {v:.1f} MB" for k, v in sizes.items()))


if __name__ == "__main__":
    main()
