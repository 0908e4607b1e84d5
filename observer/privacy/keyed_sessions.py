"""Sessions as a programme key makes them: every name, and every id made from a name, replaced by its pseudonym.

What a keyed bundle holds and a keyed pool reads. Beside an export's redaction (names, observer, series, titles,
agenda items, roles, notes and words), the ids that can carry a name go too: an organisation's id is made from
its name ("city-council"), so organisations and people are known by their pseudonyms, and the planned agenda
and the transcript's file name (typed text) are replaced.
"""

from __future__ import annotations

import re

from observer.core.models import Session, SessionData
from observer.privacy.naming import Naming
from observer.privacy.programme_key import CODE_DIGITS, PREFIXES, KeyedPseudonyms


def keyed_naming(pseudonyms: KeyedPseudonyms) -> Naming:
    return Naming(pseudonyms, keep_notes=False, keep_titles=False)


def keyed_session(data: SessionData, pseudonyms: KeyedPseudonyms) -> SessionData:
    """``data`` with nothing left that names a person, an organisation, the observer or the series."""
    pseudonyms.learn(data.session)
    redacted = keyed_naming(pseudonyms).redact(data)  # names, and the ids made from them, are pseudonyms now
    session = redacted.session
    roster = {p.id for p in session.participants}
    update = {
        "planned_agenda": [f"Item {number}" for number in range(1, len(session.planned_agenda) + 1)],
        "transcript": (
            session.transcript.model_copy(update={"file": f"transcript.{session.transcript.kind}"})
            if session.transcript is not None
            else None
        ),
    }
    # A bundle's contribution names someone on its roster or no one.
    contributions = [
        c if c.participant_id is None or c.participant_id in roster else c.model_copy(update={"participant_id": None})
        for c in redacted.contributions
    ]
    return SessionData.model_construct(session=session.model_copy(update=update), contributions=contributions)


def _code(kind: str) -> re.Pattern[str]:
    return re.compile(rf"{PREFIXES[kind]}-[0-9A-F]{{{CODE_DIGITS}}}")


_PERSON, _ORGANISATION, _OBSERVER, _SERIES = (_code(k) for k in ("participant", "organisation", "observer", "series"))
_ITEM = re.compile(r"Item \d+")


def named_field(session: Session) -> str | None:
    """The first field of ``session`` that is not as ``keyed_session`` leaves it (a name where a pseudonym should
    be), or None: a bundle that says it is pseudonymised is believed only when its sessions are."""
    people = [(f"participant {p.id}", p.name, _PERSON) for p in session.participants]
    people += [(f"participant {p.id}'s id", p.id, _PERSON) for p in session.participants]
    places = [(f"organisation {o.id}", o.name, _ORGANISATION) for o in session.organisations]
    places += [(f"organisation {o.id}'s id", o.id, _ORGANISATION) for o in session.organisations]
    for where, value, pattern in people + places:
        if not pattern.fullmatch(value):
            return where
    if session.observer and not _OBSERVER.fullmatch(session.observer):
        return "observer"
    if session.series and not _SERIES.fullmatch(session.series):
        return "series"
    if session.title != f"{session.series or 'Meeting'} {session.meeting_date}":
        return "title"
    if session.notes or any(p.role for p in session.participants):
        return "notes" if session.notes else "role"
    if any(not _ITEM.fullmatch(item.title) for item in session.agenda_items):
        return "agenda item"
    if any(not _ITEM.fullmatch(item) for item in session.planned_agenda):
        return "planned agenda"
    return None
