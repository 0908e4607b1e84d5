"""The archive: every session in a folder of its own, a TinyDB checkpoint with an append-only journal in front.

Recording a change appends one JSON line to the session's journal and fsyncs it before returning, so its
cost depends on neither the archive nor the session size. The journal is folded into the TinyDB checkpoint
(replaced atomically) every ``fold_every`` entries and on close. ``docs/storage.md`` explains the design.

The package is split at its seams, each depending only on those listed before it:
``changes`` (what a change writes, as journal lines), ``state`` (a session as read), ``checkpoint`` (the
TinyDB file), ``journal`` (the lines in front of it), ``lock`` (one writer per session), ``reading`` (a
session as stored, changing nothing), ``header`` (what a listing needs, kept by the writer), ``session_store``
(a session open for writing) and ``archive``.
"""

from observer.storage.archive import Archive, SessionProblem
from observer.storage.changes import Change, Write
from observer.storage.header import ListedSession
from observer.storage.lock import lock_is_held
from observer.storage.session_store import FOLD_EVERY, MemorySessionStore, SessionStore
from observer.storage.state import HISTORY_LIMIT, SessionState, paused_at_last_moment

__all__ = [
    "FOLD_EVERY",
    "HISTORY_LIMIT",
    "Archive",
    "Change",
    "ListedSession",
    "MemorySessionStore",
    "SessionProblem",
    "SessionState",
    "SessionStore",
    "Write",
    "lock_is_held",
    "paused_at_last_moment",
]
