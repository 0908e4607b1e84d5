"""The coding screen in a real terminal at the sizes people have: tmux runs the app, keys are typed into it,
and the screen is read back as a person would read it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from observer.core.codebook_models import Codebook
from observer.storage import Archive

from .conftest import REPO, make_session

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True, timeout=30
        ).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "coding")

    def wait_for(self, pattern: str, seconds: float = 30) -> str:
        deadline = time.monotonic() + seconds
        while True:
            screen = self.screen()
            if re.search(pattern, screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared:\n{screen}")
            time.sleep(0.1)

    def alive(self) -> bool:
        """The app still runs (tmux ends the session, and its server, when the app exits)."""
        listed = subprocess.run(["tmux", "-L", self.socket, "has-session", "-t", "coding"], capture_output=True)
        return listed.returncode == 0

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", "-t", "coding", key)
            time.sleep(0.15)


def test_the_coding_screen_at_80x24_and_120x35(tmp_path: Path, partnership: Codebook) -> None:
    data_dir = tmp_path / "data"
    session = make_session(partnership)
    Archive(data_dir).create_session(session).close()
    tmux = Tmux(f"observer-test-{os.getpid()}")
    command = f"{sys.executable} -m observer --data-dir {data_dir} resume {session.id}"
    # COLUMNS and LINES, if the test runner has them, would pin the app to one size whatever tmux says.
    env = f"-u COLUMNS -u LINES PYTHONPATH={REPO} TERM=xterm-256color"
    tmux.run("new-session", "-d", "-s", "coding", "-x", "80", "-y", "24", f"env {env} {command}")
    try:
        tmux.wait_for("Press a speaker key")
        # Four contributions, from four organisations' people, each coded on both dimensions.
        for speaker, orientation, topic in (("1", "o", "t"), ("3", "p", "r"), ("2", "o", "t"), ("4", "p", "t")):
            tmux.keys(speaker, orientation, topic)
            time.sleep(0.4)
        screen = tmux.wait_for(r"PFI \d\.\d\d")
        assert re.search(r"RI \d\.\d\d", screen), screen
        screen = tmux.wait_for(r"Most heard .* \d+% of talk")
        footer = screen.rstrip().splitlines()[-1]
        assert "E End" in footer and "? Keys" in footer, footer
        # Wider, as on a laptop's full screen: each contribution's row shows both dimensions' codes.
        tmux.run("resize-window", "-t", "coding", "-x", "120", "-y", "35")
        screen = tmux.wait_for(r"▊ Balance")
        rows = [line for line in screen.splitlines() if re.search(r"▎.?\s*\d:\d\d\s", line)]
        assert len(rows) == 4, screen
        for row, codes in zip(rows, (("ORG", "TRX"), ("PART", "REL"), ("ORG", "TRX"), ("PART", "TRX")), strict=True):
            assert all(code in row for code in codes), row
        tmux.keys("C-q")
        deadline = time.monotonic() + 20
        while tmux.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not tmux.alive(), "ctrl+q did not end the app"
    finally:
        subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True)
    stored = Archive(data_dir).load(session.id)
    assert [c.codes for c in stored.contributions] == [
        {"orientation": "org_first", "topic": "transactional"},
        {"orientation": "partnership_first", "topic": "relational"},
        {"orientation": "org_first", "topic": "transactional"},
        {"orientation": "partnership_first", "topic": "transactional"},
    ]
