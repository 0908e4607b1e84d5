"""Exports: the format follows the file's extension. Every file is replaced atomically."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from observer import __version__
from observer.analysis import metrics, trends
from observer.core.columns import SESSION_FIELDS, Column, Kind
from observer.core.errors import InputError
from observer.core.models import SessionData
from observer.interop.export.records import (
    neutralised,
    plain,
    summary_record,
    tidy_columns,
    tidy_rows,
)
from observer.interop.export.sources import ArchiveSessions as ArchiveSessions  # the export's public source
from observer.interop.export.sources import Sessions, codebooks_of, headers_of
from observer.privacy.naming import Naming
from observer.privacy.programme_key import KeyedPseudonyms, ProgrammeKey
from observer.privacy.pseudonyms import Pseudonymiser, PseudonymRegistry
from observer.storage import Archive
from observer.storage.files import atomic_replace

FORMATS = (".xlsx", ".csv", ".json", ".boris")


@dataclass(frozen=True)
class ExportOptions:
    pseudonyms: Pseudonymiser | None = None  # set: pseudonymise
    keep_notes: bool = True
    keep_titles: bool = True
    raw_text: bool = False  # CSV: text exactly as typed, even where a spreadsheet would read a formula
    with_text: bool = False  # the words of transcript turns (never when pseudonymised)

    def naming(self) -> Naming:
        return Naming(self.pseudonyms, self.keep_notes, self.keep_titles, self.with_text)


def export_options(
    archive: Archive,
    sessions: Iterable[SessionData],
    pseudonymise: bool,
    keep_notes: bool | None = None,
    keep_titles: bool = False,
    raw_text: bool = False,
    with_text: bool = False,
    key: ProgrammeKey | None = None,
) -> ExportOptions:
    """Names as recorded, the archive's numbered pseudonyms (any new ones saved before an export uses them), or
    with ``key`` the programme's (which implies pseudonymising; nothing is saved).

    ``keep_notes`` None: the default for the kind of export, kept when named and dropped when pseudonymised,
    because notes are free text about identifiable people.
    """
    if key is not None:
        keyed = KeyedPseudonyms(key)
        for data in sessions:  # every name's code worked out (and a collision refused) before a file is written
            keyed.learn(data.session)
        return ExportOptions(pseudonyms=keyed, keep_notes=bool(keep_notes), keep_titles=keep_titles, raw_text=raw_text)
    if not pseudonymise:
        return ExportOptions(
            keep_notes=True if keep_notes is None else keep_notes, raw_text=raw_text, with_text=with_text
        )
    registry = PseudonymRegistry.load(archive.paths.root / "pseudonyms.json")
    if registry.assign(sessions):
        registry.save()  # the one file an export may add to the data folder
    return ExportOptions(pseudonyms=registry, keep_notes=bool(keep_notes), keep_titles=keep_titles, raw_text=raw_text)


def export_sessions(sessions: Sessions, path: Path, options: ExportOptions = ExportOptions()) -> None:
    """Write ``sessions`` to ``path`` in the format its extension names."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown export format '{suffix or '(none)'}' (use {', '.join(FORMATS)})")
    if not sessions:
        raise InputError("nothing to export: no sessions given")
    if not path.parent.is_dir():
        raise InputError(f"{path}: the folder {path.parent} does not exist")
    naming = options.naming()
    if suffix == ".xlsx":
        from observer.interop.export.session_workbook import write_session_workbook

        write_session_workbook(sessions, codebooks_of(sessions), path, naming)
        return
    # Every format is written as the sessions are read, one at a time: memory holds one session, not the archive.
    # Each session passes the door once, as it is read: no writer after it meets a name.
    headers = [naming.redact(header) for header in headers_of(sessions)]
    redacted = (naming.redact(data) for data in sessions)
    if suffix == ".csv":
        write_csv(redacted, path, naming, options.raw_text, headers)
    elif suffix == ".json":
        write_json(redacted, path, naming, headers)
    else:
        from observer.interop.export.boris import write_boris

        write_boris(redacted, path, naming, headers)


def write_csv(
    sessions: Iterable[SessionData],
    path: Path,
    naming: Naming,
    raw_text: bool = False,
    headers: list[SessionData] | None = None,
) -> None:
    """The tidy table as UTF-8 with a byte-order mark (Excel then reads accents right; pandas and R skip it).

    ``sessions`` are as ``naming.redact`` leaves them. Typed text that begins like a formula gets a leading quote
    unless ``raw_text``: opened in a spreadsheet, '=1+1' in a note must stay text, not run. ``headers``: the
    sessions without contributions, when ``sessions`` is read as it is written (without them, ``sessions`` is
    read twice).
    """
    if headers is None:
        sessions = headers = list(sessions)
    columns, dimensions, flags = tidy_columns([data.session.codebook for data in headers], naming.with_text)
    shown = [*columns, *SESSION_FIELDS]
    header = [column.id for column in shown]
    typed = [index for index, column in enumerate(shown) if column.kind is Kind.TEXT and not raw_text]

    def write(handle: BinaryIO) -> None:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        handle.write(codecs.BOM_UTF8)
        for data in sessions:
            for row in tidy_rows(data, dimensions, flags, naming.with_text, with_session_fields=True):
                values = [_csv_value(value) for value in row]
                for index in typed:
                    if isinstance(values[index], str):
                        values[index] = neutralised(values[index])
                writer.writerow(values)
            handle.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
        handle.write(buffer.getvalue().encode("utf-8"))

    atomic_replace(path, write)


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def json_document(sessions: list[SessionData], naming: Naming) -> dict[str, Any]:
    """Sessions with their contributions (tidy records), codebook and metric results, names as ``naming`` says."""
    shown = [naming.redact(data) for data in sessions]
    columns, dimensions, flags = tidy_columns([data.session.codebook for data in shown], naming.with_text)
    return {
        **_json_head(naming),
        "sessions": [_json_record(data, naming.with_text, columns, dimensions, flags) for data in shown],
    }


def _json_head(naming: Naming) -> dict[str, Any]:
    return {
        "tool": f"observer {__version__}",
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "pseudonymised": naming.pseudonymised,
        "notes_included": naming.keep_notes,
        "words_included": naming.with_text,
    }


def _json_record(
    data: SessionData, with_text: bool, columns: list[Column], dimensions: list[str], flags: list[str]
) -> dict[str, Any]:
    session = data.session
    ids = [column.id for column in columns]
    rows = tidy_rows(data, dimensions, flags, with_text)
    contributions = [dict(zip(ids, plain(row), strict=True)) for row in rows]
    return {
        "session": {
            "id": session.id,
            "title": session.title,
            "series": session.series,
            "meeting_date": session.meeting_date.isoformat(),
            "observer": session.observer,
            "status": session.status.value,
            "observed_s": session.observed_seconds(),
            "started_at": session.started_at.isoformat() if session.started_at else None,
            "agenda_items": [{"title": i.title, "start_s": i.start_s} for i in session.agenda_items],
            "notes": session.notes,
        },
        "codebook": session.codebook.model_dump(mode="json"),
        "contributions": contributions,
        "metrics": summary_record(data, metrics.summarise(data)),
    }


def write_json(
    sessions: Iterable[SessionData], path: Path, naming: Naming, headers: list[SessionData] | None = None
) -> None:
    """The JSON document, written a session at a time: the same bytes as ``json.dumps(json_document(...),
    indent=1)``, without the whole document in memory. ``sessions`` are as ``naming.redact`` leaves them."""
    if headers is None:
        sessions = headers = list(sessions)
    columns, dimensions, flags = tidy_columns([data.session.codebook for data in headers], naming.with_text)
    records = (_json_record(data, naming.with_text, columns, dimensions, flags) for data in sessions)
    atomic_replace(path, lambda handle: write_json_with_list(handle, _json_head(naming), "sessions", records))


def write_json_with_list(handle: BinaryIO, head: dict[str, Any], key: str, items: Iterable[Any]) -> None:
    """``{**head, key: [items]}`` as ``json.dumps(indent=1)`` writes it, each item encoded as it comes
    (``head`` is not empty)."""
    opening = json.dumps(head, indent=1, ensure_ascii=False)
    handle.write((opening.removesuffix("\n}") + f",\n {json.dumps(key)}: [").encode("utf-8"))
    empty = True
    for item in items:
        text = json.dumps(item, indent=1, ensure_ascii=False).replace("\n", "\n  ")
        handle.write(("\n  " if empty else ",\n  ").encode("utf-8") + text.encode("utf-8"))
        empty = False
    handle.write(b"]\n}" if empty else b"\n ]\n}")


def export_trends(
    sessions: Sessions, series: str, path: Path, options: ExportOptions, left_out: int = 0
) -> trends.Trend:
    """The trend workbook of ``sessions`` (one series), read one session at a time."""
    from observer.interop.export.trend_workbook import write_trend_workbook

    if path.suffix.lower() != ".xlsx":
        raise InputError(f"{path}: the trend workbook is an .xlsx file")
    if not path.parent.is_dir():
        raise InputError(f"{path}: the folder {path.parent} does not exist")
    headers: list[SessionData] = []
    naming = options.naming()

    def keeping_headers() -> Iterator[SessionData]:
        for data in sessions:
            redacted = naming.redact(data)
            headers.append(SessionData(session=redacted.session, contributions=[]))
            yield redacted

    trend = trends.series_trend(keeping_headers(), naming.series(series), left_out)
    write_trend_workbook(trend, headers, path, naming)
    return trend


def series_trend(sessions: Sessions, series: str, options: ExportOptions, left_out: int = 0) -> trends.Trend:
    """The trend of ``sessions`` (one series) as an export would show it, without writing a workbook."""
    naming = options.naming()
    return trends.series_trend((naming.redact(data) for data in sessions), naming.series(series), left_out)


def pseudonymised_by_name(
    archive: Archive, sessions: list[SessionData], programme_key: ProgrammeKey | None = None
) -> list[SessionData]:
    """Sessions for an analysis that matches people by name across observers (agreement, sequences), as a
    pseudonymised export shows them: one pseudonym per name and organisation, whichever archive's ids they
    carry, so that the analysis finds the same matches; titles, series, agenda items, roles and notes go.
    With ``programme_key``, the programme's pseudonyms (made from the names, so they match as the names did).
    The ids stay the archive's (``Naming.names_replaced``): these analyses tell speakers apart by id."""
    if programme_key is not None:
        keyed = export_options(archive, sessions, pseudonymise=True, key=programme_key).naming()
        return [keyed.names_replaced(data) for data in sessions]
    naming = export_options(archive, sessions, pseudonymise=True).naming()
    registry = naming.pseudonyms
    assert isinstance(registry, PseudonymRegistry)
    people: dict[tuple[str, str], str] = {}
    organisations: dict[str, str] = {}
    redacted: list[SessionData] = []
    for data in sessions:
        session = data.session
        organisation_names = {o.id: o.name.casefold() for o in session.organisations}
        for organisation in session.organisations:
            organisations.setdefault(organisation.name.casefold(), registry.organisations[organisation.id])
        for participant in session.participants:
            key = (participant.name.casefold(), organisation_names.get(participant.organisation_id, ""))
            people.setdefault(key, registry.participants[participant.id])
        plain = naming.names_replaced(data)
        participants = [
            p.model_copy(update={"name": people[(p.name.casefold(), organisation_names.get(p.organisation_id, ""))]})
            for p in session.participants
        ]
        renamed = [o.model_copy(update={"name": organisations[o.name.casefold()]}) for o in session.organisations]
        redacted.append(
            SessionData.model_construct(
                session=plain.session.model_copy(update={"participants": participants, "organisations": renamed}),
                contributions=plain.contributions,
            )
        )
    return redacted
