"""Random damage to a copy of a real archive: every read command leaves every byte alone, prints no traceback,
and they all agree on what they read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.interop.demo import generate_demo
from observer.live.coding import CodingSession
from observer.storage import Archive

from .conftest import at, crash, make_session


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three demo meetings, one crashed mid-meeting with an unfolded journal."""
    root = tmp_path_factory.mktemp("pristine") / "data"
    archive = Archive(root)
    generate_demo(archive, sessions=2, contributions=30, seed=3)
    from observer.core.codebooks import resolve_codebook

    codebook: Codebook = resolve_codebook("partnership", None)
    session = make_session(codebook, title="Crashed", series="North")
    store = archive.create_session(session)
    coding = CodingSession(store)
    for second in range(12):
        coding.speak(at(second * 7), participant_id=session.participants[second % 4].id)
        coding.set_code(at(second * 7 + 1), "orientation", "partnership_first")
    crash(store)
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


damage = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=10_000),  # which file
        st.sampled_from(["truncate", "flip", "delete"]),
        st.floats(min_value=0, max_value=1),  # where in it
        st.integers(min_value=1, max_value=8),  # how many bytes to flip
    ),
    min_size=1,
    max_size=4,
)


def _damage(root: Path, plan: list[tuple[int, str, float, int]]) -> None:
    for which, kind, where, count in plan:
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl"))
        if not files:
            return
        path = files[which % len(files)]
        raw = bytearray(path.read_bytes())
        position = int(where * len(raw))
        if kind == "delete":
            path.unlink()
        elif kind == "truncate":
            path.write_bytes(bytes(raw[:position]))
        else:
            for offset in range(count):
                if position + offset < len(raw):
                    raw[position + offset] ^= 0x5A
            path.write_bytes(bytes(raw))


def _clean(result) -> None:  # type: ignore[no-untyped-def]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "unexpected" not in result.output, result.output


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=damage)
def test_reads_of_a_damaged_archive_change_nothing_and_agree(
    pristine: Path, tmp_path_factory: pytest.TempPathFactory, plan: list[tuple[int, str, float, int]]
) -> None:
    work = tmp_path_factory.mktemp("damaged")
    root = work / "data"
    shutil.copytree(pristine, root)
    _damage(root, plan)
    before = _snapshot(root)
    runner = CliRunner()
    data_dir = ["--data-dir", str(root)]

    listed = runner.invoke(main, [*data_dir, "sessions", "--json"])
    _clean(listed)
    counts = {row["id"]: row["contributions"] for row in json.loads(listed.stdout)}
    home_sessions, _ = Archive(root).load_all()  # what Home lists
    assert {d.session.id: len(d.contributions) for d in home_sessions} == counts

    ids = sorted(p.name for p in (root / "sessions").iterdir()) if (root / "sessions").is_dir() else []
    for session_id in ids:
        shown = runner.invoke(main, [*data_dir, "show", session_id, "--json"])
        _clean(shown)
        exported = runner.invoke(main, [*data_dir, "export", session_id, "-o", str(work / f"{session_id}.json")])
        _clean(exported)
        bundled = runner.invoke(main, [*data_dir, "bundle", session_id, "-o", str(work / f"{session_id}.bundle")])
        _clean(bundled)
        if session_id in counts:
            assert shown.exit_code == exported.exit_code == 0, shown.output
            # A byte flipped inside a code or an id leaves a session that reads, but one that an import would
            # refuse: the bundle says which field, in one line, and writes nothing.
            refused = bundled.exit_code != 0
            assert not refused or bundled.stderr.strip().endswith("an import would refuse it, so nothing was bundled")
            assert not refused or len(bundled.stderr.strip().splitlines()) == 1
            assert not refused or not (work / f"{session_id}.bundle").exists()
            assert json.loads(shown.stdout)["contributions"] == counts[session_id]
            document = json.loads((work / f"{session_id}.json").read_text(encoding="utf-8"))
            assert len(document["sessions"][0]["contributions"]) == counts[session_id]
        else:  # unreadable: every command says so in one line, with a non-zero exit
            for result in (shown, exported, bundled):
                assert result.exit_code != 0
                assert len(result.stderr.strip().splitlines()) >= 1
                assert all(line.startswith("observer: ") for line in result.stderr.strip().splitlines())
    for series in ("North",):
        _clean(runner.invoke(main, [*data_dir, "trends", "--series", series, "--json"]))
    if len(counts) >= 2:
        first, second = sorted(counts)[:2]
        _clean(runner.invoke(main, [*data_dir, "agreement", first, second, "--json", "--force"]))
    assert _snapshot(root) == before
