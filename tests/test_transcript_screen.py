"""Coding a transcript turn by turn: every key lands on the turn that was on screen when it was pressed, whatever
the screen was redrawing meanwhile; joins ask, splits fall between words, long turns can be read to the end."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from click.testing import CliRunner

from observer.cli.main import main
from observer.storage import Archive
from observer.tui.app import ObserverApp

from .transcript_files import ROSTER, alternating, write_vtt
from .tui_helpers import FakeClock, coding_screen, settle, status_text, until

BOTH = {"orientation", "topic"}
CODES = {"o": "org_first", "p": "partnership_first", "n": "neutral", "t": "transactional", "r": "relational"}


def import_transcript(tmp_path: Path, turns: list[tuple[str, str]], *extra: str) -> str:
    vtt = write_vtt(tmp_path / "meeting.vtt", turns)
    result = CliRunner().invoke(
        main, ["--data-dir", str(tmp_path / "data"), "transcript", "import", str(vtt), "--roster", str(ROSTER), *extra]
    )
    assert result.exit_code == 0, result.output
    return result.output.split("created session ")[1].split(":")[0]


def open_app(tmp_path: Path, session_id: str) -> tuple[Archive, ObserverApp]:
    archive = Archive(tmp_path / "data")
    app = ObserverApp(
        archive, start="coding", session_id=session_id, store=archive.open_session(session_id), clock=FakeClock()
    )
    return archive, app


def slow_views(screen, seconds: float) -> None:
    """Views take ``seconds`` to build on the worker thread, as on a long transcript on a slow laptop: keys
    pressed meanwhile reach the screen before the view of the keys before them."""
    build = screen.runner._make_view

    def slowly():
        time.sleep(seconds)
        return build()

    screen.runner._make_view = slowly


async def keys_apart(pilot, keys: str, seconds: float = 0.03) -> None:
    for key in keys:
        await pilot.press(key)
        await asyncio.sleep(seconds)


def stored_codes(archive: Archive, session_id: str) -> list[tuple[dict[str, str], list[str]]]:
    return [(c.codes, c.flags) for c in archive.load(session_id).contributions]


async def test_a_flag_typed_after_both_codes_belongs_to_the_turn_coded(tmp_path: Path) -> None:
    session_id = import_transcript(tmp_path, alternating(4))
    archive, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await keys_apart(pilot, "otg")
        await settle(pilot)
        message = status_text(pilot)
    assert stored_codes(archive, session_id)[:2] == [
        ({"orientation": "org_first", "topic": "transactional"}, ["governance_shield"]),
        ({}, []),
    ]
    assert "turn 1 · Ann Lee: Governance shield on" in message, message


async def test_thirteen_turns_keyed_30_ms_apart_are_coded_as_typed_while_views_arrive_late(tmp_path: Path) -> None:
    session_id = import_transcript(tmp_path, alternating(14))
    archive, app = open_app(tmp_path, session_id)
    typed = ["ot", "pr", "nt", "or", "pt", "nr", "ot", "pr", "nt", "or", "pt", "nr", "ot"]
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        slow_views(coding_screen(pilot), 0.2)
        await keys_apart(pilot, "".join(typed))
        await settle(pilot)
    stored = stored_codes(archive, session_id)
    assert [codes for codes, _ in stored] == [
        {"orientation": CODES[pair[0]], "topic": CODES[pair[1]]} for pair in typed
    ] + [{}]


async def test_codes_typed_right_after_the_agenda_dialog_move_on(tmp_path: Path) -> None:
    session_id = import_transcript(tmp_path, alternating(6))
    archive, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        slow_views(coding_screen(pilot), 0.2)
        await keys_apart(pilot, "ot")
        await pilot.press("A")
        await pilot.pause()
        await pilot.press(*"Budget", "enter")
        await keys_apart(pilot, "prntg")
        await settle(pilot)
    data = archive.load(session_id)
    assert [(c.codes, c.flags) for c in data.contributions][:4] == [
        ({"orientation": "org_first", "topic": "transactional"}, []),
        ({"orientation": "partnership_first", "topic": "relational"}, []),
        ({"orientation": "neutral", "topic": "transactional"}, ["governance_shield"]),
        ({}, []),
    ]
    [item] = data.session.agenda_items
    assert item.title == "Budget" and item.start_s == 0.0  # filed from the turn shown when A was pressed


# ---------------------------------------------------------------- the mover, without a screen


def turn(turn_id: str, **codes: str):
    import datetime as dt

    from observer.core.models import Contribution

    return Contribution(
        id=turn_id,
        start_s=float(turn_id[1:]),
        wall_time=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        organisation_id="o",
        codes=codes,
    )


def test_the_mover_foresees_keys_not_yet_saved_and_moves_on_at_the_next_code() -> None:
    from observer.tui.turn_mover import TurnMover

    turns = [turn("t1"), turn("t2", orientation="neutral", topic="relational"), turn("t3")]
    mover = TurnMover(["orientation", "topic"])
    mover.take_view(turns, {t.id: n for n, t in enumerate(turns)}, sequence=1)
    assert (mover.current, mover.correcting) == ("t1", False)  # the first uncoded turn
    assert mover.code_key() == ("t1", False)
    mover.keyed(2, "t1", "orientation", "org_first")
    assert mover.code_key() == ("t1", False)
    mover.keyed(3, "t1", "topic", "transactional")
    # Not saved yet, but foreseen: t1 is coded; it stays (its flags), and the next code skips coded t2.
    assert mover.waiting and mover.next_shown() == "t3"
    assert mover.code_key() == ("t3", True)
    mover.keyed(4, "t3", "orientation", "org_first")
    # A view that holds only the first key: the others are still foreseen.
    saved = [turn("t1", orientation="org_first"), turns[1], turns[2]]
    mover.take_view(saved, {t.id: n for n, t in enumerate(saved)}, sequence=2)
    assert mover.complete("t1") and mover.codes("t3") == {"orientation": "org_first"}
    # The same key again clears, as saving does.
    mover.keyed(5, "t3", "orientation", "org_first")
    assert mover.codes("t3") == {}


def test_the_mover_stays_on_a_coded_turn_gone_to_and_never_moves_on_past_an_undo() -> None:
    from observer.tui.turn_mover import TurnMover

    turns = [turn("t1", orientation="neutral", topic="relational"), turn("t2"), turn("t3")]
    positions = {t.id: n for n, t in enumerate(turns)}
    mover = TurnMover(["orientation", "topic"])
    mover.take_view(turns, positions, sequence=1)
    assert mover.current == "t2"
    mover.go("t1")  # back to a coded turn: correcting it
    assert mover.correcting and mover.code_key() == ("t1", False) and mover.next_shown() == "t2"
    mover.go("t2")
    mover.keyed(2, "t2", "orientation", "neutral")
    mover.keyed(3, "t2", "topic", "relational")
    mover.unforeseen(4)  # an undo: what it changes is known only once saved
    assert mover.code_key() == ("t2", False)
    # The view after the undo; t2 gone (say, a redo of a join): the turn now in its place is current.
    after = [turns[0], turns[2]]
    mover.take_view(after, {t.id: n for n, t in enumerate(after)}, sequence=4)
    assert mover.current == "t3" and not mover.correcting


def test_when_every_turn_is_coded_a_code_key_has_nowhere_to_go() -> None:
    from observer.tui.turn_mover import TurnMover

    turns = [turn("t1", orientation="neutral"), turn("t2", orientation="neutral", topic="relational")]
    mover = TurnMover(["orientation", "topic"])
    mover.take_view(turns, {t.id: n for n, t in enumerate(turns)}, sequence=1)
    mover.keyed(2, "t1", "topic", "relational")
    assert mover.code_key() == (None, False) and mover.current == "t1"


# ---------------------------------------------------------------- joining, splitting, going to a turn


async def test_j_on_two_speakers_asks_and_joins_nothing_without_enter(tmp_path: Path) -> None:
    from observer.tui.dialogs import Confirm

    session_id = import_transcript(tmp_path, alternating(4))
    archive, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("J")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        assert "Join turn 1 (Ann Lee) with turn 2 (Bob Khan)?" in str(app.screen.query_one(".dialog-title").content)
        await pilot.press("escape")
        await settle(pilot)
        assert "nothing joined: turn 2 stays Bob Khan's" in status_text(pilot)
        assert len(archive.load(session_id).contributions) == 4
        await pilot.press("J")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        message = status_text(pilot)
    data = archive.load(session_id)
    people = {p.id: p.name for p in data.session.participants}
    assert [(people[c.participant_id], c.start_s, c.end_s) for c in data.contributions] == [
        ("Ann Lee", 0.0, 18.0),
        ("Cath Diaz", 20.0, 28.0),
        ("Dev Shah", 30.0, 38.0),
    ]
    assert "turn 1 · Ann Lee: joined with the next turn: Bob Khan's words and 0:08.0 of talk are now Ann Lee's" in (
        message
    ), message


async def test_j_on_one_speaker_joins_at_once(tmp_path: Path) -> None:
    turns = [("Ann Lee", "First part."), ("Ann Lee", "Second part."), ("Bob Khan", "Mine.")]
    session_id = import_transcript(tmp_path, turns, "--merge-gap", "0")
    archive, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("J")
        await settle(pilot)
    assert [c.words for c in archive.load(session_id).contributions] == ["First part. Second part.", "Mine."]


async def test_after_correcting_a_coded_turn_the_screen_stays_on_it_and_colon_goes_to_a_turn(tmp_path: Path) -> None:
    from .tui_helpers import type_text

    session_id = import_transcript(tmp_path, alternating(5))
    archive, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await keys_apart(pilot, "otprnt")  # turns 1–3 coded; turn 3 in view
        await pilot.press("colon")
        await pilot.pause()
        await type_text(pilot, "1")
        await pilot.press("enter")
        await settle(pilot)
        screen = coding_screen(pilot)
        assert "turn 1 of 5" in str(screen.query_one("#clock-bar").render())
        await keys_apart(pilot, "pr")  # corrects turn 1, and stays on it
        await settle(pilot)
        assert "turn 1 of 5" in str(screen.query_one("#clock-bar").render())
        assert "turn 1 · Ann Lee: Topic: Relational" in status_text(pilot)
        await pilot.press("colon")
        await pilot.pause()
        await type_text(pilot, "9")
        await pilot.press("enter")
        await settle(pilot)
        assert "'9' is not a turn: type a number from 1 to 5" in status_text(pilot)
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press("²", "enter")  # a digit to Python, but no number
        await settle(pilot)
        assert "'²' is not a turn: type a number from 1 to 5" in status_text(pilot)
        await pilot.press("tab", "tab", "tab")  # to turn 4, the first uncoded: coded in the flow again
        await keys_apart(pilot, "ntpr")
        await settle(pilot)
    assert [c.codes for c in archive.load(session_id).contributions] == [
        {"orientation": "partnership_first", "topic": "relational"},
        {"orientation": "partnership_first", "topic": "relational"},
        {"orientation": "neutral", "topic": "transactional"},
        {"orientation": "neutral", "topic": "transactional"},
        {"orientation": "partnership_first", "topic": "relational"},
    ]


async def test_undo_goes_back_to_the_turn_it_changed(tmp_path: Path) -> None:
    session_id = import_transcript(tmp_path, alternating(4))
    archive, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await keys_apart(pilot, "otp")  # turn 2 has p
        await pilot.press("ctrl+z", "ctrl+z")  # p, then turn 1's t
        await settle(pilot)
        assert "undone: turn 1 · Ann Lee: Topic: Transactional" in status_text(pilot)
        assert "turn 1 of 4" in str(coding_screen(pilot).query_one("#clock-bar").render())
        await keys_apart(pilot, "rg")  # turn 1 again: its topic, then a flag
        await settle(pilot)
    assert stored_codes(archive, session_id)[:2] == [
        ({"orientation": "org_first", "topic": "relational"}, ["governance_shield"]),
        ({}, []),
    ]


async def test_s_moves_the_cut_by_word_and_escape_splits_nothing(tmp_path: Path) -> None:
    session_id = import_transcript(tmp_path, [("Ann Lee", "One two three four"), ("Bob Khan", "Five")])
    archive, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("S", "end")
        await pilot.pause()
        title = str(app.screen.query_one("#cut-title").content)
        # Before "four": "One two three" is 13 of 18 characters of an 8-second turn: 5.8 s.
        assert title.startswith("Split at 0:05.8, before word 4 of 4"), title
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("tab", "S")  # a turn of one word: nothing to split
        await settle(pilot)
        assert "a turn of fewer than two words cannot be split" in status_text(pilot)
    assert len(archive.load(session_id).contributions) == 2


# ---------------------------------------------------------------- reading a long turn


async def test_a_900_character_turn_reads_to_its_last_word(tmp_path: Path) -> None:
    from .transcript_files import LONG_WORDS
    from .tui_helpers import screen_lines, turn_panel

    assert len(LONG_WORDS) == 900
    session_id = import_transcript(tmp_path, alternating(4, long_at=1))
    for size in ((120, 35), (80, 24)):
        _, app = open_app(tmp_path, session_id)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("tab")
            await settle(pilot)

            def shown() -> str:
                return "\n".join(screen_lines(pilot))

            assert "turn 2 of 4 · Bob Khan 0:10–0:18: We have to" in shown()
            presses = 0
            while "ENDMARK." not in shown():
                assert "PgDn reads on" in turn_panel(pilot), (size, shown())  # it says more follows
                await pilot.press("pagedown")
                await pilot.pause()
                presses += 1
                assert presses < 12, shown()
            assert size == (120, 35) or presses, "at 80×24 the turn cannot fit: it scrolls"
            assert "↓ Cath Diaz 0:20: Point 3" in shown()  # the next turn stays in view


async def test_a_long_turn_gone_to_says_that_more_follows(tmp_path: Path) -> None:
    # The turn before fills the room for the words already: the long one is no taller on screen, only longer.
    from .transcript_files import LONG_WORDS
    from .tui_helpers import turn_panel

    turns = alternating(6, long_at=4)
    turns[0] = (turns[0][0], "A first turn long enough to fill the lines the words have at 80 by 24. " * 4)
    session_id = import_transcript(tmp_path, turns)
    for size in ((120, 35), (80, 24)):
        _, app = open_app(tmp_path, session_id)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("colon")
            await pilot.pause()
            await pilot.press("5", "enter")
            await settle(pilot)
            await pilot.pause()
            assert LONG_WORDS[:40] in turn_panel(pilot)
            assert "PgDn reads on" in turn_panel(pilot), size


async def test_undo_and_redo_across_a_join_and_a_split_come_back_to_the_turn(tmp_path: Path) -> None:
    session_id = import_transcript(tmp_path, alternating(3))
    archive, app = open_app(tmp_path, session_id)
    before = [(c.start_s, c.end_s, c.words) for c in archive.load(session_id).contributions]
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        screen = coding_screen(pilot)
        await pilot.press("tab", "J")  # turn 2 (Bob) with turn 3 (Cath): asked, Enter joins
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert len(archive.load(session_id).contributions) == 2
        await pilot.press("shift+tab")  # away, then undo: back on turn 2, both turns again
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert "undone: turn 2 · Bob Khan: joined with the next turn" in status_text(pilot)
        assert "turn 2 of 3" in str(screen.query_one("#clock-bar").render())
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert len(archive.load(session_id).contributions) == 2
        await pilot.press("ctrl+z", "S", "right", "enter")  # apart again; then turn 2 split
        await settle(pilot)
        assert len(archive.load(session_id).contributions) == 4
        await pilot.press("ctrl+z")
        await settle(pilot)
    assert [(c.start_s, c.end_s, c.words) for c in archive.load(session_id).contributions] == before


async def test_a_turn_with_a_text_direction_override_is_shown_without_it(tmp_path: Path) -> None:
    # A right-to-left override in what was said would reverse the rest of the line on screen, panels included.
    turns = alternating(3)
    turns[1] = (turns[1][0], "مرحبا بالجميع \u202eevil override and more words")
    session_id = import_transcript(tmp_path, turns)
    _, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(120, 35)) as pilot:
        from .tui_helpers import turn_panel

        await settle(pilot)
        below = turn_panel(pilot)  # turn 2 below turn 1
        assert "بالجميع evil override" in below and "\u202e" not in below
        await pilot.press("tab")
        await settle(pilot)
        shown = turn_panel(pilot)
        assert "مرحبا بالجميع evil override" in shown and "\u202e" not in shown
        await pilot.press("S", "home")
        await pilot.pause()
        cut = str(app.screen.query_one("#cut-words").content)
        assert "evil" in cut and "\u202e" not in cut, cut


async def test_the_split_dialog_keeps_the_cut_and_its_keys_on_screen_however_long_the_turn(tmp_path: Path) -> None:
    from .tui_helpers import screen_lines

    turns = alternating(3, long_at=0)  # 900 characters
    turns[1] = (turns[1][0], "Before " + "W" * 10_000 + " after the one very long word")
    session_id = import_transcript(tmp_path, turns)
    for size in ((120, 35), (80, 24)):
        _, app = open_app(tmp_path, session_id)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            for keys, next_to_cut in ((("S",), "We ▌ have"), (("escape", "tab", "S", "home", "right"), "WWW ▌ after")):
                await pilot.press(*keys)
                await pilot.pause()
                shown = "\n".join(screen_lines(pilot))
                assert "Esc cancels" in shown, (size, shown)  # the whole dialog, its keys at the foot
                assert next_to_cut in " ".join(shown.replace("█", " ").split()), (size, shown)


# ---------------------------------------------------------------- keys typed faster than the screen draws


def typed_in_one_burst(app: ObserverApp, keys: list[tuple[str, str]]) -> None:
    """Keys as a terminal delivers them while the screen is busy drawing: all there before the screen handles the
    first. Each is (key name, character)."""
    from textual import events

    for key, character in keys:
        app.post_message(events.Key(key, character))


async def test_keys_typed_faster_than_the_screen_draws_take_effect_in_the_order_typed(tmp_path: Path) -> None:
    session_id = import_transcript(tmp_path, alternating(30))
    archive, app = open_app(tmp_path, session_id)
    speakers = [c.participant_id for c in archive.load(session_id).contributions]
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        screen = coding_screen(pilot)
        # Tab between the keys: o codes turn 1 before Tab leaves it.
        typed_in_one_burst(app, [("o", "o"), ("tab", "\t"), ("p", "p"), ("r", "r")])
        await settle(pilot)
        # ":25⏎" as one gesture: the digits are the dialog's, not speaker keys re-attributing turn 2.
        typed_in_one_burst(app, [("colon", ":"), ("2", "2"), ("5", "5"), ("enter", "\r")])
        await settle(pilot)
        await until(pilot, lambda: screen.mover.number(screen.mover.current) == 25, "turn 25 in view")
        # A note typed straight after N: its letters are the note's, not flag and code keys on turn 25.
        typed_in_one_burst(app, [("N", "N"), *[(letter, letter) for letter in "Third"], ("enter", "\r")])
        await settle(pilot)
        await until(pilot, lambda: app.screen is screen, "the note dialog closed")
        await settle(pilot)
    turns = archive.load(session_id).contributions
    assert [c.codes for c in turns[:2]] == [
        {"orientation": "org_first"},
        {"orientation": "partnership_first", "topic": "relational"},
    ]
    assert [c.participant_id for c in turns] == speakers
    assert (turns[24].note, turns[24].codes, turns[24].flags) == ("Third", {}, [])


async def test_colon_counts_turns_as_they_are_when_the_number_is_typed(tmp_path: Path) -> None:
    turns = alternating(4)
    turns[1] = (turns[0][0], "Ann again, straight after.")  # turns 1 and 2 are Ann's: J joins without asking
    session_id = import_transcript(tmp_path, turns, "--merge-gap", "1")
    archive, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        screen = coding_screen(pilot)
        slow_views(screen, 0.3)
        await pilot.press("J", "colon")  # the dialog opens before the join's view arrives
        await settle(pilot)
        await pilot.press("3", "enter")
        await settle(pilot)
        assert "turn 3 of 3" in str(screen.query_one("#clock-bar").render())
        assert screen.mover.current == archive.load(session_id).contributions[2].id


async def test_e_straight_after_the_last_code_shows_the_summary_without_asking(tmp_path: Path) -> None:
    from observer.tui.review import ReviewScreen

    from .tui_helpers import shown

    session_id = import_transcript(tmp_path, alternating(2))
    archive, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await keys_apart(pilot, "ot")
        await settle(pilot)
        slow_views(coding_screen(pilot), 0.3)
        await pilot.press("p", "r", "E")  # E before the last code's view arrives: nothing is left to code
        await shown(pilot, ReviewScreen)
    assert archive.load(session_id).session.status == "ended"
