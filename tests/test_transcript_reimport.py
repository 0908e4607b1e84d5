"""Importing a transcript with its agenda, and importing it again over an earlier import (to put names right)
without losing the coding already done or leaving the earlier import behind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner

from observer.cli.main import main
from observer.live.coding import CodingSession
from observer.storage import Archive

from .conftest import crash, current_journal
from .test_transcript_screen import open_app
from .transcript_files import ROSTER, alternating, write_vtt
from .tui_helpers import settle

MOMENT = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


def run(tmp_path: Path, *arguments: str):
    return CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), *arguments])


def created(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output.split("created session ")[1].split(":")[0]


async def test_agenda_items_are_planned_and_the_first_files_every_turn_until_a_starts_the_next(
    tmp_path: Path,
) -> None:
    vtt = write_vtt(tmp_path / "board.vtt", alternating(4))
    first = run(
        tmp_path, "transcript", "import", str(vtt), "--series", "North", "--agenda", "Welcome", "--agenda", "Budget"
    )
    session_id = created(first)
    assert "4 turns from 4 cues, 4 speakers, codebook partnership, 2 agenda items planned" in first.output
    archive = Archive(tmp_path / "data")
    data = archive.load(session_id)
    assert data.session.planned_agenda == ["Welcome", "Budget"]
    [welcome] = data.session.agenda_items
    assert (welcome.title, welcome.start_s) == ("Welcome", 0.0)
    assert {c.agenda_item_id for c in data.contributions} == {welcome.id}

    _, app = open_app(tmp_path, session_id)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("tab", "tab", "A")  # turn 3: the next planned item is offered; Enter takes it
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
    data = archive.load(session_id)
    budget = next(item for item in data.session.agenda_items if item.title == "Budget")
    assert budget.start_s == 20.0
    assert [c.agenda_item_id for c in data.contributions] == [welcome.id, welcome.id, budget.id, budget.id]

    # The series' next import plans the same agenda unless told otherwise.
    again = run(tmp_path, "transcript", "import", str(vtt), "--series", "North")
    assert "agenda carried over from 'board' (--agenda replaces it)" in again.output
    assert archive.load(created(again)).session.planned_agenda == ["Welcome", "Budget"]


def with_a_stranger(tmp_path: Path) -> Path:
    turns = alternating(4)
    turns[2] = ("Priya Rao", "Healthwatch has heard from patients about this.")
    return write_vtt(tmp_path / "board.vtt", turns)


def test_import_again_with_a_map_over_the_first_import_keeps_its_codes_and_trashes_it(tmp_path: Path) -> None:
    vtt = with_a_stranger(tmp_path)
    first = run(tmp_path, "transcript", "import", str(vtt), "--roster", str(ROSTER), "--series", "North")
    earlier = created(first)
    # The line that fixes the names says how: --replace, and the session to replace.
    assert f"--map FILE.csv --replace {earlier}" in first.output
    archive = Archive(tmp_path / "data")
    with archive.open_session(earlier) as store:
        coding = CodingSession(store)
        turns = coding.contributions()
        for turn, orientation in zip(turns[:3], ("org_first", "partnership_first", "neutral"), strict=True):
            coding.set_code(MOMENT, "orientation", orientation, turn.id)
            coding.set_code(MOMENT, "topic", "relational", turn.id)
        coding.toggle_flag(MOMENT, "challenge", turns[2].id)
        coding.set_note(MOMENT, "patients' view", turns[2].id)
        coding.start_agenda_item_at(MOMENT, 10.0, "Budget")
    mapping = tmp_path / "map.csv"
    mapping.write_text("Priya Rao,Priya Rao,Healthwatch\n")

    second = run(tmp_path, "transcript", "import", str(vtt), "--map", str(mapping), "--replace", earlier[:6])
    replaced = created(second)
    assert f"replaced session {earlier}: 3 coded turns kept their coding" in second.output
    assert "The earlier session is in the trash: u on Home restores it" in second.output
    assert "not on the roster" not in second.output

    ids = archive.session_ids()
    assert earlier not in ids and replaced in ids
    data = archive.load(replaced)
    session = data.session
    assert (session.series, session.title, session.status) == ("North", "board", "to_code")
    people = {p.id: p.name for p in session.participants}
    organisation = {p.name: session.organisation(p.organisation_id).name for p in session.participants}
    assert [people[c.participant_id] for c in data.contributions] == ["Ann Lee", "Bob Khan", "Priya Rao", "Dev Shah"]
    assert organisation["Priya Rao"] == "Healthwatch"
    assert "Not on the roster" not in {o.name for o in session.organisations}  # no orphan left behind
    assert [(c.codes.get("orientation"), c.flags, c.note) for c in data.contributions] == [
        ("org_first", [], ""),
        ("partnership_first", [], ""),
        ("neutral", ["challenge"], "patients' view"),
        (None, [], ""),
    ]
    [item] = session.agenda_items
    assert item.title == "Budget"
    assert [c.agenda_item_id for c in data.contributions] == [None, item.id, item.id, item.id]

    # Nothing stored is lost: the earlier import comes back from the trash.
    restored = archive.restore_session(archive.trashed()[-1])
    assert restored == earlier and archive.load(earlier).contributions[2].note == "patients' view"


def test_replace_is_refused_when_coding_would_be_lost_unless_forced(tmp_path: Path) -> None:
    vtt = write_vtt(tmp_path / "board.vtt", alternating(4))
    earlier = created(run(tmp_path, "transcript", "import", str(vtt), "--roster", str(ROSTER)))
    archive = Archive(tmp_path / "data")
    with archive.open_session(earlier) as store:
        coding = CodingSession(store)
        first = coding.contributions()[0]
        coding.set_code(MOMENT, "orientation", "neutral", first.id)
        coding.join_with_next(MOMENT, first.id)  # turn 1 is no longer a turn of the file
        coding.set_code(MOMENT, "orientation", "neutral", coding.contributions()[1].id)
    refused = run(tmp_path, "transcript", "import", str(vtt), "--replace", earlier)
    assert refused.exit_code == 1
    assert f"--replace: 1 coded turn of session {earlier} would lose its coding" in refused.output
    assert "turn 1 at 0:00 (Ann Lee)" in refused.output and "Nothing was imported" in refused.output
    assert archive.session_ids() == [earlier]

    forced = run(tmp_path, "transcript", "import", str(vtt), "--replace", earlier, "--force")
    replaced = created(forced)
    assert "1 coded turn kept its coding; 1 coded turn not kept (their coding stays in the trashed session)" in (
        forced.output
    )
    assert archive.session_ids() == [replaced]
    assert [c.codes for c in archive.load(replaced).contributions] == [{}, {}, {"orientation": "neutral"}, {}]


def test_replace_only_an_import_of_the_same_file_that_nobody_has_open(tmp_path: Path) -> None:
    vtt = write_vtt(tmp_path / "board.vtt", alternating(2))
    other = write_vtt(tmp_path / "other.vtt", alternating(2))
    earlier = created(run(tmp_path, "transcript", "import", str(vtt)))
    live = run(tmp_path, "new", "--title", "Live", "--no-open")
    live_id = live.output.split("created session ")[1].split(":")[0]
    for arguments, said in (
        (["--replace", live_id], f"--replace: session {live_id} was coded live, not imported from a transcript"),
        (["--force"], "--force goes with --replace"),
        (["--replace", "nosuch"], "nosuch"),
    ):
        result = run(tmp_path, "transcript", "import", str(vtt), *arguments)
        assert result.exit_code == 1 and said in result.output and "Traceback" not in result.output, result.output
    wrong = run(tmp_path, "transcript", "import", str(other), "--replace", earlier)
    assert wrong.exit_code == 1
    assert f"--replace: session {earlier} was imported from 'board.vtt', not 'other.vtt'" in wrong.output
    archive = Archive(tmp_path / "data")
    with archive.open_session(earlier):
        busy = run(tmp_path, "transcript", "import", str(vtt), "--replace", earlier)
    assert busy.exit_code == 1 and "is open for coding: close it first" in busy.output
    assert sorted(archive.session_ids()) == sorted([earlier, live_id])


def test_import_again_keeps_a_speaker_the_coder_put_right_by_hand(tmp_path: Path) -> None:
    # Teams gave turn 2 to Bob, who shared a room with Ann; the coder pressed 1 (Ann) on it. The map then fixes
    # a stranger's name: Ann stays turn 2's speaker, and the stranger's turn takes the map's.
    vtt = with_a_stranger(tmp_path)
    earlier = created(run(tmp_path, "transcript", "import", str(vtt), "--roster", str(ROSTER)))
    archive = Archive(tmp_path / "data")
    with archive.open_session(earlier) as store:
        coding = CodingSession(store)
        turns = coding.contributions()
        ann = coding.session.participants[0]
        coding.set_speaker(MOMENT, turns[1].id, ann.id, ann.organisation_id)
        stranger = next(p for p in coding.session.participants if p.name == "Priya Rao")
        coding.set_speaker(MOMENT, turns[3].id, stranger.id, stranger.organisation_id)  # to someone the map moves
    mapping = tmp_path / "map.csv"
    mapping.write_text("Priya Rao,Priya Rao,Healthwatch\n")

    refused = run(tmp_path, "transcript", "import", str(vtt), "--map", str(mapping), "--replace", earlier)
    assert refused.exit_code == 1, refused.output
    assert "1 coded turn of session" in refused.output and "turn 4 at 0:30 (Priya Rao)" in refused.output

    with archive.open_session(earlier) as store:
        coding = CodingSession(store)
        coding.undo()  # turn 4 is Dev's again
    replaced = created(run(tmp_path, "transcript", "import", str(vtt), "--map", str(mapping), "--replace", earlier))
    data = archive.load(replaced)
    names = {p.id: p.name for p in data.session.participants}
    assert [names[c.participant_id] for c in data.contributions] == ["Ann Lee", "Ann Lee", "Priya Rao", "Dev Shah"]


def test_import_again_over_a_transcript_finished_early_keeps_it_finished(tmp_path: Path) -> None:
    vtt = with_a_stranger(tmp_path)
    earlier = created(run(tmp_path, "transcript", "import", str(vtt), "--roster", str(ROSTER), "--series", "North"))
    archive = Archive(tmp_path / "data")
    with archive.open_session(earlier) as store:
        coding = CodingSession(store)
        first = coding.contributions()[0]
        coding.set_code(MOMENT, "orientation", "neutral", first.id)
        coding.set_code(MOMENT, "topic", "relational", first.id)
        coding.end_session(MOMENT)  # E: finished with three turns uncoded
    mapping = tmp_path / "map.csv"
    mapping.write_text("Priya Rao,Priya Rao,Healthwatch\n")
    replaced = created(run(tmp_path, "transcript", "import", str(vtt), "--map", str(mapping), "--replace", earlier))
    session = archive.load(replaced).session
    assert (session.status, session.ended_s) == ("ended", 38.0)


def test_replace_is_refused_over_a_damaged_journal_unless_forced(tmp_path: Path) -> None:
    # Saved codes follow a damaged journal line: no reader can see them, so importing again would leave them out.
    vtt = write_vtt(tmp_path / "board.vtt", alternating(4))
    earlier = created(run(tmp_path, "transcript", "import", str(vtt), "--roster", str(ROSTER)))
    archive = Archive(tmp_path / "data")
    store = archive.open_session(earlier)
    coding = CodingSession(store)
    for turn in coding.contributions():
        coding.set_code(MOMENT, "orientation", "neutral", turn.id)
    crash(store)  # the process dies: the journal is never folded
    journal = current_journal(archive, earlier)
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("".join([lines[0], '{"damaged\n', *lines[2:]]))

    refused = run(tmp_path, "transcript", "import", str(vtt), "--replace", earlier)
    assert refused.exit_code == 1, refused.output
    assert f"{journal.name} line 2 is damaged" in refused.output  # said as every reader says it
    assert f"--replace: session {earlier}'s journal is damaged" in refused.output
    assert archive.session_ids() == [earlier]

    forced = created(run(tmp_path, "transcript", "import", str(vtt), "--replace", earlier, "--force"))
    assert archive.session_ids() == [forced]
    trashed = archive.trashed()[-1]
    assert (tmp_path / "data" / "trash" / trashed / journal.name).read_text().count("\n") == 4  # kept whole
