"""Keys typed while the coding screen is still opening its session are kept, in the order typed.

The first speaker key of a meeting is pressed the moment the screen appears; on a slow disk the session (its
journal read, its lock taken) may not be open yet. Those keys used to be dropped without a word.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from observer.storage import Archive, SessionStore
from observer.tui.app import ObserverApp

from .conftest import make_session
from .tui_helpers import FakeClock, settle


async def test_keys_typed_while_the_session_opens_are_recorded_in_order(
    tmp_path: Path, partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = Archive(tmp_path / "data")
    opening = Archive.open_session

    def slowly(self: Archive, session_id: str) -> SessionStore:
        time.sleep(0.5)  # a slow disk: the journal read and the lock taken take a moment
        return opening(self, session_id)

    monkeypatch.setattr(Archive, "open_session", slowly)
    session = make_session(partnership)
    archive.create_session(session).close()
    # The screen opens the session itself, on its worker thread: the keys below arrive before it is open.
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1", "o", "2", "p", "r")
        await settle(pilot)
    stored = archive.load(session.id).contributions
    names = {p.id: p.name for p in session.participants}
    assert [names[c.participant_id or ""] for c in stored] == ["Ann Lee", "Bob Khan"]
    assert stored[0].codes == {"orientation": "org_first"}
    assert stored[1].codes == {"orientation": "partnership_first", "topic": "relational"}
