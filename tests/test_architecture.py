"""Import contracts: one-way layers, no cycles, screens that never import screens, a CLI that needs no Textual.

The graph is read from the source (every ``import``, also inside functions and under TYPE_CHECKING), so a lazy
import cannot hide a cycle or a layer crossed.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

PACKAGE = REPO / "observer"
APP_LAYERS = ("observer.tui", "observer.cli", "observer.__main__")
SCREENS = (
    "observer.tui.home",
    "observer.tui.coding_screen",
    "observer.tui.transcript_screen",
    "observer.tui.new_session",
    "observer.tui.review",
)
# The one screen built on another: the transcript screen is the coding screen moving through turns.
EXTENDS = {"observer.tui.transcript_screen": ["observer.tui.coding_screen"]}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports anywhere in its source: observer modules resolved, others as written."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names if f"{module}.{alias.name}" in MODULES)
    resolved = set()
    for module in found:
        if module.startswith("observer"):
            while module not in MODULES:
                module = module.rpartition(".")[0]
        if module != name:
            resolved.add(module)
    return resolved


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _is_under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def test_no_import_cycle_anywhere() -> None:
    cycles = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append(" → ".join([*path[path.index(module) :], module]))
            return
        if module in done:
            return
        for imported in sorted(GRAPH.get(module, ())):
            if imported in MODULES:
                visit(imported, [*path, module])
        done.add(module)

    for module in sorted(MODULES):
        visit(module, [])
    assert cycles == []


def test_the_core_never_imports_the_app_the_report_layer_or_textual() -> None:
    core = [name for name in MODULES if not _is_under(name, (*APP_LAYERS, "observer.report"))]
    assert "observer.storage" in core and "observer.export.xlsx" in core and "observer.metrics" in core
    crossings = {
        name: sorted(m for m in GRAPH[name] if _is_under(m, (*APP_LAYERS, "observer.report", "textual")))
        for name in core
    }
    assert {name: found for name, found in crossings.items() if found} == {}


def test_the_report_layer_never_imports_textual_or_the_app() -> None:
    assert [m for m in GRAPH["observer.report"] if _is_under(m, (*APP_LAYERS, "textual"))] == []


def test_screens_never_import_one_another() -> None:
    expected = {key: EXTENDS.get(key, []) for key in SCREENS}
    assert {screen: sorted(GRAPH[screen] & set(SCREENS)) for screen in SCREENS} == expected


WITHOUT_TEXTUAL = """
import sys
sys.modules["textual"] = None  # every import of textual, or of anything under it, now fails
from observer.cli import main
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
    listing = _observer(data, "sessions")
    assert listing.returncode == 0, listing.stderr
    ids = [line.split()[0] for line in listing.stdout.splitlines()[1:]]
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

    from observer.codebooks import resolve_codebook
    from observer.storage import Archive
    from observer.tui.app import ObserverApp
    from observer.tuning import GC_THRESHOLDS, SWITCH_INTERVAL_S, tuned_for_live_coding

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
    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") : readme.index("## Further reading")]
    package = root / "observer"
    modules = [p.relative_to(package).as_posix() for p in package.rglob("*.py") if p.name != "__init__.py"]
    named = [module for module in modules if f"`{module}`" in layout or f"`observer/{module}`" in layout]
    assert sorted(set(modules) - set(named)) == []
