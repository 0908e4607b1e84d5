"""Leaving the app in a real terminal: the process ends promptly, the session is closed and its lock is free."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from observer.core.codebook_models import Codebook
from observer.core.models import SessionStatus
from observer.storage import Archive, lock_is_held

from .conftest import REPO, make_session

pty = pytest.importorskip("pty", reason="needs a pseudo-terminal (POSIX)")

CTRL_Q = b"\x11"


class Terminal:
    """The app running on a pseudo-terminal of its own, as in a terminal window."""

    def __init__(self, *args: str) -> None:
        self.master, slave = pty.openpty()
        os.set_blocking(self.master, False)
        env = {**os.environ, "PYTHONPATH": str(REPO), "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "observer", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=REPO,
            env=env,
            start_new_session=True,  # its own session: the pty is its controlling terminal
        )
        os.close(slave)
        self.screen = b""

    def wait_for(self, text: str, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while text.encode() not in self.screen:
            assert time.monotonic() < deadline, f"{text!r} never appeared"
            self.read(0.1)

    def read(self, seconds: float) -> None:
        ready, _, _ = select.select([self.master], [], [], seconds)
        if ready:
            with contextlib.suppress(OSError):
                self.screen += os.read(self.master, 65536)

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def exit_status(self, within: float) -> int | None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self.read(0.05)  # keep draining, or the app blocks writing to a full terminal
            if self.process.poll() is not None:
                return self.process.returncode
        return None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@pytest.fixture
def recorded(tmp_path: Path, partnership: Codebook) -> tuple[Path, str]:
    data_dir = tmp_path / "data"
    session = make_session(partnership)
    Archive(data_dir).create_session(session).close()
    return data_dir, session.id


def _start_coding(data_dir: Path, session_id: str) -> Terminal:
    terminal = Terminal("--data-dir", str(data_dir), "resume", session_id)
    terminal.wait_for("NOT STARTED")
    terminal.type(b"1")  # Ann speaks: the clock starts
    terminal.wait_for("RECORDING")
    terminal.type(b"p")
    time.sleep(0.5)
    return terminal


def _assert_closed(data_dir: Path, session_id: str) -> None:
    archive = Archive(data_dir)
    data = archive.load(session_id)
    assert data.session.status == SessionStatus.PAUSED
    assert [c.codes for c in data.contributions] == [{"orientation": "partnership_first"}]
    assert not lock_is_held(archive.paths.lock(session_id))
    # Folded and closed by its own process, not paused by a later reader: the journal is empty.
    assert all(journal.stat().st_size == 0 for journal in archive.paths.journals(session_id))


def test_ctrl_q_on_the_coding_screen_ends_the_process_and_closes_the_session(recorded: tuple[Path, str]) -> None:
    data_dir, session_id = recorded
    terminal = _start_coding(data_dir, session_id)
    try:
        terminal.type(CTRL_Q)
        assert terminal.exit_status(within=2.0) == 0
    finally:
        terminal.close()
    _assert_closed(data_dir, session_id)


def test_ctrl_q_on_home_after_leaving_a_session(recorded: tuple[Path, str]) -> None:
    data_dir, session_id = recorded
    terminal = _start_coding(data_dir, session_id)
    try:
        terminal.type(b"\x17")  # ctrl+w: back to Home, which lists the session paused
        terminal.wait_for("paused")
        terminal.type(CTRL_Q)
        assert terminal.exit_status(within=2.0) == 0
    finally:
        terminal.close()
    _assert_closed(data_dir, session_id)


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_a_closed_terminal_closes_the_session(recorded: tuple[Path, str], signum: int) -> None:
    data_dir, session_id = recorded
    terminal = _start_coding(data_dir, session_id)
    try:
        terminal.process.send_signal(signum)
        assert terminal.exit_status(within=2.0) is not None
    finally:
        terminal.close()
    _assert_closed(data_dir, session_id)


@pytest.mark.parametrize("problem", ["locked", "damaged", "unknown"])
def test_resume_that_cannot_open_exits_with_one_line(recorded: tuple[Path, str], problem: str) -> None:
    data_dir, session_id = recorded
    archive = Archive(data_dir)
    holder = archive.open_session(session_id) if problem == "locked" else None
    if problem == "damaged":
        archive.paths.checkpoint(session_id).write_text("{not json")
    reference = "nosuchsession" if problem == "unknown" else session_id
    try:
        done = subprocess.run(
            [sys.executable, "-m", "observer", "--data-dir", str(data_dir), "resume", reference],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    finally:
        if holder is not None:
            holder.close()
    assert done.returncode != 0
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("observer: error:")


def test_keys_typed_ahead_of_ctrl_q_are_saved_before_it_quits(recorded: tuple[Path, str]) -> None:
    """Keys arrive from a terminal in one read when typed fast (or pasted): ctrl+q at the end of such a burst used
    to run before the keys ahead of it, closing the session first; those keys were then dropped, unsaved."""
    data_dir, session_id = recorded
    terminal = _start_coding(data_dir, session_id)
    try:
        terminal.type(b"2o3t\x11")  # Bob, organisation-first; Cath, transactional; quit: one read
        assert terminal.exit_status(within=5.0) == 0
    finally:
        terminal.close()
    data = Archive(data_dir).load(session_id)
    assert [c.codes for c in data.contributions] == [
        {"orientation": "partnership_first"},
        {"orientation": "org_first"},
        {"topic": "transactional"},
    ]
    assert data.session.status == SessionStatus.PAUSED
