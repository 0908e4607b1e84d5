"""The archive: every session in a folder of its own, a TinyDB checkpoint with an append-only journal in front.

Recording a change appends one JSON line to the session's journal and fsyncs it before returning, so its
cost depends on neither the archive nor the session size. The journal is folded into the TinyDB checkpoint
(replaced atomically) every ``FOLD_EVERY`` entries and on close. ``docs/storage.md`` explains the design.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pydantic_core
from pydantic import TypeAdapter, ValidationError
from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage

from observer.errors import CorruptFileError, InputError, SessionLockedError, StorageError
from observer.files import (
    atomic_replace,
    describe_os_error,
    fsync_dir,
    pid_alive,
    remove_stale_temp_files,
)
from observer.models import Codebook, Contribution, RecordKind, Session, SessionData, utc_now
from observer.paths import DataPaths

try:
    import fcntl
except ImportError:  # Windows: fall back to pid checks only
    fcntl = None  # type: ignore[assignment]

CHECKPOINT_FORMAT = 1
FOLD_EVERY = 1000  # journal entries before an automatic checkpoint
HISTORY_LIMIT = 500  # undo steps kept across checkpoints

Operation = Literal["do", "undo", "redo"]
# One validator for a whole table of contributions: a single call instead of one per document.
CONTRIBUTION_LIST = TypeAdapter(list[Contribution])


# ---------------------------------------------------------------- changes


@dataclass(frozen=True)
class Write:
    """One record replaced: ``before`` is None for a new record, ``after`` is None for a deleted one."""

    kind: RecordKind
    record_id: str
    before: Session | Contribution | None
    after: Session | Contribution | None


@dataclass(frozen=True)
class Change:
    """What one user action did to the stored records; undo applies the ``before`` side."""

    label: str
    writes: tuple[Write, ...]
    clock_s: float
    wall_time: dt.datetime = field(default_factory=utc_now)


def _record_doc(record: Session | Contribution | None) -> dict[str, Any] | None:
    if record is None:
        return None
    if isinstance(record, Session):
        # The frozen codebook copy is stored once per session, not with every change.
        return record.model_dump(mode="json", exclude={"codebook"})
    return record.model_dump(mode="json")


def _change_doc(change: Change, operation: Operation, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "op": operation,
        "label": change.label,
        "clock_s": change.clock_s,
        "wall": change.wall_time.isoformat(),
        "writes": [
            {
                "kind": write.kind,
                "id": write.record_id,
                "before": _record_doc(write.before),
                "after": _record_doc(write.after),
            }
            for write in change.writes
        ],
    }


def _parse_record(kind: str, doc: dict[str, Any] | None, codebook: Codebook) -> Session | Contribution | None:
    if doc is None:
        return None
    if kind == "session":
        return Session.model_validate({**doc, "codebook": codebook})
    if kind == "contribution":
        return Contribution.model_validate(doc)
    raise ValueError(f"unknown record kind '{kind}'")


def _parse_change(doc: dict[str, Any], codebook: Codebook) -> tuple[Operation, Change]:
    writes = tuple(
        Write(
            kind=write["kind"],
            record_id=write["id"],
            before=_parse_record(write["kind"], write["before"], codebook),
            after=_parse_record(write["kind"], write["after"], codebook),
        )
        for write in doc["writes"]
    )
    operation = doc["op"]
    if operation not in ("do", "undo", "redo"):
        raise ValueError(f"unknown operation '{operation}'")
    change = Change(doc["label"], writes, float(doc["clock_s"]), dt.datetime.fromisoformat(doc["wall"]))
    return operation, change


# ---------------------------------------------------------------- the state a session folder holds


@dataclass
class SessionState:
    """Everything a session folder holds once the journal has been replayed over the checkpoint."""

    session: Session
    contributions: dict[str, Contribution]
    undo_stack: list[Change] = field(default_factory=list)
    redo_stack: list[Change] = field(default_factory=list)
    seq: int = 0  # last journal entry applied
    last_clock_s: float = 0.0  # the clock reading of the latest recorded action
    last_wall_time: dt.datetime | None = None  # and its wall-clock time
    warnings: list[str] = field(default_factory=list)
    # The latest contribution, kept up to date as changes apply so the keystroke path never scans them all.
    _latest: Contribution | None = None
    _latest_known: bool = False

    def latest(self) -> Contribution | None:
        """The contribution with the latest start (ties: the later keystroke)."""
        if not self._latest_known:
            self._latest = max(self.contributions.values(), key=_clock_order, default=None)
            self._latest_known = True
        return self._latest

    def _track_latest(self, record_id: str, record: Contribution | None) -> None:
        if record is None or (self._latest is not None and self._latest.id == record_id):
            self._latest_known = False
        elif self._latest_known and (self._latest is None or _clock_order(record) >= _clock_order(self._latest)):
            self._latest = record

    def apply(self, operation: Operation, change: Change) -> None:
        side = "before" if operation == "undo" else "after"
        for write in change.writes:
            record = getattr(write, side)
            if write.kind == "session":
                assert isinstance(record, Session), "a session cannot be deleted by a change"
                self.session = record
            elif record is None:
                self.contributions.pop(write.record_id, None)
                self._track_latest(write.record_id, None)
            else:
                assert isinstance(record, Contribution)
                self.contributions[write.record_id] = record
                self._track_latest(write.record_id, record)
        if operation == "do":
            self.undo_stack.append(change)
            self.redo_stack.clear()
        elif operation == "undo":
            self.redo_stack.append(self.undo_stack.pop())
        else:
            self.undo_stack.append(self.redo_stack.pop())
        self.last_clock_s = max(self.last_clock_s, change.clock_s)
        if self.last_wall_time is None or change.wall_time > self.last_wall_time:
            self.last_wall_time = change.wall_time

    def data(self) -> SessionData:
        ordered = sorted(self.contributions.values(), key=_clock_order)
        return SessionData(session=self.session, contributions=ordered)


def _clock_order(contribution: Contribution) -> tuple[float, dt.datetime]:
    return contribution.start_s, contribution.wall_time


class AtomicJSONStorage(Storage):
    """TinyDB storage that replaces its file atomically instead of rewriting it in place."""

    def __init__(self, path: Path, create: bool = False) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw.strip():
            return None
        # pydantic's JSON parser: the same result as json.loads, in less than half the time.
        data = pydantic_core.from_json(raw)
        if not isinstance(data, dict):
            raise ValueError("the top level is not a table")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

        def dump(handle: BinaryIO) -> None:
            handle.write(encoded)

        atomic_replace(self.path, dump)

    def close(self) -> None:
        pass


def _tinydb_tables(state: SessionState) -> dict[str, dict[str, Any]]:
    """The checkpoint in TinyDB's own layout: one dict per table, documents keyed by doc id."""

    def table(docs: list[Any]) -> dict[str, Any]:
        return {str(index): doc for index, doc in enumerate(docs, start=1)}

    history = {
        "undo": [_change_doc(change, "do", 0) for change in state.undo_stack[-HISTORY_LIMIT:]],
        "redo": [_change_doc(change, "do", 0) for change in state.redo_stack[-HISTORY_LIMIT:]],
    }
    return {
        "meta": table(
            [
                {
                    "format": CHECKPOINT_FORMAT,
                    "seq": state.seq,
                    "last_clock_s": state.last_clock_s,
                    "last_wall_time": state.last_wall_time.isoformat() if state.last_wall_time else None,
                }
            ]
        ),
        "codebook": table([state.session.codebook.model_dump(mode="json")]),
        "session": table([_record_doc(state.session)]),
        "contributions": table([c.model_dump(mode="json") for c in state.data().contributions]),
        "history": table([history]),
    }


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def move_aside(path: Path) -> Path:
    """Rename a corrupt file to a dated ``*.corrupt`` name that no later write will touch."""
    target = path.with_name(f"{path.name}.{_stamp()}.corrupt")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.{_stamp()}-{counter}.corrupt")
    os.replace(path, target)
    with contextlib.suppress(OSError):
        fsync_dir(path.parent)
    return target


def _read_checkpoint(path: Path, move_corrupt: bool) -> SessionState:
    try:
        # Each table access reads the storage: the cache parses the file once for all five tables.
        with TinyDB(path, storage=CachingMiddleware(AtomicJSONStorage)) as db:
            meta = db.table("meta").all()[0]
            if meta.get("format") != CHECKPOINT_FORMAT:
                raise ValueError(f"unknown checkpoint format {meta.get('format')!r}")
            codebook = Codebook.model_validate(db.table("codebook").all()[0])
            session = Session.model_validate({**db.table("session").all()[0], "codebook": codebook})
            contributions = CONTRIBUTION_LIST.validate_python(db.table("contributions").all())
            history_docs = db.table("history").all()
            history = history_docs[0] if history_docs else {"undo": [], "redo": []}
            undo_stack = [_parse_change(doc, codebook)[1] for doc in history["undo"]]
            redo_stack = [_parse_change(doc, codebook)[1] for doc in history["redo"]]
    except FileNotFoundError:
        raise
    except (ValueError, KeyError, IndexError, TypeError, ValidationError) as error:
        if move_corrupt:
            aside = move_aside(path)
            raise CorruptFileError(f"{path} is unreadable ({_short(error)}); moved aside to {aside.name}") from None
        raise CorruptFileError(f"{path} is unreadable ({_short(error)})") from None
    return SessionState(
        session=session,
        contributions={c.id: c for c in contributions},
        undo_stack=undo_stack,
        redo_stack=redo_stack,
        seq=int(meta["seq"]),
        last_clock_s=float(meta.get("last_clock_s", 0.0)),
        last_wall_time=dt.datetime.fromisoformat(meta["last_wall_time"]) if meta.get("last_wall_time") else None,
    )


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:160]


def _replay_journal(path: Path, state: SessionState, move_corrupt: bool) -> int:
    """Apply the journal's entries newer than the checkpoint; returns the byte length of its good prefix.

    A torn last line (the process died mid-write) is dropped with a warning. A bad line anywhere else
    means the file is damaged: it is moved aside (when allowed) and the checkpoint alone is used.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return 0
    good_length = 0
    lines = raw.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    for number, line in enumerate(complete, start=1):
        try:
            doc = json.loads(line)
            if int(doc["seq"]) > state.seq:
                operation, change = _parse_change(doc, state.session.codebook)
                state.apply(operation, change)
                state.seq = int(doc["seq"])
        except (ValueError, KeyError, TypeError, IndexError, ValidationError) as error:
            if number == len(complete) and not tail:
                state.warnings.append(
                    f"{path.name}: dropped an incomplete last entry (the program stopped while writing it)"
                )
                return good_length
            # Damage in the middle is not a crash signature: keep what came before, keep the file aside.
            where = f"{path} line {number}"
            if move_corrupt:
                aside = move_aside(path)
                state.warnings.append(
                    f"{where} is damaged ({_short(error)}); entries after it were not loaded; "
                    f"journal moved aside to {aside.name}"
                )
                return 0
            state.warnings.append(f"{where} is damaged ({_short(error)}); entries after it were not loaded")
            return good_length
        good_length += len(line) + 1
    if tail:
        state.warnings.append(f"{path.name}: dropped an incomplete last entry (the program stopped while writing it)")
    return good_length


def read_session_state(paths: DataPaths, session_id: str, move_corrupt: bool = True) -> tuple[SessionState, int]:
    """The session as stored: checkpoint plus journal, and the length of the journal's good prefix."""
    checkpoint = paths.checkpoint(session_id)
    if not checkpoint.exists():
        raise StorageError(f"session {session_id}: no stored session at {checkpoint}")
    state = _read_checkpoint(checkpoint, move_corrupt)
    good_length = _replay_journal(paths.journal(session_id), state, move_corrupt)
    return state, good_length


# ---------------------------------------------------------------- locking


class SessionLock:
    """Only one process writes a session: an flock held for the life of the process, plus the holder's name.

    The kernel drops an flock when its process dies, so a lock file left by a dead process is simply taken
    over; the pid and host written into it are for the message the next user sees.
    """

    def __init__(self, path: Path, session_id: str) -> None:
        self.path = path
        self.session_id = session_id
        self.fd: int | None = None
        self.took_over_from: str | None = None

    def acquire(self) -> None:
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as error:
                raise StorageError(
                    describe_os_error(error, self.path) + "; the session was not opened for writing"
                ) from None
            holder = self._read_holder(fd)
            if not self._lock(fd, holder):
                os.close(fd)
                raise SessionLockedError(
                    f"session {self.session_id} is open for writing in another observer process "
                    f"({holder or 'unknown holder'}); close it there first"
                )
            # The file may have been removed by a releasing holder between open and lock: retry then.
            try:
                same_file = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same_file = False
            if same_file:
                break
            os.close(fd)
        if holder:
            self.took_over_from = holder
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": utc_now().isoformat()})
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, record.encode(), 0)
            os.fsync(fd)
        except OSError as error:
            os.close(fd)
            raise StorageError(describe_os_error(error, self.path)) from None
        self.fd = fd

    def _lock(self, fd: int, holder: str) -> bool:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True
        pid = _holder_pid(holder)
        return pid is None or pid == os.getpid() or not pid_alive(pid)

    @staticmethod
    def _read_holder(fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            return f"pid {info['pid']} on {info['host']}"
        except (ValueError, KeyError, TypeError, OSError):
            return ""

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self.fd)
        self.fd = None


def _holder_pid(holder: str) -> int | None:
    parts = holder.split()
    return int(parts[1]) if len(parts) > 1 and parts[0] == "pid" and parts[1].isdigit() else None


# ---------------------------------------------------------------- a session open for writing


class SessionStore:
    """A session opened for writing. Every ``do``/``undo``/``redo`` is on disk before it returns."""

    def __init__(self, paths: DataPaths, state: SessionState, lock: SessionLock, journal_length: int) -> None:
        self.paths = paths
        self.state = state
        self._lock = lock
        self.session_id = state.session.id
        journal_path = paths.journal(self.session_id)
        existed = journal_path.exists()
        try:
            self._journal_fd = os.open(journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            if existed and os.fstat(self._journal_fd).st_size > journal_length:
                # Cut a torn tail now so that the next entry starts on a clean line.
                os.ftruncate(self._journal_fd, journal_length)
                os.fsync(self._journal_fd)
            if not existed:
                fsync_dir(journal_path.parent)
        except OSError as error:
            lock.release()
            raise StorageError(describe_os_error(error, journal_path)) from None
        self._entries_since_checkpoint = 0
        if journal_length or state.warnings:
            # Fold what recovery found into the checkpoint now, so the journal starts clean.
            try:
                self.checkpoint()
            except StorageError:
                os.close(self._journal_fd)
                lock.release()
                raise

    # -- reading

    @property
    def session(self) -> Session:
        return self.state.session

    @property
    def contributions(self) -> dict[str, Contribution]:
        return self.state.contributions

    def data(self) -> SessionData:
        return self.state.data()

    @property
    def can_undo(self) -> bool:
        return bool(self.state.undo_stack)

    @property
    def can_redo(self) -> bool:
        return bool(self.state.redo_stack)

    # -- writing

    def do(self, change: Change) -> None:
        self._commit("do", change)

    def undo(self) -> Change | None:
        """Undo the latest change, durably; None when there is nothing to undo."""
        if not self.state.undo_stack:
            return None
        change = self.state.undo_stack[-1]
        self._commit("undo", change)
        return change

    def redo(self) -> Change | None:
        if not self.state.redo_stack:
            return None
        change = self.state.redo_stack[-1]
        self._commit("redo", change)
        return change

    def _commit(self, operation: Operation, change: Change) -> None:
        if self._journal_fd < 0:
            raise StorageError(f"session {self.session_id} is closed")
        seq = self.state.seq + 1
        line = (json.dumps(_change_doc(change, operation, seq), separators=(",", ":")) + "\n").encode()
        self._append(line)
        # Only now, with the entry on disk, does the in-memory state move.
        self.state.apply(operation, change)
        self.state.seq = seq
        self._entries_since_checkpoint += 1
        if self._entries_since_checkpoint >= FOLD_EVERY:
            self.checkpoint()

    def _append(self, line: bytes) -> None:
        fd = self._journal_fd
        size_before = os.fstat(fd).st_size
        try:
            written = 0
            while written < len(line):
                written += os.write(fd, line[written:])
            os.fsync(fd)
        except OSError as error:
            # Leave the journal exactly as it was: no half line for recovery to trip over.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size_before)
                os.fsync(fd)
            raise StorageError(
                describe_os_error(error, self.paths.journal(self.session_id)) + "; that action was not saved"
            ) from None

    def checkpoint(self) -> None:
        """Fold the journal into the TinyDB checkpoint (atomically), then empty the journal."""
        AtomicJSONStorage(self.paths.checkpoint(self.session_id)).write(_tinydb_tables(self.state))
        try:
            os.ftruncate(self._journal_fd, 0)
            os.fsync(self._journal_fd)
        except OSError:
            pass  # entries already in the checkpoint are skipped by their sequence numbers on replay
        self._entries_since_checkpoint = 0

    def close(self) -> None:
        if self._journal_fd < 0:
            return
        try:
            self.checkpoint()
        finally:
            os.close(self._journal_fd)
            self._journal_fd = -1
            self._lock.release()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# ---------------------------------------------------------------- the archive


@dataclass
class SessionProblem:
    session_id: str
    message: str


class Archive:
    """All sessions under one data directory."""

    def __init__(self, root: Path) -> None:
        self.paths = DataPaths(Path(root))

    # -- set-up

    def ensure(self) -> None:
        """Create the data directory (owner-only: it holds personal data) and clean up after crashes."""
        for directory in (self.paths.root, self.paths.sessions, self.paths.trash):
            try:
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as error:
                raise StorageError(describe_os_error(error, directory)) from None
        with contextlib.suppress(OSError):
            os.chmod(self.paths.root, 0o700)
        for session_dir in self._session_dirs():
            remove_stale_temp_files(session_dir)

    def _session_dirs(self) -> Iterator[Path]:
        if not self.paths.sessions.is_dir():
            return
        for child in sorted(self.paths.sessions.iterdir()):
            if child.is_dir() and not child.name.startswith("."):
                yield child

    def session_ids(self) -> list[str]:
        return [directory.name for directory in self._session_dirs()]

    def resolve(self, prefix: str) -> str:
        """A session id from an id or an unambiguous prefix of one."""
        ids = self.session_ids()
        if prefix in ids:
            return prefix
        matches = [session_id for session_id in ids if session_id.startswith(prefix)]
        if not matches:
            raise InputError(f"no session '{prefix}' in {self.paths.root} (see 'observer sessions')")
        if len(matches) > 1:
            raise InputError(f"session prefix '{prefix}' is ambiguous: {', '.join(matches[:5])}")
        return matches[0]

    # -- writing

    def create_session(self, session: Session) -> SessionStore:
        """Store a new session and open it for writing."""
        self.ensure()
        directory = self.paths.session_dir(session.id)
        if directory.exists():
            raise StorageError(f"session {session.id} already exists in {self.paths.root}")
        try:
            directory.mkdir(mode=0o700)
            fsync_dir(self.paths.sessions)
        except OSError as error:
            raise StorageError(describe_os_error(error, directory)) from None
        lock = SessionLock(self.paths.lock(session.id), session.id)
        lock.acquire()
        state = SessionState(session=session, contributions={})
        try:
            AtomicJSONStorage(self.paths.checkpoint(session.id)).write(_tinydb_tables(state))
        except StorageError:
            lock.release()
            shutil.rmtree(directory, ignore_errors=True)
            raise
        return SessionStore(self.paths, state, lock, journal_length=0)

    def open_session(self, session_id: str) -> SessionStore:
        """Open a stored session for writing; refused while another process has it open."""
        self.ensure()
        lock = SessionLock(self.paths.lock(session_id), session_id)
        lock.acquire()
        try:
            state, journal_length = read_session_state(self.paths, session_id)
        except BaseException:
            lock.release()
            raise
        if lock.took_over_from:
            state.warnings.append(f"took over a stale lock left by {lock.took_over_from}, which is no longer running")
        return SessionStore(self.paths, state, lock, journal_length)

    def replace_session(self, data: SessionData) -> None:
        """Write a whole session (an import): refused while it is open elsewhere."""
        self.ensure()
        directory = self.paths.session_dir(data.session.id)
        try:
            directory.mkdir(mode=0o700, exist_ok=True)
        except OSError as error:
            raise StorageError(describe_os_error(error, directory)) from None
        lock = SessionLock(self.paths.lock(data.session.id), data.session.id)
        lock.acquire()
        try:
            state = SessionState(session=data.session, contributions={c.id: c for c in data.contributions})
            AtomicJSONStorage(self.paths.checkpoint(data.session.id)).write(_tinydb_tables(state))
            with contextlib.suppress(FileNotFoundError):
                os.truncate(self.paths.journal(data.session.id), 0)
        finally:
            lock.release()

    # -- reading

    def load(self, session_id: str) -> SessionData:
        """A session as stored (checkpoint plus journal), read without taking the lock."""
        state, _ = read_session_state(self.paths, session_id)
        return state.data()

    def stored_bytes(self, session_id: str) -> int:
        """How much there is to read of a session: its checkpoint and journal (0 for what is missing)."""
        total = 0
        for path in (self.paths.checkpoint(session_id), self.paths.journal(session_id)):
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total

    def codebook_of(self, session_id: str) -> Codebook:
        """A session's frozen codebook, without reading its contributions into models (it never changes)."""
        path = self.paths.checkpoint(session_id)
        try:
            tables = AtomicJSONStorage(path).read() or {}
            return Codebook.model_validate(next(iter(tables["codebook"].values())))
        except FileNotFoundError:
            raise StorageError(f"session {session_id}: no stored session at {path}") from None
        except (ValueError, KeyError, StopIteration, ValidationError) as error:
            raise CorruptFileError(f"{path} is unreadable ({_short(error)})") from None

    def headers(self) -> tuple[list[SessionData], list[SessionProblem]]:
        """Every readable session without its contributions (one session in memory at a time)."""
        headers: list[SessionData] = []
        problems: list[SessionProblem] = []
        for session_id in self.session_ids():
            try:
                headers.append(SessionData(session=self.load(session_id).session, contributions=[]))
            except StorageError as error:
                problems.append(SessionProblem(session_id, str(error)))
        headers.sort(key=lambda data: (data.session.meeting_date, data.session.created_at))
        return headers, problems

    def load_with_warnings(self, session_id: str) -> tuple[SessionData, list[str]]:
        state, _ = read_session_state(self.paths, session_id)
        return state.data(), state.warnings

    def load_all(self) -> tuple[list[SessionData], list[SessionProblem]]:
        """Every readable session, and one problem line for each that is not."""
        sessions: list[SessionData] = []
        problems: list[SessionProblem] = []
        for session_id in self.session_ids():
            try:
                sessions.append(self.load(session_id))
            except StorageError as error:
                problems.append(SessionProblem(session_id, str(error)))
        sessions.sort(key=lambda data: (data.session.meeting_date, data.session.created_at))
        return sessions, problems

    # -- deleting

    def trash_session(self, session_id: str) -> Path:
        """Move a session to the trash folder, from which ``restore_session`` brings it back."""
        self.ensure()
        lock = SessionLock(self.paths.lock(session_id), session_id)
        lock.acquire()
        lock.release()
        target = self.paths.trash / f"{session_id}.{_stamp()}"
        counter = 1
        while target.exists():  # deleted twice within a second: keep both
            counter += 1
            target = self.paths.trash / f"{session_id}.{_stamp()}-{counter}"
        try:
            os.replace(self.paths.session_dir(session_id), target)
            fsync_dir(self.paths.trash)
        except OSError as error:
            raise StorageError(describe_os_error(error, target)) from None
        return target

    def trashed(self) -> list[Path]:
        return sorted(self.paths.trash.glob("*")) if self.paths.trash.is_dir() else []

    def restore_session(self, trashed: Path) -> str:
        session_id = trashed.name.split(".")[0]
        target = self.paths.session_dir(session_id)
        if target.exists():
            raise StorageError(f"session {session_id} exists already; not restored")
        try:
            os.replace(trashed, target)
        except OSError as error:
            if error.errno == errno.ENOENT:
                raise StorageError(f"{trashed} is not in the trash") from None
            raise StorageError(describe_os_error(error, target)) from None
        return session_id
