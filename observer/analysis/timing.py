"""When each contribution starts and ends on the session clock: a turn runs until the next starts, a pause stops
it, or the session ends (a transcript's turn has its own end). Every number by time is made of these spans.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from observer.core.models import Attendance, Contribution, Pause, SessionData, clock_order


@dataclass(frozen=True)
class Span:
    contribution: Contribution
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def pause_ends(pause: Pause, contribution: Contribution) -> bool:
    """Did this pause end the contribution? (A pause at the very instant it started counts only if later.)"""
    if pause.at_s != contribution.start_s:
        return pause.at_s > contribution.start_s
    return pause.wall_time > contribution.wall_time


def end_of(ordered: list[Contribution], index: int, pauses: list[Pause], observed_s: float) -> float:
    """The end of ``ordered[index]``: its own end if it has one (a transcript turn); else the next start, the
    first pause that ends it, or the session end.

    ``pauses`` are in clock order: only those from the contribution's start on can end it.
    """
    contribution = ordered[index]
    if contribution.end_s is not None:  # from a transcript: its own length; silence between turns is nobody's
        return max(contribution.start_s, min(contribution.end_s, observed_s))
    end = observed_s
    if index + 1 < len(ordered):
        end = min(end, ordered[index + 1].start_s)
    for position in range(bisect.bisect_left(pauses, contribution.start_s, key=pause_clock), len(pauses)):
        pause = pauses[position]
        if pause.at_s >= end:
            break
        if pause_ends(pause, contribution):
            end = pause.at_s
            break
    return max(contribution.start_s, end)


def pause_clock(pause: Pause) -> float:
    return pause.at_s


def contribution_spans(data: SessionData, now: dt.datetime | None = None) -> list[Span]:
    """Each contribution with its end: the next start, the next pause, or the session end, whichever first."""
    observed = data.session.observed_seconds(now)
    ordered = sorted(data.contributions, key=clock_order)
    pauses = sorted(data.session.pauses, key=pause_clock)
    return [Span(c, c.start_s, end_of(ordered, index, pauses, observed)) for index, c in enumerate(ordered)]


def span_at(data: SessionData, index: int, now: dt.datetime | None = None) -> Span:
    """One contribution's span (``data.contributions`` in clock order), without computing all the others."""
    pauses = sorted(data.session.pauses, key=pause_clock)
    contribution = data.contributions[index]
    end = end_of(data.contributions, index, pauses, data.session.observed_seconds(now))
    return Span(contribution, contribution.start_s, end)


def flag_counts(spans: Iterable[Span]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for span in spans:
        if span.contribution.flags:  # most contributions carry none
            counts.update(span.contribution.flags)
    return counts


def was_present(attendance: Attendance, observed_s: float) -> bool:
    """Attended at some moment of the observed time (someone marked as left before arriving never was)."""
    arrived = attendance.arrived_s or 0.0
    if attendance.arrived_s is not None and attendance.arrived_s > observed_s:
        return False
    return attendance.left_s is None or attendance.left_s > arrived
