"""Small meetings whose numbers are worked out by hand in the tests that use them."""

from __future__ import annotations

import datetime as dt

from observer.core.codebook_models import Codebook
from observer.core.models import (
    AgendaItem,
    Attendance,
    Contribution,
    Organisation,
    Participant,
    Pause,
    Session,
    SessionData,
    SessionStatus,
)

from .conftest import at

ORGS = [
    Organisation(id="council", name="City Council"),
    Organisation(id="trust", name="NHS Trust"),
    Organisation(id="vol", name="Voluntary Alliance"),
]
PEOPLE = [
    Participant(id="pa", name="Ann", organisation_id="council"),
    Participant(id="pb", name="Bob", organisation_id="council"),
    Participant(id="pc", name="Cath", organisation_id="trust"),
    Participant(id="pd", name="Dev", organisation_id="vol"),  # present, never speaks
    Participant(id="pe", name="Eve", organisation_id="trust"),
]  # marked left before the start: absent


def contribution(
    number: int,
    start: float,
    who: str | None,
    org: str,
    codes: dict[str, str],
    flags: list[str] = (),
    wall: float | None = None,
    note: str = "",
) -> Contribution:  # type: ignore[assignment]
    return Contribution(
        id=f"c{number}",
        start_s=start,
        wall_time=at(wall if wall is not None else start),
        participant_id=who,
        organisation_id=org,
        codes=codes,
        flags=list(flags),
        note=note,
    )


def hand_meeting(codebook: Codebook, session_id: str = "s-hand", date: dt.date = dt.date(2026, 3, 2)) -> SessionData:
    """Six contributions over 300 s of clock, a pause at 150 s (5 minutes of wall time not observed).

    | # | start | end | dur | speaker          | orientation       | topic         | flags             |
    | 1 |     0 |  60 |  60 | Ann (council)    | org_first         | transactional | governance_shield |
    | 2 |    60 | 100 |  40 | Cath (trust)     | partnership_first | relational    | coordinator       |
    | 3 |   100 | 130 |  30 | (vol, org only)  | partnership_first | transactional |                   |
    | 4 |   130 | 150 |  20 | Bob (council)    | —                 | relational    |                   |
    | 5 |   150 | 200 |  50 | Ann (council)    | org_first         | relational    |                   |
    | 6 |   200 | 300 | 100 | Cath (trust)     | neutral           | —             | coordinator       |
    #4 ends at the pause; #5 starts at the resume (same clock reading, later wall time).
    """
    session = Session(
        id=session_id,
        title="Hand meeting",
        series="Hand",
        meeting_date=date,
        observer="Tester",
        codebook=codebook,
        organisations=ORGS,
        participants=PEOPLE,
        attendance=[Attendance(participant_id=p.id) for p in PEOPLE[:4]]
        + [Attendance(participant_id="pe", left_s=0.0)],
        agenda_items=[
            AgendaItem(id="a1", title="Intro", start_s=0, wall_time=at(0)),
            AgendaItem(id="a2", title="Money", start_s=120, wall_time=at(120)),
        ],
        pauses=[Pause(at_s=150, wall_time=at(150), resumed_wall_time=at(450))],
        status=SessionStatus.ENDED,
        started_at=at(0),
        clock_elapsed_s=300,
        ended_s=300,
    )
    contributions = [
        contribution(
            1, 0, "pa", "council", {"orientation": "org_first", "topic": "transactional"}, ["governance_shield"]
        ),
        contribution(
            2, 60, "pc", "trust", {"orientation": "partnership_first", "topic": "relational"}, ["coordinator"]
        ),
        contribution(3, 100, None, "vol", {"orientation": "partnership_first", "topic": "transactional"}),
        contribution(4, 130, "pb", "council", {"topic": "relational"}),
        contribution(
            5,
            150,
            "pa",
            "council",
            {"orientation": "org_first", "topic": "relational"},
            wall=450,
            note='=HYPERLINK("x") said my board won\'t',
        ),
        contribution(6, 200, "pc", "trust", {"orientation": "neutral"}, ["coordinator"], wall=500),
    ]
    return SessionData(session=session, contributions=contributions)


def empty_meeting(codebook: Codebook) -> SessionData:
    session = Session(
        id="s-empty",
        title="Nobody spoke",
        meeting_date=dt.date(2026, 3, 3),
        codebook=codebook,
        organisations=ORGS[:1],
        participants=PEOPLE[:1],
        attendance=[Attendance(participant_id="pa")],
        status=SessionStatus.ENDED,
        ended_s=0,
    )
    return SessionData(session=session, contributions=[])
