"""What we saw, in words: a few plain sentences from the numbers, for the people in the meeting.

Each sentence has a rule and a threshold (docs/metrics.md, "In words"); a sentence appears only when its rule
is met, and says no more than its numbers. The facilitator's feedback sheet, the end-of-meeting screen and
``observer show`` print the same sentences; the trend dashboard prints the change statements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from observer.metrics import OVERREPRESENTED_AIRTIME_RATIO, SessionSummary, Trend
from observer.models import Codebook, IndexDefinition, SessionData
from observer.text import listed, lower_first, percent

MAX_SENTENCES = 7
# An organisation "spoke for much more than its share" at this airtime ratio (the live panel's marker), and
# "much less" at or below its inverse; both only with at least two organisations present.
UNDERREPRESENTED_AIRTIME_RATIO = 1 / OVERREPRESENTED_AIRTIME_RATIO
# A share said in words needs this many contributions inside its index.
MIN_INDEX_CONTRIBUTIONS = 10
# The talk is "mostly" one side of an index at or beyond these values, "balanced" between them.
MOSTLY_BELOW, MOSTLY_ABOVE = 0.4, 0.6
# Agenda items are compared on the first index when each has this many contributions inside it, and the most
# and least differ by at least this much.
MIN_ITEM_CONTRIBUTIONS = 5
MIN_ITEM_SPREAD = 0.2
# The most frequent flag is named once it was given this often.
MIN_FLAGS = 3
CHANGE_P = 0.05  # a change between meetings is "beyond chance" below this two-sided p
# The two-proportion test's normal approximation needs this many expected contributions on each side of the
# index in each meeting (n·p and n·(1−p) with the pooled share p); below it, "too few contributions to tell".
MIN_EXPECTED = 5


def _code_words(codebook: Codebook, index: IndexDefinition) -> tuple[str, str]:
    """The index's counted codes and its against codes, in words: ("partnership-first", "organisation-first")."""
    dimension = codebook.dimension(index.dimension)
    labels = {code.id: code.label for code in dimension.codes} if dimension else {}
    return (
        listed([lower_first(labels.get(code, code)) for code in index.counts], "or"),
        listed([lower_first(labels.get(code, code)) for code in index.against], "or"),
    )


# ---------------------------------------------------------------- one meeting


def session_sentences(summary: SessionSummary, data: SessionData) -> list[str]:
    """Three to seven sentences where the meeting gives them; fewer (even none) where it does not."""
    codebook = data.session.codebook
    sentences = [
        *_airtime(summary),
        *_balance(summary, codebook),
        *_agenda(summary, codebook),
        *_coordinators(summary),
        *_flags(summary, codebook),
    ]
    return sentences[:MAX_SENTENCES]


def _airtime(summary: SessionSummary) -> list[str]:
    present = [row for row in summary.organisations if row.attendees_present > 0]
    if len(present) < 2 or not summary.contributions:
        return []
    sentences = []
    # Someone came late or left early: the room is counted by time present, and the sentence says so.
    room = "of the room (by time present)" if summary.attendance_changed else "of the people present"
    ratios = [row for row in present if row.airtime_ratio is not None and row.share_of_room is not None]
    most = max(ratios, key=lambda row: row.airtime_ratio or 0.0, default=None)
    if most is not None and (most.airtime_ratio or 0.0) >= OVERREPRESENTED_AIRTIME_RATIO:
        sentences.append(
            f"{most.name} spoke for {percent(most.share_airtime or 0.0)} of the time with "
            f"{percent(most.share_of_room or 0.0)} {room}"
        )
    silent = [row for row in present if not row.contributions]
    if silent:
        people = sum(row.attendees_present for row in silent)
        sentences.append(
            f"{listed([row.name for row in silent])} did not speak ({people} {'person' if people == 1 else 'people'} "
            "present)"
        )
    else:
        least = min(ratios, key=lambda row: row.airtime_ratio or 0.0, default=None)
        if least is not None and least is not most and (least.airtime_ratio or 0.0) <= UNDERREPRESENTED_AIRTIME_RATIO:
            sentences.append(
                f"{least.name} spoke for {percent(least.share_airtime or 0.0)} of the time with "
                f"{percent(least.share_of_room or 0.0)} {room}"
            )
    return sentences


def _balance(summary: SessionSummary, codebook: Codebook) -> list[str]:
    sentences = []
    for index in codebook.indices[:2]:
        counted, inside = summary.index_counts.get(index.id, (0, 0))
        if inside < MIN_INDEX_CONTRIBUTIONS:
            continue
        value = counted / inside
        counts_words, against_words = _code_words(codebook, index)
        if value <= MOSTLY_BELOW:
            lead = f"Talk was mostly {against_words}"
        elif value >= MOSTLY_ABOVE:
            lead = f"Talk was mostly {counts_words}"
        else:
            lead = f"Talk was balanced between {counts_words} and {against_words}"
        sentences.append(
            f"{lead}: {counted} of the {inside} contributions coded {counts_words} or {against_words} were "
            f"{counts_words} ({index.short} {value:.2f})"
        )
    return sentences


def _agenda(summary: SessionSummary, codebook: Codebook) -> list[str]:
    if not codebook.indices:
        return []
    index = codebook.indices[0]
    measured = [
        (row.label, row.index_counts[index.id][0] / row.index_counts[index.id][1])
        for row in summary.agenda
        if row.index_counts.get(index.id, (0, 0))[1] >= MIN_ITEM_CONTRIBUTIONS
    ]
    if len(measured) < 2:
        return []
    least = min(measured, key=lambda item: item[1])
    most = max(measured, key=lambda item: item[1])
    if most[1] - least[1] < MIN_ITEM_SPREAD:
        return []
    counts_words, _ = _code_words(codebook, index)
    return [
        f"'{least[0]}' was the least {counts_words} agenda item ({index.short} {least[1]:.2f}) and "
        f"'{most[0]}' the most ({most[1]:.2f})"
    ]


def _coordinators(summary: SessionSummary) -> list[str]:
    candidates = summary.coordinator_candidates
    if not candidates:
        return []
    described = [f"{c.name} ({'; '.join(c.reasons)})" for c in candidates[:3]]
    more = f" and {len(candidates) - 3} more" if len(candidates) > 3 else ""
    noun = "Coordinator candidate" if len(candidates) == 1 else "Coordinator candidates"
    return [f"{noun}: {listed(described)}{more}"]


def _flags(summary: SessionSummary, codebook: Codebook) -> list[str]:
    if not summary.flag_counts:
        return []
    top = max(summary.flag_counts.values())
    if top < MIN_FLAGS:
        return []
    labels = {flag.id: flag.label for flag in codebook.flags}
    leaders = [labels.get(flag, flag) for flag, count in summary.flag_counts.items() if count == top]
    rate = summary.flags_per_hour.get(next(f for f, c in summary.flag_counts.items() if c == top))
    per_hour = f", {rate:.1f} per hour" if rate is not None else ""
    noun = "flag was" if len(leaders) == 1 else "flags were"
    return [f"The most frequent {noun} {listed(leaders)}: {top} times{'' if len(leaders) == 1 else ' each'}{per_hour}"]


# ---------------------------------------------------------------- change between meetings


@dataclass(frozen=True)
class Change:
    """One index between two meetings, with a two-proportion test of the difference. None: undefined."""

    index: IndexDefinition
    before: float | None
    after: float | None
    before_n: int
    after_n: int
    p_value: float | None

    @property
    def difference(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def beyond_chance(self) -> bool:
        return self.p_value is not None and self.p_value < CHANGE_P

    @property
    def verdict(self) -> str:
        if self.difference is None:
            return "cannot be compared"
        if self.p_value is None:
            # All one side of the index in both meetings, each with enough contributions: nothing moved.
            unanimous = self.difference == 0 and self.before in (0.0, 1.0)
            enough = min(self.before_n, self.after_n) >= MIN_EXPECTED
            return "no change" if unanimous and enough else "too few contributions to tell"
        return "beyond chance" if self.beyond_chance else "within noise"


def two_proportion_p(counted_a: int, inside_a: int, counted_b: int, inside_b: int) -> float | None:
    """Two-sided p of the difference of two shares (pooled two-proportion z-test); None where the test does not
    hold: fewer than MIN_EXPECTED expected contributions on either side of the index in either meeting (which
    includes an empty meeting, and both shares 0 or both 1)."""
    pooled = (counted_a + counted_b) / (inside_a + inside_b) if inside_a + inside_b else 0.0
    if min(inside_a, inside_b) * min(pooled, 1 - pooled) < MIN_EXPECTED:
        return None
    variance = pooled * (1 - pooled) * (1 / inside_a + 1 / inside_b)
    z = (counted_b / inside_b - counted_a / inside_a) / math.sqrt(variance)
    return 2 * (1 - NormalDist().cdf(abs(z)))


def change(trend: Trend, index: IndexDefinition, first: int, second: int) -> Change:
    before = trend.rows[first].index_counts.get(index.id, (0, 0))
    after = trend.rows[second].index_counts.get(index.id, (0, 0))
    return Change(
        index=index,
        before=before[0] / before[1] if before[1] else None,
        after=after[0] / after[1] if after[1] else None,
        before_n=before[1],
        after_n=after[1],
        p_value=two_proportion_p(*before, *after),
    )


def meeting_to_meeting(trend: Trend, index: IndexDefinition) -> list[Change]:
    return [change(trend, index, position - 1, position) for position in range(1, len(trend.rows))]


def change_sentences(trend: Trend) -> list[str]:
    """First to last meeting and since the previous one, per index, each saying whether it is beyond chance."""
    rows = trend.rows
    if len(rows) < 2:
        return [f"Only one meeting so far ({rows[0].meeting_date}): no change to report yet"] if rows else []
    sentences = []
    for index in trend.index_definitions[:2]:
        lead = f"Between the first meeting ({rows[0].meeting_date}) and the last ({rows[-1].meeting_date})"
        sentences.append(change_sentence(change(trend, index, 0, len(rows) - 1), lead))
        if len(rows) > 2:
            lead = f"Since the previous meeting ({rows[-2].meeting_date})"
            sentences.append(change_sentence(change(trend, index, len(rows) - 2, len(rows) - 1), lead))
    return sentences


def change_sentence(result: Change, lead: str) -> str:
    """ "Between … and …, Partnership-first (PFI) rose from 0.35 to 0.52: beyond chance (p < 0.01; 120 and
    130 contributions coded for PFI)"."""
    name = result.index.heading
    if result.before is None or result.after is None:
        return f"{lead}, {name} cannot be compared: a meeting has no contributions coded for it"
    before, after = f"{result.before:.2f}", f"{result.after:.2f}"
    if before == after:  # as the reader sees them: "rose from 0.56 to 0.56" would say nothing true
        moved = f"stayed at {after}"
    else:
        moved = f"{'rose' if result.after > result.before else 'fell'} from {before} to {after}"
    counts = f"{result.before_n} and {result.after_n} contributions coded for {result.index.short}"
    if result.p_value is None:
        return f"{lead}, {name} {moved}: {result.verdict} ({counts})"
    p = "p < 0.01" if result.p_value < 0.01 else f"p = {result.p_value:.2f}"
    return f"{lead}, {name} {moved}: {result.verdict} ({p}; {counts})"
