"""Bundles: whole sessions (codebook copies and rosters included) in one file for another observer's archive.

A bundle is JSON with a SHA-256 checksum over its sessions, so a damaged or hand-edited file is refused.
Import checks everything before it writes anything: sessions already present and identical are skipped,
present and different are imported as a conflict copy, and a participant whose id is known under another
name is reported, never silently renamed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from observer import __version__
from observer.core.errors import InputError, StorageError
from observer.core.fields import RECORD_ID_MAX
from observer.core.models import SessionData, integrity_problem
from observer.core.text import plural, terminal_safe
from observer.interop.roster import first_coding_of
from observer.storage import Archive
from observer.storage.files import atomic_replace

BUNDLE_FORMAT = "observer-bundle"
BUNDLE_VERSION = 1


def _canonical(sessions: list[dict[str, Any]]) -> bytes:
    return json.dumps(sessions, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def session_record(data: SessionData) -> dict[str, Any]:
    return data.model_dump(mode="json")


class _Checksum:
    """SHA-256 of the canonical JSON of the list of records, fed one record at a time."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256(b"[")
        self.count = 0

    def add(self, record: dict[str, Any]) -> None:
        canonical = _canonical([record])[1:-1]
        self.hash.update(canonical if not self.count else b"," + canonical)
        self.count += 1

    def hexdigest(self) -> str:
        final = self.hash.copy()
        final.update(b"]")
        return final.hexdigest()


def _opening(key_id: str | None = None) -> bytes:
    head: dict[str, Any] = {"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "tool": f"observer {__version__}"}
    if key_id is not None:  # pseudonymised under this programme key (its public id, never the key)
        head["pseudonyms"] = key_id
    return json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1].encode("utf-8") + b',"sessions":['


_CLOSING = b'],"sha256":'


def write_bundle(sessions: Iterable[SessionData], path: Path, key_id: str | None = None) -> int:
    """Write a bundle a session at a time (memory holds one session): one JSON document, a session per line,
    the checksum last. ``key_id``: the sessions are pseudonymised under this programme key, and the bundle says
    so. Returns how many sessions it holds."""
    checksum = _Checksum()

    def write(handle: BinaryIO) -> None:
        handle.write(_opening(key_id) + b"\n")
        for data in sessions:
            _check_importable(data)
            record = session_record(data)
            if checksum.count:
                handle.write(b",\n")
            checksum.add(record)
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        handle.write(b"\n" + _CLOSING + json.dumps(checksum.hexdigest()).encode() + b"}\n")

    atomic_replace(path, write)
    return checksum.count


def _check_importable(data: SessionData) -> None:
    """Refuse to write a session that ``observer import`` would refuse: a bundle must always import."""
    problem = integrity_problem(data)
    if problem is None:
        return
    field_name, _, why = problem.partition(": ")
    fix = " (T on that turn moves its start)" if field_name.endswith(".end_s") and "before it starts" in why else ""
    raise InputError(
        f"session {terminal_safe(data.session.id)}, field '{field_name}': {why}{fix}; an import would refuse it, "
        "so nothing was bundled"
    )


def bundle_key_id(path: Path) -> str | None:
    """The programme key a bundle's sessions are pseudonymised under (its id), or None: names as recorded.
    Read from the bundle's first line; a bundle that is not one is refused when its sessions are read."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(4096)
    except OSError:
        return None
    if not _is_our_opening(first):
        return None
    try:
        head = json.loads(first.rstrip(b"\n")[: -len(b',"sessions":[')] + b"}")
    except ValueError:
        return None
    key_id = head.get("pseudonyms") if isinstance(head, dict) else None
    return key_id if isinstance(key_id, str) else None


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """A bundle's session records in order, then a check of its checksum (InputError if it fails).

    Bundles this version writes are read line by line; others (older versions wrote an indented document, or
    a hand-made one) are read whole, as before.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such bundle") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None
    with handle:
        try:
            first = handle.readline(len(_opening()) + 2)
            if first.rstrip(b"\n") == _opening() or _is_our_opening(first):
                yield from _streamed_records(path, handle, first)
                return
            handle.seek(0)
            document = json.loads(handle.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise InputError(f"{path}: not a readable bundle (damaged or not a bundle: {error})") from None
        except RecursionError:
            raise InputError(f"{path}: not a bundle (its JSON is nested too deeply to be one)") from None
        except OSError as error:
            raise InputError(f"{path}: cannot read: {error.strerror}") from None
    _check_head(path, document)
    records = document.get("sessions")
    if not isinstance(records, list) or not records:
        raise InputError(f"{path}: the bundle holds no sessions")
    if hashlib.sha256(_canonical(records)).hexdigest() != document.get("sha256"):
        raise InputError(f"{path}: checksum mismatch: the bundle was damaged or edited after it was made")
    yield from records


def _is_our_opening(line: bytes) -> bool:
    """The first line of a bundle written line by line, by this version or another of the same format."""
    return line.startswith(b'{"format":"observer-bundle"') and line.rstrip(b"\n").endswith(b'"sessions":[')


def _check_head(path: Path, document: object) -> None:
    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        raise InputError(f"{path}: not an observer bundle")
    if document.get("version") != BUNDLE_VERSION:
        raise InputError(f"{path}: bundle version {document.get('version')!r} is not one this observer reads")


def _streamed_records(path: Path, handle: BinaryIO, first: bytes) -> Iterator[dict[str, Any]]:
    _check_head(path, json.loads(first.rstrip(b"\n")[: -len(b',"sessions":[')] + b"}"))
    checksum = _Checksum()
    stated: object = None
    for number, line in enumerate(handle, start=2):
        if line.startswith(_CLOSING):
            stated = json.loads(line[len(_CLOSING) :].rstrip(b"}\n"))
            break
        record = json.loads(line.rstrip(b"\n").removesuffix(b","))
        if not isinstance(record, dict):
            raise InputError(f"{path}, line {number}: not a session record")
        checksum.add(record)
        yield record
    if not checksum.count:
        raise InputError(f"{path}: the bundle holds no sessions")
    if stated != checksum.hexdigest():
        raise InputError(f"{path}: checksum mismatch: the bundle was damaged or edited after it was made")


def _validated(path: Path, index: int, record: dict[str, Any]) -> SessionData:
    try:
        data = SessionData.model_validate(record)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(f"{path}: session {index}, field '{where}': {first['msg']}") from None
    except RecursionError:
        raise InputError(f"{path}: session {index} is nested too deeply to be a session") from None
    problem = integrity_problem(data)
    if problem is not None:
        field_name, _, why = problem.partition(": ")
        raise InputError(
            f"{path}: session {index} ({terminal_safe(data.session.id)}), field '{field_name}': {why}; "
            "nothing was imported"
        )
    return data


def each_session(path: Path) -> Iterator[tuple[SessionData, str]]:
    """Every session of a bundle, validated, with its record's digest, one at a time. The whole file is read,
    and its checksum checked, before the first problem is raised: a damaged bundle says so, not a symptom."""
    problem: InputError | None = None
    seen: set[str] = set()
    records = _records(path)
    for index, record in enumerate(records, start=1):
        if problem is not None:
            continue  # read on to the checksum, which speaks first
        try:
            data = _validated(path, index, record)
        except InputError as error:
            problem = error
            continue
        if data.session.id in seen:
            problem = InputError(f"{path}: a session appears twice in the bundle")
            continue
        seen.add(data.session.id)
        yield data, hashlib.sha256(_canonical([record])[1:-1]).hexdigest()
    if problem is not None:
        raise problem


def record_digest(data: SessionData) -> str:
    """The digest a bundle gives this session's record (``each_session``'s second value)."""
    return hashlib.sha256(_canonical([session_record(data)])[1:-1]).hexdigest()


def read_bundle(path: Path) -> list[SessionData]:
    """Every session of a bundle, validated; InputError says why a bundle is refused."""
    sessions = [data for data, _ in each_session(path)]
    return sessions


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # identical to what the archive holds
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # (bundle id, id of the copy, why)
    renamed_participants: list[str] = field(default_factory=list)
    linked: list[tuple[str, str]] = field(default_factory=list)  # (id written as, the meeting it is a coding of)

    def lines(self) -> list[str]:
        imported = len(self.imported) + len(self.conflicts)
        lines = [f"imported {plural(imported, 'session')}; {len(self.skipped)} already present and identical"]
        lines += [f"conflict: session {original} {why}; imported as {copy}" for original, copy, why in self.conflicts]
        lines += [f"note: {message}" for message in self.renamed_participants]
        lines += [
            f"session {session_id} is a second coding of meeting {meeting} (the same series, date and title, another "
            "observer): trends count the meeting once"
            for session_id, meeting in self.linked
        ]
        return lines


def import_bundles(archive: Archive, paths: list[Path]) -> ImportReport:
    """Validate every bundle, then add their sessions to ``archive``; one session in memory at a time.

    The bundles are read twice: first to check everything and plan what goes where (nothing is written if
    anything is wrong), then to write. An id the archive has in any form (a readable session, a damaged one, a
    folder of that name) is never written over: the incoming session is skipped when it is identical, else
    imported as a conflict copy.
    """
    taken = set(archive.session_ids())  # every folder, whether or not it can be read
    headers, _ = archive.headers()
    known_names = {p.id: p.name for header in headers for p in header.session.participants}
    links: dict[tuple[Path, str], str] = {}  # (bundle, digest) -> the meeting an unlinked second coding codes
    report = ImportReport()
    plan: dict[tuple[Path, str], tuple[str, str]] = {}  # (bundle, digest) -> (id in the bundle, id written as)
    incoming: dict[str, str] = {}  # id -> digest of the session planned under it, from an earlier bundle
    paths = list(dict.fromkeys(paths))  # a bundle named twice is read once
    arriving: list[SessionData] = []  # the sessions planned so far, as they will be written

    def place(path: Path, data: SessionData, digest: str) -> None:
        """Plan the id a bundle's session is written as (none when the archive holds it as it is)."""
        session_id = data.session.id
        same_folder = next((t for t in taken if t != session_id and t.casefold() == session_id.casefold()), None)
        if same_folder is not None and session_id not in taken:
            # Windows and macOS do not tell capitals apart in names: it would be the other session's folder.
            copy_id = _conflict_id(session_id, taken)
            taken.add(copy_id)
            plan[(path, digest)] = (session_id, copy_id)
            capitals = f"differs from session {same_folder} only in capitals (one folder on Windows and macOS)"
            report.conflicts.append((session_id, copy_id, capitals))
            return
        if session_id not in taken:
            plan[(path, digest)] = (session_id, session_id)
            incoming[session_id] = digest
            taken.add(session_id)
            report.imported.append(session_id)
            return
        if session_id in incoming:  # two bundles of this import hold this session
            why = None if incoming[session_id] == digest else "differs from the same session in another bundle"
        else:
            why = _differs(archive, data)
        if why is None:
            report.skipped.append(session_id)
            return
        copy_id = _conflict_id(session_id, taken)
        taken.add(copy_id)
        plan[(path, digest)] = (session_id, copy_id)
        report.conflicts.append((session_id, copy_id, why))

    for path in paths:
        for data, digest in each_session(path):
            for participant in data.session.participants:
                known = known_names.get(participant.id)
                if known is not None and known != participant.name:
                    report.renamed_participants.append(
                        f"participant {participant.id} is '{known}' in this archive and '{participant.name}' in "
                        f"session {data.session.id}; both kept as they are (one pseudonym; the key lists both "
                        "names)"
                    )
            if data.session.meeting_id is None:
                # Another observer's coding of a meeting this archive holds, or that an earlier session of this
                # import codes: linked, so that trends count it once.
                meeting = first_coding_of(data.session, [*headers, *arriving])
                if meeting is not None and meeting != data.session.id:
                    links[(path, digest)] = meeting
            place(path, data, digest)
            if (path, digest) in plan:  # a later session of this import may be another coding of its meeting
                target = plan[(path, digest)][1]
                meeting_id = links.get((path, digest), data.session.meeting_id)
                session = data.session.model_copy(update={"id": target, "meeting_id": meeting_id})
                arriving.append(SessionData.model_construct(session=session, contributions=[]))
    # A session linked to a meeting takes along the sessions of this import that are second codings of it.
    relinked: dict[str, str] = {}  # id in the bundle -> the meeting it was linked to
    for (path, digest), (bundle_id, target) in plan.items():
        if (path, digest) in links:
            report.linked.append((target, links[(path, digest)]))
            relinked[bundle_id] = links[(path, digest)]
    written: list[str] = []
    for path in paths:
        for data, digest in each_session(path):
            planned = plan.pop((path, digest), None)
            if planned is None:
                continue  # identical to what the archive holds
            _, target = planned
            update: dict[str, object] = {"id": target} if target != data.session.id else {}
            if (path, digest) in links:
                update["meeting_id"] = links[(path, digest)]
            elif data.session.meeting_id in relinked:
                update["meeting_id"] = relinked[data.session.meeting_id]
            if update:
                data = SessionData.model_construct(
                    session=data.session.model_copy(update=update), contributions=data.contributions
                )
            try:
                archive.add_session(data)
            except StorageError as error:
                done = ", ".join(written) or "none"
                raise StorageError(f"{error} (sessions imported before this one: {done})") from None
            written.append(target)
    if plan:  # a bundle changed between the two readings
        missing = ", ".join(bundle_id for bundle_id, _ in plan.values())
        raise InputError(f"a bundle changed while it was imported; not imported: {missing} (imported: {written})")
    return report


def _differs(archive: Archive, data: SessionData) -> str | None:
    """Why the archive's session of this id is not the incoming one, or None when they are identical."""
    try:
        current = archive.load(data.session.id)
    except StorageError:
        return "exists in this archive but cannot be read (its files are kept as they are)"
    if _canonical([session_record(current)]) == _canonical([session_record(data)]):
        return None
    return "differs from the archive's"


def _conflict_id(session_id: str, taken: set[str]) -> str:
    """``<id>-conflictN``, the id shortened where needed so that the copy's id is still a valid one."""
    counter = 1
    while True:
        suffix = f"-conflict{counter}"
        candidate = session_id[: RECORD_ID_MAX - len(suffix)].rstrip(".") + suffix
        if candidate.casefold() not in {name.casefold() for name in taken}:
            return candidate
        counter += 1
