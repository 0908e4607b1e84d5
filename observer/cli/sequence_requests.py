"""What ``observer sequences`` is asked and what it answers: --by and --after read as names, the request
checked before any work (one line for whatever makes it impossible), and the stable JSON scripts read.
"""

from __future__ import annotations

from collections.abc import Sequence

from observer.analysis.sequence_words import too_few_pairs
from observer.analysis.sequences import (
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    DEFAULT_WINDOW,
    MAX_PERMUTATIONS,
    ORGANISATION,
    SPEAKER,
    AfterFlag,
    LagTable,
    by_choices,
)
from observer.core.codebook_models import Codebook
from observer.core.errors import InputError
from observer.core.models import SessionData
from observer.core.text import plural


def by_named(codebook: Codebook, text: str) -> str:
    """What --by names: a dimension by its id or its label, in any case ("Orientation"), or organisation or
    speaker; the text as given when it names none (check_request then says so)."""
    wanted = text.strip().casefold()
    for dimension in codebook.dimensions:
        if wanted in (dimension.id.casefold(), dimension.label.casefold()):
            return dimension.id
    return wanted if wanted in (ORGANISATION, SPEAKER) else text


def flag_named(codebook: Codebook, text: str) -> str:
    """What --after names: a flag by its id or its label, in any case ("Coordinator"); the text as given when
    it names none."""
    wanted = text.strip().casefold()
    for flag in codebook.flags:
        if wanted in (flag.id.casefold(), flag.label.casefold()):
            return flag.id
    return text


def check_request(
    sessions: Sequence[SessionData],
    by: str,
    lag: int,
    flag: str | None = None,
    window: int = DEFAULT_WINDOW,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
) -> None:
    """One line for whatever makes the analysis impossible: InputError."""
    if not sessions:
        raise InputError("sequences needs at least one session")
    first = sessions[0].session
    for data in sessions[1:]:
        other = data.session
        if other.codebook != first.codebook:
            raise InputError(
                f"sessions use different codebooks: {first.id} has {first.codebook.name} {first.codebook.version}, "
                f"{other.id} has {other.codebook.name} {other.codebook.version}"
                + (" (same name and version, different content)" if _same_name(first.codebook, other.codebook) else "")
            )
    codebook = first.codebook
    if by not in by_choices(codebook):
        raise InputError(f"--by: unknown dimension '{by}' (choose {', '.join(by_choices(codebook))})")
    if lag < 1:
        raise InputError(f"--lag must be 1 or more, not {lag}")
    longest = max(len(data.contributions) for data in sessions)
    if lag >= longest:
        raise InputError(
            f"--lag {lag} is longer than every session: the longest has {plural(longest, 'contribution')}, "
            f"so no pair is {lag} apart"
        )
    if flag is not None and flag not in codebook.flag_ids:
        known = ", ".join(f"{f.label} ({f.id})" for f in codebook.flags) or "none"
        raise InputError(f"--after: unknown flag '{flag}' in codebook {codebook.name} (flags: {known})")
    if window < 1:
        raise InputError(f"--window must be 1 or more, not {window}")
    if not 1 <= permutations <= MAX_PERMUTATIONS:
        raise InputError(f"--permutations must be between 1 and {MAX_PERMUTATIONS:,}, not {permutations}")
    if seed < 0:
        raise InputError(f"--seed must be 0 or more, not {seed}")


def _same_name(first: Codebook, second: Codebook) -> bool:
    return (first.name, first.version) == (second.name, second.version)


def sequences_record(table: LagTable, after: AfterFlag | None) -> dict[str, object]:
    """The stable JSON: scripts read it (the keys are in docs/metrics.md)."""
    record: dict[str, object] = {
        "by": table.by,
        "lag": table.lag,
        "sessions": table.sessions,
        "n": table.n,
        "possible_pairs": table.possible,
        "dropped_pairs": table.dropped,
        "note": too_few_pairs(table) or None,
        "labels": {value: table.label(value) for value in table.values},
        "transitions": [
            {
                "from": t.source,
                "to": t.target,
                "count": t.count,
                "expected": t.expected,
                "probability": t.probability,
                "adjusted_residual": t.adjusted_residual,
                "yules_q": t.yules_q,
            }
            for t in table.transitions
        ],
    }
    if after is not None:
        record["after"] = {
            "flag": after.flag,
            "window": after.window,
            "events": after.events,
            "after_contributions": after.after_contributions,
            "elsewhere_contributions": after.elsewhere_contributions,
            "permutations": after.permutations,
            "seed": after.seed,
            "indices": {
                result.index.id: {
                    "after": result.after,
                    "elsewhere": result.elsewhere,
                    "difference": result.difference,
                    "p_value": result.p_value,
                    "after_n": result.after_n,
                    "elsewhere_n": result.elsewhere_n,
                    "note": result.note or None,
                }
                for result in after.indices
            },
        }
    return record
