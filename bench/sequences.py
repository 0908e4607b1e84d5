"""Sequences over 100 sessions × 1,000 contributions: every analysis of `observer sequences`, pooled.

Timed after the archive is read: lag-1 tables by each dimension, by organisation and by speaker, a lag-2 table,
each index after the coordinator flag with 2,000 permutations, and the findings in words. Target: under 2 s.
Usage: python bench/sequences.py [--sessions 100] [--contributions 1000] [--repeat 3] [--dir D]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from observer.analysis import sequence_words, sequences
from observer.interop.demo import generate_demo
from observer.storage import Archive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--contributions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--permutations", type=int, default=sequences.DEFAULT_PERMUTATIONS)
    parser.add_argument("--dir", type=Path, default=None, help="Reuse (or build) the archive here.")
    args = parser.parse_args()
    archive = Archive(args.dir or Path(tempfile.mkdtemp(prefix="observer-sequences-bench-")))
    ids = [header.session.id for header in archive.headers()[0]]
    if len(ids) < args.sessions:
        print(f"building {args.sessions} sessions of {args.contributions:,} contributions…", flush=True)
        ids = generate_demo(archive, sessions=args.sessions, contributions=args.contributions, seed=3)
    began = time.perf_counter()
    loaded = [archive.load(session_id) for session_id in ids[: args.sessions]]
    print(
        f"read {len(loaded)} sessions, {sum(len(d.contributions) for d in loaded):,} contributions: "
        f"{time.perf_counter() - began:.2f} s (not counted below)"
    )
    import numpy  # noqa: F401  (imported once by the first analysis; timed apart, as the app pays it once)

    codebook = loaded[0].session.codebook
    analyses = [dimension.id for dimension in codebook.dimensions] + [sequences.ORGANISATION, sequences.SPEAKER]
    times: dict[str, list[float]] = {"tables": [], "after": [], "words": [], "total": []}
    for _ in range(args.repeat):
        began = time.perf_counter()
        tables = [sequences.lag_table(loaded, by, 1) for by in analyses]
        tables.append(sequences.lag_table(loaded, analyses[0], 2))
        tabled = time.perf_counter()
        after = sequences.after_flag(loaded, "coordinator", permutations=args.permutations)
        compared = time.perf_counter()
        sentences = sequence_words.notable_findings(tables, after)
        ended = time.perf_counter()
        times["tables"].append(tabled - began)
        times["after"].append(compared - tabled)
        times["words"].append(ended - compared)
        times["total"].append(ended - began)
    print(
        f"{len(tables)} lag tables ({', '.join(analyses)} at lag 1; {analyses[0]} at lag 2), "
        f"{after.events:,} coordinator contributions × {args.permutations:,} permutations, "
        f"{len(sentences)} finding(s)"
    )
    for name, values in times.items():
        print(f"{name:>7}: median {statistics.median(values):.3f} s, max {max(values):.3f} s over {args.repeat} runs")


if __name__ == "__main__":
    main()
