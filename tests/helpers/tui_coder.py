"""Runs the app headless on a session and codes in a loop, printing "shown <id>" for each contribution the
log displays. Run as ``python -m tests.helpers.tui_coder DATA_DIR SESSION_ID``; the test kills it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from observer.storage import Archive
from observer.tui.app import ObserverApp

from ..tui_helpers import log_ids, settle


async def main() -> None:
    archive = Archive(Path(sys.argv[1]))
    app = ObserverApp(archive, start="coding", session_id=sys.argv[2])
    shown: set[str] = set()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        index = 0
        while True:
            await pilot.press(str(index % 4 + 1), "p" if index % 2 else "o")
            await settle(pilot)
            for contribution_id in log_ids(pilot):
                if contribution_id not in shown:
                    shown.add(contribution_id)
                    print(f"shown {contribution_id}", flush=True)
            index += 1


if __name__ == "__main__":
    asyncio.run(main())
