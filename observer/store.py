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
import time
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
from observer.models import (
    Codebook,
    Contribution,
    Pause,
    RecordKind,
    Session,
    SessionData,
    SessionStatus,
    clock_order,
    utc_now,
)
from observer.paths import DataPaths

try:
    import fcntl
except ImportError:  # Windows: fall back to pid checks only
    fcntl = None  # type: ignore[assignment]

CHECKPOINT_FORMAT = 1
FOLD_EVERY = 1000  # journal entries before an automatic checkpoint
HISTORY_LIMIT = 500  # undo steps kept across checkpoints
LOCK_ATTEMPTS = 5

# "auto": a change the program made, not the observer (the pause after an interruption): never undone.
Operation = Literal["do", "undo", "redo", "auto"]
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
    if operation not in ("do", "undo", "redo", "auto"):
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
    # The contributions in clock order, with each one's position, kept up to date as changes apply where
    # that is cheap (a new latest contribution, a contribution coded): a key press never sorts them all.
    _ordered: list[Contribution] | None = None
    _positions: dict[str, int] = field(default_factory=dict)
    # Contributions written since ``take_touched`` last asked (None: too many to say, take them all).
    _touched: set[str] | None = None

    def ordered(self) -> list[Contribution]:
        """Every contribution in clock order (the list is the state's own: copy it to keep it)."""
        if self._ordered is None:
            self._ordered = sorted(self.contributions.values(), key=clock_order)
            self._positions = {c.id: position for position, c in enumerate(self._ordered)}
        return self._ordered

    def positions(self) -> dict[str, int]:
        """Each contribution's place in ``ordered()`` (a copy, safe to hand to another thread)."""
        self.ordered()
        return dict(self._positions)

    def latest(self) -> Contribution | None:
        """The contribution with the latest start (ties: the later keystroke)."""
        ordered = self.ordered()
        return ordered[-1] if ordered else None

    def take_touched(self) -> set[str] | None:
        """The ids of contributions written since the last call; None when every one must be taken as new."""
        touched, self._touched = self._touched, set()
        return touched

    def _track_order(self, record_id: str, record: Contribution | None) -> None:
        if self._touched is not None:
            self._touched.add(record_id)
        ordered = self._ordered
        if ordered is None:
            return
        position = self._positions.get(record_id)
        if record is not None and position is not None and clock_order(ordered[position]) == clock_order(record):
            ordered[position] = record  # coded, noted or flagged: same place in the order
        elif (
            record is not None and position is None and (not ordered or clock_order(record) >= clock_order(ordered[-1]))
        ):
            self._positions[record_id] = len(ordered)
            ordered.append(record)  # the newest contribution
        else:
            self._ordered = None  # moved or deleted: sorted again when next asked

    def apply(self, operation: Operation, change: Change) -> None:
        side = "before" if operation == "undo" else "after"
        for write in change.writes:
            record = getattr(write, side)
            if write.kind == "session":
                assert isinstance(record, Session), "a session cannot be deleted by a change"
                if operation in ("undo", "redo") and not _moves_clock(write):
                    # An agenda item or an arrival does not stop or start the clock, so undoing it must not
                    # either: the clock keeps the state it has now (paused after an interruption, say).
                    record = record.model_copy(update={name: getattr(self.session, name) for name in CLOCK_FIELDS})
                self.session = record
            elif record is None:
                self.contributions.pop(write.record_id, None)
                self._track_order(write.record_id, None)
            else:
                assert isinstance(record, Contribution)
                self.contributions[write.record_id] = record
                self._track_order(write.record_id, record)
        if operation == "do":
            self.undo_stack.append(change)
            self.redo_stack.clear()
        elif operation == "auto":
            pass
        elif operation == "undo":
            self.redo_stack.append(self.undo_stack.pop())
        else:
            self.undo_stack.append(self.redo_stack.pop())
        self.last_clock_s = max(self.last_clock_s, change.clock_s)
        if self.last_wall_time is None or change.wall_time > self.last_wall_time:
            self.last_wall_time = change.wall_time

    def data(self) -> SessionData:
        # Built without validating again: every record was validated when it was read or made.
        return SessionData.model_construct(session=self.session, contributions=list(self.ordered()))


# The fields of a session header that say where its clock stands.
CLOCK_FIELDS = ("status", "clock_elapsed_s", "running_since", "pauses", "started_at", "ended_s")


def _moves_clock(write: Write) -> bool:
    before, after = write.before, write.after
    return before is None or after is None or any(getattr(before, f) != getattr(after, f) for f in CLOCK_FIELDS)


def paused_at_last_moment(state: SessionState) -> Session | None:
    """A session left recording by a process that died, as it stands: paused at the last recorded moment.

    None when the session was not recording. Time after the last recorded action was not observed, so it
    never counts: not in listings, summaries or exports, and not once the session is resumed.
    """
    session = state.session
    if session.status != SessionStatus.RECORDING:
        return None
    latest = state.latest()
    last_clock = round(max(state.last_clock_s, session.clock_elapsed_s, latest.start_s if latest else 0.0), 3)
    last_wall = state.last_wall_time or session.running_since or utc_now()
    return session.model_copy(
        update={
            "status": SessionStatus.PAUSED,
            "clock_elapsed_s": last_clock,
            "running_since": None,
            "pauses": [*session.pauses, Pause(at_s=last_clock, wall_time=last_wall, interrupted=True)],
        }
    )


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
    stamp = _stamp()
    target = path.with_name(f"{path.name}.{stamp}.corrupt")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.{stamp}-{counter}.corrupt")
    try:
        os.replace(path, target)
    except OSError as error:
        raise StorageError(f"cannot move the damaged {path} aside: {error.strerror or error}") from None
    with contextlib.suppress(OSError):
        fsync_dir(path.parent)
    return target


def _read_checkpoint(path: Path) -> SessionState:
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
    except (ValueError, KeyError, IndexError, TypeError, ValidationError, RecursionError) as error:
        raise CorruptFileError(f"{path} is unreadable ({_short(error)}); it was left as it is") from None
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


@dataclass
class JournalRead:
    """What replaying a journal found: how big it is, and whether it holds damage."""

    size: int = 0  # bytes in the file
    damaged: bool = False  # a bad entry before the last line: not a crash signature, keep the file


def _replay_journal(path: Path, state: SessionState) -> JournalRead:
    """Apply the journal's entries newer than the checkpoint. Reads only: the file is never changed here.

    A torn last line (the process died mid-write) is dropped with a warning. A bad line anywhere else is
    damage: the entries before it are applied, the rest are not, and the warning says where.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return JournalRead()
    except OSError as error:
        raise StorageError(f"{path}: cannot read: {error.strerror or error}") from None
    result = JournalRead(size=len(raw))
    lines = raw.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    for number, line in enumerate(complete, start=1):
        try:
            doc = json.loads(line)
            if int(doc["seq"]) > state.seq:
                operation, change = _parse_change(doc, state.session.codebook)
                state.apply(operation, change)
                state.seq = int(doc["seq"])
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, ValidationError, RecursionError) as error:
            if number == len(complete) and not tail:
                state.warnings.append(
                    f"{path.name}: dropped an incomplete last entry (the program stopped while writing it)"
                )
                return result
            result.damaged = True
            state.warnings.append(
                f"{path} line {number} is damaged ({_short(error)}); the {number - 1} entries before it were "
                "read, those after it were not"
            )
            return result
    if tail:
        state.warnings.append(f"{path.name}: dropped an incomplete last entry (the program stopped while writing it)")
    return result


def set_aside_files(directory: Path) -> list[Path]:
    """Damaged files moved aside earlier (``*.corrupt``): kept, and named to the user on every read."""
    return sorted(directory.glob("*.corrupt")) if directory.is_dir() else []


def read_session_state(paths: DataPaths, session_id: str) -> tuple[SessionState, JournalRead]:
    """The session as stored: checkpoint plus journal. Never changes a file; damage becomes warnings.

    A session left recording by a process that is no longer running is shown paused at its last recorded
    moment (see ``paused_at_last_moment``), so that no reader counts time nobody observed.
    """
    checkpoint = paths.checkpoint(session_id)
    directory = paths.session_dir(session_id)
    aside = set_aside_files(directory)
    if not checkpoint.exists():
        raise StorageError(_missing_checkpoint(paths, session_id, aside))
    state = _read_checkpoint(checkpoint)
    journal = _replay_journal(paths.journal(session_id), state)
    state.warnings += [
        f"{directory.name}/{path.name} holds damaged data set aside earlier; what could be read is in the session"
        for path in aside
    ]
    if state.session.status == SessionStatus.RECORDING and not lock_is_held(paths.lock(session_id)):
        interrupted = paused_at_last_moment(state)
        assert interrupted is not None
        state.session = interrupted
    return state, journal


def _missing_checkpoint(paths: DataPaths, session_id: str, aside: list[Path]) -> str:
    message = f"session {session_id}: its checkpoint {paths.checkpoint(session_id).name} is missing"
    journal = paths.journal(session_id)
    if journal.exists():
        message += f"; its journal ({journal.stat().st_size:,} bytes) is kept as it is"
    if aside:
        message += f"; set aside earlier: {', '.join(path.name for path in aside)}"
    return message + f" (folder {paths.session_dir(session_id)})"


def lock_is_held(path: Path) -> bool:
    """Whether a running process has the session open for writing; takes nothing and creates nothing."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False  # no lock file: nobody has it open
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        pid = _holder_pid(SessionLock._read_holder(fd))
        return pid is not None and pid_alive(pid)
    finally:
        os.close(fd)


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
            # A reader checking whether the session is live holds a shared lock for microseconds: try again
            # briefly before calling the session taken.
            for attempt in range(LOCK_ATTEMPTS):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if attempt + 1 < LOCK_ATTEMPTS:
                        time.sleep(0.02)
            return False
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

    def __init__(
        self,
        paths: DataPaths,
        state: SessionState,
        lock: SessionLock,
        journal: JournalRead | None = None,
        fold_every: int = FOLD_EVERY,
    ) -> None:
        self.paths = paths
        self.fold_every = fold_every
        self.state = state
        self._lock = lock
        self.session_id = state.session.id
        self._journal_fd = -1
        try:
            self._start_journal(journal or JournalRead())
        except BaseException:
            if self._journal_fd >= 0:
                os.close(self._journal_fd)
            lock.release()
            raise
        self._entries_since_checkpoint = 0

    def _start_journal(self, found: JournalRead) -> None:
        """Fold what recovery read into the checkpoint, then start the journal clean.

        The order keeps what was readable readable: the checkpoint with every good entry is on disk before
        the journal is emptied, and a damaged journal is moved aside whole (its bytes kept), never cut.
        """
        path = self.paths.journal(self.session_id)
        if found.size or self.state.warnings:
            AtomicJSONStorage(self.paths.checkpoint(self.session_id)).write(_tinydb_tables(self.state))
        if found.damaged:
            aside = move_aside(path)
            self.state.warnings.append(f"the damaged journal was moved aside to {aside.name}, unchanged")
        try:
            existed = path.exists()
            self._journal_fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            if os.fstat(self._journal_fd).st_size:
                # Everything good is in the checkpoint now; a torn tail goes with the rest.
                os.ftruncate(self._journal_fd, 0)
                os.fsync(self._journal_fd)
            if not existed:
                fsync_dir(path.parent)
        except OSError as error:
            raise StorageError(describe_os_error(error, path)) from None

    # -- reading

    @property
    def session(self) -> Session:
        return self.state.session

    @property
    def contributions(self) -> dict[str, Contribution]:
        return self.state.contributions

    def data(self) -> SessionData:
        return self.state.data()

    # -- writing

    def do(self, change: Change) -> None:
        self._commit("do", change)

    def record(self, change: Change) -> None:
        """A change the program makes on its own (the pause after an interruption): saved, never undone."""
        self._commit("auto", change)

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
        if self._entries_since_checkpoint >= self.fold_every:
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
        """Store a new session and open it for writing; on failure nothing of it is left behind."""
        self.ensure()
        directory = self.paths.session_dir(session.id)
        if directory.exists():
            raise StorageError(f"session {session.id} already exists in {self.paths.root}")
        try:
            directory.mkdir(mode=0o700)
        except OSError as error:
            raise StorageError(describe_os_error(error, directory)) from None
        lock = SessionLock(self.paths.lock(session.id), session.id)
        try:
            fsync_dir(self.paths.sessions)
            lock.acquire()
            state = SessionState(session=session, contributions={})
            AtomicJSONStorage(self.paths.checkpoint(session.id)).write(_tinydb_tables(state))
            return SessionStore(self.paths, state, lock)
        except BaseException as error:
            lock.release()
            shutil.rmtree(directory, ignore_errors=True)
            if isinstance(error, OSError):
                raise StorageError(describe_os_error(error, directory) + "; no session was created") from None
            raise

    def open_session(self, session_id: str) -> SessionStore:
        """Open a stored session for writing; refused while another process has it open.

        The only place that repairs: what recovery read is folded into a new checkpoint, then a damaged
        journal is moved aside whole.
        """
        self.ensure()
        if not self.paths.session_dir(session_id).is_dir():
            raise StorageError(f"no session {session_id} in {self.paths.root}")
        lock = SessionLock(self.paths.lock(session_id), session_id)
        lock.acquire()
        try:
            state, journal = read_session_state(self.paths, session_id)
        except BaseException:
            lock.release()
            raise
        if lock.took_over_from:
            state.warnings.append(f"took over a stale lock left by {lock.took_over_from}, which is no longer running")
        return SessionStore(self.paths, state, lock, journal)

    def replace_session(self, data: SessionData) -> None:
        """Write a whole session (an import): refused while it is open elsewhere."""
        self.ensure()
        directory = self.paths.session_dir(data.session.id)
        is_new = not directory.exists()
        try:
            directory.mkdir(mode=0o700, exist_ok=True)
        except OSError as error:
            raise StorageError(describe_os_error(error, directory)) from None
        lock = SessionLock(self.paths.lock(data.session.id), data.session.id)
        try:
            lock.acquire()
            state = SessionState(session=data.session, contributions={c.id: c for c in data.contributions})
            AtomicJSONStorage(self.paths.checkpoint(data.session.id)).write(_tinydb_tables(state))
            with contextlib.suppress(FileNotFoundError):
                os.truncate(self.paths.journal(data.session.id), 0)
        except BaseException:
            if is_new:
                lock.release()
                shutil.rmtree(directory, ignore_errors=True)
            raise
        finally:
            lock.release()

    # -- reading

    def load(self, session_id: str) -> SessionData:
        """A session as stored (checkpoint plus journal), read without taking the lock or changing a file."""
        return self.load_with_warnings(session_id)[0]

    def load_with_warnings(self, session_id: str) -> tuple[SessionData, list[str]]:
        """A session and what was wrong with its files (damage read around, files set aside)."""
        state, _ = read_session_state(self.paths, session_id)
        return state.data(), [f"session {session_id}: {warning}" for warning in state.warnings]

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
            raise StorageError(_missing_checkpoint(self.paths, session_id, [])) from None
        except (ValueError, KeyError, StopIteration, ValidationError, AttributeError, RecursionError) as error:
            raise CorruptFileError(f"{path} is unreadable ({_short(error)}); it was left as it is") from None

    def headers(self) -> tuple[list[SessionData], list[SessionProblem]]:
        """Every readable session without its contributions (one session in memory at a time)."""
        sessions, problems = self.load_all()
        return [SessionData(session=data.session, contributions=[]) for data in sessions], problems

    def load_all(self) -> tuple[list[SessionData], list[SessionProblem]]:
        """Every readable session, and a problem line for each unreadable one or each damage read around."""
        sessions: list[SessionData] = []
        problems: list[SessionProblem] = []
        for session_id in self.session_ids():
            try:
                data, warnings = self.load_with_warnings(session_id)
            except StorageError as error:
                problems.append(SessionProblem(session_id, str(error)))
                continue
            sessions.append(data)
            problems += [SessionProblem(session_id, warning) for warning in warnings]
        sessions.sort(key=lambda data: (data.session.meeting_date, data.session.created_at))
        return sessions, problems

    # -- deleting

    def trash_session(self, session_id: str) -> Path:
        """Move a session to the trash folder, from which ``restore_session`` brings it back."""
        self.ensure()
        lock = SessionLock(self.paths.lock(session_id), session_id)
        lock.acquire()
        lock.release()
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")  # to the microsecond: 'u' restores the latest
        target = self.paths.trash / f"{session_id}.{stamp}"
        counter = 1
        while target.exists():
            counter += 1
            target = self.paths.trash / f"{session_id}.{stamp}-{counter}"
        try:
            os.replace(self.paths.session_dir(session_id), target)
            fsync_dir(self.paths.trash)
        except OSError as error:
            raise StorageError(describe_os_error(error, target)) from None
        return target

    def trashed(self) -> list[Path]:
        """Deleted sessions, the most recently deleted last."""
        if not self.paths.trash.is_dir():
            return []
        return sorted(self.paths.trash.iterdir(), key=_deleted_order)

    def restore_session(self, trashed: Path) -> str:
        session_id = trashed.name.rsplit(".", 1)[0]
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


def _deleted_order(trashed: Path) -> tuple[tuple[int, ...], str]:
    """A trash folder is named ``<id>.<YYYYmmdd-HHMMSS-micro>[-N]``: order by that moment, then the counter."""
    stamp = trashed.name.rpartition(".")[2]
    return tuple(int(part) for part in stamp.split("-") if part.isdigit()), trashed.name
