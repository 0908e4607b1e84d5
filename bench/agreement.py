"""Agreement of two 2-hour sessions of 1,500 contributions each, at 1 s slices (both methods, every dimension).

Usage: python bench/agreement.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from observer.analysis.agreement import compare
from observer.core.models import SessionData
from observer.interop.demo import generate_demo, second_observer
from observer.storage import Archive


def two_hour_session(contributions: int) -> SessionData:
    archive = Archive(Path(tempfile.mkdtemp(prefix="observer-agreement-bench-")))
    (session_id,) = generate_demo(archive, sessions=1, contributions=contributions, seed=8)
    data = archive.load(session_id)
    # Stretch the clock to two hours, keeping the order and the relative lengths of contributions.
    scale = 7200 / data.session.observed_seconds()
    contributions_scaled = [c.model_copy(update={"start_s": round(c.start_s * scale, 3)}) for c in data.contributions]
    session = data.session.model_copy(
        update={
            "ended_s": 7200.0,
            "clock_elapsed_s": 7200.0,
            "pauses": [p.model_copy(update={"at_s": round(p.at_s * scale, 3)}) for p in data.session.pauses],
            "agenda_items": [
                a.model_copy(update={"start_s": round(a.start_s * scale, 3)}) for a in data.session.agenda_items
            ],
        }
    )
    return SessionData(session=session, contributions=contributions_scaled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--contributions", type=int, default=1500)
    args = parser.parse_args()
    first = two_hour_session(args.contributions)
    second = second_observer(first, change_share=0.2, jitter_s=1.5, seed=3)
    times = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        result = compare(first, second, slice_s=1.0, tolerance_s=3.0)
        times.append(time.perf_counter() - began)
    orientation = next(d for d in result.dimensions if d.dimension == "orientation")
    print(
        f"two sessions of {args.contributions:,} contributions over 2 h, 1 s slices "
        f"({orientation.time_sliced.n:,} slices), {len(result.dimensions)} dimensions incl. speaker"
    )
    print(
        f"agreement: median {statistics.median(times):.3f} s, max {max(times):.3f} s over {args.repeat} runs "
        f"(orientation kappa sliced {orientation.time_sliced.kappa:.2f}, matched {orientation.matched.kappa:.2f})"
    )


if __name__ == "__main__":
    main()
