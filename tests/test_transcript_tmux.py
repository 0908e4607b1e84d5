"""Coding a transcript in a real terminal at 120×35, as a coder would: tmux runs the app, keys arrive 30 ms apart,
the screen is read back, and the archive is checked afterwards."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO
from .test_terminal_sizes import Tmux
from .transcript_files import ROSTER, alternating, write_vtt

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

CODES = {"o": "org_first", "p": "partnership_first", "n": "neutral", "t": "transactional", "r": "relational"}


def observer(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "observer", "--data-dir", str(data_dir), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def keys_30_ms_apart(tmux: Tmux, keys: str) -> None:
    for key in keys:
        started = time.monotonic()
        tmux.run("send-keys", "-t", "coding", key)
        time.sleep(max(0.0, 0.03 - (time.monotonic() - started)))


def test_a_transcript_coded_in_tmux_at_120x35(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    vtt = write_vtt(tmp_path / "board.vtt", alternating(16, long_at=13))  # turn 14: 900 characters
    imported = observer(
        data_dir, "transcript", "import", str(vtt), "--roster", str(ROSTER), "--agenda", "Welcome", "--agenda", "Budget"
    )
    assert imported.returncode == 0, imported.stderr
    session_id = imported.stdout.split("created session ")[1].split(":")[0]
    # An import with 16 uncoded turns is not "ended".
    listed = {row["id"]: row["status"] for row in json.loads(observer(data_dir, "sessions", "--json").stdout)}
    assert listed[session_id] == "to_code"

    tmux = Tmux(f"observer-transcript-{os.getpid()}")
    env = f"-u COLUMNS -u LINES PYTHONPATH={REPO} TERM=xterm-256color"
    command = f"{sys.executable} -m observer --data-dir {data_dir} resume {session_id}"
    tmux.run("new-session", "-d", "-s", "coding", "-x", "120", "-y", "35", f"env {env} {command}")
    typed = ["ot", "pr", "nt", "or", "pt", "nr", "ot", "pr", "nt", "or", "pt", "nr", "ot"]
    try:
        tmux.wait_for(r"turn 1 of 16 · 0 coded")
        # o t g on turn 1: the flag is turn 1's; then twelve more turns, every key 30 ms after the one before.
        keys_30_ms_apart(tmux, "otg" + "".join(typed[1:]))
        screen = tmux.wait_for(r"turn 13 of 16 · 13 coded")
        assert "↓ next code → turn 14 · Bob Khan" in screen, screen
        # J on turn 13 (Ann's) followed by Bob's turn 14: it asks, and Escape joins nothing.
        tmux.keys("J")
        tmux.wait_for(r"Join turn 13 \(Ann Lee\) with turn 14 \(Bob Khan\)\?")
        tmux.keys("Escape")
        tmux.wait_for(r"nothing joined: turn 14 stays Bob Khan's")
        # The 900-character turn 14, read to its last word.
        tmux.keys("Tab")
        screen = tmux.wait_for(r"turn 14 of 16 · Bob Khan 0:02:10–0:02:18|turn 14 of 16 · Bob Khan 2:10–2:18")
        for _ in range(10):
            if "ENDMARK." in screen:
                break
            assert "PgDn reads on" in screen, screen
            tmux.keys("PageDown")
            screen = tmux.screen()
        assert "ENDMARK." in screen, screen
        assert re.search(r"↓ Cath Diaz 2:20: Point 15", screen), screen
        tmux.keys("C-q")
        deadline = time.monotonic() + 20
        while tmux.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not tmux.alive(), "ctrl+q did not end the app"
    finally:
        subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True)

    exported = observer(data_dir, "export", session_id, "-o", str(tmp_path / "out.json"))
    assert exported.returncode == 0, exported.stderr
    stored = json.loads((tmp_path / "out.json").read_text())["sessions"][0]
    rows = stored["contributions"]
    assert len(rows) == 16  # nothing joined
    assert [(row["orientation"], row["topic"]) for row in rows[:13]] == [
        (CODES[pair[0]], CODES[pair[1]]) for pair in typed
    ]
    assert [row["flag_governance_shield"] for row in rows[:3]] == [1, 0, 0]
    assert all(row["orientation"] == "" for row in rows[13:])
    assert {row["agenda_item"] for row in rows} == {"Welcome"}
    listed = {row["id"]: row["status"] for row in json.loads(observer(data_dir, "sessions", "--json").stdout)}
    assert listed[session_id] == "to_code"  # three turns still to code

    # Imported again over itself: the thirteen coded turns keep their codes; the first import goes to the trash.
    again = observer(data_dir, "transcript", "import", str(vtt), "--replace", session_id)
    assert again.returncode == 0, again.stderr
    assert f"replaced session {session_id}: 13 coded turns kept their coding" in again.stdout
    replaced = again.stdout.split("created session ")[1].split(":")[0]
    listed = {row["id"]: row["status"] for row in json.loads(observer(data_dir, "sessions", "--json").stdout)}
    assert list(listed) == [replaced]
