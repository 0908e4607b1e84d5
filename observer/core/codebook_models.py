"""A codebook as data: its dimensions and codes, flags, declared indices and calibration thresholds.

Loading codebooks from files is ``codebooks``; a codebook is checked here, so that every way in refuses the same.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from observer.core import columns
from observer.core.fields import Identifier, IndexShortName, Line, NonEmptyText, Note, ShortName, Strict, short_form
from observer.core.keys import SPEAKER_KEYS, reserved_key_action


class Code(Strict):
    id: Identifier
    key: Annotated[str, StringConstraints(min_length=1, max_length=1)]
    label: NonEmptyText
    short: ShortName | None = None  # for narrow columns: "ORG", "PART", "CO"
    description: Note = ""
    group: Line | None = None

    @property
    def short_label(self) -> str:
        """The short form where space is short: the codebook's own, else the label's initials ("GS")."""
        if self.short:
            return self.short
        words = re.findall(r"[^\W_]+", self.label)
        return short_form(self.label) if len(words) >= 2 else self.label[:3].upper()  # "Neutral" -> "NEU"


class Dimension(Strict):
    """Mutually exclusive codes: a contribution holds at most one of them."""

    id: Identifier
    label: NonEmptyText
    description: Note = ""
    codes: list[Code] = Field(min_length=1)

    def code(self, code_id: str) -> Code | None:
        return next((code for code in self.codes if code.id == code_id), None)


class IndexDefinition(Strict):
    """A share a codebook asks for: contributions coded ``counts`` over those coded ``counts`` or ``against``,
    on one dimension (codes in neither, and uncoded contributions, are outside it). Also measured by time."""

    id: Identifier
    label: NonEmptyText  # what the share is of, in words: "Partnership-first"
    short: IndexShortName
    dimension: Identifier
    counts: list[Identifier] = Field(min_length=1)
    against: list[Identifier] = Field(min_length=1)
    description: Note = ""

    @property
    def heading(self) -> str:
        """The index as a heading, in every report: "Partnership-first (PFI)"."""
        return f"{self.label} ({self.short})"


# Columns the exports already have beside the indices (rows per person, organisation, agenda item, meeting),
# declared in columns.py: an index may not take one of these names, nor end in "_time" (its by-time value).
RESERVED_INDEX_IDS = columns.RESERVED_IDS

# Codebooks written before they declared their indices: the indices the metrics computed for them then, for
# whichever of these dimensions and codes they have. Sessions keep their frozen codebook, so this stays.
LEGACY_INDICES: list[dict[str, Any]] = [
    {
        "id": "pfi",
        "label": "Partnership-first",
        "short": "PFI",
        "dimension": "orientation",
        "counts": ["partnership_first"],
        "against": ["org_first"],
        "description": "Partnership-first contributions over partnership-first and organisation-first ones.",
    },
    {
        "id": "ri",
        "label": "Relational",
        "short": "RI",
        "dimension": "topic",
        "counts": ["relational"],
        "against": ["transactional"],
        "description": "Relational contributions over relational and transactional ones.",
    },
]


def _field(item: object, name: str) -> object:
    """A field of a dimension or code given as data (a dict) or as a model."""
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _legacy_indices(dimensions: object) -> list[dict[str, Any]]:
    codes_by_dimension: dict[object, set[object]] = {}
    for dimension in dimensions if isinstance(dimensions, list) else []:
        codes = _field(dimension, "codes")
        codes_by_dimension[_field(dimension, "id")] = {
            _field(code, "id") for code in (codes if isinstance(codes, list) else [])
        }
    return [
        index
        for index in LEGACY_INDICES
        if {*index["counts"], *index["against"]} <= codes_by_dimension.get(index["dimension"], set())
    ]


class CalibrationThresholds(Strict):
    """What an observer's coding must reach against a reference coding to pass calibration, per dimension."""

    min_kappa: Annotated[float, Field(ge=-1, le=1, allow_inf_nan=False)] = 0.6
    min_agreement: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.8
    # Turns coded by either coding, per dimension, below which nothing is judged: one turn alike is no evidence.
    min_turns: Annotated[int, Field(ge=1, le=100_000)] = 10


class Codebook(Strict):
    name: Identifier | Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
    version: NonEmptyText
    title: Line = ""
    description: Note = ""
    dimensions: list[Dimension] = Field(min_length=1)
    flags: list[Code] = Field(default_factory=list)
    indices: list[IndexDefinition] = Field(default_factory=list)
    calibration: CalibrationThresholds = Field(default_factory=CalibrationThresholds)

    @model_validator(mode="before")
    @classmethod
    def _indices_of_older_codebooks(cls, data: object) -> object:
        # No ``indices`` table at all (not an empty one): a codebook from before they were declared.
        if isinstance(data, dict) and "indices" not in data:
            return {**data, "indices": _legacy_indices(data.get("dimensions"))}
        return data

    @model_validator(mode="after")
    def _check_unique_ids_and_keys(self) -> Codebook:
        dimension_ids: set[str] = set()
        for dimension in self.dimensions:
            if dimension.id in dimension_ids:
                raise ValueError(f"dimension '{dimension.id}', field 'id': the dimension is defined twice")
            dimension_ids.add(dimension.id)
        code_owner: dict[str, str] = {}
        key_owner: dict[str, str] = {}
        for where, code in self.all_codes():
            if code.id in code_owner:
                raise ValueError(f"{where}, field 'id': '{code.id}' is already used by {code_owner[code.id]}")
            code_owner[code.id] = where
            key = code.key
            if key in SPEAKER_KEYS:
                raise ValueError(f"{where}, field 'key': '{key}' collides with the speaker keys 1-9")
            if key.isspace() or not key.isprintable():
                raise ValueError(f"{where}, field 'key': must be one printable character, not {key!r}")
            action = reserved_key_action(key)
            if action is not None:
                raise ValueError(f"{where}, field 'key': '{key}' collides with the app's key for '{action}'")
            if key in key_owner:
                raise ValueError(f"{where}, field 'key': '{key}' is already used by {key_owner[key]}")
            key_owner[key] = where
        self._check_indices()
        return self

    def _check_indices(self) -> None:
        index_ids: set[str] = set()
        for index in self.indices:
            where = f"index '{index.id}'"
            if index.id in index_ids:
                raise ValueError(f"{where}, field 'id': the index is defined twice")
            if (
                index.id in RESERVED_INDEX_IDS
                or index.id.endswith(columns.BY_TIME)
                or index.id.startswith(columns.FLAG_PREFIX)
                or index.id in self.dimension_ids
            ):
                raise ValueError(
                    f"{where}, field 'id': '{index.id}' would clash with a column the exports already have "
                    "(a table's column, a dimension's, a flag's or an index's by-time column); choose another id"
                )
            index_ids.add(index.id)
            dimension = self.dimension(index.dimension)
            if dimension is None:
                known = ", ".join(self.dimension_ids)
                raise ValueError(f"{where}, field 'dimension': no dimension '{index.dimension}' (there are: {known})")
            for field_name in ("counts", "against"):
                for code_id in getattr(index, field_name):
                    if dimension.code(code_id) is None:
                        known = ", ".join(code.id for code in dimension.codes)
                        raise ValueError(
                            f"{where}, field '{field_name}': dimension '{dimension.id}' has no code '{code_id}' "
                            f"(it has: {known})"
                        )
            both = sorted(set(index.counts) & set(index.against))
            if both:
                raise ValueError(f"{where}, field 'against': {', '.join(both)} cannot also be in 'counts'")

    def index(self, index_id: str) -> IndexDefinition | None:
        return next((index for index in self.indices if index.id == index_id), None)

    @property
    def index_ids(self) -> list[str]:
        return [index.id for index in self.indices]

    def quadrant_indices(self) -> tuple[IndexDefinition, IndexDefinition] | None:
        """The two indices a 2×2 cross-tabulates: the first two, if they are on two different dimensions."""
        if len(self.indices) >= 2 and self.indices[0].dimension != self.indices[1].dimension:
            return self.indices[0], self.indices[1]
        return None

    def all_codes(self) -> list[tuple[str, Code]]:
        """Every code with a human description of where it sits, dimension codes first."""
        located = [
            (f"dimension '{dimension.id}', code '{code.id}'", code)
            for dimension in self.dimensions
            for code in dimension.codes
        ]
        located += [(f"flag '{flag.id}'", flag) for flag in self.flags]
        return located

    def key_meanings(self) -> dict[str, tuple[str | None, str]]:
        """key -> (dimension id, code id) for dimension codes, (None, flag id) for flags."""
        meanings: dict[str, tuple[str | None, str]] = {
            code.key: (dimension.id, code.id) for dimension in self.dimensions for code in dimension.codes
        }
        meanings.update({flag.key: (None, flag.id) for flag in self.flags})
        return meanings

    def dimension(self, dimension_id: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.id == dimension_id), None)

    def flag(self, flag_id: str) -> Code | None:
        return next((flag for flag in self.flags if flag.id == flag_id), None)

    def label_of(self, dimension_id: str, code_id: str | None) -> str:
        dimension = self.dimension(dimension_id)
        code = dimension.code(code_id) if dimension and code_id else None
        return code.label if code else ""

    @property
    def dimension_ids(self) -> list[str]:
        return [dimension.id for dimension in self.dimensions]

    @property
    def flag_ids(self) -> list[str]:
        return [flag.id for flag in self.flags]
