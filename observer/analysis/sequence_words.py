"""Sequences in words: the sentences the terminal, the review screens and the workbooks say of what followed
what and of the talk after a flag, with the correction for the number of tests they make.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

from observer.analysis.metrics import COORDINATOR_FLAG
from observer.analysis.sequences import (
    MIN_EXPECTED,
    NOTABLE_P,
    ORGANISATION,
    SPEAKER,
    AfterFlag,
    IndexAfterFlag,
    LagTable,
    Transition,
    after_flag,
    lag_table,
)
from observer.core.codebook_models import Codebook
from observer.core.models import SessionData
from observer.core.text import lower_first, percent, plural


def dropped_words(table: LagTable, codebook: Codebook) -> str:
    """Why pairs were left out, in words: "44 pairs left out: a contribution uncoded on orientation"."""
    if not table.dropped:
        return ""
    if table.by == SPEAKER:
        reason = "a contribution by an organisation with no speaker named"
    elif table.by == ORGANISATION:
        reason = "a contribution by an organisation the session no longer lists"
    else:
        dimension = codebook.dimension(table.by)
        reason = f"a contribution uncoded on {(dimension.label if dimension else table.by).lower()}"
    return f"{plural(table.dropped, 'pair')} of {table.possible:,} left out: {reason} at either end"


def _later(lag: int) -> str:
    return "" if lag == 1 else f", {lag} contributions later,"


def transition_sentence(table: LagTable, transition: Transition) -> str:
    residual = transition.adjusted_residual or 0.0
    source, target = table.label(transition.source), table.label(transition.target)
    z = f"(z = {residual:.1f})"
    if table.by in (ORGANISATION, SPEAKER):
        how = "more often" if residual > 0 else "less often"
        return f"{source} was followed{_later(table.lag)} by {target} {how} than chance {z}"
    how = "more" if residual > 0 else "less"
    return f"{source} talk was followed{_later(table.lag)} by {how} {lower_first(target)} talk than chance {z}"


def p_text(p_value: float) -> str:
    if p_value < 0.001:
        return "p < 0.001"
    return f"p = {p_value:.3f}" if p_value < 0.01 else f"p = {p_value:.2f}"


def after_sentence(result: AfterFlag, index: IndexAfterFlag) -> str:
    """ "In the 5 contributions after a coordinator contribution, 62% of talk coded partnership-first or
    organisation-first was partnership-first, against 41% elsewhere (p = 0.03)"."""
    labels = index.code_labels
    inside = " or ".join(lower_first(labels.get(code, code)) for code in index.index.counts + index.index.against)
    counted = " or ".join(lower_first(labels.get(code, code)) for code in index.index.counts)
    return (
        f"In the {result.window} contributions after a {lower_first(result.flag_label)} contribution, "
        f"{percent(index.after or 0.0)} of talk coded {inside} was {counted}, against "
        f"{percent(index.elsewhere or 0.0)} elsewhere ({p_text(index.p_value or 0.0)})"
    )


def notable_findings(tables: Sequence[LagTable], after: AfterFlag | None = None, per_table: int = 3) -> list[str]:
    """What is beyond chance, in words: the strongest cells of each table first, then the indices after the
    flag. Only what survives a Bonferroni correction over every test made here (each testable cell, each
    p-value) is said, so that a meeting's dozen cells do not hand every other meeting a finding by chance."""
    tests = sum(t.testable for table in tables for t in table.transitions)
    if after is not None:
        tests += sum(result.p_value is not None for result in after.indices)
    alpha = NOTABLE_P / max(1, tests)
    needed_z = NormalDist().inv_cdf(1 - alpha / 2)
    sentences = []
    for table in tables:
        beyond = [
            t
            for t in table.transitions
            if t.testable and t.adjusted_residual is not None and abs(t.adjusted_residual) >= needed_z
        ]
        # "More than chance" reads first; among equals (a 2×2's four cells share one |z|), table order.
        beyond.sort(key=lambda t: ((t.adjusted_residual or 0.0) < 0, -round(abs(t.adjusted_residual or 0.0), 6)))
        sentences += [transition_sentence(table, transition) for transition in beyond[:per_table]]
    if after is not None:
        sentences += [
            after_sentence(after, result)
            for result in after.indices
            if result.p_value is not None and result.p_value < alpha
        ]
    return sentences


def findings(sessions: Sequence[SessionData], per_table: int = 2) -> list[str]:
    """What the review screens and the Summary sheet say of sequences: the notable lag-1 patterns on each
    index's dimension, and each index after a coordinator contribution. Nothing where nothing is notable, and
    nothing over sessions on different codebooks."""
    if not sessions or max(len(data.contributions) for data in sessions) < 2:
        return []
    codebook = sessions[0].session.codebook
    if any(data.session.codebook != codebook for data in sessions[1:]):
        return []
    tables = [lag_table(sessions, dimension) for dimension in dict.fromkeys(i.dimension for i in codebook.indices)]
    after = after_flag(sessions, COORDINATOR_FLAG) if COORDINATOR_FLAG in codebook.flag_ids else None
    return notable_findings(tables, after, per_table)


def too_few_pairs(table: LagTable) -> str:
    """Why a table's residuals cannot be read as tests, or "" when at least one cell can."""
    if table.testable:
        return ""
    return f"too few pairs for a test: {plural(table.n, 'pair')}, and no cell expects {MIN_EXPECTED:g} or more"


def by_heading(table: LagTable, codebook: Codebook) -> str:
    """ "orientation" as people read it: the dimension's label, or "organisation" / "speaker"."""
    dimension = codebook.dimension(table.by)
    return dimension.label if dimension else table.by
