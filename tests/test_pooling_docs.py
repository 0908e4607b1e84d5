"""docs/pooling.md's DuckDB queries, run on a pool of two observers' archives and checked against numbers
counted by hand; and the package as `frictionless validate` sees it."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from observer.core.codebook_models import Codebook
from observer.core.models import SessionData
from observer.privacy.programme_key import ORGANISATION, ProgrammeKey, new_key_file, read_key_file
from observer.storage import Archive

from .programme import OBSERVERS, ORGANISATIONS, SERIES, invoke, programme_meeting

DOCS = Path(__file__).parent.parent / "docs" / "pooling.md"


def _queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.DOTALL)


def _recoded(data: SessionData, session_id: str, orientation: dict[str, str]) -> SessionData:
    contributions = [
        c.model_copy(update={"codes": {**c.codes, "orientation": orientation[c.id]}}) if c.id in orientation else c
        for c in data.contributions
    ]
    return SessionData(session=data.session.model_copy(update={"id": session_id}), contributions=contributions)


@pytest.fixture
def pooled(tmp_path: Path, partnership: Codebook) -> tuple[Path, ProgrammeKey]:
    """The hand meeting (tests/meetings.py) coded by A twice in one series, the second meeting with Bob's
    contribution (c4, council) partnership-first; and B's coding of the first meeting, with Cath's last (c6,
    trust) partnership-first where A coded it neutral.

    orientation   c1 council  c2 trust  c3 vol  c4 council  c5 council  c6 trust
    A, 2 March    OF          PF        PF      —           OF          neutral
    A, 6 April    OF          PF        PF      PF          OF          neutral
    B, 2 March    OF          PF        PF      —           OF          PF
    """
    first, second = Archive(tmp_path / "a"), Archive(tmp_path / "b")
    first.add_session(programme_meeting(partnership, 0, "s-a1"))
    april = programme_meeting(partnership, 0, "s-a2", dt.date(2026, 4, 6))
    first.add_session(_recoded(april, "s-a2", {"c4": "partnership_first"}))
    b = _recoded(programme_meeting(partnership, 1, "s-b1", spelling=True), "s-b1", {"c6": "partnership_first"})
    second.add_session(
        SessionData(session=b.session.model_copy(update={"meeting_id": "s-a1"}), contributions=b.contributions)
    )
    key = tmp_path / "programme.key"
    new_key_file(key)
    invoke(tmp_path / "a", "bundle", "s-a1", "s-a2", "-o", str(tmp_path / "a.bundle"))
    invoke(tmp_path / "b", "bundle", "s-b1", "-o", str(tmp_path / "b.bundle"))
    out = tmp_path / "pool"
    result = invoke(
        tmp_path / "mine",
        "pool",
        str(tmp_path / "a.bundle"),
        str(tmp_path / "b.bundle"),
        "-o",
        str(out),
        "--key",
        str(key),
    )
    assert result.exit_code == 0, result.output
    return out, read_key_file(key)


def _run(folder: Path, query: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    monkeypatch.chdir(folder)  # the queries read the package's files by their names, as the docs say
    return duckdb.sql(query).fetchall()


def test_the_documented_queries_give_the_numbers_counted_by_hand(
    pooled: tuple[Path, ProgrammeKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, key = pooled
    by_organisation, by_observer, trend = _queries()
    council, trust, vol = (key.code(ORGANISATION, ORGANISATIONS[name]) for name in ("council", "trust", "vol"))
    # Each meeting once (A's codings): council PF c4 (April) of OF c1, c5 twice -> 1/5; trust and vol all PF.
    rows = _run(folder, by_organisation, monkeypatch)
    assert {row[0]: row[1:] for row in rows} == {council: (1, 4, 0.2), trust: (2, 0, 1.0), vol: (2, 0, 1.0)}
    assert rows[-1][0] == council  # the lowest last
    # A: 5 PF of 9 (2 of 4 in March, 3 of 5 in April); B: 3 PF of 5.
    a, b = (key.code("observer", name) for name in OBSERVERS)
    assert sorted(_run(folder, by_observer, monkeypatch)) == sorted([(a, 0.556, 0.6), (b, 0.6, 0.556)])
    # The series' trend, from A's codings: 2 of 4 in March, 3 of 5 in April.
    series = key.code("series", SERIES)
    assert _run(folder, trend.replace("S-1A2B3C4D", series), monkeypatch) == [
        (dt.date(2026, 3, 2), 0.5),
        (dt.date(2026, 4, 6), 0.6),
    ]


def test_the_documented_parquet_and_types_advice_holds(pooled: tuple[Path, ProgrammeKey], monkeypatch) -> None:
    folder, _ = pooled
    sniffed = _run(folder, "SELECT DISTINCT codebook_version FROM read_csv('contributions.csv')", monkeypatch)
    typed = _run(
        folder,
        "SELECT DISTINCT codebook_version FROM read_csv('contributions.csv', types = {'codebook_version': 'VARCHAR'})",
        monkeypatch,
    )
    assert sniffed == [(1.0,)] and typed == [("1.0",)]


def test_frictionless_validate_accepts_the_package(pooled: tuple[Path, ProgrammeKey]) -> None:
    folder, _ = pooled
    command = shutil.which("frictionless")
    if command is None:
        pytest.skip("the frictionless command is not on the path")
    result = subprocess.run([command, "validate", str(folder / "datapackage.json")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("VALID") == 6 and "INVALID" not in result.stdout
