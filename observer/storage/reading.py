"""Reading a session as stored, changing nothing: checkpoint, journal and what is set aside."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from observer.core.errors import SessionBeingMade, StorageError
from observer.core.models import SessionStatus
from observer.core.text import terminal_safe
from observer.storage.checkpoint import read_checkpoint
from observer.storage.journal import JournalRead, replay_journals, set_aside_files, torn_tail_warning
from observer.storage.lock import lock_is_held
from observer.storage.paths import DataPaths
from observer.storage.state import SessionState, paused_at_last_moment


def read_session_state(paths: DataPaths, session_id: str, writing: bool = False) -> tuple[SessionState, JournalRead]:
    """The session as stored: checkpoint plus journal. Never changes a file; damage becomes warnings.

    A session left recording by a process that is no longer running is shown paused at its last recorded
    moment (see ``paused_at_last_moment``), so that no reader counts time nobody observed. Beside a live writer
    an incomplete last line is the line being written, not a crash's, and is passed over without a word;
    ``writing``: the writer itself is reading, at opening, where such a line is a crash's.
    """
    checkpoint = paths.checkpoint(session_id)
    directory = paths.session_dir(session_id)
    aside = set_aside_files(directory)
    if not checkpoint.exists():
        if not aside and not paths.journals(session_id) and _being_made(paths, session_id):
            raise SessionBeingMade(f"session {session_id} is being made in another window")
        raise StorageError(missing_checkpoint(paths, session_id, aside))
    for _ in range(READ_ATTEMPTS):
        # A writer may fold while this reads: a checkpoint replaced meanwhile (and the journal it folded gone)
        # is read again, so that no reader puts an old checkpoint together with a newer journal.
        before = _identity(checkpoint)
        state = read_checkpoint(checkpoint)
        journal = replay_journals(paths.journals(session_id), state)
        if _identity(checkpoint) == before:
            break
    if state.session.id != session_id:
        # A copied folder (``S.bak``): opening it would give S a second writer, listing it would show S twice.
        raise StorageError(
            f"folder sessions/{terminal_safe(directory.name)} holds session {state.session.id}, not one of its own "
            "name (a copy?); it is skipped and left as it is"
        )
    state.warnings += [
        f"{directory.name}/{path.name} holds damaged data set aside earlier; what could be read is in the session"
        for path in aside
    ]
    live = not writing and lock_is_held(paths.lock(session_id))
    journals = paths.journals(session_id)
    if live and journals:
        state.warnings = [warning for warning in state.warnings if warning != torn_tail_warning(journals[-1])]
    if state.session.status == SessionStatus.RECORDING and not writing and not live:
        interrupted = paused_at_last_moment(state)
        assert interrupted is not None
        state.session = interrupted
    return state, journal


READ_ATTEMPTS = 3
# A folder without a checkpoint changed this recently may be one whose maker has only just made it (the lock it
# takes at once, and the note naming it, come a moment after the folder).
JUST_MADE_SECONDS = 10.0
_SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _being_made(paths: DataPaths, session_id: str) -> bool:
    """Whether a session folder without a checkpoint or journal is one its maker (a new session, the demo, an
    import) is still writing: it holds the lock from the moment the folder exists until the checkpoint is there."""
    if not _SESSION_ID.match(session_id):
        return False  # no maker of observer's names a folder so
    if lock_is_held(paths.lock(session_id)):
        return True
    try:
        changed = os.stat(paths.session_dir(session_id)).st_mtime
    except OSError:
        return False
    return abs(time.time() - changed) < JUST_MADE_SECONDS


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def missing_checkpoint(paths: DataPaths, session_id: str, aside: list[Path]) -> str:
    message = f"session {session_id}: its checkpoint {paths.checkpoint(session_id).name} is missing"
    journals = paths.journals(session_id)
    if journals:
        size = sum(journal.stat().st_size for journal in journals if journal.exists())
        message += f"; its journal ({size:,} bytes) is kept as it is"
    if aside:
        message += f"; set aside earlier: {', '.join(path.name for path in aside)}"
    return message + f" (folder {paths.session_dir(session_id)})"
