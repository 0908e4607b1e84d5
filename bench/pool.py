"""Pooling a programme: N meetings coded by M observers, K contributions each, pooled with a programme key.

Setup (not timed): ``observer demo``'s meetings (one archive), and one bundle per observer holding every
meeting as that observer coded it (the first observer's coding as made, the others' as ``observer demo
--second-observer`` makes a second coding: starts jittered, a tenth of the codes changed).

Timed, each in a fresh process so that its peak memory (VmHWM / ru_maxrss) is its own:
- ``observer pool`` of one observer's bundle, then of all M (flat memory: the peak should not grow with the
  data, since the pool holds one session at a time);
- a DuckDB query over the package: docs/pooling.md's PFI by organisation across the programme.

Targets (100 meetings × 5 observers × 1,000 contributions): pool under 30 s with flat memory, query under 2 s.
Usage: python bench/pool.py [--meetings 100] [--observers 5] [--contributions 1000] [--dir D]
A smoke run: python bench/pool.py --meetings 2 --observers 2 --contributions 20
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POOL_CHILD = """
import resource, sys, time
from observer.cli.main import main
began = time.perf_counter()
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code or 0
else:
    code = 0
elapsed = time.perf_counter() - began
own_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest of the reading processes
print(f"BENCH {code} {elapsed:.3f} {own_kb} {workers_kb}", file=sys.stderr)
"""


def make_bundles(folder: Path, meetings: int, observers: int, contributions: int) -> list[Path]:
    from observer.core.models import SessionData
    from observer.interop.bundle import write_bundle
    from observer.interop.demo import generate_demo, second_observer
    from observer.storage import Archive

    archive = Archive(folder / "archive")
    ids = generate_demo(archive, sessions=meetings, contributions=contributions)
    bundles = []
    for number in range(observers):

        def codings(number: int = number):
            for session_id in ids:
                data = archive.load(session_id)
                if number == 0:
                    yield data
                    continue
                other = second_observer(data, 0.1, seed=number * 100_003 + len(session_id))
                session = other.session.model_copy(
                    update={"id": f"{session_id}-o{number}", "observer": f"Observer {number + 1}"}
                )
                yield SessionData.model_construct(session=session, contributions=other.contributions)

        path = folder / f"observer-{number + 1}.bundle"
        write_bundle(codings(), path)
        bundles.append(path)
    return bundles


def run_pool(bundles: list[Path], out: Path, key: Path) -> tuple[float, int, int]:
    """(seconds, peak memory of the pool's process, of the largest of its reading processes, in MB) of
    ``observer pool`` in a process of its own."""
    command = [sys.executable, "-c", POOL_CHILD, "--data-dir", str(out.parent / "data"), "pool"]
    command += [*map(str, bundles), "-o", str(out), "--key", str(key)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(r"BENCH (\d+) ([\d.]+) (\d+) (\d+)", result.stderr)
    if found is None or found.group(1) != "0":
        raise SystemExit(f"pool failed: {result.stderr.strip()}")
    unit = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    return float(found.group(2)), int(found.group(3)) // unit, int(found.group(4)) // unit


def run_query(package: Path) -> tuple[float, int]:
    import duckdb

    docs = Path(__file__).parent.parent / "docs" / "pooling.md"
    query = re.findall(r"```sql\n(.*?)```", docs.read_text(encoding="utf-8"), flags=re.DOTALL)[0]
    query = query.replace("'contributions.csv'", f"'{package / 'contributions.csv'}'")
    query = query.replace("'sessions.csv'", f"'{package / 'sessions.csv'}'")
    connection = duckdb.connect()
    began = time.perf_counter()
    rows = connection.sql(query).fetchall()
    return time.perf_counter() - began, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meetings", type=int, default=100)
    parser.add_argument("--observers", type=int, default=5)
    parser.add_argument("--contributions", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=None, help="Work here (default: a temporary folder).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as work:
        folder = Path(work)
        from observer.privacy.programme_key import new_key_file

        began = time.perf_counter()
        bundles = make_bundles(folder, args.meetings, args.observers, args.contributions)
        key = folder / "programme.key"
        new_key_file(key)
        size_mb = sum(path.stat().st_size for path in bundles) / 1e6
        total = args.meetings * args.observers * args.contributions
        print(
            f"setup: {args.meetings} meetings × {args.observers} observers × {args.contributions:,} contributions "
            f"= {total:,} contributions in {len(bundles)} bundles ({size_mb:.1f} MB), "
            f"{time.perf_counter() - began:.1f} s"
        )
        one_s, one_mb, one_workers_mb = run_pool(bundles[:1], folder / "pool-one", key)
        all_s, all_mb, all_workers_mb = run_pool(bundles, folder / "pool", key)
        package_mb = sum(path.stat().st_size for path in (folder / "pool").iterdir()) / 1e6
        sessions = json.loads((folder / "pool" / "datapackage.json").read_text())["description"].split(" sessions")[0]
        print(f"pool of 1 bundle:   {one_s:7.2f} s   peak {one_mb:5d} MB (one process)")
        print(
            f"pool of {len(bundles)} bundles:  {all_s:7.2f} s   peak {all_mb:5d} MB, each reading process at most "
            f"{all_workers_mb} MB   ({sessions} sessions, package {package_mb:.1f} MB)   target < 30 s, flat memory"
        )
        del one_workers_mb
        query_s, rows = run_query(folder / "pool")
        print(f"DuckDB query (PFI by organisation, docs/pooling.md): {query_s:.3f} s, {rows} rows   target < 2 s")


if __name__ == "__main__":
    main()
