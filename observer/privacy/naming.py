"""How names appear in what leaves the archive: as recorded, or pseudonymised (numbered or by a programme key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from observer.core.models import Session, SessionData
from observer.privacy.pseudonyms import Pseudonymiser


@dataclass(frozen=True)
class Naming:
    """How people, organisations and typed text appear in an export: as recorded, or pseudonymised.

    Pseudonymised, every free-text field is replaced or dropped unless kept on purpose: people and
    organisations become P01/O01, the observer R01, the series S01, the title the series and the date, agenda
    items 'Item 1'…, roles are dropped, and notes too unless ``keep_notes``; titles unless ``keep_titles``.
    The words of transcript turns are out unless ``keep_words``, and always out when pseudonymised (what people
    said names them and others).
    """

    pseudonyms: Pseudonymiser | None = None
    keep_notes: bool = True
    keep_titles: bool = True
    keep_words: bool = False

    @property
    def with_text(self) -> bool:
        """The turns' words are exported (a ``text`` column)."""
        return self.keep_words and self.pseudonyms is None

    def redact(self, data: SessionData) -> SessionData:
        """The door every export goes through, once per session: ``data`` as this export may show it.

        Every writer works on this copy, never on the original, and reads names from it as they are: when
        pseudonymised, the pseudonym is a person's or organisation's id as well as their name (on the roster,
        the attendance and every contribution), so no row builder can meet a name. Not idempotent: a
        pseudonym is not an id the pseudonyms know.
        """
        shown = self.names_replaced(data)
        if self.pseudonyms is None:
            return shown
        return _known_by_pseudonyms(data.session, shown, self.pseudonyms)

    def names_replaced(self, data: SessionData) -> SessionData:
        """``data`` with names, typed text and words as this export may show them, but the archive's ids: for
        an analysis that must still tell the stored records apart (``redact`` is what an export shows)."""
        session, contributions = data.session, data.contributions
        spoken = not self.with_text and any(c.words for c in contributions)
        if self.pseudonyms is None and self.keep_notes and not spoken:
            return data
        update: dict[str, Any] = {}
        if spoken:
            contributions = [c.model_copy(update={"words": ""}) if c.words else c for c in contributions]
        if not self.keep_notes:
            update["notes"] = ""
            contributions = [c.model_copy(update={"note": ""}) if c.note else c for c in contributions]
        registry = self.pseudonyms
        if registry is not None:
            if session.transcript is not None:  # the names as the transcript wrote them
                update["transcript"] = session.transcript.model_copy(update={"names": {}, "organisations": {}})
            update["observer"] = registry.observer_of(session.observer) if session.observer else ""
            update["participants"] = [
                p.model_copy(update={"name": registry.participant_of(session, p.id), "role": ""})
                for p in session.participants
            ]
            update["organisations"] = [
                # The short form goes too: "NHS" names the organisation as well as its name does.
                o.model_copy(update={"name": registry.organisation_of(session, o.id), "short": None})
                for o in session.organisations
            ]
            if not self.keep_titles:
                series = self.series(session.series)
                update["series"] = series
                update["title"] = f"{series or 'Meeting'} {session.meeting_date}"
                ordered = sorted(session.agenda_items, key=lambda item: item.start_s)
                number = {item.id: index for index, item in enumerate(ordered, start=1)}
                update["agenda_items"] = [
                    item.model_copy(update={"title": f"Item {number[item.id]}"}) for item in session.agenda_items
                ]
        return SessionData(session=session.model_copy(update=update), contributions=contributions)

    def series(self, name: str) -> str:
        """A series as this export shows it."""
        if self.pseudonyms is None or self.keep_titles or not name:
            return name
        return self.pseudonyms.series_of(name)

    @property
    def pseudonymised(self) -> bool:
        return self.pseudonyms is not None


def _known_by_pseudonyms(original: Session, shown: SessionData, pseudonyms: Pseudonymiser) -> SessionData:
    """``shown`` with every person and organisation known by their pseudonym (worked out from ``original``,
    whose names a programme key's codes are made from) wherever the session refers to them."""
    session = shown.session
    people: dict[str | None, str] = {p.id: pseudonyms.participant_of(original, p.id) for p in original.participants}
    organisations = {o.id: pseudonyms.organisation_of(original, o.id) for o in original.organisations}
    update = {
        "organisations": [o.model_copy(update={"id": organisations[o.id]}) for o in session.organisations],
        "participants": [
            p.model_copy(update={"id": people[p.id], "organisation_id": organisations[p.organisation_id]})
            for p in session.participants
        ],
        "attendance": [a.model_copy(update={"participant_id": people[a.participant_id]}) for a in session.attendance],
    }
    # A contribution by someone not on the roster (only a damaged file holds one) keeps the id it has: its rows
    # show no name for it, as before.
    contributions = [
        c.model_copy(
            update={
                "participant_id": people.get(c.participant_id, c.participant_id),
                "organisation_id": organisations.get(c.organisation_id, c.organisation_id),
            }
        )
        for c in shown.contributions
    ]
    return SessionData.model_construct(session=session.model_copy(update=update), contributions=contributions)
