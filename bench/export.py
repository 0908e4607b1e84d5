"""Export of an archive of 100 sessions × 1,000 contributions, against openpyxl's write-only floor.

Each measurement runs in a fresh process so that its peak memory (max RSS) is its own:
- session workbook: every session into one workbook, read from the archive while writing (``observer export``);
- trend workbook: the same sessions as one series' trend workbook;
- floor: openpyxl write-only mode appending the same rows to the same sheets, nothing else (rows prepared
  before the clock starts).
Usage: python bench/export.py [--sessions 100] [--contributions 1000] [--dir D]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


class TimedSessions:
    """The export's source (sessions read from the archive one at a time, as ``observer export`` does),
    counting the time spent reading them from disk during the export."""

    def __init__(self, archive, session_ids: list[str]) -> None:
        from observer.export import ArchiveSessions

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

    def codebooks(self):
        return self.source.codebooks()


def child(kind: str, data_dir: Path, out: Path) -> None:
    from observer.export import ArchiveSessions, ExportOptions, export_trends
    from observer.export.xlsx import write_session_workbook
    from observer.store import Archive

    archive = Archive(data_dir)
    ids = [h.session.id for h in archive.headers()[0]]
    sessions = TimedSessions(archive, ids)
    began = time.perf_counter()
    if kind == "workbook":
        from observer.export.records import Naming

        write_session_workbook(iter(sessions), sessions.codebooks(), out, Naming())
    elif kind == "trend":
        export_trends(sessions, "all demo series", out, ExportOptions())
    else:
        rows_by_sheet = _same_rows(list(ArchiveSessions(archive, ids)))
        began = time.perf_counter()
        _write_floor(rows_by_sheet, out)
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"write_s": done - began, "reading_s": sessions.reading_s, "peak_mb": peak_mb}))


def _same_rows(sessions):
    """Every row the session workbook holds, as plain values (the floor writes them without any styling)."""
    from openpyxl import load_workbook

    # The simplest faithful source of "the same rows" is the workbook itself.
    reference = Path(tempfile.mkdtemp()) / "reference.xlsx"
    from observer.export import export_sessions

    export_sessions(sessions, reference)
    book = load_workbook(reference, read_only=True)
    rows = {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}
    book.close()
    return rows


def _write_floor(rows_by_sheet, out: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, rows in rows_by_sheet.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(out)


def run(kind: str, data_dir: Path, out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--dir", str(data_dir), "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--contributions", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--child", default=None)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.dir, args.out)
        return
    from observer.demo import generate_demo
    from observer.store import Archive

    root = args.dir or Path(tempfile.mkdtemp(prefix="observer-export-bench-"))
    archive = Archive(root / "data")
    if not archive.session_ids():
        began = time.perf_counter()
        generate_demo(archive, sessions=args.sessions, contributions=args.contributions, seed=3)
        print(
            f"demo archive: {args.sessions} sessions × {args.contributions} contributions "
            f"in {time.perf_counter() - began:.0f} s at {root}"
        )
    results = {kind: run(kind, root / "data", root / f"{kind}.xlsx") for kind in ("floor", "workbook", "trend")}
    floor = results["floor"]["write_s"]
    print(
        f"{'':<18} | {'export':>8} | {'× floor':>7} | {'of it, reading':>14} | {'rest':>7} | {'× floor':>7} |"
        f" {'peak memory':>11}"
    )
    for kind, label in (("floor", "write-only floor"), ("workbook", "session workbook"), ("trend", "trend workbook")):
        result = results[kind]
        rest = result["write_s"] - result["reading_s"]
        print(
            f"{label:<18} | {result['write_s']:>7.1f}s | {result['write_s'] / floor:>6.2f}× | "
            f"{result['reading_s']:>13.1f}s | {rest:>6.1f}s | {rest / floor:>6.2f}× | {result['peak_mb']:>8.0f} MB"
        )
    print("export: all of it, sessions read from the archive one at a time as it goes; reading: the part spent")
    print("loading sessions from disk (the floor is handed its rows in memory); rest: everything else")
    sizes = {kind: (root / f"{kind}.xlsx").stat().st_size / 1e6 for kind in results}
    print("file sizes: " + ", ".join(f"{k} {v:.1f} MB" for k, v in sizes.items()))


if __name__ == "__main__":
    main()
