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
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from observer import __version__
from observer.core.codebook_models import Codebook
from observer.core.errors import InputError
from observer.core.text import plural, terminal_safe
from observer.interop.bundle import bundle_key_id
from observer.interop.export.records import codebook_rows
from observer.interop.pool_parts import CsvTable, Part, PoolInput, part_files, write_part
from observer.interop.pool_schema import POOL_FORMAT, POOL_PROFILE, PoolTable, datapackage, tables
from observer.privacy.programme_key import ProgrammeKey
from observer.storage.files import fsync_dir

README = "README.md"
PACKAGE = "datapackage.json"


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


def _workers(inputs: int) -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    return max(1, min(inputs, cores))


def _parts(
    inputs: list[PoolInput], folder: Path, key: ProgrammeKey | None, progress: Callable[[str], None]
) -> list[Part]:
    """Every input's part, made a process per core (one input: in this process); a progress line as each is done."""
    folder.mkdir(mode=0o700)
    folders = [folder / f"part-{number}" for number in range(len(inputs))]
    parts: list[Part | None] = [None] * len(inputs)

    def done(number: int, part: Part) -> None:
        parts[number] = part
        item = inputs[number]
        progress(f"read {item.shown} (input {number + 1} of {len(inputs)}): {plural(len(part.sessions), 'session')}")

    workers = _workers(len(inputs))
    if workers == 1:
        for number, item in enumerate(inputs):
            done(number, write_part(item, folders[number], key))
    else:
        with ProcessPoolExecutor(max_workers=workers) as executor:
            futures = {executor.submit(write_part, item, folders[n], key): n for n, item in enumerate(inputs)}
            try:
                for future in as_completed(futures):
                    done(futures[future], future.result())
            except BaseException:
                executor.shutdown(wait=True, cancel_futures=True)
                raise
    return [part for part in parts if part is not None]


def write_pool(
    inputs: list[PoolInput],
    folder: Path,
    key: ProgrammeKey | None,
    progress: Callable[[str], None],
    warn: Callable[[str], None],
    parquet: Callable[[Path, list[PoolTable]], None] | None = None,
) -> PoolReport:
    """Pool ``inputs`` into the data package ``folder`` (see the module's note). ``progress`` gets a line per
    input; ``parquet`` writes the Parquet files beside the CSVs (before the package takes its name)."""
    earlier = check_target(folder)
    staging = folder.parent / f".{folder.name}.pool-{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    try:
        parts = _parts(inputs, staging / "parts", key, progress)
        for part in parts:
            for line in part.warnings:
                warn(line)
        report, codebooks = _join(inputs, parts, staging)
        all_tables = tables(codebooks)
        _write_contributions(parts, all_tables[0], staging)
        shutil.rmtree(staging / "parts")
        about = _about(report, key, len(inputs))
        _write_synced(
            staging / PACKAGE, json.dumps(datapackage(all_tables, about), indent=1, ensure_ascii=False) + "\n"
        )
        _write_synced(staging / README, _readme(report, key, all_tables))
        if parquet is not None:
            parquet(staging, all_tables)
        _take_name(staging, folder, earlier)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def _join(inputs: list[PoolInput], parts: list[Part], staging: Path) -> tuple[PoolReport, list[Codebook]]:
    """Check the parts against each other (a session met twice, two names under one pseudonym), and write the
    tables made of all of them but the contributions: sessions, agenda, participants, organisations, codebook."""
    report = PoolReport()
    seen: dict[str, tuple[str, Path]] = {}  # session id -> (digest, input)
    names: dict[str, tuple[str, ...]] = {}
    codebooks: dict[str, Codebook] = {}
    people: dict[str, tuple[str, str]] = {}
    organisations: dict[str, str] = {}
    for item, part in zip(inputs, parts, strict=True):
        report.skipped += part.repeated
        for session_id, digest in part.sessions:
            earlier = seen.get(session_id)
            if earlier is None:
                seen[session_id] = (digest, item.path)
            elif earlier[0] != digest:
                raise InputError(
                    f"{item.path}: session {terminal_safe(session_id)} is also in {earlier[1]}, with other contents; "
                    "pool one of them"
                )
            else:
                part.skip.add(session_id)
                report.skipped.append(session_id)
        for pseudonym, named in part.names.items():
            if names.setdefault(pseudonym, named) != named:
                raise InputError(
                    f"{item.path}: two different names share the pseudonym {pseudonym} under this key: nothing was "
                    "written (a one-in-billions chance; a new key, 'observer key new', gives other codes)"
                )
        for text, codebook in part.codebooks.items():
            codebooks.setdefault(text, codebook)
        for participant_id, person in part.people.items():
            people.setdefault(participant_id, person)
        for organisation_id, shown in part.organisations.items():
            organisations.setdefault(organisation_id, shown)
        report.sessions += len(part.sessions) - len(part.skip)
        report.contributions += part.contributions - sum(part.counts[s] for s in part.skip)
    if not report.sessions:
        raise InputError("the inputs hold no sessions: nothing to pool")
    _concatenate([(part.folder / "sessions.csv", part.skip) for part in parts], staging / "sessions.csv")
    _concatenate([(part.folder / "agenda.csv", part.skip) for part in parts], staging / "agenda.csv")
    by_name = {table.name: table for table in tables(list(codebooks.values()))}
    with _open(staging, by_name["participants"]) as out:
        for participant_id, (shown, organisation_id) in people.items():
            out.write([participant_id, shown, organisation_id])
    with _open(staging, by_name["organisations"]) as out:
        for organisation_id, shown in organisations.items():
            out.write([organisation_id, shown])
    with _open(staging, by_name["codebook"]) as out:
        seen_codes: set[tuple[str, ...]] = set()
        for row in codebook_rows(list(codebooks.values())):
            if tuple(row[:5]) not in seen_codes:  # one codebook's version met twice, edited: the first is kept
                seen_codes.add(tuple(row[:5]))
                out.write(row)
    return report, list(codebooks.values())


@contextlib.contextmanager
def _open(staging: Path, table: PoolTable) -> Iterator[CsvTable]:
    out = CsvTable(staging / table.path, table.header)
    try:
        yield out
    finally:
        out.close()


def _concatenate(sources: list[tuple[Path, set[str]]], target: Path) -> None:
    """One CSV of several with the same header; rows of the sessions in each one's set left out."""
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        for number, (source, skip) in enumerate(sources):
            with source.open(encoding="utf-8", newline="") as handle:
                header = handle.readline()
                if number == 0:
                    out.write(header)
                if not skip:
                    shutil.copyfileobj(handle, out, 1 << 20)
                    continue
                writer.writerows(row for row in csv.reader(handle) if row[0] not in skip)
        out.flush()
        os.fsync(out.fileno())


def _write_contributions(parts: list[Part], table: PoolTable, staging: Path) -> None:
    """The parts' contributions as one table: copied as they are where a file has the table's columns, else
    each row's values moved under the table's columns (a codebook with fewer dimensions or flags)."""
    header = table.header
    with (staging / table.path).open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        out.flush()
        for part in parts:
            for path in part_files(part.folder):
                with path.open(encoding="utf-8", newline="") as handle:
                    reader = csv.reader(handle)
                    own = next(reader)
                    if own == header and not part.skip:
                        out.flush()
                        shutil.copyfileobj(handle, out, 1 << 20)
                        continue
                    place = [own.index(name) if name in own else None for name in header]
                    for row in reader:
                        if row[0] in part.skip:
                            continue
                        writer.writerow(["" if index is None else row[index] for index in place])
        out.flush()
        os.fsync(out.fileno())


def _write_synced(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _take_name(staging: Path, folder: Path, earlier: bool) -> None:
    """The whole package, on the disk, under ``folder``'s name (an earlier pool there removed after)."""
    fsync_dir(staging)
    if not earlier:
        if folder.is_dir():
            folder.rmdir()  # empty, as checked
        staging.rename(folder)
        fsync_dir(folder.parent)
        return
    old = folder.parent / f".{folder.name}.old-{os.getpid()}.tmp"
    folder.rename(old)
    try:
        staging.rename(folder)
    except OSError:
        old.rename(folder)
        raise
    fsync_dir(folder.parent)
    shutil.rmtree(old, ignore_errors=True)


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


def _readme(report: PoolReport, key: ProgrammeKey | None, all_tables: list[PoolTable]) -> str:
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
