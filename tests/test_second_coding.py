"""Two observers coding one meeting, outside the demo: the second coding is linked to the first (by
``--coding-of``, or on importing another observer's bundle) so that trends count the meeting once."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from observer.cli.main import main
from observer.storage import Archive

from .transcript_files import ROSTER, alternating, write_vtt


def run(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])


def created(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output.split("created session ", 1)[1].split(":", 1)[0]


def new(data_dir: Path, *args: str) -> str:
    return created(run(data_dir, "new", "--no-open", *args))


def meetings_in_trend(data_dir: Path, series: str) -> dict[str, object]:
    result = run(data_dir, "trends", "--series", series, "--json", "--include-unfinished")
    assert result.exit_code == 0, result.output
    trend: dict[str, object] = json.loads(result.output)
    return trend


def test_new_coding_of_takes_the_meeting_and_trends_count_it_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    roster = ROSTER
    first = new(
        data,
        "--title",
        "Board, May",
        "--series",
        "North",
        "--date",
        "2026-05-04",
        "--observer",
        "Ann",
        "--roster",
        str(roster),
        "--agenda",
        "Budget",
        "--agenda",
        "Discharge",
    )
    new(data, "--title", "Board, June", "--series", "North", "--date", "2026-06-01", "--observer", "Ann")
    made = run(data, "new", "--no-open", "--coding-of", first, "--observer", "Kim")
    second = created(made)
    assert f"a second coding of session {first}'s meeting" in made.output
    archive = Archive(data)
    one, two = archive.load(first).session, archive.load(second).session
    assert two.meeting_id == first and two.meeting == one.meeting == first
    assert (two.title, two.series, two.meeting_date) == (one.title, one.series, one.meeting_date)
    assert [p.name for p in two.participants] == [p.name for p in one.participants]
    assert two.planned_agenda == ["Budget", "Discharge"]
    trend = meetings_in_trend(data, "North")
    rows = trend["rows"]
    assert isinstance(rows, list) and len(rows) == 2 and trend["second_codings"] == 1
    assert first in {row["session_id"] for row in rows} and second not in {row["session_id"] for row in rows}


def test_new_needs_a_title_or_a_meeting_to_code_again(tmp_path: Path) -> None:
    result = run(tmp_path / "data", "new", "--no-open")
    assert result.exit_code != 0
    assert "--title" in result.output and "--coding-of" in result.output and "Traceback" not in result.output
    unknown = run(tmp_path / "data", "new", "--no-open", "--coding-of", "nosuch")
    assert unknown.exit_code != 0 and "nosuch" in unknown.output and "Traceback" not in unknown.output


def test_another_observers_bundle_of_the_same_meeting_is_linked_on_import(tmp_path: Path) -> None:
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    first = new(mine, "--title", "Board, May", "--series", "North", "--date", "2026-05-04", "--observer", "Ann")
    # The other observer typed the series and title their own way, on their own laptop.
    other = new(theirs, "--title", "board,  may", "--series", "north", "--date", "2026-05-04", "--observer", "Kim")
    elsewhere = new(theirs, "--title", "Board, June", "--series", "North", "--date", "2026-06-01", "--observer", "Kim")
    bundle = tmp_path / "kim.bundle"
    assert run(theirs, "bundle", other, elsewhere, "-o", str(bundle)).exit_code == 0
    imported = run(mine, "import", str(bundle))
    assert imported.exit_code == 0, imported.output
    said = " ".join(imported.output.split())
    assert f"session {other} is a second coding of meeting {first}" in said
    assert f"session {elsewhere} is a second coding" not in said  # another meeting: not linked
    archive = Archive(mine)
    assert archive.load(other).session.meeting_id == first
    assert archive.load(elsewhere).session.meeting_id is None
    assert meetings_in_trend(mine, "North")["second_codings"] == 1


def test_two_observers_bundles_of_a_meeting_imported_together_are_linked(tmp_path: Path) -> None:
    # A researcher brings both observers' bundles into an empty archive in one import: the second coding of
    # the meeting is linked to the first, as it is when the bundles come one after the other.
    ann, kim, research = tmp_path / "ann", tmp_path / "kim", tmp_path / "research"
    first = new(ann, "--title", "Board, May", "--series", "North", "--date", "2026-05-04", "--observer", "Ann")
    other = new(kim, "--title", "board,  may", "--series", "north", "--date", "2026-05-04", "--observer", "Kim")
    bundles = [tmp_path / "ann.bundle", tmp_path / "kim.bundle"]
    assert run(ann, "bundle", first, "-o", str(bundles[0])).exit_code == 0
    assert run(kim, "bundle", other, "-o", str(bundles[1])).exit_code == 0
    imported = run(research, "import", *map(str, bundles))
    assert imported.exit_code == 0, imported.output
    assert f"session {other} is a second coding of meeting {first}" in " ".join(imported.output.split())
    archive = Archive(research)
    assert archive.load(first).session.meeting_id is None
    assert archive.load(other).session.meeting_id == first
    assert meetings_in_trend(research, "North")["second_codings"] == 1


def test_no_link_is_guessed_when_two_meetings_could_be_the_one(tmp_path: Path) -> None:
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    for observer in ("Ann", "Lee"):  # two unlinked codings already: which meeting would it be?
        new(mine, "--title", "Board", "--series", "North", "--date", "2026-05-04", "--observer", observer)
    other = new(theirs, "--title", "Board", "--series", "North", "--date", "2026-05-04", "--observer", "Kim")
    bundle = tmp_path / "kim.bundle"
    assert run(theirs, "bundle", other, "-o", str(bundle)).exit_code == 0
    imported = run(mine, "import", str(bundle))
    assert imported.exit_code == 0 and "second coding" not in imported.output
    assert Archive(mine).load(other).session.meeting_id is None


def test_a_transcript_coded_again_by_another_observer_is_linked(tmp_path: Path) -> None:
    data = tmp_path / "data"
    vtt = write_vtt(tmp_path / "board.vtt", alternating(4))
    args = ("transcript", "import", str(vtt), "--roster", str(ROSTER), "--series", "North", "--date", "2026-05-04")
    first = created(run(data, *args, "--observer", "Ann"))
    second = created(
        run(data, "transcript", "import", str(vtt), "--roster", str(ROSTER), "--observer", "Kim", "--coding-of", first)
    )
    archive = Archive(data)
    one, two = archive.load(first).session, archive.load(second).session
    assert two.meeting_id == first and (two.series, two.meeting_date, two.title) == (
        one.series,
        one.meeting_date,
        one.title,
    )


def test_a_transcript_coding_of_an_earlier_meeting_takes_that_meetings_roster(tmp_path: Path) -> None:
    # The series met again since, with other people: coding the May meeting from its transcript, its own
    # attendees are on the roster (not May's people under "Not on the roster", as with June's roster).
    data = tmp_path / "data"
    first = new(
        data, "--title", "Board, May", "--series", "North", "--date", "2026-05-04", "--observer", "Ann",
        "--roster", str(ROSTER),
    )  # fmt: skip
    june = tmp_path / "june.csv"
    june.write_text("name,organisation\nEve Stone,Healthwatch\n")
    new(data, "--title", "Board, June", "--series", "North", "--date", "2026-06-01", "--roster", str(june))
    vtt = write_vtt(tmp_path / "may.vtt", alternating(4))
    made = run(data, "transcript", "import", str(vtt), "--observer", "Kim", "--coding-of", first)
    second = created(made)
    assert "not on the roster" not in made.output.casefold(), made.output
    archive = Archive(data)
    may = {(p.name, archive.load(first).session.organisation(p.organisation_id).name)
           for p in archive.load(first).session.participants}  # fmt: skip
    coded = archive.load(second).session
    assert {(p.name, coded.organisation(p.organisation_id).name) for p in coded.participants} == may


def test_a_deleted_session_is_not_taken_for_the_coding_whose_id_extends_its_own(tmp_path: Path) -> None:
    # The demo's second codings are named after the first (s…-b): once the first is deleted, its id is a
    # prefix of the second's, and used to bring up the second observer's coding instead, without a word.
    data = tmp_path / "data"
    assert run(data, "demo", "--sessions", "1", "--contributions", "10").exit_code == 0
    assert run(data, "demo", "--sessions", "1", "--contributions", "10", "--second-observer").exit_code == 0
    archive = Archive(data)
    [first] = [session_id for session_id in archive.session_ids() if not session_id.endswith("-b")]
    archive.trash_session(first)
    for command in (["show", first], ["new", "--no-open", "--coding-of", first]):
        result = run(data, *command)
        assert result.exit_code == 1, result.output
        assert f"session '{first}' is in the trash" in result.output, result.output
    assert archive.session_ids() == [f"{first}-b"]  # nothing made


def test_a_second_coding_given_another_date_or_series_says_it_is_linked_all_the_same(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = new(data, "--title", "Board, May", "--series", "North", "--date", "2026-05-04", "--observer", "Ann")
    vtt = write_vtt(tmp_path / "may.vtt", alternating(4))
    for command in (["new", "--no-open"], ["transcript", "import", str(vtt)]):
        made = run(
            data, *command, "--coding-of", first, "--observer", "Kim", "--date", "2026-05-14", "--series", "South"
        )
        assert made.exit_code == 0, made.output
        said = " ".join(made.output.split())
        assert f"--date 2026-05-14: session {first}'s meeting was on 2026-05-04" in said, said
        assert f"--series 'South': session {first}'s meeting is of 'North'" in said, said
    same = run(data, "new", "--no-open", "--coding-of", first, "--observer", "Lee", "--date", "2026-05-04",
               "--series", "north")  # fmt: skip
    assert same.exit_code == 0 and "warning" not in same.output, same.output


def test_a_bundle_of_a_meeting_and_its_second_coding_joins_the_archives_coding_of_it(tmp_path: Path) -> None:
    # Kim's coding came first; Ann's bundle holds her coding of the same meeting and a trainee's second coding
    # of hers. Ann's is linked to Kim's meeting, and the trainee's follows it: one meeting, not two.
    kim, ann, research = tmp_path / "kim", tmp_path / "ann", tmp_path / "research"
    meeting = ("--title", "Board", "--series", "North", "--date", "2026-05-04")
    kims = new(kim, *meeting, "--observer", "Kim")
    anns = new(ann, *meeting, "--observer", "Ann")
    trainees = new(ann, "--coding-of", anns, "--observer", "Lee")
    bundles = [tmp_path / "kim.bundle", tmp_path / "ann.bundle"]
    assert run(kim, "bundle", kims, "-o", str(bundles[0])).exit_code == 0
    assert run(ann, "bundle", trainees, anns, "-o", str(bundles[1])).exit_code == 0
    for bundle in bundles:
        imported = run(research, "import", str(bundle))
        assert imported.exit_code == 0, imported.output
    archive = Archive(research)
    assert {archive.load(s).session.meeting for s in (kims, anns, trainees)} == {kims}
    trend = meetings_in_trend(research, "North")
    assert len(trend["rows"]) == 1 and trend["second_codings"] == 2, trend  # type: ignore[arg-type]


def test_calibrating_against_another_meeting_says_they_do_not_overlap(tmp_path: Path) -> None:
    # Two meetings four weeks apart: no --offset was given, so none is to blame.
    data = tmp_path / "data"
    assert run(data, "demo", "--sessions", "2", "--contributions", "10").exit_code == 0
    january, february = sorted(Archive(data).session_ids(), key=lambda s: Archive(data).load(s).session.meeting_date)
    result = run(data, "calibrate", january, february)
    assert result.exit_code == 1, result.output
    assert "do not overlap in time" in result.output and "same meeting" in result.output, result.output
    assert "--offset must be" not in result.output, result.output
    assert not (data / "calibrations.jsonl").exists()


def test_two_linked_codings_of_a_meetings_transcript_need_no_offset_whatever_its_file_is_called(
    tmp_path: Path,
) -> None:
    # Each observer downloaded the meeting's transcript: one as board.vtt, the other as "board (1).vtt".
    data = tmp_path / "data"
    turns = alternating(4)
    first = created(run(data, "transcript", "import", str(write_vtt(tmp_path / "board.vtt", turns)), "--roster",
                        str(ROSTER), "--observer", "Ann"))  # fmt: skip
    again = write_vtt(tmp_path / "board (1).vtt", turns)
    second = created(run(data, "transcript", "import", str(again), "--coding-of", first, "--observer", "Kim"))
    agreed = run(data, "agreement", first, second, "--json")
    assert agreed.exit_code == 0, agreed.output
    assert json.loads(agreed.output)["offset_s"] == 0.0


def test_the_sessions_listing_says_which_meeting_each_coding_codes(tmp_path: Path) -> None:
    # A researcher's script groups the codings of a meeting by the listing, not by guessing from titles.
    data = tmp_path / "data"
    first = new(data, "--title", "Board, May", "--series", "North", "--date", "2026-05-04", "--observer", "Ann")
    second = new(data, "--coding-of", first, "--observer", "Kim", "--title", "Board (Kim's notes)")
    other = new(data, "--title", "Board, May", "--series", "North", "--date", "2026-06-01", "--observer", "Ann")
    listed = {row["id"]: row for row in json.loads(run(data, "sessions", "--json").output)}
    assert listed[first]["meeting"] == listed[second]["meeting"] == first
    assert listed[other]["meeting"] == other


def test_transcript_import_of_a_second_coding_says_whose_meeting_it_codes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = new(data, "--title", "Board", "--series", "North", "--date", "2026-05-04", "--observer", "Ann",
                "--roster", str(ROSTER))  # fmt: skip
    vtt = write_vtt(tmp_path / "board.vtt", alternating(4))
    made = run(data, "transcript", "import", str(vtt), "--coding-of", first[:6], "--observer", "Kim")
    assert made.exit_code == 0, made.output
    assert f"a second coding of session {first}'s meeting" in " ".join(made.output.split()), made.output
