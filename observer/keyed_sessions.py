"""Sessions as a programme key makes them: every name, and every id made from a name, replaced by its pseudonym.

What a keyed bundle holds and a keyed pool reads. Beside an export's redaction (names, observer, series, titles,
agenda items, roles, notes and words), the ids that can carry a name go too: an organisation's id is made from
its name ("city-council"), so organisations and people are known by their pseudonyms, and the planned agenda
and the transcript's file name (typed text) are replaced.
"""

from __future__ import annotations

from observer.export.records import Naming
from observer.models import SessionData
from observer.programme_key import KeyedPseudonyms


def keyed_naming(pseudonyms: KeyedPseudonyms) -> Naming:
    return Naming(pseudonyms, keep_notes=False, keep_titles=False)


def keyed_session(data: SessionData, pseudonyms: KeyedPseudonyms) -> SessionData:
    """``data`` with nothing left that names a person, an organisation, the observer or the series."""
    original = data.session
    pseudonyms.learn(original)
    redacted = keyed_naming(pseudonyms).redact(data)
    session = redacted.session
    people = {p.id: pseudonyms.participant_of(original, p.id) for p in original.participants}
    organisations = {o.id: pseudonyms.organisation_of(original, o.id) for o in original.organisations}
    update = {
        "organisations": [o.model_copy(update={"id": organisations[o.id]}) for o in session.organisations],
        "participants": [
            p.model_copy(update={"id": people[p.id], "organisation_id": organisations.get(p.organisation_id, "")})
            for p in session.participants
        ],
        "attendance": [a.model_copy(update={"participant_id": people[a.participant_id]}) for a in session.attendance],
        "planned_agenda": [f"Item {number}" for number in range(1, len(session.planned_agenda) + 1)],
        "transcript": (
            session.transcript.model_copy(
                update={"file": f"transcript.{session.transcript.kind}", "names": {}, "organisations": {}}
            )
            if session.transcript is not None
            else None
        ),
    }
    contributions = [
        c.model_copy(
            update={
                "participant_id": people.get(c.participant_id) if c.participant_id is not None else None,
                "organisation_id": organisations.get(c.organisation_id, c.organisation_id),
            }
        )
        for c in redacted.contributions
    ]
    return SessionData.model_construct(session=session.model_copy(update=update), contributions=contributions)
