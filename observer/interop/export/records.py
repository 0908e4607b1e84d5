"""Rows and records shared by every export: the tidy contribution table and the summary as plain data.

The CSV file, the JSON records, the workbook's Contributions sheet and ``observer show --json`` all come
from here, so they hold the same columns and the same numbers.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from observer.analysis import metrics, timing, trends
from observer.core import columns
from observer.core.codebook_models import Codebook
from observer.core.columns import Column
from observer.core.models import SessionData
from observer.core.text import without_direction_controls

# Text a spreadsheet would read as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """Typed text that a spreadsheet will show as text: a leading quote before anything formula-like."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def codebook_rows(codebooks: list[Codebook]) -> list[list[Any]]:
    """Every code and flag of ``codebooks`` (each name and version once), in ``columns.CODEBOOK_ROW``'s order."""
    seen: set[tuple[str, str]] = set()
    rows: list[list[Any]] = []
    for codebook in codebooks:
        if (codebook.name, codebook.version) in seen:
            continue
        seen.add((codebook.name, codebook.version))
        for dimension in codebook.dimensions:
            for code in dimension.codes:
                rows.append(
                    [
                        codebook.name,
                        codebook.version,
                        "dimension",
                        dimension.id,
                        code.id,
                        code.key,
                        code.label,
                        code.group or "",
                        code.description,
                    ]
                )
        for flag in codebook.flags:
            rows.append(
                [codebook.name, codebook.version, "flag", "", flag.id, flag.key, flag.label, "", flag.description]
            )
    return rows


def tidy_columns(codebooks: list[Codebook], with_text: bool = False) -> tuple[list[Column], list[str], list[str]]:
    """All columns of the tidy table: dimension ids and flag columns in the order the codebooks give them;
    ``with_text``: the words of transcript turns last. Returns the columns, the dimension ids, the flag ids."""
    dimensions: list[str] = []
    flags: dict[str, str] = {}
    for codebook in codebooks:
        dimensions += [d for d in codebook.dimension_ids if d not in dimensions]
        flags |= {flag.id: flag.label for flag in codebook.flags if flag.id not in flags}
    shown = [
        *columns.CONTRIBUTION_LEAD,
        *[columns.code_column(dimension) for dimension in dimensions],
        *[columns.flag_column(flag, label) for flag, label in flags.items()],
        *columns.CONTRIBUTION_TAIL,
    ]
    return shown + ([columns.TURN_WORDS] if with_text else []), dimensions, list(flags)


def tidy_rows(
    data: SessionData,
    dimensions: list[str],
    flags: list[str],
    with_text: bool = False,
    with_session_fields: bool = False,
    spans: list[timing.Span] | None = None,
    empty: Any = "",
) -> Iterator[list[Any]]:
    """One row per contribution in clock order; times in seconds; wall_time as an aware datetime.

    ``data`` is as the export shows it (``Naming.redact``): its names and ids are written as they are.
    ``with_text``: the words of transcript turns last. ``spans``: the session's spans if already computed (a
    summary has them). ``empty``: what an empty value is written as ("" for text formats; None for a workbook,
    where it leaves the cell blank).
    """
    session = data.session
    # Looked up once per session, not once per row.
    people: dict[str | None, str] = {p.id: p.name for p in session.participants}
    organisations = {o.id: o.name for o in session.organisations}
    items = sorted(session.agenda_items, key=lambda item: item.start_s)
    starts = [item.start_s for item in items]
    titles = [item.title for item in items] + [empty]  # position -1 (before the first item): empty
    no_flags = [0] * len(flags)  # most contributions carry none
    for span in timing.contribution_spans(data) if spans is None else spans:
        contribution = span.contribution
        participant = people.get(contribution.participant_id)
        organisation_id = contribution.organisation_id
        codes = contribution.codes
        row: list[Any] = [
            session.id,
            contribution.id,
            span.start_s,
            round(span.end_s, 3),
            round(span.end_s - span.start_s, 3),
            contribution.wall_time,
            contribution.participant_id if participant is not None else empty,
            empty if participant is None else participant,
            organisations.get(organisation_id, ""),
            *[codes.get(dimension, empty) for dimension in dimensions],
            *([int(flag in contribution.flags) for flag in flags] if contribution.flags else no_flags),
            contribution.note or empty,
            titles[bisect.bisect_right(starts, contribution.start_s) - 1],
        ]
        if with_text:
            row.append(without_direction_controls(contribution.words) or empty)
        if with_session_fields:
            row += [
                session.title,
                session.series,
                session.meeting_date,
                session.observer,
                session.codebook.name,
                session.codebook.version,
                organisation_id,
            ]
        yield row


def plain(value: Any) -> Any:
    """Dataclasses, dates and tuples as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "spans"}
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


def _indices_as_columns(rows: list[dict[str, Any]]) -> None:
    # Each index is a column of its row (``pfi``, ``ri``...), as in the CSV and the workbook.
    for row in rows:
        row.update(row.pop("indices"))


def summary_record(data: SessionData, summary: metrics.SessionSummary) -> dict[str, Any]:
    """The session summary as plain data, names as ``data`` (as the export shows it) has them."""
    record = plain(summary)
    record["index_definitions"] = plain(data.session.codebook.indices)
    for key in ("participants", "organisations", "agenda", "bins"):
        _indices_as_columns(record[key])
    for row in record["organisations"]:
        row["organisation_id"] = row["id"]
    return record


def trend_record(trend: trends.Trend) -> dict[str, Any]:
    """The trend as plain data, names as its sessions had them (as the export shows them: ``Naming.redact``)."""
    record = plain(trend)
    _indices_as_columns(record["rows"])
    return record
