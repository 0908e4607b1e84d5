"""The observer command on a disk whose journal syncs take SECONDS each (the rest of observer unchanged):
``python -m tests.helpers.slow_disk SECONDS [observer arguments…]``. The sync primitive is wrapped from outside;
nothing in observer knows."""

from __future__ import annotations

import sys
from pathlib import Path

from observer.cli.main import main

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from slow_disk import slow_journal_syncs  # the benchmark's own slow disk: one way to slow it

    slow_journal_syncs(float(sys.argv[1]))
    main(args=sys.argv[2:], prog_name="observer")
