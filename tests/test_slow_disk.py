"""The app in a real terminal (tmux) on a disk whose journal syncs take a second each: keys show at once, the
header says it is saving, and kill -9 right after the rows show keeps every one of them."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from observer.core.codebook_models import Codebook
from observer.storage import Archive

from .conftest import REPO, make_session

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None or not hasattr(signal, "SIGKILL"), reason="needs tmux and kill -9"
)

SYNC_SECONDS = 1.0
ROW = re.compile(r"\d+:\d\d +◦?(Ann Lee|Bob Khan|Cath Diaz|Dev Shah) ")


class Tmux:
    """A tmux server of the test's own, one window of the given size."""

    def __init__(self, tmp_path: Path, command: str, size: tuple[int, int]) -> None:
        self.socket = str(tmp_path / "tmux.sock")
        self.run("new-session", "-d", "-x", str(size[0]), "-y", str(size[1]), command)

    def run(self, *arguments: str) -> str:
        done = subprocess.run(["tmux", "-S", self.socket, *arguments], capture_output=True, text=True, timeout=10)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p")

    def rows(self) -> list[str]:
        return [match[1] for match in ROW.finditer(self.screen())]

    def wait_for(self, condition, seconds: float = 20.0) -> float:  # type: ignore[no-untyped-def]
        """Seconds until ``condition(screen text)`` holds, looking every 10 ms."""
        started = time.monotonic()
        while not condition(self.screen()):
            assert time.monotonic() - started < seconds, f"not reached within {seconds} s:\n{self.screen()}"
            time.sleep(0.01)
        return time.monotonic() - started

    def pid(self) -> int:
        return int(self.run("display", "-p", "#{pane_pid}").strip())

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True, timeout=10)


@pytest.mark.parametrize("size", [(120, 35), (80, 24)], ids=["120x35", "80x24"])
def test_keys_show_at_once_on_a_slow_disk_and_kill_9_keeps_them(
    tmp_path: Path, partnership: Codebook, size: tuple[int, int]
) -> None:
    data_dir = tmp_path / "data"
    session = make_session(partnership)
    Archive(data_dir).create_session(session).close()
    launcher = [sys.executable, "-m", "tests.helpers.slow_disk", str(SYNC_SECONDS)]
    command = shlex.join([*launcher, "--data-dir", str(data_dir), "resume", session.id])
    env = f"PYTHONPATH={shlex.quote(str(REPO))} TERM=xterm-256color"
    tmux = Tmux(tmp_path, f"cd {shlex.quote(str(REPO))} && exec env {env} {command}", size)
    try:
        tmux.wait_for(lambda screen: "NOT STARTED" in screen)
        tmux.run("send-keys", "1")
        first = tmux.wait_for(lambda screen: len(ROW.findall(screen)) == 1)
        assert first < 0.5, f"the speaker's row took {first:.2f} s"
        tmux.run("send-keys", "2", "3", "4", "1", "2")
        burst = tmux.wait_for(lambda screen: len(ROW.findall(screen)) == 6)
        assert burst < 0.8, f"a burst of five took {burst:.2f} s after the last key"
        shown = tmux.rows()
        tmux.wait_for(lambda screen: "saving…" in screen, seconds=3)
        os.kill(tmux.pid(), signal.SIGKILL)
    finally:
        tmux.close()
    names = {p.id: p.name for p in session.participants}
    stored = Archive(data_dir).load(session.id)
    assert [names[c.participant_id] for c in stored.contributions] == shown
    assert shown == ["Ann Lee", "Bob Khan", "Cath Diaz", "Dev Shah", "Ann Lee", "Bob Khan"]
