"""The coding screen's live balance: the summary's numbers for its panels, followed change by change."""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from dataclasses import dataclass, field

from observer.analysis.metrics import GroupStats, organisation_rows, participant_rows
from observer.analysis.tallies import IndexRules, Indices, QuadrantTable, Tallies
from observer.analysis.timing import contribution_spans, end_of, pause_clock
from observer.core.codebook_models import Codebook
from observer.core.models import Contribution, Pause, Session, SessionData


@dataclass
class LiveBalance:
    """The subset of the summary the coding screen's live panel shows, from the same functions."""

    observed_s: float
    contributions: int
    indices: Indices
    quadrant: QuadrantTable | None
    participants: list[GroupStats]
    organisations: list[GroupStats]
    short_names: dict[str, str] = field(default_factory=dict)  # organisation id -> its short name ("NFT")


def live_balance(data: SessionData, now: dt.datetime | None = None) -> LiveBalance:
    """The live panel's numbers, counted from scratch (``LiveBalanceTracker`` keeps them up to date instead)."""
    spans = contribution_spans(data, now)
    observed = data.session.observed_seconds(now)
    return _balance(data.session, observed, len(spans), Tallies.of(spans, data.session.codebook))


def _balance(session: Session, observed: float, contributions: int, tallies: Tallies) -> LiveBalance:
    return LiveBalance(
        observed_s=observed,
        contributions=contributions,
        indices=tallies.all.indices(session.codebook.indices),
        quadrant=tallies.quadrant_table(),
        participants=participant_rows(session, tallies, observed),
        organisations=organisation_rows(session, tallies, observed),
        short_names={organisation.id: organisation.short_name for organisation in session.organisations},
    )


class LiveBalanceTracker:
    """The live panel's numbers, followed change by change: the same as ``live_balance``, without recounting
    the whole session on every key (at 10,000 contributions a recount holds the interpreter for ~40 ms).

    Records are immutable, so comparing the new session with the last by identity finds what changed: only
    those contributions, and the one before them (whose end is the next one's start), are taken out of the
    sums and added again; the last contribution always is, as its end moves with the clock. A changed pause
    recounts from the contribution it falls in. A new codebook, or every ``RECOUNT_EVERY`` updates (to bound
    the rounding of sums taken in and out), recounts everything.
    """

    RECOUNT_EVERY = 2000

    def __init__(self) -> None:
        self._lock = threading.Lock()  # a superseded update may still be running on another worker thread
        self._codebook: Codebook | None = None
        self._rules = IndexRules([])
        self._tallies: Tallies | None = None
        self._spans: list[tuple[Contribution, float]] = []  # what the sums hold: each contribution and its time
        self._pauses: list[Pause] = []
        self._updates = 0

    def update(self, data: SessionData, now: dt.datetime | None = None) -> LiveBalance:
        with self._lock:
            return self._update(data, now)

    def _update(self, data: SessionData, now: dt.datetime | None) -> LiveBalance:
        session = data.session
        ordered = data.contributions  # in clock order
        observed = session.observed_seconds(now)
        pauses = sorted(session.pauses, key=pause_clock)
        codebook = session.codebook
        self._updates += 1
        if self._tallies is None or self._updates >= self.RECOUNT_EVERY or not self._same_codebook(codebook):
            self._codebook, self._rules, self._updates = codebook, IndexRules(codebook.indices), 0
            self._tallies, self._spans = Tallies.empty(codebook), []
            start = 0
        else:
            start = self._first_to_recount(ordered, pauses)
        tallies = self._tallies
        for contribution, seconds in self._spans[start:]:
            tallies.add(contribution, seconds, self._rules, sign=-1)
        del self._spans[start:]
        for index in range(start, len(ordered)):
            contribution = ordered[index]
            seconds = end_of(ordered, index, pauses, observed) - contribution.start_s
            self._spans.append((contribution, seconds))
            tallies.add(contribution, seconds, self._rules)
        self._pauses = pauses
        return _balance(session, observed, len(ordered), tallies)

    def _same_codebook(self, codebook: Codebook) -> bool:
        return codebook is self._codebook or codebook == self._codebook

    def _first_to_recount(self, ordered: list[Contribution], pauses: list[Pause]) -> int:
        held = self._spans
        first = min(len(held), len(ordered))
        for position in range(first):
            if held[position][0] is not ordered[position]:
                first = position
                break
        if pauses != self._pauses:
            changed = next(
                (p for p, (old, new) in enumerate(zip(self._pauses, pauses, strict=False)) if old != new),
                min(len(self._pauses), len(pauses)),
            )
            moments = [pause.at_s for pause in (*self._pauses[changed:], *pauses[changed:])]
            falls_in = bisect.bisect_right(ordered, min(moments), key=lambda c: c.start_s) - 1
            first = min(first, max(falls_in, 0) + 1)  # from the contribution it falls in (first - 1 below)
        # The one before keeps its start but may end elsewhere. ``first`` is at most the length of both lists,
        # so the last contribution (whose end moves with the clock) is always among those recounted.
        return max(0, first - 1)
