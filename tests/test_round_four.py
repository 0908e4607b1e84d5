"""The fourth attack round beyond transcript files: records that stop round-tripping, values no command should
take, codings of one meeting counted once, and the small things a first-time user tripped on."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from observer.cli.main import main
from observer.core.models import SessionData
from observer.live.coding import CodingSession
from observer.live.coding_steps import ActionRefused
from observer.storage import Archive

from .conftest import REPO, current_journal

TEAMS = REPO / "tests" / "data" / "transcripts" / "teams.vtt"
ROSTER = REPO / "tests" / "data" / "transcripts" / "roster.csv"
MOMENT = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


def run(data_dir: Path, *arguments: str):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *arguments])


def observer_process(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "observer", "--data-dir", str(data_dir), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def one_line(output: str, *said: str) -> None:
    assert output.strip().count("\n") == 0, output
    assert "unexpected" not in output and "Traceback" not in output, output
    for part in said:
        assert part in output, output


def imported(data_dir: Path, *extra: str, file: Path = TEAMS) -> str:
    result = run(data_dir, "transcript", "import", str(file), "--roster", str(ROSTER), *extra)
    assert result.exit_code == 0, result.output
    return result.output.split("created session ")[1].split(":")[0]


# ---------------------------------------------------------------- 1. a turn's start past its end


def test_a_turn_start_cannot_be_moved_past_its_end(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    session_id = imported(data_dir)
    with Archive(data_dir).open_session(session_id) as store:
        coding = CodingSession(store)
        first = coding.contributions()[0]  # 1.25–7.333 s
        with pytest.raises(ActionRefused, match=r"the turn ends at 0:07; its start must come before"):
            coding.set_start(MOMENT, first.id, 8.0)
        coding.set_start(MOMENT, first.id, 3.0)  # within the turn: it starts later, and ends where it did
        moved = coding.contributions()[0]
        assert (moved.start_s, moved.end_s) == (3.0, 7.333)


async def test_t_past_the_turns_end_is_refused_on_the_transcript_screen(tmp_path: Path) -> None:
    from observer.tui.app import ObserverApp

    from .tui_helpers import FakeClock, settle, status_text, type_text

    data_dir = tmp_path / "data"
    session_id = imported(data_dir)
    archive = Archive(data_dir)
    store = archive.open_session(session_id)  # as `observer resume` opens it: the transcript screen
    app = ObserverApp(archive, start="coding", session_id=session_id, store=store, clock=FakeClock())
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await pilot.pause()
        await pilot.press(*["backspace"] * 12)
        await type_text(pilot, "0:08")
        await pilot.press("enter")
        await settle(pilot)
        assert "its start must come before" in status_text(pilot)
    first = archive.load(session_id).contributions[0]
    assert (first.start_s, first.end_s) == (1.25, 7.333)


def test_a_bundle_is_never_written_with_what_import_would_refuse(tmp_path: Path) -> None:
    """A session stored before the fix (a turn 0:08–0:05) is not bundled; once its start is fixed, it is, and the
    bundle imports: in processes of their own, as a user runs them."""
    data_dir = tmp_path / "data"
    session_id = imported(data_dir)
    archive = Archive(data_dir)
    data = archive.load(session_id)
    broken = data.contributions[0].model_copy(update={"start_s": 8.0})
    archive.trash_session(session_id)
    archive.add_session(SessionData(session=data.session, contributions=[broken, *data.contributions[1:]]))

    bundle = tmp_path / "pack.bundle"
    refused = observer_process(data_dir, "bundle", session_id, "-o", str(bundle))
    assert refused.returncode == 1
    one_line(refused.stderr, session_id, "before it starts", "T on that turn")
    assert not bundle.exists()

    with archive.open_session(session_id) as store:
        CodingSession(store).set_start(MOMENT, broken.id, 1.25)
    assert observer_process(data_dir, "bundle", session_id, "-o", str(bundle)).returncode == 0
    other = tmp_path / "other"
    imported_again = observer_process(other, "import", str(bundle))
    assert imported_again.returncode == 0, imported_again.stderr
    assert json.loads(observer_process(other, "sessions", "--json").stdout)[0]["id"] == session_id


# ---------------------------------------------------------------- 5. every float option: finite, in its range

FLOAT_OPTIONS = [
    ("agreement", "--slice", "0.1", "60"),
    ("agreement", "--tolerance", "0", "600"),
    ("agreement", "--offset", "-604800", "604800"),
    ("calibrate", "--tolerance", "0", "600"),
    ("calibrate", "--offset", "-604800", "604800"),
    ("transcript import", "--merge-gap", "0", "3600"),
]
BAD_VALUES = ["nan", "NaN", "inf", "-inf", "1e309", "abc", "", "0x10"]


@pytest.fixture(scope="module")
def two_codings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    data_dir = tmp_path_factory.mktemp("codings") / "data"
    first, second = imported(data_dir), imported(data_dir)
    return data_dir, first, second


def _command(data_dir: Path, first: str, second: str, command: str, option: str, value: str):
    if command == "transcript import":
        return run(data_dir, "transcript", "import", str(TEAMS), option, value)
    extra = ["--offset", "0"] if option != "--offset" else []
    return run(data_dir, command, first, second, option, value, *extra, "--json")


@pytest.mark.parametrize(("command", "option", "low", "high"), FLOAT_OPTIONS)
def test_every_float_option_refuses_what_is_not_a_finite_number_in_its_range(
    two_codings: tuple[Path, str, str], command: str, option: str, low: str, high: str
) -> None:
    data_dir, first, second = two_codings
    sessions_before = sorted((data_dir / "sessions").iterdir())
    outside = [f"{float(low) - 1:g}", f"{float(high) * 1.001 + 1:g}"]
    if option == "--slice":
        outside += ["0.001", "1e-9", "0"]
    for value in [*BAD_VALUES, *outside]:
        result = _command(data_dir, first, second, command, option, value)
        assert result.exit_code != 0, (option, value, result.output)  # never a JSON of NaN counts
        one_line(result.output, option)
    for value in (low, high):  # the ends of the range are taken
        result = _command(data_dir, first, second, command, option, value)
        assert result.exit_code in (0, 1), result.output  # 1: a sound refusal of these sessions (no overlap)
        assert "Invalid value" not in result.output, result.output
    assert not (data_dir / "calibrations.jsonl").exists() or all(
        "NaN" not in line and "Infinity" not in line
        for line in (data_dir / "calibrations.jsonl").read_text().splitlines()
    )
    assert len(sorted((data_dir / "sessions").iterdir())) >= len(sessions_before)


def test_minus_zero_seconds_are_zero_seconds_in_what_is_printed_and_recorded(
    two_codings: tuple[Path, str, str],
) -> None:
    data_dir, first, second = two_codings
    agreed = run(data_dir, "agreement", first, second, "--offset", "-0", "--tolerance", "-0.0", "--json")
    assert agreed.exit_code == 0, agreed.output
    printed = json.loads(agreed.output)
    assert (str(printed["offset_s"]), str(printed["tolerance_s"])) == ("0.0", "0.0")
    assert "-0" not in run(data_dir, "agreement", first, second, "--offset", "-0").output


def test_the_ranges_are_in_each_commands_help() -> None:
    for command, option, low, high in FLOAT_OPTIONS:
        help_text = " ".join(CliRunner().invoke(main, [*command.split(), "--help"]).output.split())
        assert f"{option} SECONDS" in help_text, (command, option)
        assert f"{float(low):g} to {float(high):g}" in help_text.replace(",", ""), (command, option, help_text)


def test_agreement_never_prints_nan_and_the_core_refuses_it_too(two_codings: tuple[Path, str, str]) -> None:
    from observer.analysis import agreement, calibration
    from observer.core.errors import InputError

    data_dir, first, second = two_codings
    archive = Archive(data_dir)
    a, b = archive.load(first), archive.load(second)
    for arguments in ({"slice_s": float("nan")}, {"tolerance_s": float("nan")}, {"offset_s": float("inf")}):
        with pytest.raises(InputError):
            agreement.compare(a, b, **({"offset_s": 0.0} | arguments))
    with pytest.raises(InputError):
        calibration.calibrate(a, b, tolerance_s=float("nan"), offset_s=0.0)
    with pytest.raises(InputError, match="--slice"):
        agreement.compare(a, b, slice_s=1e-6, offset_s=0.0)
    # Two codings of a meeting of 55 hours, in tenths of a second: two million slices, refused in words.
    long = data_dir.parent / "long.vtt"
    long.write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Ann Lee>Hi.</v>\n\n"
        "55:00:00.000 --> 55:00:05.000\n<v Ann Lee>Bye.</v>\n"
    )
    one, other = (archive.load(imported(data_dir, file=long)) for _ in range(2))
    with pytest.raises(InputError, match=r"into 1,980,049 slices \(the most is 1,000,000\); .* at least 0.2"):
        agreement.compare(one, other, slice_s=0.1, offset_s=0.0)


# ---------------------------------------------------------------- 6. calibration across codebook versions


def test_calibration_across_two_versions_of_a_codebook_needs_force(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    renamed = tmp_path / "partnership-2.toml"
    source = (REPO / "codebooks" / "partnership.toml").read_text()
    renamed.write_text(
        source.replace('version = "1.0"', 'version = "2.0"')
        .replace('id = "transactional"', 'id = "task"')
        .replace('id = "relational"', 'id = "relationship"')
        .replace('"transactional"', '"task"')
        .replace('"relational"', '"relationship"')
    )
    reference = imported(data_dir)
    trainee = imported(data_dir, "--codebook", str(renamed))
    refused = observer_process(data_dir, "calibrate", reference, trainee)
    assert refused.returncode == 1
    one_line(refused.stderr, "versions 1.0 and 2.0", "--force")
    assert not (data_dir / "calibrations.jsonl").exists()  # nothing recorded
    forced = run(data_dir, "calibrate", reference, trainee, "--force", "--json")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.output)["codebook"] == "partnership 1.0"


def test_calibration_forced_across_versions_names_what_only_one_version_has(tmp_path: Path) -> None:
    # Version 2.0 calls the topic dimension 'subject' and organisation-first 'own_org'. With --force the
    # trainee, who coded every turn, is not said to have left turns uncoded, and the notes say why the renamed
    # ones cannot agree.
    data_dir = tmp_path / "data"
    renamed = tmp_path / "partnership-2.toml"
    source = (REPO / "codebooks" / "partnership.toml").read_text()
    renamed.write_text(
        source.replace('version = "1.0"', 'version = "2.0"')
        .replace('"topic"', '"subject"')
        .replace('"org_first"', '"own_org"')
    )
    reference = imported(data_dir, "--observer", "Ann")
    trainee = imported(data_dir, "--codebook", str(renamed), "--observer", "Kim")
    for session_id, topic, orientation in ((reference, "topic", "org_first"), (trainee, "subject", "own_org")):
        with Archive(data_dir).open_session(session_id) as store:
            coding = CodingSession(store)
            for turn in coding.contributions():
                coding.set_code(MOMENT, "orientation", orientation, turn.id)
                coding.set_code(MOMENT, topic, "relational", turn.id)
    result = run(data_dir, "calibrate", reference, trainee, "--force", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["left_out"]["not_coded_by_trainee"] == 0, report
    notes = " ".join(report["notes"])
    assert "'subject'" in notes and "'topic'" in notes and "2.0" in notes, notes
    assert "'own_org'" in notes and "'org_first'" in notes, notes


# ---------------------------------------------------------------- 8. two codings of one meeting


def test_a_second_demo_observer_codes_the_demo_meetings_there_are_and_trends_count_each_meeting_once(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    assert run(data_dir, "demo", "--contributions", "40").exit_code == 0
    second = run(data_dir, "demo", "--contributions", "40", "--second-observer")
    assert second.exit_code == 0, second.output
    assert "second coding" in second.output and "9 demo meetings" in second.output
    listed = json.loads(run(data_dir, "sessions", "--json").output)
    assert len(listed) == 18 and len({row["series"] for row in listed}) == 3  # no new series, no new meetings
    archive = Archive(data_dir)
    firsts = {row["id"] for row in listed if row["observer"] == "Demo observer"}
    for row in listed:
        if row["observer"] == "Second observer":
            coding = archive.load(row["id"]).session
            assert coding.meeting_id in firsts
            assert coding.meeting_date == archive.load(coding.meeting_id).session.meeting_date
    series = listed[0]["series"]
    trend = json.loads(run(data_dir, "trends", "--series", series, "--json").output)
    dates = [row["meeting_date"] for row in trend["rows"]]
    assert len(dates) == len(set(dates)) == 3 and trend["second_codings"] == 3
    assert {row["session_id"] for row in trend["rows"]} <= firsts  # the first coding of each meeting counts
    words = " ".join(run(data_dir, "trends", "--series", series).output.split())
    assert "over 3 meetings" in words or "3 meetings" in words
    assert "3 second codings of a meeting left out: each meeting counts once, by its first coding" in words
    # Asked again, the demo adds nothing twice.
    again = run(data_dir, "demo", "--second-observer")
    assert again.exit_code == 0 and len(json.loads(run(data_dir, "sessions", "--json").output)) == 18
    book = tmp_path / "trend.xlsx"
    assert run(data_dir, "trends", "--series", series, "-o", str(book)).exit_code == 0
    from openpyxl import load_workbook

    dashboard = " ".join(str(c.value) for row in load_workbook(book)["Dashboard"].iter_rows() for c in row if c.value)
    assert "each meeting counts once, by its first coding" in dashboard


def test_the_link_between_codings_round_trips_and_older_sessions_load(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert run(data_dir, "demo", "--sessions", "1", "--contributions", "10", "--second-observer").exit_code == 0
    archive = Archive(data_dir)
    [first, second] = sorted(row["id"] for row in json.loads(run(data_dir, "sessions", "--json").output))
    assert archive.load(second).session.meeting_id == first and archive.load(first).session.meeting_id is None
    # A first coding is stored as before (no field an older version would not know).
    assert "meeting_id" not in (data_dir / "sessions" / first / "session.json").read_text()
    bundle = tmp_path / "both.bundle"
    assert observer_process(data_dir, "bundle", first, second, "-o", str(bundle)).returncode == 0
    other = tmp_path / "other"
    assert observer_process(other, "import", str(bundle)).returncode == 0
    assert Archive(other).load(second).session.meeting_id == first
    # A forged link is refused by import, in one line, nothing imported.
    forged = tmp_path / "forged.bundle"
    forged.write_text(bundle.read_text().replace(f'"meeting_id":"{first}"', '"meeting_id":"../../etc"'))
    from observer.interop.bundle import _Checksum  # the checksum is recomputed, as a forger would

    lines = forged.read_text().splitlines()
    records = [json.loads(line.rstrip(",")) for line in lines[1:-1]]
    checksum = _Checksum()
    for record in records:
        checksum.add(record)
    lines[-1] = lines[-1][: lines[-1].index(':"') + 2] + checksum.hexdigest() + '"}'
    forged.write_text("\n".join(lines) + "\n")
    third = tmp_path / "third"
    refused = observer_process(third, "import", str(forged))
    assert refused.returncode == 1
    one_line(refused.stderr, "meeting_id")
    assert not (third / "sessions").exists() or not any((third / "sessions").iterdir())


# ---------------------------------------------------------------- 9. Home's export asks before replacing a file


async def test_home_export_asks_before_replacing_and_names_two_codings_apart(tmp_path: Path, monkeypatch) -> None:
    from textual.widgets import DataTable, Input

    from observer.interop.demo import add_second_codings, generate_demo
    from observer.tui.app import ObserverApp
    from observer.tui.dialogs import Confirm

    from .tui_helpers import FakeClock, until

    monkeypatch.chdir(tmp_path)
    archive = Archive(tmp_path / "data")
    [first] = generate_demo(archive, sessions=1, contributions=12)
    [(_, second)] = add_second_codings(archive)[1]
    app = ObserverApp(archive, clock=FakeClock())
    async with app.run_test(size=(140, 40)) as pilot:
        home = app.screen
        await until(pilot, lambda: len(getattr(home, "sessions", [])) == 2, "Home's list")
        table = home.query_one("#sessions", DataTable)
        defaults = {}
        for session_id in (first, second):
            table.move_cursor(row=next(i for i, s in enumerate(home.sessions) if s.session.id == session_id))
            await pilot.press("x")
            await pilot.pause()
            defaults[session_id] = app.screen.query_one(Input).value
            await pilot.press("escape")
            await pilot.pause()
        assert defaults[first] != defaults[second]  # two codings of one meeting: two files
        assert "second-observer" in defaults[second]

        target = tmp_path / "board.csv"
        target.write_text("keep me\n")
        table.move_cursor(row=next(i for i, s in enumerate(home.sessions) if s.session.id == first))
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        assert "board.csv" in app.screen.question and "Replace" in app.screen.question
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text() == "keep me\n"  # kept: nothing was asked of it yet
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("enter")  # names as recorded
        await until(pilot, lambda: target.read_text(encoding="utf-8-sig").startswith("session_id"), "the export")


# ---------------------------------------------------------------- 10. the About sheet's numbers are numbers


def test_the_about_sheets_session_count_is_a_number_and_its_time_a_time(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    data_dir = tmp_path / "data"
    session_id = imported(data_dir)
    book = tmp_path / "meeting.xlsx"
    assert run(data_dir, "export", session_id, "-o", str(book)).exit_code == 0
    about = {row[0].value: row[1] for row in load_workbook(book)["About"].iter_rows() if len(row) > 1}
    assert about["Sessions"].value == 1 and about["Sessions"].number_format in ("General", "0")
    assert about["Exported at (UTC)"].is_date and "yyyy" in about["Exported at (UTC)"].number_format


# ---------------------------------------------------------------- 11. small things a first-time user tripped on


@pytest.mark.parametrize("width", [80, 120])
async def test_homes_footer_fits_and_question_mark_lists_every_key(tmp_path: Path, width: int) -> None:
    from textual.widgets._footer import FooterKey

    from observer.tui.app import ObserverApp
    from observer.tui.home import HomeScreen

    from .tui_helpers import FakeClock, screen_text

    app = ObserverApp(Archive(tmp_path / "data"), clock=FakeClock())
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        keys = list(app.screen.query(FooterKey))
        assert all(key.region.right <= width for key in keys), [(k.description, k.region) for k in keys]
        shown = {key.description for key in keys}
        assert {"Quit", "Keys"} <= shown
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HomeScreen)
        words = " ".join(screen_text(pilot).split())
        for described in ("Undelete", "Demo", "Quit", "Export", "Agreement", "Series trends"):
            assert described in words, described
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


def _typed_ahead(app, text: str) -> None:
    """Keys as a fast typist sends them: all queued before the app has handled the first (Pilot waits
    between keys, which hides what typing ahead does)."""
    from textual import events

    for character in text:
        key = {"\n": "enter", " ": "space", "\t": "tab"}.get(character, character)
        event = events.Key(key, None if key in ("enter", "tab") else character)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_keys_typed_ahead_in_the_late_arrival_form_land_in_the_field_they_were_typed_for(
    tmp_path: Path, partnership
) -> None:
    from observer.tui.app import ObserverApp

    from .conftest import at, make_session
    from .tui_helpers import FakeClock, settle, until

    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=FakeClock(at(0)))
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("plus")
        await pilot.pause()
        _typed_ahead(app, "Priya Shah\nHealthwatch Riverside\n")
        await until(pilot, lambda: len(app.screen_stack) == 2, "the form closed")
        await settle(pilot)
    people = {p.name: p for p in archive.load(session.id).session.participants}
    assert "Priya Shah" in people, list(people)
    organisation = archive.load(session.id).session.organisation(people["Priya Shah"].organisation_id)
    assert organisation.name == "Healthwatch Riverside"


def _meeting_with_a_guest(archive: Archive, partnership) -> str:
    from .conftest import at, make_session

    session = make_session(partnership)
    with archive.create_session(session) as store:
        coding = CodingSession(store)
        coding.speak(at(0), participant_id=session.participants[0].id)
        coding.add_attendee(at(30), "Priya Shah", "Healthwatch")
        coding.end_session(at(60))
    return session.id


def test_a_late_arrival_is_not_carried_into_the_next_meetings_roster_without_a_word(
    tmp_path: Path, partnership
) -> None:
    data_dir = tmp_path / "data"
    _meeting_with_a_guest(Archive(data_dir), partnership)
    result = run(data_dir, "new", "--title", "Board, April", "--series", "North", "--no-open")
    assert result.exit_code == 0, result.output
    assert "Priya Shah" in result.output and "arrived late" in result.output
    created = result.output.split("created session ")[1].split(":")[0]
    names = [p.name for p in Archive(data_dir).load(created).session.participants]
    assert names == ["Ann Lee", "Bob Khan", "Cath Diaz", "Dev Shah"]


def test_a_late_arrival_is_not_carried_into_a_transcripts_roster_either(tmp_path: Path, partnership) -> None:
    from .transcript_files import alternating, write_vtt

    data_dir = tmp_path / "data"
    _meeting_with_a_guest(Archive(data_dir), partnership)
    vtt = write_vtt(tmp_path / "april.vtt", alternating(2))
    result = run(data_dir, "transcript", "import", str(vtt), "--series", "north")
    assert result.exit_code == 0, result.output
    assert "Priya Shah" in result.output and "arrived late" in result.output
    created = result.output.split("created session ")[1].split(":")[0]
    roster = [p.name for p in Archive(data_dir).load(created).session.participants]
    assert "Priya Shah" not in roster and {"Ann Lee", "Bob Khan"} <= set(roster)


@pytest.mark.parametrize("answer", ["n", "y"])
async def test_the_new_session_form_asks_whether_to_carry_a_late_arrival_over(
    tmp_path: Path, partnership, answer: str
) -> None:
    from textual.widgets import Input

    from observer.tui.app import ObserverApp
    from observer.tui.dialogs import Confirm

    from .tui_helpers import FakeClock, coding_screen, settle, type_text, until

    archive = Archive(tmp_path / "data")
    _meeting_with_a_guest(archive, partnership)
    app = ObserverApp(archive, clock=FakeClock())
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: bool(getattr(app.screen, "sessions", [])), "Home's list")
        await pilot.press("n")
        await pilot.pause()
        await type_text(pilot, "Board, April")
        app.screen.query_one("#series", Input).value = "North"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        assert "Priya Shah" in app.screen.question and "late" in app.screen.question
        await pilot.press(answer)
        await settle(pilot)
        names = [p.name for p in coding_screen(pilot).view.session.participants]
    assert ("Priya Shah" in names) == (answer == "y")
    assert names[:4] == ["Ann Lee", "Bob Khan", "Cath Diaz", "Dev Shah"]


async def test_the_key_of_someone_marked_as_left_warns_and_marks_them_back(tmp_path: Path, partnership) -> None:
    from observer.tui.app import ObserverApp

    from .conftest import at, make_session
    from .tui_helpers import FakeClock, coding_screen, press, settle, status_text

    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    archive.create_session(session).close()
    clock = FakeClock(at(0))
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=clock)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "1")
        clock.advance(10)
        await press(pilot, "minus")
        await pilot.pause()
        await pilot.press(*"Bob", "enter")  # the picker: Bob Khan has left
        await settle(pilot)
        assert "left: Bob Khan" in status_text(pilot)
        clock.advance(10)
        await press(pilot, "2")
        status = status_text(pilot)
        assert "Bob Khan speaking — had left at 0:10, now marked back" in status, status
        bob = coding_screen(pilot).view.session.participants[1].id
        assert coding_screen(pilot).view.session.attendance_of(bob).left_s is None
        await press(pilot, "ctrl+z")  # the wrong key after all: both undone in one step
        assert coding_screen(pilot).view.session.attendance_of(bob).left_s == 10.0


def test_the_recovery_message_reads_as_sentences(partnership) -> None:
    from observer.live.coding_steps import ENDED_OPENED
    from observer.storage import MemorySessionStore
    from observer.tui.live_view import opening_message

    from .conftest import make_session

    coding = CodingSession(MemorySessionStore(make_session(partnership)))
    coding.store.state.warnings.append("took over a stale lock left by pid 4242 on laptop, which is no longer running")
    recovered = "The program stopped while recording. The clock is paused at the last recorded moment (0:42)."
    message = opening_message(coding, recovered, ENDED_OPENED)
    assert "which is no longer running. The program stopped while recording." in message


async def test_the_80_column_balance_line_uses_the_rosters_short_name(tmp_path: Path, partnership) -> None:
    import datetime as dt

    from observer.interop.roster import RosterEntry, build_session
    from observer.tui.app import ObserverApp
    from observer.tui.balance_panel import BalanceLine

    from .conftest import at
    from .tui_helpers import FakeClock, until

    session = build_session(
        title="Board",
        codebook=partnership,
        meeting_date=dt.date(2026, 3, 2),
        roster=[
            RosterEntry("Ann Lee", "Northern NHS Foundation Trust", short="NFT"),
            RosterEntry("Bob Khan", "City Council"),
            RosterEntry("Cath Diaz", "City Council"),
        ],
    )
    archive = Archive(tmp_path / "data")
    with archive.create_session(session) as store:
        coding = CodingSession(store)
        for second, person in ((0, 0), (60, 1), (70, 0), (200, 1)):
            coding.speak(at(second), participant_id=session.participants[person].id)
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=FakeClock(at(300)))
    async with app.run_test(size=(80, 24)) as pilot:
        line = app.screen.query_one(BalanceLine)
        await until(pilot, lambda: "Most heard" in str(line.render()), "the balance line")
        text = str(line.render())
    assert "NFT" in text and "NNFT" not in text, text


def test_series_are_found_whatever_their_case_and_export_takes_a_series(tmp_path: Path, partnership) -> None:
    import csv
    import io

    from .conftest import make_session

    data_dir = tmp_path / "data"
    archive = Archive(data_dir)
    north = [make_session(partnership, title=f"Board {n}", series="North Board") for n in range(2)]
    for session in [*north, make_session(partnership, title="Other", series="South")]:
        archive.create_session(session).close()

    listed = json.loads(run(data_dir, "sessions", "--series", "north  board", "--json").output)
    assert sorted(row["id"] for row in listed) == sorted(s.id for s in north)
    trend = run(data_dir, "trends", "--series", "NORTH BOARD", "--include-unfinished", "--json")
    assert trend.exit_code == 0, trend.output
    assert json.loads(trend.output)["series"] == "North Board"

    created = run(data_dir, "new", "--title", "Board 3", "--series", "north board", "--no-open")
    assert created.exit_code == 0, created.output
    new_id = created.output.split("created session ")[1].split(":")[0]
    assert archive.load(new_id).session.series == "North Board"  # one series, as the archive spells it
    assert "North Board" in created.output

    out = tmp_path / "north.csv"
    exported = run(data_dir, "export", "--series", "north board", "-o", str(out))
    assert exported.exit_code == 0, exported.output
    assert "exported 3 sessions" in exported.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert {row["series"] for row in rows} <= {"North Board"}
    nothing = run(data_dir, "export", "-o", str(out))
    assert nothing.exit_code != 0
    one_line(nothing.output, "SESSION", "--series")
    unknown = run(data_dir, "export", "--series", "West", "-o", str(out))
    assert unknown.exit_code == 1
    one_line(unknown.output, "no sessions in series 'West'", "North Board", "South")


# ---------------------------------------------------------------- minor: calibration says what it can judge


def _transcript(data_dir: Path, turns: int, *extra: str) -> str:
    vtt = data_dir.parent / f"turns{turns}.vtt"
    cues = [
        f"00:{i // 6:02d}:{i % 6 * 10:02d}.000 --> 00:{i // 6:02d}:{i % 6 * 10 + 8:02d}.000\n"
        f"<v {['Ann Lee', 'Bob Khan', 'Cath Diaz'][i % 3]}>Point {i}.</v>\n"
        for i in range(turns)
    ]
    vtt.write_text("WEBVTT\n\n" + "\n".join(cues))
    return imported(data_dir, *extra, file=vtt)


def _code_all(data_dir: Path, session_id: str, orientation: list[str | None], topic: str | None = "relational") -> None:
    with Archive(data_dir).open_session(session_id) as store:
        coding = CodingSession(store)
        for turn, value in zip(coding.contributions(), orientation, strict=False):
            if value is not None:
                coding.set_code(MOMENT, "orientation", value, turn.id)
            if topic is not None:
                coding.set_code(MOMENT, "topic", topic, turn.id)


def test_calibration_of_an_empty_or_the_same_session_is_refused_in_words(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    reference = _transcript(data_dir, 12)
    empty = run(data_dir, "new", "--title", "Nothing", "--no-open").output.split("created session ")[1].split(":")[0]
    refused = run(data_dir, "calibrate", reference, empty)
    assert refused.exit_code == 1
    one_line(refused.output, f"session {empty} has no contributions")
    assert "overlap" not in refused.output
    itself = run(data_dir, "calibrate", reference, reference)
    assert itself.exit_code == 1
    one_line(itself.output, "the same session")
    assert not (data_dir / "calibrations.jsonl").exists()


def test_too_few_turns_or_nothing_coded_is_not_passed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    reference, trainee = _transcript(data_dir, 1), _transcript(data_dir, 1)
    _code_all(data_dir, reference, ["org_first"])
    _code_all(data_dir, trainee, ["org_first"])
    one = run(data_dir, "calibrate", reference, trainee, "--json")
    result = json.loads(one.output)
    assert result["passed"] is False and "too few" in " ".join(result["notes"])
    words = run(data_dir, "calibrate", reference, trainee).output
    assert words.startswith("NOT PASSED") and "too few coded turns to judge (1; at least 10)" in words

    uncoded_a, uncoded_b = _transcript(data_dir, 12), _transcript(data_dir, 12)
    nothing = json.loads(run(data_dir, "calibrate", uncoded_a, uncoded_b, "--json").output)
    assert nothing["passed"] is False  # uncoded against uncoded is not agreement
    assert nothing["dimensions"]["orientation"]["n"] == 0


def test_calibration_warns_of_unmatched_turns_and_explains_the_kappa_paradox(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    reference, trainee = _transcript(data_dir, 12), _transcript(data_dir, 12)
    _code_all(data_dir, reference, ["org_first"] * 11 + ["partnership_first"])
    _code_all(data_dir, trainee, ["org_first"] * 12)
    result = json.loads(run(data_dir, "calibrate", reference, trainee, "--json").output)
    orientation = result["dimensions"]["orientation"]
    assert orientation["agreement"] == pytest.approx(11 / 12) and orientation["kappa"] == pytest.approx(0.0)
    notes = " ".join(result["notes"])
    assert "kappa paradox" in notes and "Orientation" in notes

    short = _transcript(data_dir, 2)
    _code_all(data_dir, short, ["org_first", "org_first"])
    warned = run(data_dir, "calibrate", reference, short)
    assert "10 of the reference's 12 turns have no match in yours" in warned.output


# ---------------------------------------------------------------- minor: agreement's offset


def test_agreement_of_three_takes_the_offset_and_two_transcripts_of_one_file_need_none(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    codings = [imported(data_dir) for _ in range(3)]
    assert run(data_dir, "agreement", codings[0], codings[1], "--json").exit_code == 0  # one recording, one clock
    three = run(data_dir, "agreement", *codings, "--json")
    assert three.exit_code == 0, three.output
    far = run(data_dir, "agreement", *codings, "--offset", "100000", "--json")
    assert far.exit_code == 1  # the offset is used: a day apart, they share no time
    one_line(far.output, "do not overlap")


@pytest.mark.parametrize("typed", ["0", "-0"])
async def test_agreement_on_home_asks_for_the_offset_it_needs(tmp_path: Path, partnership, typed: str) -> None:
    from textual.widgets import DataTable

    from observer.tui.app import ObserverApp
    from observer.tui.review import AgreementScreen

    from .conftest import at, make_session
    from .tui_helpers import FakeClock, screen_text, until

    data_dir = tmp_path / "data"
    transcript = imported(data_dir)
    archive = Archive(data_dir)
    live = make_session(partnership)
    with archive.create_session(live) as store:
        coding = CodingSession(store)
        for second, person in ((1, 0), (8, 1), (11, 2), (20, 0)):
            coding.speak(at(second), participant_id=live.participants[person].id)
        coding.end_session(at(22))
    app = ObserverApp(archive, clock=FakeClock())
    async with app.run_test(size=(140, 40)) as pilot:
        home = app.screen
        await until(pilot, lambda: len(getattr(home, "sessions", [])) == 2, "Home's list")
        table = home.query_one("#sessions", DataTable)
        table.move_cursor(row=next(i for i, s in enumerate(home.sessions) if s.session.id == transcript))
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AgreementScreen), "the agreement screen")
        await until(pilot, lambda: "Cannot compare" in screen_text(pilot), "the refusal")
        words = " ".join(screen_text(pilot).split())
        assert "o gives the offset" in words
        await pilot.press("o")
        await pilot.pause()
        await pilot.press(*typed, "enter")
        await until(pilot, lambda: "kappa" in screen_text(pilot), "the comparison")
        assert "clock offset +0.0 s" in " ".join(screen_text(pilot).split())


# ---------------------------------------------------------------- minor: messages


def test_the_undo_refusal_names_the_limit_only_when_it_was_reached(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    session_id = imported(data_dir)
    with Archive(data_dir).open_session(session_id) as store:
        coding = CodingSession(store)
        first = coding.contributions()[0]
        for code in ("org_first", "partnership_first", "neutral"):
            coding.set_code(MOMENT, "orientation", code, first.id)
        for _ in range(3):
            coding.undo()
        with pytest.raises(ActionRefused) as refused:
            coding.undo()
        assert "500" not in str(refused.value) and "nothing more to undo" in str(refused.value)
        assert "as imported" in str(refused.value)


async def test_a_direction_override_stored_in_words_reaches_neither_the_turn_panel_nor_the_csv(tmp_path: Path) -> None:
    from observer.tui.app import ObserverApp

    from .tui_helpers import FakeClock, settle, turn_panel

    data_dir = tmp_path / "data"
    session_id = imported(data_dir)
    archive = Archive(data_dir)
    data = archive.load(session_id)  # words stored before the importer left such controls out
    forged = data.contributions[0].model_copy(update={"words": "we will pay \u202eten\u202c pounds"})
    archive.trash_session(session_id)
    archive.add_session(SessionData(session=data.session, contributions=[forged, *data.contributions[1:]]))
    out = tmp_path / "words.csv"
    assert run(data_dir, "export", session_id, "-o", str(out), "--with-text").exit_code == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "we will pay ten pounds" in text and "\u202e" not in text
    app = ObserverApp(
        archive, start="coding", session_id=session_id, store=archive.open_session(session_id), clock=FakeClock()
    )
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        shown = turn_panel(pilot)
    assert "we will pay ten pounds" in shown and "\u202e" not in shown


# ---------------------------------------------------------------- minor: a long turn's words journalled once


def test_flag_toggles_on_a_long_turn_do_not_journal_its_words_and_replay_keeps_them(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    session_id = imported(data_dir)
    archive = Archive(data_dir)
    data = archive.load(session_id)
    words = ("word " * 20_000).strip()  # a 100,000-character turn
    long_turn = data.contributions[0].model_copy(update={"words": words})
    archive.trash_session(session_id)
    archive.add_session(SessionData(session=data.session, contributions=[long_turn, *data.contributions[1:]]))
    with archive.open_session(session_id) as store:
        journal = current_journal(archive, session_id)
        coding = CodingSession(store)
        for _ in range(20):
            coding.toggle_flag(MOMENT, "coordinator", long_turn.id)
        coding.set_code(MOMENT, "orientation", "org_first", long_turn.id)
        coding.undo()
        coding.undo()
        assert journal.stat().st_size < 40_000  # 22 lines; each carried 200,000 characters of words before
        reread = archive.load(session_id)  # the journal replayed over the checkpoint, as a reader does
        assert reread.contributions[0].words == words and reread.contributions[0].flags == ["coordinator"]
    after_close = archive.load(session_id)  # folded: the checkpoint and its undo history
    assert after_close.contributions[0].words == words
    with archive.open_session(session_id) as store:
        coding = CodingSession(store)
        coding.undo()  # a step from the folded history: the words stay
        assert coding.contributions()[0].words == words and coding.contributions()[0].flags == []


# ---------------------------------------------------------------- minor: -o follows links as the kernel would


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs to make a link another user owns")
def test_output_through_another_users_link_in_a_shared_folder_is_refused(tmp_path: Path, partnership) -> None:
    """fs.protected_symlinks: in a sticky, world-writable folder (/tmp) the kernel follows a link only for its
    owner or the folder's; resolving it in user space bypassed that, so an export went where another user pointed."""
    import stat

    from .conftest import make_session

    data_dir = tmp_path / "data"
    Archive(data_dir).create_session(make_session(partnership)).close()
    [session_id] = [p.name for p in (data_dir / "sessions").iterdir()]
    victim = tmp_path / "private" / "notes.csv"
    victim.parent.mkdir()
    victim.write_text("mine\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777 | stat.S_ISVTX)
    link = shared / "export.csv"
    link.symlink_to(victim)
    os.lchown(link, 54321, 54321)  # made by another user
    refused = run(data_dir, "export", session_id, "-o", str(link))
    assert refused.exit_code == 1
    one_line(refused.output, "another user", "not followed")
    assert victim.read_text() == "mine\n"
    through_folder = shared / "folder-link"
    through_folder.symlink_to(victim.parent, target_is_directory=True)
    os.lchown(through_folder, 54321, 54321)
    refused = run(data_dir, "export", session_id, "-o", str(through_folder / "notes.csv"))
    assert refused.exit_code == 1 and victim.read_text() == "mine\n"
    os.lchown(link, os.geteuid(), os.getegid())  # our own link: followed, as before
    assert run(data_dir, "export", session_id, "-o", str(link)).exit_code == 0
    assert victim.read_text(encoding="utf-8-sig").startswith("session_id") and link.is_symlink()
