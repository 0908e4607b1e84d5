"""Realistic simulated meetings, so every screen and export can be seen on a fresh install.

A few partnership series, each a board of six organisations with their own habits (the council argues from
its budget, the trust talks process, the voluntary sector talks relationships, one person coordinates).
Partnership-first and relational talk rise over the meetings of a series, as a maturing partnership's would.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from observer.core.codebooks import resolve_codebook
from observer.core.models import AgendaItem, Attendance, Contribution, Pause, SessionData, SessionStatus
from observer.interop.roster import RosterEntry, build_session
from observer.storage import Archive


@dataclass(frozen=True)
class Habit:
    """How one organisation's people tend to talk: base chances, before the series matures."""

    organisation: str
    partnership_first: float
    relational: float
    talkativeness: float
    flags: dict[str, float]


HABITS = (
    Habit(
        "City Council",
        0.25,
        0.30,
        1.6,
        {"governance_shield": 0.08, "separate_position": 0.06, "decision_deferred": 0.05},
    ),
    Habit("Riverside NHS Foundation Trust", 0.30, 0.20, 1.4, {"governance_shield": 0.06, "trust_avoidance": 0.05}),
    Habit("Integrated Care Board", 0.45, 0.30, 1.1, {"decision_deferred": 0.04, "purpose_clarified": 0.05}),
    Habit("Voluntary Sector Alliance", 0.60, 0.65, 0.8, {"history_acknowledged": 0.08, "challenge": 0.08}),
    Habit("Primary Care Network", 0.40, 0.35, 0.7, {"challenge": 0.05}),
    Habit("Healthwatch", 0.65, 0.55, 0.5, {"challenge": 0.1, "purpose_clarified": 0.05}),
)

SERIES = ("North Locality ICS Board", "City Health and Care Partnership", "Children's Services Programme Group")
FIRST_NAMES = (
    "Ann",
    "Bob",
    "Cath",
    "Dev",
    "Eve",
    "Farid",
    "Grace",
    "Hugh",
    "Isla",
    "Jon",
    "Kemi",
    "Liam",
    "Maya",
    "Nina",
    "Owen",
    "Priya",
    "Ravi",
    "Sara",
    "Tom",
    "Una",
)
SURNAMES = ("Lee", "Khan", "Diaz", "Shah", "Moss", "Ali", "Hart", "Owens", "Reid", "Cole", "Adeyemi", "Byrne")
AGENDA = (
    "Welcome and minutes",
    "Finance and the budget gap",
    "Winter pressures",
    "Shared outcomes framework",
    "Governance review",
    "Population health data",
    "Workforce",
    "Any other business",
)


def _roster(rng: random.Random, size: int) -> list[RosterEntry]:
    entries: list[RosterEntry] = []
    used: set[str] = set()
    for index in range(size):
        habit = HABITS[index % len(HABITS)]
        while True:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            if name not in used:
                used.add(name)
                break
        entries.append(RosterEntry(name, habit.organisation, "Chair" if index == 0 else ""))
    return entries


def _meeting(
    rng: random.Random,
    base: SessionData,
    maturity: float,
    contributions: int,
    start: dt.datetime,
    agenda: Sequence[str] = AGENDA,
    items: int | None = None,
) -> SessionData:
    """Fill one meeting: ``maturity`` from 0 (first meeting) to 1 (last) lifts partnership-first talk;
    ``items``: how many of ``agenda``'s items (default: three to five)."""
    session = base.session
    habits = {h.organisation: h for h in HABITS}
    for position, organisation in enumerate(session.organisations):  # an organisation of no demo series
        habits.setdefault(organisation.name, HABITS[position % len(HABITS)])
    organisation_names = {o.id: o.name for o in session.organisations}
    coordinator = session.participants[rng.randrange(len(session.participants))].id
    weights = [habits[organisation_names[p.organisation_id]].talkativeness for p in session.participants]
    late = session.participants[-1].id if len(session.participants) > 6 and rng.random() < 0.5 else None

    clock = 0.0
    records: list[Contribution] = []
    agenda_count = min(len(AGENDA), 3 + rng.randrange(3))
    agenda_count = agenda_count if items is None else min(items, len(agenda))
    agenda_every = max(1, contributions // agenda_count)
    agenda_items: list[AgendaItem] = []
    pause_after = contributions // 2 if contributions >= 20 else None
    pauses: list[Pause] = []
    late_arrival_s = None
    for index in range(contributions):
        if index % agenda_every == 0 and len(agenda_items) < agenda_count:
            title = agenda[len(agenda_items)]
            agenda_items.append(
                AgendaItem(
                    id=f"a{len(agenda_items) + 1:02d}-{session.id}",
                    title=title,
                    start_s=round(clock, 3),
                    wall_time=start + dt.timedelta(seconds=clock),
                )
            )
        speaker = rng.choices(session.participants, weights=weights)[0]
        if speaker.id == late and late_arrival_s is None:
            late_arrival_s = round(clock, 3)
        habit = habits[organisation_names[speaker.organisation_id]]
        lift = 0.35 * maturity
        partnership = habit.partnership_first + lift + (0.35 if speaker.id == coordinator else 0.0)
        codes: dict[str, str] = {}
        draw = rng.random()
        if draw < 0.12:
            codes["orientation"] = "neutral"
        elif draw < 0.95:
            codes["orientation"] = "partnership_first" if rng.random() < min(0.95, partnership) else "org_first"
        if rng.random() < 0.93:
            relational = habit.relational + 0.25 * maturity
            codes["topic"] = "relational" if rng.random() < min(0.9, relational) else "transactional"
        flags = [flag for flag, chance in habit.flags.items() if rng.random() < chance * (1.2 - maturity / 2)]
        if speaker.id == coordinator and rng.random() < 0.3:
            flags.append("coordinator")
        organisation_only = rng.random() < 0.03
        records.append(
            Contribution(
                id=f"c{index:05d}-{session.id}",
                start_s=round(clock, 3),
                wall_time=start + dt.timedelta(seconds=clock + 300 * len(pauses)),  # each break lasts 5 minutes
                participant_id=None if organisation_only else speaker.id,
                organisation_id=speaker.organisation_id,
                codes=codes,
                flags=[f for f in session.codebook.flag_ids if f in flags],
                note="asks what the partnership needs from us" if speaker.id == coordinator and index % 17 == 0 else "",
                agenda_item_id=agenda_items[-1].id,
            )
        )
        clock += min(240.0, rng.expovariate(1 / 40) + 4)
        if pause_after is not None and index == pause_after:
            pauses.append(
                Pause(
                    at_s=round(clock, 3),
                    wall_time=start + dt.timedelta(seconds=clock),
                    resumed_wall_time=start + dt.timedelta(seconds=clock + 300),
                )
            )
    ended = round(clock, 3)
    attendance = [
        Attendance(participant_id=p.id, arrived_s=late_arrival_s if p.id == late else None)
        for p in session.participants
    ]
    finished = session.model_copy(
        update={
            "agenda_items": agenda_items,
            "pauses": pauses,
            "attendance": attendance,
            "status": SessionStatus.ENDED,
            "started_at": start,
            "clock_elapsed_s": ended,
            "ended_s": ended,
            "running_since": None,
            "notes": DEMO_NOTES,
        }
    )
    return SessionData(session=finished, contributions=records)


DEMO_SESSIONS = 9
DEMO_CONTRIBUTIONS = 150
DEMO_SEED = 1


# The second observer of a demo meeting: how much of their coding differs, and by how much their key presses lag.
SECOND_OBSERVER_CHANGES = 0.15
SECOND_OBSERVER_JITTER_S = 1.5


def generate_demo(
    archive: Archive,
    sessions: int = DEMO_SESSIONS,
    contributions: int = DEMO_CONTRIBUTIONS,
    seed: int = DEMO_SEED,
    second: bool = False,
) -> list[str]:
    """Write ``sessions`` simulated meetings spread over a few series; returns their ids. ``second``: after each
    meeting's id, the id of a second observer's coding of it (linked to it, so that trends count each meeting
    once)."""
    if sessions < 1 or contributions < 0:
        raise ValueError("demo needs at least one session and a non-negative number of contributions")
    rng = random.Random(seed)
    codebook = resolve_codebook("partnership", None)
    series_count = min(len(SERIES), max(1, sessions // 3))
    rosters = {name: _roster(rng, 12 + rng.randrange(4)) for name in SERIES[:series_count]}
    known: list[SessionData] = []
    ids: list[str] = []
    per_series = [sessions // series_count + (1 if i < sessions % series_count else 0) for i in range(series_count)]
    for series_index, series in enumerate(SERIES[:series_count]):
        count = per_series[series_index]
        for meeting in range(count):
            date = dt.date(2026, 1, 12) + dt.timedelta(days=28 * meeting + 7 * series_index)
            base = build_session(
                title=f"{series.split()[0]} board {date:%B %Y}",
                codebook=codebook,
                meeting_date=date,
                series=series,
                observer=DEMO_OBSERVER,
                roster=rosters[series],
                known_sessions=known[-3:],
            )
            start = dt.datetime.combine(date, dt.time(10, 0), tzinfo=dt.UTC)
            maturity = meeting / (count - 1) if count > 1 else 0.0
            data = _meeting(rng, SessionData(session=base, contributions=[]), maturity, contributions, start)
            archive.add_session(data)
            known.append(data)
            ids.append(base.id)
            if second:
                other = second_observer(
                    data, SECOND_OBSERVER_CHANGES, SECOND_OBSERVER_JITTER_S, seed=rng.randrange(1 << 30)
                )
                archive.add_session(other)
                ids.append(other.session.id)
    return ids


CROWDED_ORGANISATIONS = (
    *(habit.organisation for habit in HABITS),
    "Fire and Rescue Service",
    "Riverside Housing Association",
    "Police Neighbourhood Team",
    "University Research Unit",
)
CROWDED_AGENDA = (
    *AGENDA[:-1],
    "Mental health crisis pathway",
    "Estates and digital infrastructure",
    "Risk register and assurance",
    "Communications and engagement",
    AGENDA[-1],
)


def crowded_meeting(people: int = 40, items: int = 12, contributions: int = 600, seed: int = DEMO_SEED) -> SessionData:
    """One large meeting, to try every page on: ``people`` from ten organisations, ``items`` agenda items."""
    rng = random.Random(seed)
    roster = _roster(rng, people)
    roster = [
        RosterEntry(entry.name, CROWDED_ORGANISATIONS[index % len(CROWDED_ORGANISATIONS)], entry.role)
        for index, entry in enumerate(roster)
    ]
    date = dt.date(2026, 5, 11)
    base = build_session(
        title="Whole-system winter summit",
        codebook=resolve_codebook("partnership", None),
        meeting_date=date,
        series="Winter summits",
        observer=DEMO_OBSERVER,
        roster=roster,
    )
    start = dt.datetime.combine(date, dt.time(9, 30), tzinfo=dt.UTC)
    return _meeting(rng, SessionData(session=base, contributions=[]), 0.5, contributions, start, CROWDED_AGENDA, items)


DEMO_OBSERVER = "Demo observer"
SECOND_OBSERVER = "Second observer"
DEMO_NOTES = "Simulated meeting (observer demo)."


def add_second_codings(archive: Archive, seed: int = DEMO_SEED) -> tuple[int, list[tuple[str, str]]]:
    """A second observer's coding of each demo meeting in the archive that has none yet: how many demo
    meetings there are, and the pairs (first coding, second coding) added. Each second coding is linked to its
    meeting: trends count the meeting once."""
    headers, _ = archive.headers()
    coded_again = {data.session.meeting_id for data in headers if data.session.meeting_id}
    demo = [
        data.session.id
        for data in headers
        if data.session.notes == DEMO_NOTES
        and data.session.observer == DEMO_OBSERVER
        and data.session.meeting_id is None
    ]
    rng = random.Random(seed)
    pairs = []
    for session_id in sorted(set(demo) - coded_again):
        other = second_observer(
            archive.load(session_id), SECOND_OBSERVER_CHANGES, SECOND_OBSERVER_JITTER_S, seed=rng.randrange(1 << 30)
        )
        archive.add_session(other)
        pairs.append((session_id, other.session.id))
    return len(demo), pairs


def second_observer(data: SessionData, change_share: float, jitter_s: float = 1.5, seed: int = 1) -> SessionData:
    """The same meeting as another observer might code it: starts jittered by up to ``jitter_s``, and a
    ``change_share`` of the dimension codes replaced by another code of the same dimension."""
    rng = random.Random(seed)
    session = data.session
    dimensions = {d.id: [c.id for c in d.codes] for d in session.codebook.dimensions}
    contributions = []
    previous = -1.0
    for contribution in data.contributions:
        start = max(previous + 0.01, contribution.start_s + rng.uniform(-jitter_s, jitter_s), 0.0)
        codes = dict(contribution.codes)
        for dimension, values in dimensions.items():
            if rng.random() < change_share:
                current = codes.get(dimension)
                codes[dimension] = rng.choice([v for v in values if v != current])
        contributions.append(
            contribution.model_copy(
                update={
                    "id": f"{contribution.id}-b",
                    "start_s": round(start, 3),
                    "codes": codes,
                }
            )
        )
        previous = start
    copy = session.model_copy(
        update={"id": f"{session.id}-b", "observer": SECOND_OBSERVER, "meeting_id": session.meeting}
    )
    return SessionData(session=copy, contributions=contributions)
