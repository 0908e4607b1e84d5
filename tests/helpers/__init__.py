"""Programs the tests run in a process of their own, to kill them as a power cut or a closed terminal would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def start_helper(module: str, *arguments: str) -> subprocess.Popen[str]:
    """``python -m tests.helpers.MODULE ARGUMENTS…`` from the repository, its lines on a pipe, text mode."""
    return subprocess.Popen(
        [sys.executable, "-m", f"tests.helpers.{module}", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
