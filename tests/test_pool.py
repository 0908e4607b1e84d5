"""observer pool: several observers' bundles (or archives) as one data package that Frictionless validates
and DuckDB reads, with the keyed exports' pseudonyms and no name anywhere."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from frictionless import validate

from observer.core.codebook_models import Codebook
from observer.core.models import SessionData
from observer.privacy.programme_key import new_key_file
from observer.storage import Archive

from .programme import OBSERVERS, PEOPLE, SECRETS, every_file, invoke, leaks, programme_meeting, two_archives

TABLES = ("contributions", "sessions", "participants", "organisations", "agenda", "codebook")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code != 0 and lines[-1].startswith("observer: error:"), result.stderr
    assert "Traceback" not in result.output
    return lines[-1]


@pytest.fixture
def programme(tmp_path: Path, partnership: Codebook) -> dict[str, Path]:
    """Two observers' archives, each bundled with names, and the programme key."""
    first, second = two_archives(tmp_path, partnership)
    key = tmp_path / "programme.key"
    new_key_file(key)
    assert invoke(first, "bundle", "s-a1", "s-a2", "-o", str(tmp_path / "a.bundle")).exit_code == 0
    assert invoke(second, "bundle", "s-b1", "-o", str(tmp_path / "b.bundle")).exit_code == 0
    return {"a": first, "b": second, "key": key, "a.bundle": tmp_path / "a.bundle", "b.bundle": tmp_path / "b.bundle"}


def test_a_keyed_pool_is_a_valid_package_with_the_keyed_exports_pseudonyms(
    tmp_path: Path, programme: dict[str, Path]
) -> None:
    out = tmp_path / "pool"
    key = str(programme["key"])
    result = invoke(
        tmp_path / "mine", "pool", str(programme["a.bundle"]), str(programme["b.bundle"]), "-o", str(out), "--key", key
    )
    assert result.exit_code == 0, result.output
    assert sorted(result.stderr.splitlines()) == [  # one line per input, as each is read (two at once)
        f"read {programme['a.bundle']} (input 1 of 2): 2 sessions",
        f"read {programme['b.bundle']} (input 2 of 2): 1 session",
    ]
    assert sorted(path.name for path in every_file(out)) == sorted(
        ["README.md", "datapackage.json", *(f"{name}.csv" for name in TABLES)]
    )
    report = validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # No name, organisation, observer, series, title or agenda item in any file.
    assert {path.name: leaks(path) for path in every_file(out)} == {path.name: [] for path in every_file(out)}
    # Both observers' contributions, read by DuckDB.
    contributions = out / "contributions.csv"
    counts = duckdb.sql(
        f"SELECT observer, count(*) FROM read_csv('{contributions}') GROUP BY observer ORDER BY 2 DESC"
    ).fetchall()
    assert [count for _, count in counts] == [12, 6]  # A: two meetings of six contributions; B: one
    # The same pseudonyms as each observer's keyed export.
    for archive, sessions in ((programme["a"], ["s-a1", "s-a2"]), (programme["b"], ["s-b1"])):
        exported = tmp_path / f"{archive.name}.csv"
        assert invoke(archive, "export", *sessions, "-o", str(exported), "--key", key).exit_code == 0
        pooled = {
            (row["session_id"], row["contribution_id"]): row
            for row in _rows(contributions)
            if row["session_id"] in sessions
        }
        for row in _rows(exported):
            mine = pooled[(row["session_id"], row["contribution_id"])]
            for column in (
                "participant_id",
                "participant",
                "organisation_id",
                "organisation",
                "observer",
                "series",
                "orientation",
                "topic",
                "start_s",
                "end_s",
                "flag_coordinator",
            ):
                assert mine[column] == row[column], column
    # Two codings of one meeting: two sessions, one meeting id.
    sessions = {row["session_id"]: row for row in _rows(out / "sessions.csv")}
    assert sessions["s-a1"]["meeting_id"] == sessions["s-b1"]["meeting_id"] == "s-a1"
    assert sessions["s-a2"]["meeting_id"] == "s-a2"
    assert sessions["s-a1"]["observer"] != sessions["s-b1"]["observer"]
    # One row per person, whoever's archive they came from (the same five people in both).
    assert len(_rows(out / "participants.csv")) == 5 and len(_rows(out / "organisations.csv")) == 3
    package = json.loads((out / "datapackage.json").read_text())
    assert package["observer"]["pseudonyms"] == package["description"].split()[-1]
    for resource in package["resources"]:
        assert resource["schema"]["primaryKey"]
        assert all(f["type"] and f["description"] for f in resource["schema"]["fields"])
    codebook = _rows(out / "codebook.csv")
    assert {row["code"] for row in codebook if row["kind"] == "flag"} >= {"coordinator", "governance_shield"}
    assert all(row["description"] for row in codebook if row["code"] == "partnership_first")


def test_frictionless_finds_a_broken_link(tmp_path: Path, programme: dict[str, Path]) -> None:
    out = tmp_path / "pool"
    invoke(tmp_path / "mine", "pool", str(programme["a.bundle"]), "-o", str(out), "--key", str(programme["key"]))
    assert validate(str(out / "datapackage.json")).valid
    text = (out / "contributions.csv").read_text(encoding="utf-8")
    first_person = _rows(out / "participants.csv")[0]["participant_id"]
    (out / "contributions.csv").write_text(text.replace(first_person, "P-00000000"), encoding="utf-8")
    assert not validate(str(out / "datapackage.json")).valid  # a contribution of nobody on any roster


def test_without_a_key_the_pool_refuses_unless_names_are_asked_for(tmp_path: Path, programme: dict[str, Path]) -> None:
    out = tmp_path / "pool"
    line = _one_line_error(invoke(tmp_path / "mine", "pool", str(programme["a.bundle"]), "-o", str(out)))
    assert "--key" in line and "--names" in line and "personal data" in line
    assert not out.exists()
    result = invoke(
        tmp_path / "mine", "pool", str(programme["a.bundle"]), str(programme["b"]), "-o", str(out), "--names"
    )
    assert result.exit_code == 0, result.output
    participants = {row["participant"] for row in _rows(out / "participants.csv")}
    assert participants >= {PEOPLE["pa"], PEOPLE["pa"].upper().replace(" ", "  ")}  # as each archive spells it
    assert "personal data" in (out / "README.md").read_text()
    assert all(row["note"] == "" for row in _rows(out / "contributions.csv"))  # notes never pooled
    assert validate(str(out / "datapackage.json")).valid


def test_keyed_bundles_pool_without_the_key_and_never_with_another(tmp_path: Path, programme: dict[str, Path]) -> None:
    key = str(programme["key"])
    for name in ("a", "b"):
        result = invoke(
            programme[name],
            "bundle",
            *(["s-a1", "s-a2"] if name == "a" else ["s-b1"]),
            "-o",
            str(tmp_path / f"{name}-keyed.bundle"),
            "--key",
            key,
        )
        assert result.exit_code == 0, result.output
    keyed = [str(tmp_path / "a-keyed.bundle"), str(tmp_path / "b-keyed.bundle")]
    result = invoke(tmp_path / "mine", "pool", *keyed, "-o", str(tmp_path / "from-keyed"))
    assert result.exit_code == 0, result.output
    invoke(
        tmp_path / "mine",
        "pool",
        str(programme["a.bundle"]),
        str(programme["b.bundle"]),
        "-o",
        str(tmp_path / "from-named"),
        "--key",
        key,
    )
    for table in ("contributions", "participants", "organisations", "sessions"):
        assert _rows(tmp_path / "from-keyed" / f"{table}.csv") == _rows(tmp_path / "from-named" / f"{table}.csv")
    assert not [leak for path in every_file(tmp_path / "from-keyed") for leak in leaks(path)]
    other = tmp_path / "other.key"
    new_key_file(other)
    line = _one_line_error(invoke(tmp_path / "mine", "pool", *keyed, "-o", str(tmp_path / "p"), "--key", str(other)))
    assert "a-keyed.bundle" in line and "pseudonymised under key" in line and not (tmp_path / "p").exists()
    line = _one_line_error(
        invoke(tmp_path / "mine", "pool", keyed[0], str(programme["b.bundle"]), "-o", str(tmp_path / "p"))
    )
    assert "b.bundle" in line and "--key" in line and not (tmp_path / "p").exists()


@pytest.mark.parametrize("damage", ["checksum", "not-json", "missing", "folder"])
def test_a_bad_input_is_one_line_naming_it_and_nothing_is_written(
    tmp_path: Path, programme: dict[str, Path], damage: str
) -> None:
    bad = tmp_path / "bad.bundle"
    if damage == "checksum":
        bad.write_text(programme["b.bundle"].read_text(encoding="utf-8").replace("Ruaridh", "Ruairi"), encoding="utf-8")
    elif damage == "not-json":
        bad.write_bytes(b"\x00\x01 not a bundle")
    elif damage == "folder":
        bad.mkdir()
    out = tmp_path / "pool"
    before = set((tmp_path).iterdir())
    line = _one_line_error(
        invoke(
            tmp_path / "mine",
            "pool",
            str(programme["a.bundle"]),
            str(bad),
            "-o",
            str(out),
            "--key",
            str(programme["key"]),
        )
    )
    assert str(bad) in line
    assert not out.exists() and set(tmp_path.iterdir()) == before  # no package, no half-made folder beside it


def test_only_an_earlier_pool_is_replaced(tmp_path: Path, programme: dict[str, Path]) -> None:
    key = str(programme["key"])
    out = tmp_path / "pool"
    out.mkdir()
    (out / "thesis.docx").write_text("mine")
    line = _one_line_error(invoke(tmp_path / "mine", "pool", str(programme["a.bundle"]), "-o", str(out), "--key", key))
    assert "not empty and not an earlier pool" in line and [p.name for p in out.iterdir()] == ["thesis.docx"]
    fresh = tmp_path / "fresh"
    assert (
        invoke(
            tmp_path / "mine",
            "pool",
            str(programme["a.bundle"]),
            str(programme["b.bundle"]),
            "-o",
            str(fresh),
            "--key",
            key,
        ).exit_code
        == 0
    )
    assert invoke(tmp_path / "mine", "pool", str(programme["a.bundle"]), "-o", str(fresh), "--key", key).exit_code == 0
    sessions = {row["session_id"] for row in _rows(fresh / "sessions.csv")}
    assert sessions == {"s-a1", "s-a2"}  # replaced whole, not appended to
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing left beside it


def test_a_session_met_twice_is_pooled_once_and_a_different_one_refused(
    tmp_path: Path, partnership: Codebook, programme: dict[str, Path]
) -> None:
    key = str(programme["key"])
    out = tmp_path / "pool"
    result = invoke(
        tmp_path / "mine", "pool", str(programme["a.bundle"]), str(programme["a"]), "-o", str(out), "--key", key
    )
    assert result.exit_code == 0, result.output
    assert "met twice" in result.stderr and len(_rows(out / "sessions.csv")) == 2
    changed = Archive(tmp_path / "changed")
    data = programme_meeting(partnership, 0, "s-a1")
    changed.add_session(SessionData(session=data.session, contributions=data.contributions[:-1]))
    line = _one_line_error(
        invoke(
            tmp_path / "mine",
            "pool",
            str(programme["a.bundle"]),
            str(tmp_path / "changed"),
            "-o",
            str(tmp_path / "p2"),
            "--key",
            key,
        )
    )
    assert "s-a1" in line and "other contents" in line and not (tmp_path / "p2").exists()


def test_parquet_beside_the_csvs(tmp_path: Path, programme: dict[str, Path]) -> None:
    pytest.importorskip("pyarrow")
    out = tmp_path / "pool"
    result = invoke(
        tmp_path / "mine",
        "pool",
        str(programme["a.bundle"]),
        str(programme["b.bundle"]),
        "-o",
        str(out),
        "--key",
        str(programme["key"]),
        "--parquet",
    )
    assert result.exit_code == 0, result.output
    package = json.loads((out / "datapackage.json").read_text())
    duck = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE", "datetime": "TIMESTAMPTZ"}
    for table in TABLES:
        fields = next(r["schema"]["fields"] for r in package["resources"] if r["name"] == table)
        types = ", ".join(f"'{f['name']}': '{duck[f['type']]}'" for f in fields)  # as the package types them
        from_csv = duckdb.sql(f"SELECT * FROM read_csv('{out / table}.csv', types={{{types}}}) ORDER BY ALL").fetchall()
        from_parquet = duckdb.sql(f"SELECT * FROM '{out / table}.parquet' ORDER BY ALL").fetchall()
        assert from_parquet == from_csv, table
    assert validate(str(out / "datapackage.json")).valid


def test_parquet_without_pyarrow_says_how_to_install_it(
    tmp_path: Path, programme: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pyarrow(name: str, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    out = tmp_path / "pool"
    line = _one_line_error(
        invoke(
            tmp_path / "mine",
            "pool",
            str(programme["a.bundle"]),
            "-o",
            str(out),
            "--key",
            str(programme["key"]),
            "--parquet",
        )
    )
    assert "pip install 'observer[parquet]'" in line and not out.exists()


def test_every_secret_is_known_to_the_scan() -> None:
    assert OBSERVERS[1] in SECRETS and PEOPLE["pc"] in SECRETS


def test_sessions_of_two_codebooks_share_one_table(tmp_path: Path, programme: dict[str, Path]) -> None:
    """A partnership bundle and an archive coded with Bales' IPA: one contributions table with both codebooks'
    columns, each row empty where its codebook has no such dimension or flag."""
    other = tmp_path / "ipa"
    assert invoke(other, "demo", "--sessions", "1", "--contributions", "5").exit_code == 0
    ipa = Archive(other)
    data = ipa.load(ipa.session_ids()[0])
    from observer.core.codebooks import resolve_codebook

    bales = resolve_codebook("bales-ipa", None)
    first_code = bales.dimensions[0].codes[0].id
    recoded = [
        c.model_copy(update={"codes": {bales.dimensions[0].id: first_code}, "flags": []}) for c in data.contributions
    ]
    ipa.add_session(
        SessionData(session=data.session.model_copy(update={"id": "s-ipa", "codebook": bales}), contributions=recoded)
    )
    out = tmp_path / "pool"
    result = invoke(tmp_path / "mine", "pool", str(programme["a.bundle"]), str(other), "-o", str(out), "--names")
    assert result.exit_code == 0, result.output
    rows = _rows(out / "contributions.csv")
    ipa_rows = [row for row in rows if row["session_id"] == "s-ipa"]
    partnership_rows = [row for row in rows if row["session_id"] == "s-a1"]
    assert len(ipa_rows) == 5 and {row[bales.dimensions[0].id] for row in ipa_rows} == {first_code}
    assert all(row["orientation"] == "" for row in ipa_rows)
    assert all(row[bales.dimensions[0].id] == "" for row in partnership_rows)
    assert {row["codebook"] for row in _rows(out / "codebook.csv")} == {"partnership", "bales-ipa"}
    assert validate(str(out / "datapackage.json")).valid


def test_a_bundle_that_only_says_it_is_pseudonymised_is_refused(tmp_path: Path, programme: dict[str, Path]) -> None:
    """A bundle's first line is not under its checksum: a named bundle whose head claims a key must not pass its
    names into a pool made without the key."""
    forged = tmp_path / "forged.bundle"
    text = programme["a.bundle"].read_text(encoding="utf-8")
    forged.write_text(text.replace('"sessions":[', '"pseudonyms":"K-00000000","sessions":[', 1), encoding="utf-8")
    out = tmp_path / "pool"
    line = _one_line_error(invoke(tmp_path / "mine", "pool", str(forged), "-o", str(out)))
    assert str(forged) in line and "names" in line
    assert not out.exists()


def test_a_link_as_the_package_folder_is_followed_and_stays_a_link(tmp_path: Path, programme: dict[str, Path]) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "link").symlink_to(elsewhere, target_is_directory=True)
    result = invoke(
        tmp_path / "mine",
        "pool",
        str(programme["a.bundle"]),
        "-o",
        str(tmp_path / "link"),
        "--key",
        str(programme["key"]),
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "link").is_symlink() and (elsewhere / "datapackage.json").is_file()
