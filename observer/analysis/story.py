"""What we saw, in words: a few plain sentences from the numbers, for the people in the meeting.

Each sentence has a rule and a threshold (docs/metrics.md, "In words"); a sentence appears only when its rule
is met, and says no more than its numbers. The facilitator's feedback sheet, the end-of-meeting screen and
``observer show`` print the same sentences; the trend dashboard prints the change statements.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from observer.analysis.metrics import OVERREPRESENTED_AIRTIME_RATIO, SessionSummary
from observer.analysis.trends import MIN_EXPECTED, MIN_TREND_MEETINGS, Trend, two_proportion_p
from observer.core.codebook_models import Codebook, IndexDefinition
from observer.core.models import SessionData
from observer.core.text import listed, lower_first, percent, plural

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
CHANGE_P = 0.05  # a change is "beyond chance" below this two-sided p (after the page's correction)


def _code_words(codebook: Codebook, index: IndexDefinition) -> tuple[str, str]:
    """The index's counted codes and its against codes, in words: ("partnership-first", "organisation-first")."""
    dimension = codebook.dimension(index.dimension)
    labels = {code.id: code.label for code in dimension.codes} if dimension else {}
    return (
        listed([lower_first(labels.get(code, code)) for code in index.counts], "or"),
        listed([lower_first(labels.get(code, code)) for code in index.against], "or"),
    )


def index_definition(codebook: Codebook, index: IndexDefinition) -> str:
    """What an index is, in one plain line for a page's reader, from its codes (a codebook's description is
    written for coders): "PFI: of the contributions that were organisation-first or partnership-first, the
    share that were partnership-first"."""
    counted, against = _code_words(codebook, index)
    words = f"of the contributions that were {against} or {counted}, the share that were {counted}"
    return f"{index.short}: {words}"


# ---------------------------------------------------------------- one meeting


def contributions_said(summary: SessionSummary) -> str:
    """How many contributions, in words; a transcript's as turns, with how many are still to code."""
    if summary.turns_to_code is None:
        return plural(summary.contributions, "contribution")
    turns = plural(summary.contributions, "turn")
    if not summary.turns_to_code:
        return f"{turns}, every one coded"
    return f"{turns}, {summary.turns_to_code} still to code (not coded on every dimension)"


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
        # Each sentence counts in the direction it states: "mostly transactional: 24 of the 40 … transactional".
        if value <= MOSTLY_BELOW:
            lead, shown, side = f"Talk was mostly {against_words}", inside - counted, against_words
        elif value >= MOSTLY_ABOVE:
            lead, shown, side = f"Talk was mostly {counts_words}", counted, counts_words
        else:
            lead = f"Talk was balanced between {counts_words} and {against_words}"
            shown, side = counted, counts_words
        sentences.append(
            f"{lead}: {shown} of the {inside} contributions coded {counts_words} or {against_words} were "
            f"{side} ({index.short} {value:.2f})"
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
    dispersion: float | None = None  # the series' φ the test's variance was widened by; None: not known

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


def change(trend: Trend, index: IndexDefinition, first: int, second: int) -> Change:
    """The index between two meetings of the series; where the series measured how much its meetings differ
    (φ, from 4 meetings or more), the test's variance is widened by it."""
    before = trend.rows[first].index_counts.get(index.id, (0, 0))
    after = trend.rows[second].index_counts.get(index.id, (0, 0))
    result = trend.trend.get(index.id)
    dispersion = result.dispersion if result is not None else None
    widening = result.widening if result is not None else 1.0
    return Change(
        index=index,
        before=before[0] / before[1] if before[1] else None,
        after=after[0] / after[1] if after[1] else None,
        before_n=before[1],
        after_n=after[1],
        p_value=two_proportion_p(*before, *after, dispersion=widening),
        dispersion=dispersion,
    )


def left_out_sentence(trend: Trend) -> str:
    """What the trend pages did not count, said once, so that a missing meeting is never a mystery."""
    said = []
    count = trend.left_out
    if count:
        unfinished = f"{count} unfinished session{'' if count == 1 else 's'}"
        why = (
            "not ended, or transcripts still to code: their numbers may still change; --include-unfinished counts them"
        )
        said.append(f"{unfinished} of this series left out ({why})")
    codings = trend.second_codings
    if codings:
        said.append(
            f"{codings} second coding{'' if codings == 1 else 's'} of a meeting left out: each meeting counts once, "
            "by its first coding"
        )
    return "; ".join(said)


def page_tests(trend: Trend) -> int:
    """How many tests the trend pages state (per index shown: the trend over every meeting, first to last, and
    since the previous meeting; only those that could be made): each p on them is multiplied by it
    (Bonferroni), so that the chance of any false "real" on the page stays under CHANGE_P."""
    rows = trend.rows
    if len(rows) < 2:
        return 0
    made = 0
    for index in trend.index_definitions[:2]:
        result = trend.trend.get(index.id)
        if len(rows) >= 3 and result is not None and result.p_value is not None:
            made += 1
        pairs = [(0, len(rows) - 1)] + ([(len(rows) - 2, len(rows) - 1)] if len(rows) > 2 else [])
        made += sum(change(trend, index, first, second).p_value is not None for first, second in pairs)
    return made


def corrected(p_value: float | None, tests: int) -> float | None:
    return None if p_value is None else min(1.0, p_value * max(1, tests))


def trend_sentences(trend: Trend) -> list[str]:
    """The headline of the trend pages: each index over every meeting, in the table's own numbers (its first and
    last meetings' values and its slope per meeting), and whether the trend is real (the quasi-binomial trend
    over every meeting, the meeting the unit, corrected for the page's tests)."""
    rows = trend.rows
    if len(rows) < 3:
        return []  # two meetings are a change, said below; a trend needs more
    sentences = []
    tests = page_tests(trend)
    for index in trend.index_definitions[:2]:
        result = trend.trend.get(index.id)
        values = [row.indices.get(index.id) for row in rows]
        defined = [value for value in values if value is not None]
        if result is None or result.slope_per_meeting is None or len(defined) < 2:
            sentences.append(f"{index.heading} cannot be followed: too few meetings have contributions coded for it")
            continue
        slope = result.slope_per_meeting
        first, last = defined[0], defined[-1]
        meetings = f"over {len(defined)} meetings"
        # The values the table beside it shows, and the slope as the reader would round it: over a hundred
        # meetings a small slope per meeting is a large change, so "level" needs both ends equal too.
        if f"{slope:+.2f}" in ("+0.00", "-0.00") and f"{first:.2f}" == f"{last:.2f}":
            moved, kind = f"stayed level at {first:.2f} {meetings}", "change"
        else:
            per_meeting = f"about {slope:+.2f} a meeting" if abs(slope) >= 0.005 else f"about {slope:+.3f} a meeting"
            moved = f"went from {first:.2f} in the first meeting to {last:.2f} in the last, {per_meeting} {meetings}"
            kind = "rise" if slope > 0 else "fall"
        p_value = corrected(result.p_value, tests)
        if p_value is None:
            sentences.append(f"{index.heading} {moved}: {result.note or 'too few contributions to tell'}")
            continue
        p = "p < 0.01" if p_value < 0.01 else f"p = {p_value:.2f}"
        verdict = f"a real {kind}" if p_value < CHANGE_P else "within noise"
        sentences.append(f"{index.heading} {moved}: {verdict} ({p}, over every meeting)")
    return sentences


def method_sentence(trend: Trend) -> str:
    """How the page's tests are made, in words, with what they assume: said under the changes."""
    tests = page_tests(trend)
    widened = [
        f"{index.short} φ = {result.dispersion:.2f}"
        for index in trend.index_definitions[:2]
        if (result := trend.trend.get(index.id)) is not None and result.dispersion is not None
    ]
    if len(trend.rows) < 2:
        return ""
    trend_words = (
        f"A real rise or fall: a quasi-binomial trend, each meeting one unit (from {MIN_TREND_MEETINGS} meetings). "
        if len(trend.rows) >= 3
        else ""
    )
    if widened:
        between = (
            "Between two meetings: a two-proportion test, widened by how much these meetings differ "
            f"({listed(widened)}; never below 1)"
        )
    else:
        between = (
            "Between two meetings: a two-proportion test, which assumes contributions independent (turns are not: "
            f"from {MIN_TREND_MEETINGS} meetings it is widened by how much meetings differ)"
        )
    correction = f". Each p × the {tests} tests on this page (Bonferroni), against {CHANGE_P:g}"
    return f"{trend_words}{between}{correction if tests else ''}."


def change_sentences(trend: Trend) -> list[str]:
    """First to last meeting and since the previous one, per index, each saying whether it is beyond chance
    (p corrected for the page's tests, as the trend's is)."""
    rows = trend.rows
    if len(rows) < 2:
        return [f"Only one meeting so far ({rows[0].meeting_date}): no change to report yet"] if rows else []
    tests = page_tests(trend)
    sentences = []
    for index in trend.index_definitions[:2]:
        lead = f"Between the first meeting ({rows[0].meeting_date}) and the last ({rows[-1].meeting_date})"
        sentences.append(change_sentence(_corrected(change(trend, index, 0, len(rows) - 1), tests), lead))
        if len(rows) > 2:
            lead = f"Since the previous meeting ({rows[-2].meeting_date})"
            result = change(trend, index, len(rows) - 2, len(rows) - 1)
            sentences.append(change_sentence(_corrected(result, tests), lead))
    return sentences


def _corrected(result: Change, tests: int) -> Change:
    return dataclasses.replace(result, p_value=corrected(result.p_value, tests))


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
