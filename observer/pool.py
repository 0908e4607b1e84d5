"""A programme's data pooled: several observers' bundles or archives as one Frictionless data package.

The package is written into a folder made beside the one asked for, and takes its name only once every table
is whole: a bad input (a damaged bundle, a session twice with different contents, a pseudonym collision) leaves
nothing behind, and an earlier pool in that folder is replaced whole, never mixed with the new one. The inputs
are read twice: a quick look for the codebooks (the columns of every table are known before the first row),
then each session, validated, one at a time (memory holds one session and the rosters).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from observer import __version__
from observer.bundle import bundle_key_id, each_record, each_session, record_digest
from observer.errors import InputError, StorageError
from observer.export.records import Naming, codebook_rows, neutralised, tidy_rows
from observer.keyed_sessions import keyed_session
from observer.models import Codebook, SessionData
from observer.pool_schema import POOL_FORMAT, POOL_PROFILE, Table, contribution_columns, datapackage, tables
from observer.programme_key import KeyedPseudonyms, ProgrammeKey
from observer.storage import Archive
from observer.text import plural, terminal_safe

README = "README.md"
PACKAGE = "datapackage.json"


@dataclass(frozen=True)
class PoolInput:
    path: Path
    is_archive: bool
    key_id: str | None  # a bundle pseudonymised under this programme key

    @property
    def shown(self) -> str:
        return terminal_safe(str(self.path))


def pool_input(path: Path) -> PoolInput:
    """What ``path`` is: an archive folder or a bundle (checked properly when read); InputError otherwise."""
    if path.is_dir():
        if not (path / "sessions").is_dir():
            raise InputError(f"{path}: a folder, but not an observer archive (it has no sessions folder)")
        return PoolInput(path, True, None)
    if not path.exists():
        raise InputError(f"{path}: no such bundle or archive folder")
    return PoolInput(path, False, bundle_key_id(path))


@dataclass
class PoolReport:
    sessions: int = 0
    contributions: int = 0
    skipped: list[str] = field(default_factory=list)  # the same session met again, identical
    warnings: list[str] = field(default_factory=list)


def check_naming(inputs: list[PoolInput], key: ProgrammeKey | None, names: bool) -> None:
    """Refuse a pool that would hold names nobody asked for, or mix pseudonyms of two keys."""
    keyed = {item.key_id for item in inputs if item.key_id is not None}
    named = [item for item in inputs if item.key_id is None]
    for item in inputs:
        if item.key_id is not None and key is not None and item.key_id != key.key_id:
            raise InputError(
                f"{item.path}: its sessions are pseudonymised under key {item.key_id}, not {key.key_id}; pool it "
                "with that key, or ask for a bundle with names"
            )
    if len(keyed) > 1:
        raise InputError(
            f"the bundles are pseudonymised under different keys ({', '.join(sorted(keyed))}): no pool can join them"
        )
    if key is None and named and keyed:
        raise InputError(
            f"{named[0].path} has names and others are pseudonymised (key {keyed.pop()}): give --key to pool them "
            "together"
        )
    if key is None and named and not names:
        raise InputError(
            "a pool of names is personal data about everyone in it: give --key FILE (the programme key; pseudonyms "
            "the same across archives) or, for a team allowed to hold the names, --names"
        )


def _codebooks(inputs: list[PoolInput]) -> list[Codebook]:
    """Every codebook the inputs use, from a quick look (bundles unvalidated: each_session checks them later)."""
    found: dict[str, Codebook] = {}
    for item in inputs:
        if item.is_archive:
            archive = Archive(item.path)
            raws: Iterator[Any] = (archive.codebook_of(session_id) for session_id in archive.session_ids())
        else:
            raws = (record.get("session", {}).get("codebook") for record in each_record(item.path))
        for raw in raws:
            if isinstance(raw, Codebook):
                found.setdefault(raw.model_dump_json(), raw)
                continue
            with contextlib.suppress(ValidationError, TypeError, ValueError, AttributeError):
                text = json.dumps(raw, sort_keys=True)
                if text not in found:
                    found[text] = Codebook.model_validate(raw)
    return list(found.values())


def _sessions(item: PoolInput, warn: Callable[[str], None]) -> Iterator[tuple[SessionData, str]]:
    if not item.is_archive:
        yield from each_session(item.path)
        return
    archive = Archive(item.path)
    for session_id in archive.session_ids():
        try:
            data, warnings = archive.load_with_warnings(session_id)
        except StorageError as error:
            raise InputError(f"{item.path}: session {session_id} cannot be read ({error})") from None
        for line in warnings:
            warn(f"{item.path}: {line}")
        yield data, record_digest(data)


class _CsvTable:
    """One table's CSV, rows written as they come; typed text kept text in a spreadsheet."""

    def __init__(self, folder: Path, table: Table, text_columns: set[str]) -> None:
        self.handle: TextIO = (folder / table.path).open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle, lineterminator="\n")
        self.writer.writerow(table.header)
        self.typed = [index for index, name in enumerate(table.header) if name in text_columns]

    def write(self, row: list[Any]) -> None:
        values = [value.isoformat() if isinstance(value, dt.date | dt.datetime) else value for value in row]
        for index in self.typed:
            if isinstance(values[index], str):
                values[index] = neutralised(values[index])
        self.writer.writerow(values)

    def close(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()


def is_earlier_pool(folder: Path) -> bool:
    """``folder`` holds a pool this program wrote and nothing else."""
    try:
        package = json.loads((folder / PACKAGE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(package, dict) or package.get("name") != POOL_PROFILE:
        return False
    ours = {PACKAGE, README} | {f"{name}.{suffix}" for name in _TABLE_NAMES for suffix in ("csv", "parquet")}
    return all(entry.name in ours for entry in folder.iterdir())


_TABLE_NAMES = ("contributions", "sessions", "participants", "organisations", "agenda", "codebook")


def check_target(folder: Path) -> bool:
    """Whether ``folder`` holds an earlier pool (to be replaced); InputError when it cannot be written into."""
    if not folder.parent.is_dir():
        raise InputError(f"{folder}: the folder {folder.parent} does not exist")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: is a file; give the name of a folder for the package")
    if folder.is_dir() and any(folder.iterdir()):
        if is_earlier_pool(folder):
            return True
        raise InputError(
            f"{folder}: not empty and not an earlier pool; choose a new or empty folder (nothing was written)"
        )
    return False


def write_pool(
    inputs: list[PoolInput],
    folder: Path,
    key: ProgrammeKey | None,
    progress: Callable[[str], None],
    warn: Callable[[str], None],
    parquet: Callable[[Path, list[Table]], None] | None = None,
) -> PoolReport:
    """Pool ``inputs`` into the data package ``folder`` (see the module's note). ``progress`` gets a line per
    input; ``parquet`` writes the Parquet files beside the CSVs (before the package takes its name)."""
    earlier = check_target(folder)
    codebooks = _codebooks(inputs)
    all_tables = tables(codebooks)
    staging = folder.parent / f".{folder.name}.pool-{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    try:
        report = _write_tables(inputs, staging, all_tables, codebooks, key, progress, warn)
        about = _about(report, key, len(inputs))
        (staging / PACKAGE).write_text(
            json.dumps(datapackage(all_tables, about), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (staging / README).write_text(_readme(report, key, all_tables), encoding="utf-8")
        if parquet is not None:
            parquet(staging, all_tables)
        _take_name(staging, folder, earlier)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def _take_name(staging: Path, folder: Path, earlier: bool) -> None:
    if not earlier:
        if folder.is_dir():
            folder.rmdir()  # empty, as checked
        staging.rename(folder)
        return
    old = folder.parent / f".{folder.name}.old-{os.getpid()}.tmp"
    folder.rename(old)
    try:
        staging.rename(folder)
    except OSError:
        old.rename(folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _write_tables(
    inputs: list[PoolInput],
    staging: Path,
    all_tables: list[Table],
    codebooks: list[Codebook],
    key: ProgrammeKey | None,
    progress: Callable[[str], None],
    warn: Callable[[str], None],
) -> PoolReport:
    by_name = {table.name: table for table in all_tables}
    text = {"participant", "organisation", "agenda_item", "session_title", "series", "observer", "note"}
    out = {name: _CsvTable(staging, table, text) for name, table in by_name.items()}
    _, dimensions, flags = contribution_columns(codebooks)
    naming = Naming(keep_notes=False)  # names (or pseudonyms, already in place) as the sessions hold them
    pseudonyms = KeyedPseudonyms(key) if key is not None else None
    report = PoolReport()
    seen: dict[str, tuple[str, Path]] = {}  # session id -> (digest, input it came from)
    people: dict[str, list[Any]] = {}  # participant id -> [shown, organisation id, sessions]
    organisations: dict[str, list[Any]] = {}  # organisation id -> [shown, sessions]
    try:
        for number, item in enumerate(inputs, start=1):
            count = 0
            for data, digest in _sessions(item, warn):
                earlier = seen.get(data.session.id)
                if earlier is not None:
                    if earlier[0] != digest:
                        raise InputError(
                            f"{item.path}: session {terminal_safe(data.session.id)} is also in {earlier[1]}, with "
                            "other contents; pool one of them"
                        )
                    report.skipped.append(data.session.id)
                    continue
                seen[data.session.id] = (digest, item.path)
                if pseudonyms is not None and item.key_id is None:
                    data = keyed_session(data, pseudonyms)
                data = naming.redact(data)
                _write_session(data, out, dimensions, flags, naming, people, organisations)
                report.sessions += 1
                report.contributions += len(data.contributions)
                count += 1
            progress(f"pooled {number}/{len(inputs)}: {item.shown}: {plural(count, 'session')}")
        for participant_id, (shown, organisation_id, sessions) in people.items():
            out["participants"].write([participant_id, shown, organisation_id, sessions])
        for organisation_id, (shown, sessions) in organisations.items():
            out["organisations"].write([organisation_id, shown, sessions])
        seen_codes: set[tuple[str, ...]] = set()
        for row in codebook_rows(codebooks):
            if tuple(row[:5]) not in seen_codes:  # one codebook's version met twice, edited: the first is kept
                seen_codes.add(tuple(row[:5]))
                out["codebook"].write(row)
    finally:
        for table in out.values():
            with contextlib.suppress(OSError, ValueError):
                table.close()
    if not report.sessions:
        raise InputError("the inputs hold no sessions: nothing to pool")
    return report


def _write_session(
    data: SessionData,
    out: dict[str, _CsvTable],
    dimensions: list[str],
    flags: list[str],
    naming: Naming,
    people: dict[str, list[Any]],
    organisations: dict[str, list[Any]],
) -> None:
    session = data.session
    for organisation in session.organisations:
        organisations.setdefault(organisation.id, [organisation.name, 0])[1] += 1
    for person in session.participants:
        people.setdefault(person.id, [person.name, person.organisation_id, 0])[2] += 1
    out["sessions"].write(
        [
            session.id,
            session.meeting,
            session.observer,
            session.series,
            session.title,
            session.meeting_date,
            session.status.value,
            "transcript" if session.transcript is not None else "live",
            session.codebook.name,
            session.codebook.version,
            round(session.observed_seconds(), 3),
            len(data.contributions),
        ]
    )
    for position, item in enumerate(sorted(session.agenda_items, key=lambda i: i.start_s), start=1):
        out["agenda"].write([session.id, item.id, position, item.title, item.start_s])
    for row in tidy_rows(data, naming, dimensions, flags, with_session_fields=True):
        out["contributions"].write(row)


def _about(report: PoolReport, key: ProgrammeKey | None, inputs: int) -> dict[str, Any]:
    return {
        "title": "Partnership meetings, pooled",
        "description": f"{plural(report.sessions, 'session')} and {plural(report.contributions, 'contribution')} "
        f"from {plural(inputs, 'input')}; "
        + (f"pseudonymised under programme key {key.key_id}" if key is not None else "names as recorded"),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "observer": {
            "tool": f"observer {__version__}",
            "format": POOL_FORMAT,
            "pseudonyms": key.key_id if key is not None else None,
        },
    }


def _readme(report: PoolReport, key: ProgrammeKey | None, all_tables: list[Table]) -> str:
    buffer = io.StringIO()
    buffer.write("# Partnership meetings, pooled\n\n")
    buffer.write(
        f"{plural(report.sessions, 'session')}, {plural(report.contributions, 'contribution')}; written by "
        f"observer {__version__} on {dt.date.today().isoformat()}.\n\n"
    )
    if key is not None:
        buffer.write(
            f"People, organisations, observers and series are pseudonyms under the programme key {key.key_id} "
            "(P-…, O-…, R-…, S-…): the same in every output made with that key. Only the key's holder can turn "
            "them back into names. Titles, agenda items, roles, notes and what was said are left out.\n\n"
        )
    else:
        buffer.write(
            "**This package holds names as recorded: it is personal data.** Keep it where your organisation keeps "
            "personal data. Notes and what was said are left out.\n\n"
        )
    buffer.write("Each observer's coding of a meeting is its own session; codings of one meeting share `meeting_id`.\n")
    buffer.write("`datapackage.json` describes every field (Frictionless Table Schema).\n\n")
    for table in all_tables:
        buffer.write(f"- `{table.path}`: {table.description}\n")
    buffer.write(
        "\nRead it with DuckDB: `SELECT * FROM read_csv('contributions.csv')`; with pandas: "
        "`pandas.read_csv('contributions.csv')`; with R: `readr::read_csv('contributions.csv')`.\n"
    )
    return buffer.getvalue()
