"""The archive: every session in a folder of its own, and what may be done to a whole session."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from observer.core.codebook_models import Codebook
from observer.core.errors import CorruptFileError, InputError, SessionBeingMade, StorageError
from observer.core.models import Session, SessionData, SessionStatus
from observer.storage import system
from observer.storage.checkpoint import AtomicJSONStorage, checkpoint_tables, short_reason
from observer.storage.files import describe_os_error, fsync_dir, remove_stale_temp_files
from observer.storage.header import ListedSession, ListingCache, session_stamp, trusted_header, write_header
from observer.storage.journal import set_aside_files
from observer.storage.lock import SessionLock, lock_is_held
from observer.storage.paths import DataPaths
from observer.storage.reading import missing_checkpoint, read_session_state
from observer.storage.session_store import SessionStore
from observer.storage.state import SessionState

# Sessions read whole for want of a header before a listing suggests writing them.
SLOW_LISTING_HINT = 20


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
        if any(trashed.name.rsplit(".", 1)[0] == prefix for trashed in self.trashed()):
            # The whole id of a deleted session, never a prefix of another's (a second coding named after it).
            raise InputError(f"session '{prefix}' is in the trash (u on Home brings back the session deleted last)")
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
            lock.acquire()  # at once: a reader takes a locked folder without a checkpoint for one being made
            fsync_dir(self.paths.sessions)
            state = SessionState(session=session, contributions={})
            AtomicJSONStorage(self.paths.checkpoint(session.id)).write(checkpoint_tables(state))
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
            state, journal = read_session_state(self.paths, session_id, writing=True)
        except BaseException:
            lock.release()
            raise
        if lock.took_over_from:
            state.warnings.append(f"took over a stale lock left by {lock.took_over_from}, which is no longer running")
        return SessionStore(self.paths, state, lock, journal)

    def add_session(self, data: SessionData) -> None:
        """Store a whole session (an import, a demo meeting) under a new id.

        Never overwrites: a folder of that name, in any state (readable, damaged, empty, someone's copy),
        refuses it, so no import can replace a session or its journal.
        """
        self.ensure()
        session_id = data.session.id
        directory = self.paths.session_dir(session_id)
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            raise StorageError(f"session {session_id} exists already in {self.paths.root}; not overwritten") from None
        except OSError as error:
            raise StorageError(describe_os_error(error, directory)) from None
        lock = SessionLock(self.paths.lock(session_id), session_id)
        try:
            lock.acquire()
            state = SessionState(session=data.session, contributions={c.id: c for c in data.contributions})
            AtomicJSONStorage(self.paths.checkpoint(session_id)).write(checkpoint_tables(state))
            fsync_dir(self.paths.sessions)
            write_header(self.paths, state)
        except BaseException:
            lock.release()
            shutil.rmtree(directory, ignore_errors=True)
            raise
        lock.release()

    # -- reading

    def load(self, session_id: str) -> SessionData:
        """A session as stored (checkpoint plus journal), read without taking the lock or changing a file."""
        return self.load_with_warnings(session_id)[0]

    def load_with_warnings(self, session_id: str) -> tuple[SessionData, list[str]]:
        """A session and what was wrong with its files (damage read around, files set aside)."""
        data, warnings, _ = self.load_with_damage(session_id)
        return data, warnings

    def load_with_damage(self, session_id: str) -> tuple[SessionData, list[str], bool]:
        """A session, what was wrong with its files, and whether damage in its journal kept the entries after it
        from being read (saved actions the data does not hold)."""
        state, journal = read_session_state(self.paths, session_id)
        return state.data(), [f"session {session_id}: {warning}" for warning in state.warnings], journal.damaged

    def stored_bytes(self, session_id: str) -> int:
        """How much there is to read of a session: its checkpoint and journal (0 for what is missing)."""
        total = 0
        for path in (self.paths.checkpoint(session_id), *self.paths.journals(session_id)):
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total

    def summary(self, session_id: str) -> ListedSession:
        """One session as a listing shows it: from its header where that holds, else read whole."""
        return trusted_header(self.paths, session_id) or ListedSession.of(self.load(session_id))

    def codebook_of(self, session_id: str) -> Codebook:
        """A session's frozen codebook, without reading its contributions into models (it never changes)."""
        header = trusted_header(self.paths, session_id)
        if header is not None:
            return header.session.codebook
        path = self.paths.checkpoint(session_id)
        try:
            tables = AtomicJSONStorage(path).read() or {}
            return Codebook.model_validate(next(iter(tables["codebook"].values())))
        except FileNotFoundError:
            raise StorageError(missing_checkpoint(self.paths, session_id, [])) from None
        except (ValueError, KeyError, StopIteration, ValidationError, AttributeError, RecursionError) as error:
            raise CorruptFileError(f"{path} is unreadable ({short_reason(error)}); it was left as it is") from None

    def each_session(self) -> Iterator[tuple[SessionData | None, list[SessionProblem]]]:
        """Every session in turn, read one at a time (an archive's worth need not fit in memory): the session,
        or None when it is unreadable, with a problem line for that or for each damage read around."""
        for session_id in self.session_ids():
            try:
                data, warnings = self.load_with_warnings(session_id)
            except SessionBeingMade:
                continue  # not there yet: the next listing has it
            except StorageError as error:
                yield None, [SessionProblem(session_id, str(error))]
                continue
            yield data, [SessionProblem(session_id, warning) for warning in warnings]
            del data  # not held while the next session is read

    def summaries(self, cache: ListingCache | None = None) -> tuple[list[ListedSession], list[SessionProblem]]:
        """Every readable session as a listing shows it, oldest meeting first, with a problem line for each one
        that cannot be read. Reads each session's header where its writer left one that still holds, and the
        session itself only where not (never both in memory for more than one session at a time).

        ``cache``, kept by a caller that lists again (Home), skips every session whose files have not changed
        since: listing again after one session was coded costs that session's header, not the archive's.
        """
        summaries: list[ListedSession] = []
        problems: list[SessionProblem] = []
        without_header = 0
        session_ids = self.session_ids()
        for session_id in session_ids:
            stamp = session_stamp(self.paths, session_id) if cache is not None else None
            if cache is not None and session_id in cache and cache[session_id][0] == stamp:
                summaries.append(cache[session_id][1])
                continue
            found: list[SessionProblem] = []
            summary = trusted_header(self.paths, session_id)
            if summary is None:
                without_header += not self.paths.header(session_id).exists()
                try:
                    data, warnings = self.load_with_warnings(session_id)
                except SessionBeingMade:
                    continue  # not there yet: the next listing has it
                except StorageError as error:
                    problems.append(SessionProblem(session_id, str(error)))
                    continue
                summary = ListedSession.of(data)
                found += [SessionProblem(session_id, warning) for warning in warnings]
                del data
            else:
                found += [
                    SessionProblem(
                        session_id,
                        f"session {session_id}: {path.name} holds damaged data set aside earlier; what could be "
                        "read is in the session",
                    )
                    for path in set_aside_files(self.paths.session_dir(session_id))
                ]
            summaries.append(summary)
            problems += found
            if cache is not None and not found and summary.session.status != SessionStatus.RECORDING:
                cache[session_id] = (stamp, summary)  # a session with something to say is read (and said) again
        if cache is not None:
            for gone in set(cache) - set(session_ids):
                del cache[gone]
        summaries.sort(key=lambda summary: (summary.session.meeting_date, summary.session.created_at))
        if without_header >= SLOW_LISTING_HINT:
            problems.append(
                SessionProblem(
                    "",
                    f"{without_header:,} sessions have no listing header yet (made before this version), so each was "
                    "read whole: 'observer sessions --reindex' writes them once, and listing is fast from then on",
                )
            )
        return summaries, problems

    def reindex(self) -> int:
        """Write the header of every readable session that has none that holds, where no writer has the session
        open: the one listing that writes. Returns how many were written."""
        written = 0
        for session_id in self.session_ids():
            if trusted_header(self.paths, session_id) is not None or lock_is_held(self.paths.lock(session_id)):
                continue
            try:
                state, journal = read_session_state(self.paths, session_id)
            except StorageError:
                continue
            if journal.size or state.warnings:
                continue  # entries not folded yet: the next writer folds them, then writes the header
            write_header(self.paths, state)
            written += 1
        return written

    def headers(self) -> tuple[list[SessionData], list[SessionProblem]]:
        """Every readable session without its contributions (from the headers where they hold)."""
        summaries, problems = self.summaries()
        return [summary.as_data() for summary in summaries], problems

    def load_all(self) -> tuple[list[SessionData], list[SessionProblem]]:
        """Every readable session, and a problem line for each unreadable one or each damage read around."""
        return self._collect(lambda data: data)

    def _collect(self, keep: Callable[[SessionData], SessionData]) -> tuple[list[SessionData], list[SessionProblem]]:
        sessions: list[SessionData] = []
        problems: list[SessionProblem] = []
        for data, found in self.each_session():
            if data is not None:
                sessions.append(keep(data))
            problems += found
            del data  # not held while the next session is read
        sessions.sort(key=lambda data: (data.session.meeting_date, data.session.created_at))
        return sessions, problems

    # -- deleting

    def trash_session(self, session_id: str) -> Path:
        """Move a session to the trash folder, from which ``restore_session`` brings it back."""
        self.ensure()
        # Refused while a writer has it open; and the lock is closed again before the folder moves (Windows will
        # not move a folder with a file open in it).
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
            system.replace(self.paths.session_dir(session_id), target)
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
            system.replace(trashed, target)
        except OSError as error:
            if error.errno == errno.ENOENT:
                raise StorageError(f"{trashed} is not in the trash") from None
            raise StorageError(describe_os_error(error, target)) from None
        return session_id


def _deleted_order(trashed: Path) -> tuple[tuple[int, ...], str]:
    """A trash folder is named ``<id>.<YYYYmmdd-HHMMSS-micro>[-N]``: order by that moment, then the counter."""
    stamp = trashed.name.rpartition(".")[2]
    return tuple(int(part) for part in stamp.split("-") if part.isdigit()), trashed.name
