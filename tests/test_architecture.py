"""Import contracts (one-way layers, no cycles, screens that never import screens: pyproject.toml, checked by
import-linter), and a command line that needs no Textual.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from .conftest import REPO

PACKAGE = REPO / "observer"


def test_the_import_contracts_hold() -> None:
    """The contracts in pyproject.toml (no cycle, one-way layers, screens apart), as CI's ``lint-imports`` runs
    them: import-linter reads every import, also inside functions and under TYPE_CHECKING."""
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_the_layers_contract_names_every_package_and_excuses_nothing() -> None:
    """Every package under observer/ is in the one layers contract, which has no ignored imports, and the top
    holds only packages and the entry point, at most ten."""
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in contracts["contracts"] if c["type"] == "layers")
    named = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    packages = {f"observer.{path.name}" for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
    assert named == packages
    assert all("ignore_imports" not in contract for contract in contracts["contracts"])
    top = sorted(
        path.name
        for path in PACKAGE.iterdir()
        if path.name != "__init__.py" and (path.suffix == ".py" or (path / "__init__.py").exists())
    )
    assert len(top) <= 10, top
    assert [name for name in top if name.endswith(".py")] == ["__main__.py"]


WITHOUT_TEXTUAL = """
import sys
sys.modules["textual"] = None  # every import of textual, or of anything under it, now fails
from observer.cli.main import main
main(sys.argv[1:], prog_name="observer")
"""


def _observer(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "OBSERVER_DATA_DIR": str(data), "OBSERVER_EXPORT_HELPER": "0", "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_TEXTUAL, *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO,
        timeout=120,
    )


@pytest.mark.slow
def test_every_non_interactive_command_works_without_textual(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _observer(data, "demo", "--sessions", "3", "--contributions", "40").returncode == 0
    listing = _observer(data, "sessions", "--json")
    assert listing.returncode == 0, listing.stderr
    ids = [row["id"] for row in json.loads(listing.stdout)]
    assert len(ids) == 3
    series = json.loads(_observer(data, "show", ids[0], "--json").stdout)["series"]
    commands = [
        ["show", ids[0]],
        ["sessions"],
        ["trends", "--series", series],
        ["trends", "--series", series, "--json"],
        ["trends", "--series", series, "-o", str(tmp_path / "trend.xlsx")],
        ["export", *ids, "-o", str(tmp_path / "all.xlsx")],
        ["export", *ids, "-o", str(tmp_path / "all.csv"), "--pseudonymise"],
        ["export", ids[0], "-o", str(tmp_path / "one.json")],
        ["export", ids[0], "-o", str(tmp_path / "one.boris")],
        ["bundle", *ids, "-o", str(tmp_path / "all.observer-bundle")],
        ["codebooks", "list"],
        ["codebooks", "show", "partnership"],
        ["codebooks", "check", str(REPO / "codebooks" / "bales-ipa.toml")],
        ["agreement", *ids[:2], "--force", "--offset", "0"],
        ["agreement", *ids[:2], "--force", "--offset", "0", "--json"],
        ["sequences", *ids, "--after", "coordinator", "--permutations", "99", "-o", str(tmp_path / "seq.xlsx")],
        ["sequences", ids[0], "--by", "speaker", "--lag", "2", "--json"],
    ]
    for command in commands:
        result = _observer(data, *command)
        assert result.returncode == 0, f"{command}: {result.stderr}"
        assert "Traceback" not in result.stderr and "textual" not in result.stderr.lower()
    assert (tmp_path / "trend.xlsx").exists() and (tmp_path / "all.xlsx").exists()


async def test_driving_the_app_leaves_the_interpreter_as_it_found_it(tmp_path: Path) -> None:
    import gc

    from observer.core.codebooks import resolve_codebook
    from observer.storage import Archive
    from observer.tui.app import ObserverApp
    from observer.tui.tuning import GC_THRESHOLDS, SWITCH_INTERVAL_S, tuned_for_live_coding

    from .conftest import make_session
    from .tui_helpers import FakeClock, press, settle

    before = (gc.get_threshold(), sys.getswitchinterval(), gc.get_freeze_count())
    archive = Archive(tmp_path / "data")
    session = make_session(resolve_codebook("partnership", None))
    archive.create_session(session).close()
    app = ObserverApp(archive, start="coding", session_id=session.id, clock=FakeClock())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "1")
        await pilot.press("ctrl+q")
    assert (gc.get_threshold(), sys.getswitchinterval(), gc.get_freeze_count()) == before

    with tuned_for_live_coding():
        assert gc.get_threshold() == GC_THRESHOLDS and sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_S)
    assert (gc.get_threshold(), sys.getswitchinterval(), gc.get_freeze_count()) == before


def test_the_readme_layout_names_every_module() -> None:
    """Each package's row of the README's layout names every module in it, so that a newcomer finds each file."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") : readme.index("## Further reading")]
    rows = {
        match.group(1): line
        for line in layout.splitlines()
        if (match := re.match(r"\| \d+ \| `observer/(\w+)/` \|", line))
    }
    unnamed = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if path.name == "__init__.py" and len(relative.parts) <= 2:
            continue
        where = rows.get(relative.parts[0], "") if len(relative.parts) > 1 else layout
        if f"`{path.name}`" not in where:
            unnamed.append(relative.as_posix())
    assert sorted(unnamed) == []
    assert set(rows) == {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}


def test_no_module_is_over_five_hundred_lines() -> None:
    long = {
        path.relative_to(PACKAGE).as_posix(): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert long == {}


def test_the_coding_screens_are_composed_not_inherited() -> None:
    """The live screen stays small (its parts live in modules of their own), and the transcript screen composes
    the same parts rather than subclassing it and overriding its private methods."""
    from observer.tui.coding_screen import CodingScreen
    from observer.tui.session_screen import SessionScreen
    from observer.tui.transcript_screen import TranscriptScreen

    assert len((PACKAGE / "tui" / "coding_screen.py").read_text(encoding="utf-8").splitlines()) <= 350
    assert not issubclass(TranscriptScreen, CodingScreen)
    # The base the two share holds no behaviour of either: nothing of it is private, so nothing private is
    # overridden.
    defined = {name for name, value in vars(SessionScreen).items() if callable(value) or isinstance(value, property)}
    assert not {name for name in defined if name.startswith("_") and not name.startswith("__")}
    for screen in (CodingScreen, TranscriptScreen):
        for name in ("view", "selected_id", "summary"):
            assert callable(getattr(screen, f"watch_{name}", None)), f"{screen.__name__}.{name} has no watcher"


LISTING_LOADS = """
import sys
from observer.cli.main import main
try:
    main(["sessions", "--json"], prog_name="observer")
except SystemExit:
    pass
print(",".join(sorted(name for name in sys.modules if name.startswith(("observer.", "numpy", "scipy", "openpyxl")))))
"""


def test_listing_the_sessions_loads_neither_the_analyses_nor_the_exports(tmp_path: Path) -> None:
    """`observer sessions` is run often and should answer at once: it loads no command module but its own, and
    none of the analyses', exports' or statistics' libraries (each command's module loads when it runs)."""
    environment = {**os.environ, "OBSERVER_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-c", LISTING_LOADS], capture_output=True, text=True, env=environment, cwd=REPO, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.strip().splitlines()[-1].split(","))
    for heavy in ("observer.cli.analysis", "observer.cli.exports", "observer.cli.bundles", "observer.cli.pool"):
        assert heavy not in loaded
    assert not {name for name in loaded if name.startswith(("observer.interop.export", "numpy", "scipy", "openpyxl"))}
    assert not {name for name in loaded if name.startswith(("observer.analysis.agreement", "observer.present"))}
