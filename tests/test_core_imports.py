"""The core (models, storage, coding, metrics, exports) must work without Textual."""

from __future__ import annotations

import subprocess
import sys

from .conftest import REPO

CORE = [
    "observer.models",
    "observer.codebooks",
    "observer.storage",
    "observer.coding",
    "observer.metrics",
    "observer.roster",
    "observer.keys",
    "observer.paths",
    "observer.files",
    "observer.text",
    "observer.cli",
]

SCRIPT = f"""
import sys
sys.modules["textual"] = None  # any import of textual now fails
import importlib
for name in {CORE!r}:
    importlib.import_module(name)
try:
    import observer.export
    import observer.agreement
    import observer.demo
except ModuleNotFoundError as error:
    if "textual" in str(error):
        raise
print("core ok")
"""


def test_core_imports_without_textual() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "core ok"


def test_blocking_textual_really_blocks() -> None:
    """Guards the guard: with textual blocked, the TUI itself must fail to import."""
    script = 'import sys; sys.modules["textual"] = None\nimport observer.tui.app'
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert done.returncode != 0 and "textual" in done.stderr
