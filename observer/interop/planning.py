"""Planning a new session: its roster and agenda, given or carried over from the meeting before.

One plan for every way a session is made (``observer new``, the new-session form, transcript import), so that
the same series gives the same roster and agenda whichever way the next meeting is started. What the plan
carried and what it left out is said by the caller, in its own words (a line on the command line, a question
or a notice in the form). Nothing here knows about the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from observer.core.models import Session, SessionData
from observer.interop.roster import RosterEntry, same_series

# ---------------------------------------------------------------- what the meeting before gives the next


def last_session_of_series(series: str, sessions: Iterable[SessionData]) -> SessionData | None:
    """The latest meeting of ``series`` (whatever the case, accents or spacing it is typed with)."""
    in_series = [data for data in sessions if series and same_series(data.session.series, series)]
    return max(in_series, key=lambda d: (d.session.meeting_date, d.session.created_at), default=None)


def late_arrivals(data: SessionData) -> list[str]:
    """Who joined a session after its clock started (``+``): perhaps a one-off guest, not a member."""
    session = data.session
    late = {a.participant_id for a in session.attendance if a.arrived_s is not None}
    return [p.name for p in session.participants if p.id in late]


def roster_of(data: SessionData, late_arrivals: bool = True) -> list[RosterEntry]:
    """A session's roster, to carry over to the next meeting of its series; without those who arrived late
    unless ``late_arrivals`` (the caller says who was left out, or asks)."""
    session = data.session
    late = {a.participant_id for a in session.attendance if a.arrived_s is not None}
    entries = []
    for participant in session.participants:
        if participant.id in late and not late_arrivals:
            continue
        organisation = session.organisation(participant.organisation_id)
        entries.append(
            RosterEntry(
                participant.name,
                organisation.name if organisation else "",
                participant.role,
                (organisation.short or "") if organisation else "",
            )
        )
    return entries


def agenda_of(data: SessionData) -> list[str]:
    """A session's agenda, to carry over to the next meeting of its series: as planned, else as it ran."""
    session = data.session
    if session.planned_agenda:
        return list(session.planned_agenda)
    return [item.title for item in sorted(session.agenda_items, key=lambda item: item.start_s)]


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True)
class SessionPlan:
    """A new session's roster and agenda, and where they came from."""

    roster: list[RosterEntry]
    agenda: list[str]
    carried_from: SessionData | None  # the meeting whose roster and agenda stand in for those not given
    series_last: SessionData | None  # the series' last meeting (the same as ``carried_from`` but for a second coding)
    roster_carried: bool = False  # no roster was given: ``carried_from``'s is the roster
    agenda_carried: bool = False  # no agenda was given, and ``carried_from`` had one
    left_off: list[str] = field(default_factory=list)  # who arrived late to ``carried_from``, not carried over

    @property
    def transcript_names(self) -> tuple[dict[str, str], dict[str, str]]:
        """The transcript names an import starts from (transcript name -> attendee, and -> organisation): those of
        the meeting it carries over when that was imported too, else those of the series' last meeting."""
        carried = self.carried_from
        named = carried if carried is not None and carried.session.transcript else self.series_last
        source = named.session.transcript if named is not None else None
        if source is None:
            return {}, {}
        return dict(source.names), dict(source.organisations)


def plan_session(
    *,
    series: str,
    known: Iterable[SessionData],
    roster: Sequence[RosterEntry] | None = None,
    agenda: Sequence[str] | None = None,
    coding_of: SessionData | None = None,
    late_arrivals_too: bool = False,
) -> SessionPlan:
    """The roster and agenda of a new meeting of ``series``: ``roster`` and ``agenda`` where given (None: not
    given), else those of the meeting before. That is the series' last meeting in ``known``, without who arrived
    late to it (perhaps a one-off guest: ``left_off`` names them) unless ``late_arrivals_too``; for a second
    coding of a meeting (``coding_of``) it is that meeting, whose roster comes whole, late arrivals included, not
    that of the series' last meeting, which may be a later one with other people."""
    series_last = last_session_of_series(series, known) if series else None
    carried_from = coding_of or series_last
    whole = coding_of is not None or late_arrivals_too
    if roster is not None:
        entries, roster_carried, left_off = list(roster), False, []
    elif carried_from is not None:
        entries = roster_of(carried_from, late_arrivals=whole)
        roster_carried, left_off = True, [] if whole else late_arrivals(carried_from)
    else:
        entries, roster_carried, left_off = [], False, []
    carried_agenda = agenda_of(carried_from) if carried_from is not None else []
    planned = list(agenda) if agenda is not None else carried_agenda
    return SessionPlan(
        roster=entries,
        agenda=planned,
        carried_from=carried_from,
        series_last=series_last,
        roster_carried=roster_carried,
        agenda_carried=agenda is None and bool(planned),
        left_off=left_off,
    )


@dataclass(frozen=True)
class MeetingCodedAgain:
    """What a second coding of a meeting takes from the first where not given: its title, series and date."""

    title: str
    series: str
    meeting_date: str  # as typed, YYYY-MM-DD: the caller reads it and says what is wrong with it


def coded_again(
    first: Session, *, title: str | None, series: str | None, meeting_date: str | None
) -> MeetingCodedAgain:
    """``first``'s title, series and date where those given are None or empty (a series of "" given is kept)."""
    return MeetingCodedAgain(
        title=title or first.title,
        series=series if series is not None else first.series,
        meeting_date=meeting_date or first.meeting_date.isoformat(),
    )
