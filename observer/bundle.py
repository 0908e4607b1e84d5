"""Bundles: whole sessions (codebook copies and rosters included) in one file for another observer's archive.

A bundle is JSON with a SHA-256 checksum over its sessions, so a damaged or hand-edited file is refused.
Import checks everything before it writes anything: sessions already present and identical are skipped,
present and different are imported as a conflict copy, and a participant whose id is known under another
name is reported, never silently renamed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from observer import __version__
from observer.errors import InputError, StorageError
from observer.files import atomic_replace
from observer.models import RECORD_ID_MAX, SessionData, integrity_problem
from observer.storage import Archive
from observer.text import plural, terminal_safe

BUNDLE_FORMAT = "observer-bundle"
BUNDLE_VERSION = 1


def _canonical(sessions: list[dict[str, Any]]) -> bytes:
    return json.dumps(sessions, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def session_record(data: SessionData) -> dict[str, Any]:
    return data.model_dump(mode="json")


def write_bundle(sessions: list[SessionData], path: Path) -> None:
    records = [session_record(data) for data in sessions]
    document = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "tool": f"observer {__version__}",
        "sha256": hashlib.sha256(_canonical(records)).hexdigest(),
        "sessions": records,
    }
    encoded = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    atomic_replace(path, lambda handle: handle.write(encoded))


def read_bundle(path: Path) -> list[SessionData]:
    """Every session of a bundle, validated; InputError says why a bundle is refused."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such bundle") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InputError(f"{path}: not a readable bundle (damaged or not a bundle: {error})") from None
    except RecursionError:
        raise InputError(f"{path}: not a bundle (its JSON is nested too deeply to be one)") from None
    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        raise InputError(f"{path}: not an observer bundle")
    if document.get("version") != BUNDLE_VERSION:
        raise InputError(f"{path}: bundle version {document.get('version')!r} is not one this observer reads")
    records = document.get("sessions")
    if not isinstance(records, list) or not records:
        raise InputError(f"{path}: the bundle holds no sessions")
    if hashlib.sha256(_canonical(records)).hexdigest() != document.get("sha256"):
        raise InputError(f"{path}: checksum mismatch: the bundle was damaged or edited after it was made")
    sessions: list[SessionData] = []
    for index, record in enumerate(records, start=1):
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
        sessions.append(data)
    ids = [data.session.id for data in sessions]
    if len(set(ids)) != len(ids):
        raise InputError(f"{path}: a session appears twice in the bundle")
    return sessions


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # identical to what the archive holds
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # (bundle id, id of the copy, why)
    renamed_participants: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        imported = len(self.imported) + len(self.conflicts)
        lines = [f"imported {plural(imported, 'session')}; {len(self.skipped)} already present and identical"]
        lines += [f"conflict: session {original} {why}; imported as {copy}" for original, copy, why in self.conflicts]
        lines += [f"note: {message}" for message in self.renamed_participants]
        return lines


def import_bundles(archive: Archive, paths: list[Path]) -> ImportReport:
    """Validate every bundle, then add their sessions to ``archive``.

    An id the archive has in any form (a readable session, a damaged one, a folder of that name) is never
    written over: the incoming session is skipped when it is identical, else imported as a conflict copy.
    """
    incoming: list[SessionData] = []
    for path in paths:
        incoming += read_bundle(path)  # all of them, before anything is written
    taken = set(archive.session_ids())  # every folder, whether or not it can be read
    headers, _ = archive.headers()
    known_names = {p.id: p.name for header in headers for p in header.session.participants}
    report = ImportReport()
    plan: list[SessionData] = []
    for data in incoming:
        for participant in data.session.participants:
            known = known_names.get(participant.id)
            if known is not None and known != participant.name:
                report.renamed_participants.append(
                    f"participant {participant.id} is '{known}' in this archive and '{participant.name}' in "
                    f"session {data.session.id}; both kept as they are (one pseudonym; the key lists both names)"
                )
        session_id = data.session.id
        if session_id not in taken:
            plan.append(data)
            taken.add(session_id)
            report.imported.append(session_id)
            continue
        why = _differs(archive, data)
        if why is None:
            report.skipped.append(session_id)
            continue
        copy_id = _conflict_id(session_id, taken)
        taken.add(copy_id)
        plan.append(
            SessionData(session=data.session.model_copy(update={"id": copy_id}), contributions=data.contributions)
        )
        report.conflicts.append((session_id, copy_id, why))
    written: list[str] = []
    for data in plan:
        try:
            archive.add_session(data)
        except StorageError as error:
            done = ", ".join(written) or "none"
            raise StorageError(f"{error} (sessions imported before this one: {done})") from None
        written.append(data.session.id)
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
        if candidate not in taken:
            return candidate
        counter += 1
