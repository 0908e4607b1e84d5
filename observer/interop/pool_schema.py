"""The pooled data package's tables as Frictionless Table Schema: every field typed and described, the keys.

Columns shared with the CSV export keep its ids (``columns.py``); each is described here once, in the words a
reader of the package sees in ``datapackage.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from observer.core.codebook_models import Codebook
from observer.core.columns import (
    CODEBOOK_ROW,
    FLAG_PREFIX,
    ORGANISATION,
    ORGANISATION_ID,
    PARTICIPANT,
    PARTICIPANT_ID,
    POOL_AGENDA_ROW,
    POOL_SESSION_ROW,
    SESSION_FIELDS,
    Column,
    Kind,
)
from observer.interop.export.records import tidy_columns

POOL_PROFILE = "observer-pool"  # the package's name: how an earlier pool is known
POOL_FORMAT = 1

# A frictionless type for each kind of column.
TYPES = {
    Kind.ID: "string",
    Kind.TEXT: "string",
    Kind.WORDS: "string",
    Kind.COUNT: "integer",
    Kind.RATIO: "number",
    Kind.PERCENT: "number",
    Kind.RATE: "number",
    Kind.MINUTES: "number",
    Kind.CLOCK_SECONDS: "number",
    Kind.CLOCK_HMS: "number",
    Kind.DATE: "date",
    Kind.DATETIME: "datetime",
    Kind.P: "number",
}

DESCRIPTIONS = {
    "session_id": "The session: one observer's coding of one meeting.",
    "contribution_id": "The contribution, unique within its session.",
    "start_s": "When the contribution began, in seconds of the session clock (pauses not counted).",
    "end_s": "When it ended (the next contribution's start, a pause or the session's end), in seconds.",
    "duration_s": "Its length in seconds (end_s - start_s): the airtime it counts for.",
    "wall_time": "The date and time (UTC) it was coded.",
    "participant_id": "The speaker: a pseudonym under the programme key, or the archive's id with --names; empty "
    "when only the organisation was known.",
    "participant": "The speaker as shown: the pseudonym again, or the name with --names.",
    "organisation": "The speaker's organisation as shown: its pseudonym, or its name with --names.",
    "organisation_id": "The speaker's organisation: a pseudonym under the programme key, or the archive's id.",
    "note": "Always empty in a pool: notes are free text about people and are left out.",
    "agenda_item": "The agenda item the contribution fell in ('Item 1'… when pseudonymised).",
    "session_title": "The session's title ('<series> <date>' when pseudonymised).",
    "series": "The partnership or recurring meeting (S-… when pseudonymised).",
    "meeting_date": "The date of the meeting.",
    "observer": "Who coded the session (R-… when pseudonymised).",
    "codebook": "The codebook the session was coded with (its name).",
    "codebook_version": "The codebook's version.",
    "meeting_id": "The meeting the session codes: shared by every observer's coding of the same meeting.",
    "status": "ended, paused, recording, new, or to_code (a transcript not yet coded through).",
    "source": "live (coded in the room) or transcript (coded from a transcript's turns).",
    "observed_s": "Seconds of the meeting observed (the session clock).",
    "contributions": "Number of contributions coded.",
    "position": "The agenda item's place in its session, from 1.",
    "agenda_item_id": "The agenda item, unique within its session.",
    "version": "The codebook's version.",
    "kind": "dimension (a code of one of the codebook's dimensions) or flag (a behaviour of note).",
    "dimension": "The dimension the code belongs to (the contributions table's column of that name); empty for a flag.",
    "code": "The code's id, as the contributions table holds it (a flag's column is flag_<code>).",
    "key": "The key an observer presses for it.",
    "label": "The code's label.",
    "group": "The group the code belongs to, if the codebook groups its codes.",
    "description": "What the code means, as the codebook defines it.",
}


SESSION_COLUMNS = [column.id for column in POOL_SESSION_ROW]
AGENDA_COLUMNS = [column.id for column in POOL_AGENDA_ROW]
_AGENDA_DESCRIPTIONS = {"start_s": "When the item began, in seconds of the session clock."}


def _field(column: Column, description: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "name": column.id,
        "type": TYPES[column.kind],
        "description": description or DESCRIPTIONS[column.id],
    }
    if column.kind is Kind.DATETIME:
        found["format"] = "any"  # ISO 8601 with its offset and fractions of a second
    return found


@dataclass
class PoolTable:
    """One CSV table of the pooled package, as its datapackage.json describes it (a tabular data resource)."""

    name: str
    fields: list[dict[str, Any]]
    primary_key: list[str]
    foreign_keys: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def header(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def resource(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"fields": self.fields, "primaryKey": self.primary_key}
        if self.foreign_keys:
            schema["foreignKeys"] = self.foreign_keys
        return {
            "name": self.name,
            "path": self.path,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "description": self.description,
            "schema": schema,
        }


def _foreign(fields: list[str], resource: str, reference: list[str]) -> dict[str, Any]:
    return {"fields": fields, "reference": {"resource": resource, "fields": reference}}


def contribution_columns(codebooks: list[Codebook]) -> tuple[list[Column], list[str], list[str]]:
    """The CSV export's columns for these codebooks (every dimension and flag of any of them), then the session's
    fields; the dimension ids and the flag ids."""
    columns, dimensions, flags = tidy_columns(codebooks)
    return [*columns, *SESSION_FIELDS], dimensions, flags


def tables(codebooks: list[Codebook]) -> list[PoolTable]:
    """Every table of the package, for sessions coded with ``codebooks``."""
    columns, dimensions, flags = contribution_columns(codebooks)
    labels = {d.id: d.label for codebook in codebooks for d in codebook.dimensions}
    flag_labels = {f.id: f.label for codebook in codebooks for f in codebook.flags}
    contribution_fields = []
    for column in columns:
        if column.id in dimensions:
            described = (
                f"The contribution's code on the dimension '{labels.get(column.id, column.id)}' (see codebook); "
            )
            contribution_fields.append(_field(column, described + "empty when not coded."))
        elif column.id.startswith(FLAG_PREFIX) and column.id[len(FLAG_PREFIX) :] in flags:
            label = flag_labels[column.id[len(FLAG_PREFIX) :]]
            contribution_fields.append(_field(column, f"1 if the contribution carries the flag '{label}', else 0."))
        else:
            contribution_fields.append(_field(column))
    session_fields = [_field(column) for column in POOL_SESSION_ROW]
    return [
        PoolTable(
            "contributions",
            contribution_fields,
            ["session_id", "contribution_id"],
            [
                _foreign(["session_id"], "sessions", ["session_id"]),
                _foreign(["participant_id"], "participants", ["participant_id"]),
                _foreign(["organisation_id"], "organisations", ["organisation_id"]),
            ],
            "One row per contribution, as the CSV export writes it (the same column names), with the session's "
            "observer, codebook and version on every row.",
        ),
        PoolTable(
            "sessions",
            session_fields,
            ["session_id"],
            description="One row per session: one observer's coding of one meeting. Two codings of a meeting share "
            "its meeting_id.",
        ),
        PoolTable(
            "participants",
            [
                _field(PARTICIPANT_ID),
                _field(PARTICIPANT),
                _field(ORGANISATION_ID),
            ],
            ["participant_id"],
            [_foreign(["organisation_id"], "organisations", ["organisation_id"])],
            "One row per person on any session's roster.",
        ),
        PoolTable(
            "organisations",
            [_field(ORGANISATION_ID), _field(ORGANISATION)],
            ["organisation_id"],
            description="One row per organisation on any session's roster.",
        ),
        PoolTable(
            "agenda",
            [_field(column, _AGENDA_DESCRIPTIONS.get(column.id)) for column in POOL_AGENDA_ROW],
            ["session_id", "agenda_item_id"],
            [_foreign(["session_id"], "sessions", ["session_id"])],
            "One row per agenda item of each session, in order.",
        ),
        PoolTable(
            "codebook",
            [_field(column) for column in CODEBOOK_ROW],
            ["codebook", "version", "kind", "dimension", "code"],
            description="Every code and flag of every codebook used, with its description.",
        ),
    ]


def datapackage(all_tables: list[PoolTable], about: dict[str, Any]) -> dict[str, Any]:
    return {
        "profile": "tabular-data-package",
        "name": POOL_PROFILE,
        **about,
        "resources": [table.resource() for table in all_tables],
    }
