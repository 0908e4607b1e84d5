"""Every metric's definition in a line, as the workbooks' About sheet prints it: the one source that
docs/metrics.md's "Definitions, as the About sheet prints them" also follows (a test holds the two equal)."""

from __future__ import annotations

from observer.analysis import metrics, story, tallies
from observer.analysis.reliability import BOOTSTRAP_REPLICATES
from observer.analysis.trends import MIN_TREND_MEETINGS
from observer.core.codebook_models import IndexDefinition


def metric_definitions(
    indices: list[IndexDefinition],
    has_coordinator_flag: bool,
    coordinator: metrics.CoordinatorSettings | None = None,
    bin_s: float = metrics.DEFAULT_BIN_SECONDS,
) -> list[tuple[str, str]]:
    """The definitions the About sheet prints, from the codebooks' indices and the numbers the metrics use."""
    lines = [
        ("Session clock", "Observed time: starts at 0 when coding starts and stands still while paused."),
        (
            "Contribution end",
            "Coded live: the next contribution's start, the moment the clock was paused, or the session end, "
            "whichever comes first. A transcript turn: its own end (the silence between turns is nobody's).",
        ),
        ("share_v", "Contributions coded v / contributions coded in that dimension (uncoded are outside)."),
    ]
    for index in indices:
        counted = " + ".join(index.counts) if len(index.counts) == 1 else f"({' + '.join(index.counts)})"
        lines.append(
            (
                index.short,
                f"{index.label} index ({index.id}): {counted} / ({' + '.join(index.counts + index.against)}), on "
                f"{index.dimension}. Other codes and uncoded contributions are outside it. "
                f"{tallies.time_key(index.id)} uses durations.",
            )
        )
    lines += [
        ("Flags per hour", "Flag count / (observed time in hours)."),
        (
            "Share of room",
            "An organisation's people's seconds present / everyone's seconds present, on the session clock (present "
            "from arrival, or the start if on the roster, until marked as left, or the end); with nobody late or "
            "leaving early, its share of the people present.",
        ),
        (
            "Participation ratio",
            "Share of contributions / share of room (1.0 = speaks in proportion to its size). "
            "Airtime ratio: the same with airtime.",
        ),
    ]
    coordinator = coordinator or metrics.CoordinatorSettings()
    by_index = next((i for i in indices if i.id == metrics.COORDINATOR_INDEX), None)
    reasons = []
    if by_index is not None:
        coded = " or ".join(by_index.counts + by_index.against)
        threshold = f"{by_index.short} >= {coordinator.min_pfi:g}"
        reasons.append(f"at least {coordinator.min_coded} contributions coded {coded} with {threshold}")
    if has_coordinator_flag:
        reasons.append(f"at least {coordinator.min_coordinator_flags} '{metrics.COORDINATOR_FLAG}' flags")
    if reasons:
        text = ", or ".join(reasons)
        lines.append(("Coordinator candidates", f"{text[0].upper()}{text[1:]}."))
    over = metrics.OVERREPRESENTED_AIRTIME_RATIO
    lines += [
        ("Timeline", f"A contribution belongs to the agenda item or {bin_s / 60:g}-minute bin in which it starts."),
        (
            "What we saw",
            "Sentences by fixed rules, each said only past its threshold: an organisation whose airtime ratio is at "
            f"least {over:g} (or at most 1/{over:g}), "
            f"or that was present and silent; an index's balance over at least {story.MIN_INDEX_CONTRIBUTIONS} "
            f"contributions inside it ('mostly' at or beyond {story.MOSTLY_BELOW:g} and {story.MOSTLY_ABOVE:g}); the "
            f"least and most agenda items, each with at least {story.MIN_ITEM_CONTRIBUTIONS} contributions inside "
            f"the first index and {story.MIN_ITEM_SPREAD:g} apart; the coordinator candidates; the most frequent "
            f"flag, from {story.MIN_FLAGS} times.",
        ),
        (
            "95% interval",
            "Wilson's interval of an index's count share (z = 1.96); over a series it is widened by the square root "
            "of the series' dispersion (at least 1), as if the meeting had n / dispersion contributions.",
        ),
        (
            "Change between meetings",
            "A pooled two-proportion z-test of an index's counts in the two meetings, its variance multiplied by the "
            f"series' dispersion (at least 1) from {MIN_TREND_MEETINGS} meetings on: beyond chance where p < "
            f"{story.CHANGE_P:g}, within noise otherwise, and too few contributions to tell where either side of "
            f"the index expects fewer than {story.MIN_EXPECTED} contributions in a meeting.",
        ),
        ("Trend slope", "Least-squares change per meeting of the index over the sessions of a series."),
        (
            "Trend test",
            "Quasi-binomial logistic regression of each meeting's counts on its number 0, 1, 2... (each meeting one "
            "unit): dispersion = Pearson X2 / (k - 2), t = slope / (se * sqrt(dispersion)) on k - 2 degrees of "
            f"freedom; no verdict with fewer than {MIN_TREND_MEETINGS} meetings with the index coded.",
        ),
        (
            "Krippendorff's alpha",
            "Nominal: 1 - (n - 1) * D / (n^2 - sum of n_c^2), over the same units as kappa (n_c: values of category "
            f"c, D: disagreeing pairs within units); its 95% interval from {BOOTSTRAP_REPLICATES:,} resamplings of "
            "the units; with three observers or more, one alpha over all, a unit an observer left uncoded missing.",
        ),
        ("Blank cells", "A value whose denominator is zero is undefined and left blank, never shown as 0."),
    ]
    return lines


DOCS_START = "<!-- definitions: generated from observer/analysis/definitions.py -->"
DOCS_END = "<!-- end of definitions -->"


def definitions_markdown(indices: list[IndexDefinition], has_coordinator_flag: bool) -> str:
    """The definitions as docs/metrics.md shows them, between its markers: a line each."""
    lines = [f"- **{name}**: {definition}" for name, definition in metric_definitions(indices, has_coordinator_flag)]
    return "\n".join([DOCS_START, *lines, DOCS_END])
