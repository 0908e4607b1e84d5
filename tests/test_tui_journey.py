"""Whole user journeys, driven by key presses, checked against what was stored."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import itertools
import time
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from observer.core.models import SessionStatus
from observer.storage import Archive
from observer.tui.app import ObserverApp
from observer.tui.coding_screen import CodingScreen
from observer.tui.new_session import NewSessionScreen

from .tui_helpers import FakeClock, coding_screen, log_rows, press, settle, status_text, type_text

ROSTER_CSV = (
    "name,organisation,role\nAnn Lee,City Council,Director\nBob Khan,City Council,\n"
    "Cath Diaz,NHS Trust,Chief executive\nDev Shah,Voluntary Alliance,\n"
)


@pytest.mark.parametrize("rules", ["posix", "windows"])
async def test_a_whole_meeting_coded_by_keys_is_stored_as_typed(
    tmp_path: Path, rules: str, request: pytest.FixtureRequest
) -> None:
    """The new-session form, a whole meeting by keys (folds, undo, edits, agenda, pauses), the end and its summary;
    also under Windows' file and process rules (``tests/windows_rules.py``)."""
    if rules == "windows":
        request.getfixturevalue("windows")
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_CSV)
    archive = Archive(tmp_path / "data")
    clock = FakeClock()
    app = ObserverApp(archive, clock=clock)
    async with app.run_test(size=(140, 40)) as pilot:
        # --- create the session from the roster file, through the form
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NewSessionScreen)
        await type_text(pilot, "ICS Board")
        app.screen.query_one("#series", Input).value = "North"
        app.screen.query_one("#roster-file", Input).value = str(roster)
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = coding_screen(pilot)
        assert [p.name for p in screen.view.session.participants] == ["Ann Lee", "Bob Khan", "Cath Diaz", "Dev Shah"]

        expected: list[dict] = []  # what the observer typed, kept by hand
        observed = 0.0  # session clock: wall time minus pauses

        async def speaker(key: str, name: str, *codes: str, gap: float = 20.0) -> None:
            nonlocal observed
            if expected:
                clock.advance(gap)
                observed += gap
            await press(pilot, key)
            expected.append({"speaker": name, "start": observed, "codes": {}, "flags": [], "note": ""})
            for code in codes:
                await press(pilot, code)
                apply_code(expected[-1], code)

        # --- agenda item 1 before anyone speaks, then ten contributions
        await press(pilot, "A")
        await type_text(pilot, "Budget")
        await press(pilot, "enter")
        script = [
            ("1", "Ann Lee", "o", "t"),
            ("3", "Cath Diaz", "p", "r", "c"),
            ("2", "Bob Khan", "o", "t", "g"),
            ("4", "Dev Shah", "p", "r"),
            ("1", "Ann Lee", "n"),
            ("3", "Cath Diaz", "p", "t"),
            ("2", "Bob Khan", "o", "r", "h"),
            ("4", "Dev Shah", "t"),
            ("1", "Ann Lee", "p", "r", "w"),
            ("3", "Cath Diaz", "o", "t", "d"),
        ]
        for key, name, *codes in script:
            await speaker(key, name, *codes)
        # --- a note on the current contribution
        await press(pilot, "N")
        await type_text(pilot, "=SUM(A1) board won't sign")
        await press(pilot, "enter")
        expected[-1]["note"] = "=SUM(A1) board won't sign"

        # --- a pause of five minutes: the clock stands still
        clock.advance(15)
        observed += 15
        pause_at = observed
        await press(pilot, "space")
        clock.advance(300)
        await press(pilot, "space")
        assert "resumed" in status_text(pilot)

        # --- a late arrival, who takes speaker key 5
        await press(pilot, "plus")
        await type_text(pilot, "Eve Moss")
        await press(pilot, "tab")
        await type_text(pilot, "Housing Trust")
        await press(pilot, "tab")
        await type_text(pilot, "Chair")
        await press(pilot, "enter")
        await speaker("5", "Eve Moss", "p", "r", "c", gap=5)

        # --- agenda item 2, and contributions 12-29
        clock.advance(10)
        observed += 10
        agenda_two_at = observed
        await press(pilot, "A")
        await type_text(pilot, "Trust")
        await press(pilot, "enter")
        more = [
            ("1", "Ann Lee", "o", "r", "x"),
            ("2", "Bob Khan", "o", "t", "a"),
            ("3", "Cath Diaz", "p", "r"),
            ("4", "Dev Shah", "n", "t"),
            ("5", "Eve Moss", "p", "r", "c"),
            ("1", "Ann Lee", "p", "t"),
            ("2", "Bob Khan", "o", "t", "s"),
            ("3", "Cath Diaz", "p", "r", "h"),
            ("4", "Dev Shah", "p"),
            ("5", "Eve Moss", "o", "t"),
            ("1", "Ann Lee", "r"),
            ("2", "Bob Khan", "p", "r"),
            ("3", "Cath Diaz", "o", "t"),
            ("4", "Dev Shah", "n"),
            ("5", "Eve Moss", "p", "r", "w"),
            ("1", "Ann Lee", "o", "t"),
            ("2", "Bob Khan", "o", "r"),
        ]
        for key, name, *codes in more:
            await speaker(key, name, *codes)

        # --- an organisation-only contribution: the observer knows the organisation, not the person
        clock.advance(20)
        observed += 20
        await press(pilot, "0")
        await type_text(pilot, "voluntary")
        await press(pilot, "enter")
        expected.append(
            {
                "speaker": None,
                "organisation": "Voluntary Alliance",
                "start": observed,
                "codes": {},
                "flags": [],
                "note": "",
            }
        )
        await press(pilot, "t")
        apply_code(expected[-1], "t")

        # --- undo and redo: a wrong code, undone, redone, undone again
        await press(pilot, "o")
        assert expected[-1]["codes"] == {"topic": "transactional"}
        await press(pilot, "ctrl+z")
        assert "undone" in status_text(pilot)
        await press(pilot, "ctrl+y")
        assert "redone" in status_text(pilot)
        await press(pilot, "ctrl+z")
        # a speaker change undone too: press 3, then undo it
        clock.advance(3)
        observed += 3
        await press(pilot, "3")
        await press(pilot, "ctrl+z")

        # --- the last one: contribution 30
        await speaker("3", "Cath Diaz", "p", "r", gap=17)

        # --- edit an earlier contribution: select the 4th from the end, change topic, speaker and start
        for _ in range(4):
            await press(pilot, "up")
        edited = expected[-4]
        assert coding_screen(pilot).selected_id is not None
        assert edited["codes"]["topic"] == "transactional"
        await press(pilot, "r")  # topic becomes relational
        edited["codes"]["topic"] = "relational"
        await press(pilot, "4")  # speaker becomes Dev Shah
        edited["speaker"] = "Dev Shah"
        await press(pilot, "T")
        screen_input = app.screen.query_one(Input)
        screen_input.value = ""
        new_start = edited["start"] - 4
        await type_text(pilot, f"{int(new_start // 60)}:{int(new_start % 60):02d}")
        await press(pilot, "enter")
        edited["start"] = float(int(new_start))
        await press(pilot, "escape")
        assert coding_screen(pilot).selected_id is None

        # --- what the screen shows matches what was typed
        assert len(log_rows(pilot)) == 30

        # --- end the session
        clock.advance(12)
        observed += 12
        await press(pilot, "E")
        await press(pilot, "y")
        await settle(pilot)
        assert "Session ended" in str(app.screen.query_one("#ended-note").render())
        session_id = screen.session_id

    # --- what was stored equals what was typed
    data = Archive(tmp_path / "data").load(session_id)
    session = data.session
    assert session.status == SessionStatus.ENDED
    assert session.ended_s == observed  # the five-minute pause is not observed time
    assert [p.at_s for p in session.pauses] == [pause_at]
    assert [item.title for item in session.agenda_items] == ["Budget", "Trust"]
    assert [item.start_s for item in session.agenda_items] == [0.0, agenda_two_at]
    eve = next(p for p in session.participants if p.name == "Eve Moss")
    assert session.organisation(eve.organisation_id).name == "Housing Trust"
    assert session.attendance_of(eve.id).arrived_s == pause_at
    stored = data.contributions
    assert len(stored) == 30
    expected.sort(key=lambda e: e["start"])
    for number, (record, typed) in enumerate(zip(stored, expected, strict=True), start=1):
        participant = session.participant(record.participant_id)
        assert (participant.name if participant else None) == typed["speaker"], number
        if typed["speaker"] is None:
            assert session.organisation(record.organisation_id).name == typed["organisation"]
        assert record.start_s == typed["start"], number
        assert record.codes == typed["codes"], number
        assert record.flags == typed["flags"], number
        assert record.note == typed["note"], number
        item = "Budget" if record.start_s < agenda_two_at else "Trust"
        assert next(i.title for i in session.agenda_items if i.id == record.agenda_item_id) == item


KEY_CODES = {
    "o": ("orientation", "org_first"),
    "p": ("orientation", "partnership_first"),
    "n": ("orientation", "neutral"),
    "t": ("topic", "transactional"),
    "r": ("topic", "relational"),
}
KEY_FLAGS = {
    "c": "coordinator",
    "g": "governance_shield",
    "d": "decision_deferred",
    "a": "trust_avoidance",
    "s": "separate_position",
    "h": "history_acknowledged",
    "w": "purpose_clarified",
    "x": "challenge",
}
FLAG_ORDER = list(KEY_FLAGS.values())


def apply_code(record: dict, key: str) -> None:
    if key in KEY_CODES:
        dimension, code = KEY_CODES[key]
        record["codes"][dimension] = code
    else:
        flags = set(record["flags"]) ^ {KEY_FLAGS[key]}
        record["flags"] = [flag for flag in FLAG_ORDER if flag in flags]


async def test_keys_that_do_nothing_say_so(tmp_path: Path, partnership) -> None:
    from .conftest import make_session

    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "o")
        assert "no contribution yet" in status_text(pilot)
        await press(pilot, "ctrl+z")
        assert "nothing to undo" in status_text(pilot)
        await press(pilot, "7")
        assert "no attendee on key 7" in status_text(pilot)
        await press(pilot, "1")
        await press(pilot, "1")
        assert "already speaking" in status_text(pilot)
        await press(pilot, "z")
        assert "'z' does nothing" in status_text(pilot)
        assert len(log_rows(pilot)) == 1


async def test_typed_roster_and_carried_over_ids(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    app = ObserverApp(archive, clock=FakeClock())
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        form.query_one("#title", Input).value = "First"
        form.query_one("#series", Input).value = "South"
        form.query_one("#roster-text", TextArea).text = "Ann Lee, Council\nBob Khan, Trust, Chair\n"
        await pilot.press("ctrl+s")
        await settle(pilot)
        first = coding_screen(pilot).view.session
        await pilot.press("ctrl+w")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        form.query_one("#title", Input).value = "Second"
        form.query_one("#series", Input).value = "South"
        form.query_one("#date", Input).value = "not a date"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "YYYY-MM-DD" in str(form.query_one("#date-error").render())
        form.query_one("#date", Input).value = "2026-04-01"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CodingScreen)
        second = coding_screen(pilot).view.session
    # No roster given: the series' last roster is carried over, with the same participant ids.
    assert [(p.id, p.name) for p in second.participants] == [(p.id, p.name) for p in first.participants]
    assert second.id != first.id


async def test_a_burst_of_twenty_keys_is_processed_in_order(tmp_path: Path, partnership) -> None:
    from .conftest import make_session

    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    app = ObserverApp(archive, start="coding", session_id=session.id)  # the real clock
    burst = ["1", "o", "t", "2", "p", "r", "c", "3", "n", "t", "4", "p", "r", "1", "o", "r", "2", "p", "t", "g"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # What earlier tests left on the heap is not the app's: a full collection of it in the middle of the
        # burst would stretch a gap between keys (the app's own entry point freezes what it loaded, likewise).
        gc.collect()
        gc.freeze()
        began = time.monotonic()
        try:
            for key in burst:  # twenty keys in one second, without waiting for any of them to be saved
                app.simulate_key(key)
                await asyncio.sleep(0.05)
        finally:
            gc.unfreeze()
        # About 1.1 s on a quiet machine; a loaded one stretches the sleeps, not the keys' own moments below.
        assert time.monotonic() - began < 3.0
        await settle(pilot)
        assert len(log_rows(pilot)) == 6
    stored = Archive(tmp_path / "data").load(session.id).contributions
    names = {p.id: p.name for p in session.participants}
    assert [names[c.participant_id] for c in stored] == [
        "Ann Lee",
        "Bob Khan",
        "Cath Diaz",
        "Dev Shah",
        "Ann Lee",
        "Bob Khan",
    ]
    assert [c.codes for c in stored] == [
        {"orientation": "org_first", "topic": "transactional"},
        {"orientation": "partnership_first", "topic": "relational"},
        {"orientation": "neutral", "topic": "transactional"},
        {"orientation": "partnership_first", "topic": "relational"},
        {"orientation": "org_first", "topic": "relational"},
        {"orientation": "partnership_first", "topic": "transactional"},
    ]
    assert [c.flags for c in stored] == [[], ["coordinator"], [], [], [], ["governance_shield"]]
    starts = [c.start_s for c in stored]
    assert starts == sorted(starts) and len(set(starts)) == 6
    # Each start is the moment its key was handled, about 3 keys (150 ms) apart, not when the disk caught up.
    assert all(0.05 < later - earlier < 0.6 for earlier, later in itertools.pairwise(starts))


async def test_the_balance_follows_keys_that_never_pause(tmp_path: Path, partnership) -> None:
    """Keys every 0.1 s, never the 0.3 s pause the balance waits for: it is still redrawn within about a second
    of a change, and keeps being redrawn (a balance put off by each key must not be put off for ever)."""
    from .conftest import make_session

    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    app = ObserverApp(archive, start="coding", session_id=session.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "1", "o")
        screen = coding_screen(pilot)
        shown: list[int] = []
        for index in range(30):  # three seconds of keys, 0.1 s apart
            app.simulate_key("p" if index % 2 else "o")
            await asyncio.sleep(0.1)
            assert screen.summary is not None
            shown.append(id(screen.summary))
        await settle(pilot)
        # The latest moment already past when a key's view arrives (its key put the update off): drawn at once.
        before = screen.summary
        screen.balance.due = time.monotonic() - 0.5
        screen.balance.schedule()
        await settle(pilot)
        assert screen.summary is not before
    # Each redraw of the balance is a new summary: there were at least two during the three seconds of keys.
    assert len(set(shown)) >= 3, "the balance was not redrawn while keys kept coming"


async def test_the_same_speaker_after_an_agenda_change_starts_a_new_contribution(tmp_path: Path, partnership) -> None:
    """Tried as a new user would (``5 p r``, ``A``, Enter, ``5 o t``): the second 5 was refused as "already
    speaking" and ``o t`` silently recoded the contribution made under the first item."""
    from observer.interop.roster import RosterEntry, build_session

    roster = [RosterEntry(f"Person {n}", f"Organisation {n}") for n in range(1, 7)]
    session = build_session(
        title="Board",
        codebook=partnership,
        meeting_date=dt.date(2026, 3, 2),
        roster=roster,
        agenda=["Minutes", "Item 2: finance"],
    )
    archive = Archive(tmp_path / "data")
    clock = FakeClock()
    app = ObserverApp(
        archive, start="coding", session_id=session.id, store=archive.create_session(session), clock=clock
    )
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        for key in ("5", "p", "r"):
            await press(pilot, key)
        clock.advance(30)
        await pilot.press("A")
        await pilot.pause()
        await press(pilot, "enter")  # the next planned item
        clock.advance(2)
        for key in ("5", "o", "t"):
            await press(pilot, key)
        assert "already speaking" not in status_text(pilot)
    stored = archive.load(session.id)
    items = {item.id: item.title for item in stored.session.agenda_items}
    assert [(c.participant_id, items[c.agenda_item_id], c.codes) for c in stored.contributions] == [
        (session.participants[4].id, "Minutes", {"orientation": "partnership_first", "topic": "relational"}),
        (session.participants[4].id, "Item 2: finance", {"orientation": "org_first", "topic": "transactional"}),
    ]
