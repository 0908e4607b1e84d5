"""Bundles someone edited by hand, with the checksum made to match (a checksum is not a signature), and names
in any script: refused with one line, or imported and readable by every command. None spins."""

from __future__ import annotations

import contextlib
import copy
import csv
import hashlib
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.core.fields import organisation_id_for
from observer.interop.bundle import _canonical, write_bundle
from observer.interop.roster import RosterEntry, build_session
from observer.storage import Archive

from .meetings import hand_meeting


def _forge(document: dict[str, Any], path: Path) -> Path:
    document["sha256"] = hashlib.sha256(_canonical(document["sessions"])).hexdigest()
    path.write_text(json.dumps(document), encoding="utf-8")  # Infinity and NaN as JSON readers write them
    return path


def _invoke(data_dir: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])


@pytest.fixture
def bundle_document(tmp_path: Path, partnership: Codebook) -> dict[str, Any]:
    path = tmp_path / "hand.bundle"
    write_bundle([hand_meeting(partnership)], path)
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda s: s["contributions"][0].update(start_s=1e300), "contributions.0.start_s"),
        (lambda s: s["contributions"][0].update(start_s=float("inf")), "contributions.0.start_s"),
        (lambda s: s["session"].update(clock_elapsed_s=float("nan")), "session.clock_elapsed_s"),
        (lambda s: s["contributions"][1].update(start_s=299_999.0), "contributions.1.start_s"),
        (lambda s: s["contributions"][2].update(organisation_id="nowhere"), "contributions.2.organisation_id"),
        (lambda s: s["contributions"][2].update(participant_id="p-ghost"), "contributions.2.participant_id"),
        (lambda s: s["contributions"][0].update(codes={"orientation": "sideways"}), "contributions.0.codes"),
        (lambda s: s["contributions"][0].update(flags=["made_up"]), "contributions.0.flags"),
        (lambda s: s["contributions"][0].update(agenda_item_id="a-nowhere"), "contributions.0.agenda_item_id"),
        (lambda s: s["contributions"][1].update(id=s["contributions"][0]["id"]), "contributions.1.id"),
        (lambda s: s["session"].update(ended_s=None), "session.ended_s"),
    ],
)
def test_a_forged_bundle_is_refused_with_one_line_naming_the_field(
    tmp_path: Path, bundle_document: dict[str, Any], edit: Any, field: str
) -> None:
    edit(bundle_document["sessions"][0])
    forged = _forge(bundle_document, tmp_path / "forged.bundle")
    result = _invoke(tmp_path / "data", "import", str(forged))
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert field in result.output
    assert not (tmp_path / "data" / "sessions").exists() or not any((tmp_path / "data" / "sessions").iterdir())


def test_organisations_in_other_scripts_get_distinct_ids(tmp_path: Path, partnership: Codebook) -> None:
    """Ids were made from Latin letters only: "Клиника 1" and "Больница 1" both became `1`, so trends merged
    them and a pseudonymised export gave both one O-number."""
    assert organisation_id_for("Клиника 1") != organisation_id_for("Больница 1")
    assert organisation_id_for("Клиника 1") == organisation_id_for("клиника  1")  # the same name, the same id
    assert organisation_id_for("City Council") == "city-council"  # readable where the slug says it all
    long_a, long_b = "North " * 10 + "Trust A", "North " * 10 + "Trust B"
    assert organisation_id_for(long_a) != organisation_id_for(long_b)
    archive = Archive(tmp_path / "data")
    first = build_session(
        title="One",
        codebook=partnership,
        meeting_date=__import__("datetime").date(2026, 1, 5),
        series="Север",
        roster=[RosterEntry("Анна", "Клиника 1")],
    )
    archive.create_session(first).close()
    second = build_session(
        title="Two",
        codebook=partnership,
        meeting_date=__import__("datetime").date(2026, 2, 5),
        series="Север",
        roster=[RosterEntry("Борис", "Больница 1"), RosterEntry("Вера", "Клиника 1")],
        known_sessions=archive.headers()[0],
    )
    archive.create_session(second).close()
    ids = {o.name: o.id for o in second.organisations}
    assert ids["Клиника 1"] == first.organisations[0].id  # reused across the series
    assert ids["Больница 1"] != ids["Клиника 1"]
    key = tmp_path / "key.csv"
    result = _invoke(
        tmp_path / "data", "trends", "-o", str(tmp_path / "t.xlsx"), "--pseudonymise", "--json", "--series", "Север"
    )
    assert result.exit_code == 0, result.output
    result = _invoke(
        tmp_path / "data",
        "export",
        first.id,
        second.id,
        "-o",
        str(tmp_path / "p.csv"),
        "--pseudonymise",
        "--key-table",
        str(key),
    )
    assert result.exit_code == 0, result.output
    rows = [row for row in csv.DictReader(key.open(encoding="utf-8")) if row["kind"] == "organisation"]
    assert sorted((row["pseudonym"], row["name"]) for row in rows) == [("O01", "Клиника 1"), ("O02", "Больница 1")]


# ---------------------------------------------------------------- the fuzz test

NASTY = [None, [], {}, {"a": 1}, True, "2026-13-45", 10**30]
NUMBERS = [0, -1, -0.001, 1e300, float("inf"), float("-inf"), float("nan"), 3.5, 604_801]
TEXTS = [
    "",
    "x" * 10_000,
    "\x1b[2J",
    "=1+1",
    "\u202eevil",
    "nowhere",
    "c1",
    "pa",
    "council",
    "org_first",
    "relational",
    "[b]x[/b]",
    "Ann",
    "2026-03-02T10:00:00+00:00",
]


def _replacement(current: Any) -> st.SearchStrategy[Any]:
    """Mostly a value of the field's own type (what gets past the first check), sometimes anything."""
    if isinstance(current, bool) or current is None:
        typed = [True, False, None, 0, "x"]
    elif isinstance(current, int | float):
        typed = [*NUMBERS, current * 10, current + 0.001]
    elif isinstance(current, str):
        typed = TEXTS
    else:
        typed = [[], {}]
    anything = st.sampled_from([*NASTY, *NUMBERS, *TEXTS, "delete"])
    return st.integers(0, 3).flatmap(lambda pick: anything if pick == 0 else st.sampled_from(typed))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            if prefix == ("session",) and key == "codebook":
                continue  # a codebook's own validation has tests of its own (test_codebooks): the records here
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            yield from _paths(value, (*prefix, index))


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    def spin(*_: object) -> None:
        raise AssertionError(f"a command ran for more than {seconds} s: it spins")

    previous = signal.signal(signal.SIGALRM, spin)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzzed_bundles_are_imported_whole_or_refused_in_one_line(
    tmp_path_factory: pytest.TempPathFactory, partnership: Codebook, data: st.DataObject
) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    source = tmp / "hand.bundle"
    write_bundle([hand_meeting(partnership)], source)
    document = json.loads(source.read_text(encoding="utf-8"))
    record = document["sessions"][0]
    paths = [path for path in _paths(record) if path]
    for _ in range(data.draw(st.integers(1, 2))):
        path = data.draw(st.sampled_from(paths))
        parent = record
        for step in path[:-1]:
            parent = parent[step]
        value = data.draw(_replacement(parent[path[-1]]))
        if value == "delete" and isinstance(parent, dict):
            parent.pop(path[-1], None)
        elif value != "delete":
            with contextlib.suppress(IndexError, KeyError, TypeError):
                parent[path[-1]] = copy.deepcopy(value)
        paths = [p for p in _paths(record) if p]
    forged = _forge(document, tmp / "forged.bundle")
    data_dir = tmp / "data"
    with _deadline(60):
        result = _invoke(data_dir, "import", str(forged))
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        if result.exit_code != 0:
            assert result.output.count("\n") == 1, result.output
            assert not (data_dir / "sessions").exists() or not any((data_dir / "sessions").iterdir())
            return
        (session_id,) = Archive(data_dir).session_ids()
        for command in (
            ["show", session_id, "--json"],
            ["sessions", "--json"],
            ["export", session_id, "-o", str(tmp / "out.csv")],
            ["export", session_id, "-o", str(tmp / "out.json"), "--pseudonymise"],
            ["export", session_id, "-o", str(tmp / "out.xlsx")],
            ["export", session_id, "-o", str(tmp / "out.boris")],
            ["trends", "--json"],
            ["sequences", session_id, "--json"],
        ):
            outcome = _invoke(data_dir, *command)
            assert outcome.exception is None or isinstance(outcome.exception, SystemExit), (command, outcome.exception)
            if outcome.exit_code:  # a refusal that says why (no pair to count in an empty meeting), never a crash
                assert outcome.output.count("\n") == 1 and "unexpected" not in outcome.output, (command, outcome.output)
