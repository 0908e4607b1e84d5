"""A writer that records contributions in a loop and says "ok <id>" after each record call returns.

Run as ``python -m tests.helpers.writer DATA_DIR SESSION_ID FOLD_EVERY [SYNC_SECONDS]``; the test kills it with
SIGKILL. SYNC_SECONDS makes every journal sync that much slower: "ok" then comes long before the entry is on the
disk itself, and a kill must still keep it (it is in the system's cache).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from observer.live.coding import CodingSession
from observer.storage import Archive


def main() -> None:
    data_dir, session_id, fold_every = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    if len(sys.argv) > 4:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
        from slow_disk import slow_journal_syncs

        slow_journal_syncs(float(sys.argv[4]))
    store = Archive(data_dir).open_session(session_id)
    store.fold_every = fold_every  # small, so that kills also land inside checkpoints
    coding = CodingSession(store)
    participants = [p.id for p in coding.session.participants]
    index = len(store.contributions)
    out = sys.stdout
    while True:
        now = dt.datetime.now(dt.UTC)
        contribution = coding.speak(now, participant_id=participants[index % len(participants)])
        out.write(f"ok {contribution.id}\n")
        out.flush()
        coding.set_code(now, "orientation", "partnership_first")
        out.write(f"coded {contribution.id}\n")
        out.flush()
        index += 1


if __name__ == "__main__":
    main()
