"""Pseudonyms for research exports: P01, P02... for participants and O01... for organisations.

They are assigned once per stable id and remembered in the data directory, so a participant is the same
P-number in every export of the archive, whatever the sessions or their order. The file is the key to the
pseudonyms; it stays in the (owner-only) data directory and is copied out only when asked.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from observer.core.errors import StorageError
from observer.core.models import Session, SessionData
from observer.storage.files import atomic_replace


class Pseudonymiser(Protocol):
    """Where an export finds a pseudonym: the archive's numbers (P01…) or a programme key's codes (P-7F3A9C2B)."""

    def participant_of(self, session: Session, participant_id: str) -> str: ...

    def organisation_of(self, session: Session, organisation_id: str) -> str: ...

    def observer_of(self, name: str) -> str: ...

    def series_of(self, name: str) -> str: ...


@dataclass
class PseudonymRegistry:
    path: Path
    participants: dict[str, str] = field(default_factory=dict)  # participant id -> P01
    organisations: dict[str, str] = field(default_factory=dict)  # organisation id -> O01
    observers: dict[str, str] = field(default_factory=dict)  # observer's name -> R01
    series: dict[str, str] = field(default_factory=dict)  # series name -> S01

    @classmethod
    def load(cls, path: Path) -> PseudonymRegistry:
        if not path.exists():
            return cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                path,
                dict(raw["participants"]),
                dict(raw["organisations"]),
                dict(raw.get("observers", {})),
                dict(raw.get("series", {})),
            )
        except (ValueError, KeyError, TypeError, RecursionError) as error:
            raise StorageError(f"{path}: the pseudonym key is unreadable ({error}); it was left as it is") from None

    def assign(self, sessions: Iterable[SessionData]) -> bool:
        """Give every participant and organisation of ``sessions`` a pseudonym; True if any was new."""
        before = self._sizes()
        headers = [SessionData(session=d.session, contributions=[]) for d in sessions]
        ordered = sorted(headers, key=lambda d: (d.session.meeting_date, d.session.created_at))
        for data in ordered:
            session = data.session
            for organisation in session.organisations:
                self.organisations.setdefault(organisation.id, f"O{len(self.organisations) + 1:02d}")
            for participant in session.participants:
                self.participants.setdefault(participant.id, f"P{len(self.participants) + 1:02d}")
            if session.observer:
                self.observers.setdefault(session.observer, f"R{len(self.observers) + 1:02d}")
            if session.series:
                self.series.setdefault(session.series, f"S{len(self.series) + 1:02d}")
        return self._sizes() != before

    def participant_of(self, session: Session, participant_id: str) -> str:
        return self.participants[participant_id]

    def organisation_of(self, session: Session, organisation_id: str) -> str:
        return self.organisations[organisation_id]

    def observer_of(self, name: str) -> str:
        return self.observers.get(name, "")

    def series_of(self, name: str) -> str:
        return self.series.get(name, "")

    def _sizes(self) -> tuple[int, ...]:
        return len(self.participants), len(self.organisations), len(self.observers), len(self.series)

    def save(self) -> None:
        data = json.dumps(
            {
                "participants": self.participants,
                "organisations": self.organisations,
                "observers": self.observers,
                "series": self.series,
            },
            indent=1,
            ensure_ascii=False,
        )
        atomic_replace(self.path, lambda handle: handle.write(data.encode()))

    def write_key(self, path: Path, sessions: Iterable[SessionData]) -> None:
        """The key to the pseudonyms used in ``sessions``, as CSV (kind, pseudonym, id, name)."""
        # A row per name: an id that stood for two names (a renamed person, a merged bundle) lists both.
        rows: dict[tuple[str, str, str], list[str]] = {}
        for data in sessions:
            for organisation in data.session.organisations:
                pseudonym = self.organisations[organisation.id]
                rows[("organisation", pseudonym, organisation.name)] = [
                    "organisation",
                    pseudonym,
                    organisation.id,
                    organisation.name,
                ]
            for participant in data.session.participants:
                pseudonym = self.participants[participant.id]
                rows[("participant", pseudonym, participant.name)] = [
                    "participant",
                    pseudonym,
                    participant.id,
                    participant.name,
                ]
            if data.session.observer:
                pseudonym = self.observers[data.session.observer]
                rows[("observer", pseudonym, "")] = ["observer", pseudonym, "", data.session.observer]
            if data.session.series:
                pseudonym = self.series[data.session.series]
                rows[("series", pseudonym, "")] = ["series", pseudonym, "", data.session.series]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["kind", "pseudonym", "id", "name"])
        writer.writerows(rows[key] for key in sorted(rows))
        atomic_replace(path, lambda handle: handle.write(buffer.getvalue().encode("utf-8")))
