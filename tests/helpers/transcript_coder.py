"""Runs the transcript screen headless and codes turn after turn, printing "coded <id> <orientation>" once a
turn's codes show in the log. Run as ``python -m tests.helpers.transcript_coder DATA_DIR SESSION_ID``; the test
kills it with SIGKILL."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from observer.storage import Archive
from observer.tui.app import ObserverApp

from ..tui_helpers import coding_screen, settle


async def main() -> None:
    archive = Archive(Path(sys.argv[1]))
    session_id = sys.argv[2]
    app = ObserverApp(archive, start="coding", session_id=session_id, store=archive.open_session(session_id))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = coding_screen(pilot)
        index = 0
        while True:
            orientation = "p" if index % 2 else "o"
            await pilot.press(orientation, "t")  # the next turn's codes: the coded turn before it stays until then
            await settle(pilot)
            turn = screen.selected_id
            shown = screen.rows.cells[turn][3]  # the codes cell of the turn's log row
            if shown:
                print(f"coded {turn} {shown[0][1]}", flush=True)
            index += 1


if __name__ == "__main__":
    asyncio.run(main())
