"""Listing an archive as it grows: `observer sessions` and Home's list, with and without the session headers.

Builds demo archives (default 300 × 20, 300 × 1,000 and 3,000 × 100 sessions × contributions), then for each:
- `observer sessions --json` as a user runs it (a fresh process; median of --rounds);
- Home: the app started headless, timed from the start of the process until the list is on screen, with its
  peak memory;
- both again with the headers removed (an archive from before headers: every session is read whole), and
  after `observer sessions --reindex` has written them back.
With --exports, each archive is also exported whole to every format (.csv, .json, .boris, .xlsx), bundled, and
the bundle imported into an empty archive, each in a fresh process, printing its time and peak memory (the
figures to compare: 300 × 1,000 against 30 × 1,000).
Usage: python bench/archive_scale.py [--sizes 300x20,300x1000,3000x100] [--rounds 3] [--dir D] [--exports]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTED = time.perf_counter()


def peak_memory_mb() -> float:
    status = Path("/proc/self/status").read_text()
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kilobytes) / 1024


async def _home_child(data_dir: Path) -> None:
    from observer.storage import Archive
    from observer.tui.app import ObserverApp
    from observer.tui.home import HomeScreen

    app = ObserverApp(Archive(data_dir))
    async with app.run_test(size=(120, 35)):
        while not (isinstance(app.screen, HomeScreen) and app.screen.sessions):
            await asyncio.sleep(0.005)
        shown_s = time.perf_counter() - STARTED
        count = len(app.screen.sessions)
    print(json.dumps({"home_s": shown_s, "peak_mb": peak_memory_mb(), "sessions": count}))


def _cli_child(arguments: list[str]) -> None:
    """Run the command line in this process, then say how long it took and its peak memory."""
    from observer.cli.main import main as cli

    began = time.perf_counter()
    try:
        cli(arguments, standalone_mode=False)
    finally:
        print(json.dumps({"seconds": time.perf_counter() - began, "peak_mb": peak_memory_mb()}))


def exports(data_dir: Path, out: Path) -> dict[str, dict[str, float]]:
    """Every session of the archive to every format, the bundle, and the bundle imported: time and peak memory."""
    out.mkdir(parents=True, exist_ok=True)
    ids = [path.name for path in sorted((data_dir / "sessions").iterdir())]
    target = out / "imported"
    if target.exists():
        import shutil

        shutil.rmtree(target)
    jobs = {
        **{
            suffix: ["export", *ids, "-o", str(out / f"all{suffix}")] for suffix in (".csv", ".json", ".boris", ".xlsx")
        },
        "bundle": ["bundle", *ids, "-o", str(out / "all.bundle")],
    }
    results = {}
    for name, arguments in [*jobs.items(), ("import", None)]:
        if arguments is None:
            command = ["--data-dir", str(target), "import", str(out / "all.bundle")]
        else:
            command = ["--data-dir", str(data_dir), *arguments]
        finished = subprocess.run(
            [sys.executable, __file__, "--cli", json.dumps(command)], check=True, capture_output=True, text=True
        )
        results[name] = json.loads(finished.stdout.strip().splitlines()[-1])
        print(f"    {name:<7} {results[name]['seconds']:>6.1f} s {results[name]['peak_mb']:>6.0f} MB", flush=True)
    return results


def _timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def measure(data_dir: Path, rounds: int) -> dict[str, float]:
    listing = [sys.executable, "-m", "observer", "--data-dir", str(data_dir), "sessions", "--json"]
    sessions_s = statistics.median(_timed(listing) for _ in range(rounds))
    homes = []
    for _ in range(rounds):
        out = subprocess.run(
            [sys.executable, __file__, "--home", str(data_dir)], check=True, capture_output=True, text=True
        ).stdout
        homes.append(json.loads(out.strip().splitlines()[-1]))
    return {
        "sessions_s": sessions_s,
        "home_s": statistics.median(h["home_s"] for h in homes),
        "home_peak_mb": max(h["peak_mb"] for h in homes),
    }


def build(data_dir: Path, sessions: int, contributions: int) -> None:
    from observer.interop.demo import generate_demo
    from observer.storage import Archive

    archive = Archive(data_dir)
    if archive.session_ids():
        return
    began = time.perf_counter()
    generate_demo(archive, sessions=sessions, contributions=contributions, seed=3)
    print(f"  built {sessions} × {contributions} in {time.perf_counter() - began:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="300x20,300x1000,3000x100")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--exports", action="store_true")
    parser.add_argument("--home", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cli", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.home is not None:
        asyncio.run(_home_child(args.home))
        return
    if args.cli is not None:
        _cli_child(json.loads(args.cli))
        return
    root = args.dir or Path(tempfile.mkdtemp(prefix="observer-scale-bench-"))
    rows = []
    for size in args.sizes.split(","):
        sessions, contributions = (int(part) for part in size.split("x"))
        data_dir = root / size / "data"
        print(f"{sessions} × {contributions}:", flush=True)
        build(data_dir, sessions, contributions)
        with_headers = measure(data_dir, args.rounds)
        for header in data_dir.glob("sessions/*/header.json"):
            header.unlink()
        without = measure(data_dir, 1)
        reindex_s = _timed(
            [sys.executable, "-m", "observer", "--data-dir", str(data_dir), "sessions", "--reindex", "--json"]
        )
        again = measure(data_dir, 1)
        assert abs(again["sessions_s"] - with_headers["sessions_s"]) < max(1.0, with_headers["sessions_s"]), again
        rows.append((size, with_headers, without, reindex_s))
        if args.exports:
            print("  exports (whole archive, one process each):", flush=True)
            exports(data_dir, root / size / "out")
        print(
            f"  headers: sessions {with_headers['sessions_s']:.2f} s, Home {with_headers['home_s']:.2f} s "
            f"({with_headers['home_peak_mb']:.0f} MB) · no headers: sessions {without['sessions_s']:.2f} s, "
            f"Home {without['home_s']:.2f} s ({without['home_peak_mb']:.0f} MB) · --reindex {reindex_s:.1f} s",
            flush=True,
        )
    print(f"\nmedians of {args.rounds} runs (no headers: one run)")
    print(
        f"{'archive':<10} | {'sessions':>9} | {'Home list':>9} | {'Home peak':>9} || without headers: "
        f"{'sessions':>9} | {'Home list':>9} | {'Home peak':>9}"
    )
    for size, head, bare, _ in rows:
        print(
            f"{size:<10} | {head['sessions_s']:>8.2f}s | {head['home_s']:>8.2f}s | {head['home_peak_mb']:>6.0f} MB ||"
            f" {'':>16} {bare['sessions_s']:>8.2f}s | {bare['home_s']:>8.2f}s | {bare['home_peak_mb']:>6.0f} MB"
        )
    print("Home list: from the start of the process to the list on screen (Python and Textual start-up included).")


if __name__ == "__main__":
    main()
