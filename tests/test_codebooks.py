"""Codebooks: the shipped ones load, broken ones are refused with one precise line."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.core.codebooks import codebook_from_data, load_codebook, shipped_codebook_dir
from observer.core.errors import CodebookError

from .conftest import REPO

PARTNERSHIP = (REPO / "codebooks" / "partnership.toml").read_text()


def test_default_codebook_matches_the_coding_scheme() -> None:
    book = load_codebook(shipped_codebook_dir() / "partnership.toml")
    assert book.dimension_ids == ["orientation", "topic"]
    keys = {code.id: code.key for _, code in book.all_codes()}
    assert {k: keys[k] for k in ("org_first", "partnership_first", "neutral", "transactional", "relational")} == {
        "org_first": "o",
        "partnership_first": "p",
        "neutral": "n",
        "transactional": "t",
        "relational": "r",
    }
    assert book.flag_ids == [
        "coordinator",
        "governance_shield",
        "decision_deferred",
        "trust_avoidance",
        "separate_position",
        "history_acknowledged",
        "purpose_clarified",
        "challenge",
    ]


def test_bales_has_twelve_categories_in_four_groups() -> None:
    book = load_codebook(shipped_codebook_dir() / "bales-ipa.toml")
    codes = book.dimensions[0].codes
    assert len(codes) == 12
    assert len({code.group for code in codes}) == 4


def test_list_shows_both_shipped_codebooks(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "codebooks", "list"])
    assert result.exit_code == 0
    assert "partnership" in result.output and "bales-ipa" in result.output


def _swap(old: str, new: str) -> str:
    assert old in PARTNERSHIP
    return PARTNERSHIP.replace(old, new, 1)


BROKEN = {
    "key collides with another code": (
        _swap('key = "p"', 'key = "o"'),
        "code 'partnership_first', field 'key': 'o' is already used",
    ),
    "key collides with a flag": (_swap('key = "c"', 'key = "t"'), "flag 'coordinator', field 'key'"),
    "key is a speaker digit": (_swap('key = "n"', 'key = "3"'), "speaker keys"),
    "key is an app key": (_swap('key = "r"', 'key = "A"'), "app's key for 'Agenda'"),
    "key is space": (_swap('key = "r"', 'key = " "'), "printable"),
    "key too long": (_swap('key = "r"', 'key = "rr"'), "code 'relational', field 'key'"),
    "duplicate code id": (_swap('id = "neutral"', 'id = "org_first"'), "field 'id': 'org_first' is already used"),
    "duplicate dimension": (_swap('id = "topic"', 'id = "orientation"'), "defined twice"),
    "unknown field": (
        _swap('label = "Neutral"', 'label = "Neutral"\n  colour = "red"'),
        "code 'neutral', field 'colour': unknown field",
    ),
    "missing label": (_swap('label = "Relational"', ""), "code 'relational', field 'label': required"),
    "empty dimension": (
        'name = "x"\nversion = "1"\n[[dimensions]]\nid = "d"\nlabel = "D"\ncodes = []\n',
        "dimension 'd', field 'codes': must not be empty",
    ),
    "no dimensions": ('name = "x"\nversion = "1"\ndimensions = []\n', "field 'dimensions': must not be empty"),
    "bad TOML": ('name = "x\nversion = 1\n', "not valid TOML"),
    "bad code id": (_swap('id = "neutral"', 'id = "Neutral Code"'), "code 'Neutral Code', field 'id'"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_rejects_broken_codebook_with_one_precise_line(tmp_path: Path, case: str) -> None:
    text, expected = BROKEN[case]
    path = tmp_path / "broken.toml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["codebooks", "check", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] or "broken.toml" in lines[0]
    assert expected in lines[0]
    assert "Traceback" not in result.output


def test_check_through_the_installed_command(tmp_path: Path) -> None:
    path = tmp_path / "clash.toml"
    path.write_text(_swap('key = "p"', 'key = "o"'))
    done = subprocess.run(
        [sys.executable, "-m", "observer", "codebooks", "check", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "clash.toml" in done.stderr and "Traceback" not in done.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "observer", "codebooks", "check", str(REPO / "codebooks" / "partnership.toml")],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and "ok" in ok.stdout


def test_user_codebook_in_data_dir_is_listed(tmp_path: Path) -> None:
    (tmp_path / "codebooks").mkdir()
    (tmp_path / "codebooks" / "mine.toml").write_text(_swap('name = "partnership"', 'name = "mine"'))
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "codebooks", "list"])
    assert "mine" in result.output


# ---- property: the loader returns a valid codebook or raises CodebookError, nothing else

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.sampled_from(["o", "p", "A", "1", " ", "x", "org_first"]),
)
code_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(scalars, st.sampled_from(["a", "b", "org_first"])),
        "key": scalars,
        "label": scalars,
        "description": scalars,
        "group": scalars,
        "extra": scalars,
    },
)
dimension_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(scalars, st.sampled_from(["d", "e"])),
        "label": scalars,
        "codes": st.one_of(scalars, st.lists(st.one_of(code_like, scalars), max_size=4)),
    },
)
codebook_like = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(scalars, st.just("x")),
        "version": st.one_of(scalars, st.just("1")),
        "dimensions": st.one_of(scalars, st.lists(st.one_of(dimension_like, scalars), max_size=3)),
        "flags": st.one_of(scalars, st.lists(st.one_of(code_like, scalars), max_size=3)),
        "title": scalars,
        "unknown": scalars,
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(codebook_like, scalars, st.lists(scalars)))
def test_loader_returns_valid_codebook_or_raises_its_own_error(data: object) -> None:
    try:
        book = codebook_from_data(data, "fuzz.toml")
    except CodebookError as error:
        assert str(error).startswith("fuzz.toml:")
        assert "\n" not in str(error)
    else:
        assert isinstance(book, Codebook)
        Codebook.model_validate(book.model_dump())


def _places(value: object, path: tuple = ()) -> list[tuple]:
    """Every place in a parsed codebook: a key of a table or an item of a list, as a path from the top."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _places(inner, (*path, key))
    elif isinstance(value, list):
        for position, inner in enumerate(value):
            found += _places(inner, (*path, position))
    return found


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_one_damaged_place_in_a_real_codebook_is_named_or_harmless(data: st.DataObject) -> None:
    """The shipped codebook with one value replaced (by another type, an empty or a huge one) or removed:
    loaded, or refused in one line that names the file and the field."""
    parsed = tomllib.loads(PARTNERSHIP)
    path = data.draw(st.sampled_from(_places(parsed)))
    parent = parsed
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(st.one_of(scalars, st.just(""), st.just("x" * 10_000), st.just([]), st.just({})))
    try:
        book = codebook_from_data(parsed, "mine.toml")
    except CodebookError as error:
        message = str(error)
        assert message.startswith("mine.toml:") and "\n" not in message
        assert any(place in message for place in ("field", "dimension", "flag", "index", "code")), message
    else:
        Codebook.model_validate(book.model_dump())


@settings(max_examples=100)
@given(st.sampled_from(["o", "p", "n", "t", "r", "c", "g"]), st.sampled_from(["o", "p", "n", "t", "r", "c", "g"]))
def test_any_two_codes_sharing_a_key_are_refused(first: str, second: str) -> None:
    data = tomllib.loads(PARTNERSHIP)
    codes = [c for d in data["dimensions"] for c in d["codes"]] + data["flags"]
    by_key = {code["key"]: code for code in codes}
    by_key[second]["key"] = first
    if first == second:
        codebook_from_data(data, "p.toml")
    else:
        with pytest.raises(CodebookError, match=f"'{first}' is already used"):
            codebook_from_data(data, "p.toml")


def test_installed_as_the_wheel_lays_it_out_the_shipped_codebooks_are_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pip install .` puts the repo's codebooks/ where pyproject.toml says; the program must look there, not at
    the top of a checkout (a new machine has none)."""
    import shutil
    from importlib import resources

    from observer.core import codebooks as codebooks_module

    build = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]
    site = tmp_path / "site-packages"
    shutil.copytree(REPO / "observer", site / "observer")
    shutil.copytree(REPO / "codebooks", site / build["targets"]["wheel"]["force-include"]["codebooks"])
    monkeypatch.setattr(resources, "files", lambda package: site / package)
    monkeypatch.setattr(codebooks_module, "__file__", str(site / "observer" / "core" / "codebooks.py"))
    found = shipped_codebook_dir()
    assert found.is_relative_to(site) and (found / "partnership.toml").is_file()
