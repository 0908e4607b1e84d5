"""BORIS export checked against the project layout; bundles round-trip and refuse damage untouched."""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observer.analysis import metrics
from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.core.errors import InputError
from observer.interop.bundle import import_bundles, read_bundle, write_bundle
from observer.interop.demo import generate_demo
from observer.interop.export import ExportOptions, export_sessions, json_document
from observer.interop.export.boris import boris_project
from observer.privacy.naming import Naming
from observer.storage import Archive

from .conftest import REPO
from .meetings import hand_meeting

EXAMPLE = REPO / "tests" / "data" / "example.boris"


def boris_time_budget(observation: dict) -> dict[tuple[str, str], float]:
    """What BORIS's time budget computes for state events: paired start/stop per subject and behaviour."""
    open_since: dict[tuple[str, str], float] = {}
    total: dict[tuple[str, str], float] = defaultdict(float)
    for time, subject, code, _modifier, _comment in observation["events"]:
        key = (subject, code)
        if code.startswith("flag:"):
            continue
        if key in open_since:
            total[key] += time - open_since.pop(key)
        else:
            open_since[key] = time
    assert not open_since, f"unpaired state events: {open_since}"
    return total


def check_layout(project: dict) -> None:
    assert project["project_format_version"] == "7.0"
    for key in (
        "project_name",
        "project_date",
        "project_description",
        "time_format",
        "subjects_conf",
        "behaviors_conf",
        "observations",
        "behavioral_categories",
        "independent_variables",
        "coding_map",
        "behaviors_coding_map",
        "converters",
    ):
        assert key in project, key
    behaviours = {b["code"]: b for b in project["behaviors_conf"].values()}
    subjects = {s["name"] for s in project["subjects_conf"].values()}
    for conf in project["behaviors_conf"].values():
        assert set(conf) >= {"type", "key", "code", "description", "category", "modifiers", "excluded", "coding map"}
        assert conf["type"] in ("State event", "Point event")
    assert list(project["subjects_conf"]) == [str(i) for i in range(len(project["subjects_conf"]))]
    for observation in project["observations"].values():
        assert observation["type"] == "LIVE"
        assert set(observation["independent_variables"]) == {"series", "agenda", "observer"}
        times = [event[0] for event in observation["events"]]
        assert times == sorted(times)
        for event in observation["events"]:
            assert len(event) == 5
            time, subject, code, modifier, comment = event
            assert isinstance(time, float | int) and subject in subjects and code in behaviours
            assert modifier == "" and isinstance(comment, str)
        assert observation["events"] == sorted(observation["events"])  # BORIS's own sort keeps the pairs


def test_boris_project_layout_and_time_budget_equals_airtime(partnership: Codebook) -> None:
    data = hand_meeting(partnership)
    project = boris_project([data], Naming())
    check_layout(project)
    (observation,) = project["observations"].values()
    budget = boris_time_budget(observation)
    summary = metrics.summarise(data)
    for row in summary.participants:
        assert budget.get((row.name, "speaking"), 0.0) == pytest.approx(row.airtime_s), row.name
    assert budget[("(Voluntary Alliance)", "speaking")] == pytest.approx(30)  # the organisation-only one
    by_code: dict[str, float] = defaultdict(float)
    for (_, code), seconds in budget.items():
        by_code[code] += seconds
    orientation = summary.dimensions["orientation"]
    for code, seconds in orientation.airtime_s.items():
        assert by_code[f"orientation:{code}"] == pytest.approx(seconds)
    flags = [e for e in observation["events"] if e[2] == "flag:coordinator"]
    assert [(e[0], e[1]) for e in flags] == [(60, "Cath"), (200, "Cath")]


def test_demo_sessions_export_to_a_valid_boris_project(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    generate_demo(archive, sessions=3, contributions=120, seed=4)
    sessions, _ = archive.load_all()
    export_sessions(sessions, tmp_path / "study.boris")
    project = json.loads((tmp_path / "study.boris").read_text(encoding="utf-8"))
    check_layout(project)
    assert len(project["observations"]) == 3
    for data, observation in zip(sessions, project["observations"].values(), strict=True):
        budget = boris_time_budget(observation)
        for row in metrics.summarise(data).participants:
            assert budget.get((row.name, "speaking"), 0.0) == pytest.approx(row.airtime_s, abs=0.01)


def test_example_file_in_tests_data_is_current(partnership: Codebook) -> None:
    """tests/data/example.boris is the hand meeting's export; regenerate it if the mapping changes."""
    project = boris_project([hand_meeting(partnership)], Naming())
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    check_layout(example)
    for volatile in ("project_date", "project_description"):
        project.pop(volatile), example.pop(volatile)
    assert example == json.loads(json.dumps(project))


def test_pseudonymised_boris_has_no_names(tmp_path: Path, partnership: Codebook) -> None:
    from observer.privacy.pseudonyms import PseudonymRegistry

    registry = PseudonymRegistry(tmp_path / "p.json")
    data = hand_meeting(partnership)
    registry.assign([data])
    project = boris_project([data], Naming(registry, keep_notes=False))
    text = json.dumps(project)
    assert "Cath" not in text and "City Council" not in text
    assert {s["name"] for s in project["subjects_conf"].values()} >= {"P01", "P02", "(O01)"}


# ---------------------------------------------------------------- bundles


def test_bundle_round_trip_gives_identical_exports(tmp_path: Path) -> None:
    source = Archive(tmp_path / "source")
    generate_demo(source, sessions=3, contributions=60, seed=9)
    sessions, _ = source.load_all()
    bundle = tmp_path / "three.bundle"
    runner = CliRunner()
    ids = [data.session.id for data in sessions]
    assert (
        runner.invoke(main, ["--data-dir", str(tmp_path / "source"), "bundle", *ids, "-o", str(bundle)]).exit_code == 0
    )
    result = runner.invoke(main, ["--data-dir", str(tmp_path / "target"), "import", str(bundle)])
    assert result.exit_code == 0 and "imported 3 sessions" in result.output
    imported, _ = Archive(tmp_path / "target").load_all()

    def document(archive_sessions):
        doc = json_document(archive_sessions, Naming())
        doc.pop("exported_at")
        return doc

    assert document(imported) == document(sessions)
    again = runner.invoke(main, ["--data-dir", str(tmp_path / "target"), "import", str(bundle)])
    assert "imported 0 sessions; 3 already present and identical" in again.output


def test_conflicting_session_is_imported_as_a_copy_and_renames_are_reported(
    tmp_path: Path, partnership: Codebook
) -> None:
    archive = Archive(tmp_path / "data")
    archive.add_session(hand_meeting(partnership))
    theirs = hand_meeting(partnership)
    renamed = [p.model_copy(update={"name": "Catherine"}) if p.id == "pc" else p for p in theirs.session.participants]
    theirs = theirs.model_copy(update={"session": theirs.session.model_copy(update={"participants": renamed})})
    write_bundle([theirs], tmp_path / "theirs.bundle")
    report = import_bundles(archive, [tmp_path / "theirs.bundle"])
    assert report.conflicts == [("s-hand", "s-hand-conflict1", "differs from the archive's")]
    assert any("'Cath' in this archive and 'Catherine'" in line for line in report.lines())
    # One id is one pseudonym; the key lists every name it stood for, so the reader can tell.
    result = CliRunner().invoke(
        main,
        [
            "--data-dir",
            str(tmp_path / "data"),
            "export",
            "s-hand",
            "s-hand-conflict1",
            "-o",
            str(tmp_path / "p.csv"),
            "--pseudonymise",
            "--key-table",
            str(tmp_path / "key.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    key = list(csv.DictReader((tmp_path / "key.csv").open(encoding="utf-8")))
    named = {row["name"] for row in key if row["id"] == "pc"}
    assert named == {"Cath", "Catherine"} and len({row["pseudonym"] for row in key if row["id"] == "pc"}) == 1
    assert archive.load("s-hand").session.participant("pc").name == "Cath"  # never silently renamed
    assert archive.load("s-hand-conflict1").session.participant("pc").name == "Catherine"


def archive_state(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def good_bundle(tmp_path_factory) -> bytes:
    from observer.core.codebooks import resolve_codebook

    folder = tmp_path_factory.mktemp("bundle")
    write_bundle([hand_meeting(resolve_codebook(None, None))], folder / "good.bundle")
    return (folder / "good.bundle").read_bytes()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_bundles_are_refused_and_the_archive_is_unchanged(
    tmp_path: Path, good_bundle: bytes, partnership: Codebook, data
) -> None:
    root = tmp_path / "archive"
    archive = Archive(root)
    if not root.exists():
        archive.add_session(hand_meeting(partnership, "s-existing"))
    before = archive_state(root)
    how = data.draw(st.sampled_from(["truncate", "flip", "edit", "json"]))
    raw = bytearray(good_bundle)
    if how == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    elif how == "flip":
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] ^= data.draw(st.integers(1, 255))
    elif how == "edit":
        document = json.loads(bytes(raw))
        session = document["sessions"][0]
        field = data.draw(st.sampled_from(["title", "start_s", "codes", "participant_id"]))
        if field == "title":
            session["session"]["title"] = data.draw(st.text(max_size=10))
        elif field == "start_s":
            session["contributions"][0]["start_s"] = data.draw(st.floats(allow_nan=False, allow_infinity=False))
        elif field == "codes":
            session["contributions"][0]["codes"] = {"orientation": data.draw(st.text(max_size=5))}
        else:
            session["contributions"][0]["participant_id"] = data.draw(st.text(max_size=5))
        raw = bytearray(json.dumps(document).encode())
    else:
        raw = bytearray(
            json.dumps(
                data.draw(
                    st.recursive(
                        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                        lambda inner: (
                            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
                        ),
                        max_leaves=10,
                    )
                )
            ).encode()
        )
    path = tmp_path / f"damaged-{os.getpid()}.bundle"
    path.write_bytes(bytes(raw))
    try:
        import_bundles(archive, [path])
    except InputError as error:
        assert "\n" not in str(error)
    else:
        # A flip inside whitespace or an edit that restores the same value leaves a valid bundle.
        assert bytes(raw) == good_bundle or read_bundle(path)
        return
    assert archive_state(root) == before


def test_import_of_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "import", str(tmp_path / "nope.bundle")])
    assert result.exit_code == 1 and "no such bundle" in result.stderr


def test_export_options_default_keeps_notes(partnership: Codebook, tmp_path: Path) -> None:
    export_sessions([hand_meeting(partnership)], tmp_path / "m.json", ExportOptions())
    assert "said my board" in (tmp_path / "m.json").read_text()
