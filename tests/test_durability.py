"""Nothing acknowledged is lost: SIGKILL at random moments, then reopen and count."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from observer.core.codebook_models import Codebook
from observer.storage import Archive

from .conftest import REPO, make_session


def _kill_after(process: subprocess.Popen[bytes], delay: float) -> list[str]:
    """Read the writer's acknowledgements for ``delay`` seconds, then kill it (SIGKILL; on Windows,
    TerminateProcess); return what it said."""
    assert process.stdout is not None
    stdout = process.stdout
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: stdout.read(65536), b"")), daemon=True)
    reader.start()
    time.sleep(delay)
    process.kill()
    process.wait()
    reader.join(10)
    # Only whole lines count: a half-printed acknowledgement was never seen by anyone.
    return [line.decode() for line in b"".join(chunks).split(b"\n")[:-1]]


@pytest.mark.parametrize(("kills", "sync_seconds"), [(55, None), (15, 0.3)], ids=["disk", "slow-disk"])
def test_sigkill_loses_no_acknowledged_contribution(
    tmp_path: Path, partnership: Codebook, kills: int, sync_seconds: float | None
) -> None:
    """``kill -9`` loses nothing acknowledged. On a slow disk an action is acknowledged once it is in the journal,
    before its sync: the system's cache keeps it when the process dies."""
    data_dir = tmp_path / "data"
    archive = Archive(data_dir)
    session = make_session(partnership)
    archive.create_session(session).close()
    rng = random.Random(20261123)
    acknowledged: list[str] = []
    coded: set[str] = set()
    done = 0
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    slow = [str(sync_seconds)] if sync_seconds else []
    while done < kills:
        fold_every = str(rng.choice([7, 50, 400]))
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.writer", str(data_dir), session.id, fold_every, *slow],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
            env=env,
            bufsize=0,
        )
        # Wait for the writer to be running, then kill it at a random moment of its work.
        said = _kill_after(process, rng.uniform(0.35, 0.9))
        done += 1
        acknowledged += [line.split()[1] for line in said if line.startswith("ok ")]
        coded |= {line.split()[1] for line in said if line.startswith("coded ")}

        stored = Archive(data_dir).load(session.id)
        stored_ids = [c.id for c in stored.contributions]
        missing = set(acknowledged) - set(stored_ids)
        assert not missing, f"kill {done}: acknowledged but lost: {missing}"
        # Beyond the acknowledged ones there can be at most the one whose call was cut short by the kill.
        extra = [cid for cid in stored_ids if cid not in set(acknowledged)]
        assert len(extra) <= 1, f"kill {done}: unexpected contributions {extra}"
        acknowledged += extra
        by_id = {c.id: c for c in stored.contributions}
        assert all(by_id[cid].codes == {"orientation": "partnership_first"} for cid in coded)
        for path in (data_dir / "sessions" / session.id).iterdir():
            assert not path.name.endswith(".corrupt"), f"kill {done}: {path.name}"
    assert len(acknowledged) > 4 * kills, "the writer should have recorded plenty across the kills"
    # Opening for writing after all those kills works, and starts from everything stored.
    with Archive(data_dir).open_session(session.id) as store:
        assert len(store.contributions) == len(acknowledged)
