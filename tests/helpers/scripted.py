"""A writer that runs a script of key presses against a stored session, then waits to be killed.

Run as ``python -m tests.helpers.scripted DATA_DIR SESSION_ID FOLD_EVERY STEP...`` where a step is
``speak:N``, ``code:N`` (code the latest N times, alternating), ``undo:N`` or ``redo:N``. After the script it
prints one JSON line — the contribution ids and codes as the screen would show them — and sleeps; the test
kills it with SIGKILL and compares what a reader then finds.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

from observer.live.coding import CodingSession
from observer.live.coding_steps import ActionRefused
from observer.storage import Archive


def main() -> None:
    data_dir, session_id, fold_every = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = Archive(data_dir).open_session(session_id)
    store.fold_every = fold_every
    coding = CodingSession(store)
    participants = [p.id for p in coding.session.participants]
    refused = 0
    clock = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    for step in sys.argv[4:]:
        action, _, count = step.partition(":")
        for index in range(int(count)):
            clock += dt.timedelta(seconds=1)
            try:
                if action == "speak":
                    coding.speak(clock, participant_id=participants[index % len(participants)])
                elif action == "code":
                    code = "partnership_first" if index % 2 else "org_first"
                    coding.set_code(clock, "orientation", code)
                elif action == "undo":
                    coding.undo()
                elif action == "redo":
                    coding.redo()
                else:
                    raise SystemExit(f"unknown step {step}")
            except ActionRefused:
                refused += 1
    shown = {c.id: c.codes for c in coding.contributions()}
    print(json.dumps({"contributions": shown, "refused": refused}), flush=True)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    main()
