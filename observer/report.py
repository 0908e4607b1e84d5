"""What a person reads on screen: Rich renderables and number formatting for the command line and the app.

Textual-free, so that ``observer show``, ``trends``, ``agreement`` and ``sequences`` print the same tables as the review
screens without the app being installed or importable.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from observer import palette
from observer.agreement import Comparison
from observer.clock import format_clock
from observer.metrics import UNCODED, SessionSummary, code_heading, time_key
from observer.models import Codebook, SessionData
from observer.sequences import (
    AfterFlag,
    LagTable,
    by_heading,
    dropped_words,
    notable_findings,
    p_text,
    too_few_pairs,
)
from observer.story import change_sentences, left_out_sentence, session_sentences, trend_sentences
from observer.text import percent as whole_percent
from observer.text import plural
from observer.trends import Trend

BAR_WIDTH = 24


def bar(value: float | None, width: int = BAR_WIDTH) -> str:
    if value is None:
        return ""
    filled = max(0.0, min(1.0, value)) * width
    return "█" * int(filled) + ("▌" if filled - int(filled) >= 0.5 else "")


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def percent(value: float | None) -> str:
    return "—" if value is None else whole_percent(value)


def summary_renderable(summary: SessionSummary, data: SessionData, findings: Sequence[str] = ()) -> Group:
    """One session's summary; ``findings`` are the sequences' notable patterns in words (see sequences.findings)."""
    session = data.session
    definitions = session.codebook.indices
    heading = Text.assemble(
        (session.title, "bold"),
        f"  ·  {session.series or 'no series'}  ·  {session.meeting_date}  ·  ",
        f"{plural(summary.contributions, 'contribution')} over {format_clock(summary.observed_s)} observed",
    )
    parts: list[RenderableType] = [heading, Text()]
    sentences = session_sentences(summary, data)
    if sentences:
        parts.append(sentences_renderable("What we saw", sentences))
    if definitions:
        headline = Table(title="Headline", title_justify="left", show_header=True, expand=False)
        headline.add_column("index")
        headline.add_column("by count", justify="right")
        headline.add_column("", min_width=BAR_WIDTH)
        headline.add_column("by time", justify="right")
        for index in definitions:
            value = summary.indices[index.id]
            colour = palette.index_colour(session.codebook, index)
            headline.add_row(
                Text(index.heading, style=colour),
                number(value),
                Text(bar(value), style=colour),
                number(summary.indices[time_key(index.id)]),
            )
        parts.append(headline)

    if summary.quadrant is not None:
        quadrant = summary.quadrant
        table = Table(title=quadrant.title(session.codebook), title_justify="left")
        table.add_column("")
        for column in (*quadrant.core_columns, UNCODED, "total"):
            colour = palette.code_colour(session.codebook, quadrant.column_dimension, column)
            table.add_column(Text(code_heading(column), style=colour), justify="right")
        for quadrant_row in quadrant.rows:
            counts = quadrant.counts[quadrant_row]
            table.add_row(
                Text(
                    code_heading(quadrant_row),
                    style=palette.code_colour(session.codebook, quadrant.row_dimension, quadrant_row),
                ),
                *[str(counts[column]) for column in (*quadrant.core_columns, UNCODED)],
                str(quadrant.row_totals[quadrant_row]),
            )
        parts.append(table)
    if findings:
        parts.append(findings_renderable(list(findings)))

    shorts = [index.short for index in definitions]
    organisations = Table(title="Organisations: airtime against share of the room", title_justify="left")
    for column in ("organisation", "present", "contrib.", "airtime", "share of airtime", "", "room", "ratio"):
        organisations.add_column(column, justify="left" if column in ("organisation", "") else "right")
    for short in shorts:
        organisations.add_column(short, justify="right")
    for row in summary.organisations:
        organisations.add_row(
            Text(row.name),  # typed text: Rich reads a plain str cell as markup
            str(row.attendees_present),
            str(row.contributions),
            format_clock(row.airtime_s),
            percent(row.share_airtime),
            bar(row.share_airtime),
            percent(row.share_of_room),
            number(row.airtime_ratio),
            *[number(row.indices[index.id]) for index in definitions],
        )

    people = Table(title="Participants", title_justify="left")
    for column in ("participant", "contrib.", "airtime", "share", *shorts):
        people.add_column(column, justify="left" if column == "participant" else "right")
    for row in sorted(summary.participants, key=lambda r: -r.airtime_s):
        people.add_row(
            Text(row.name),
            str(row.contributions),
            format_clock(row.airtime_s),
            percent(row.share_airtime),
            *[number(row.indices[index.id]) for index in definitions],
        )

    agenda = Table(title="By agenda item", title_justify="left")
    agenda.add_column("item")
    agenda.add_column("start", justify="right")
    agenda.add_column("contrib.", justify="right")
    for position, short in enumerate(shorts):
        agenda.add_column(short, justify="right")
        if position == 0:
            agenda.add_column("")  # the first index also as a bar
    agenda.add_column("flags", justify="right")
    for item in summary.agenda:
        values: list[str | Text] = []
        for position, index in enumerate(definitions):
            values.append(number(item.indices[index.id]))
            if position == 0:
                values.append(
                    Text(bar(item.indices[index.id], 12), style=palette.index_colour(session.codebook, index))
                )
        agenda.add_row(Text(item.label), format_clock(item.start_s), str(item.contributions), *values, str(item.flags))

    flags = Table(title="Flags", title_justify="left")
    flags.add_column("flag")
    flags.add_column("count", justify="right")
    flags.add_column("per hour", justify="right")
    for flag in session.codebook.flags:
        flags.add_row(Text(flag.label), str(summary.flag_counts[flag.id]), number(summary.flags_per_hour[flag.id], 1))

    parts += [organisations, people, agenda, flags]
    if summary.coordinator_candidates:
        text = Text("Coordinator candidates: ", style="bold")
        text.append("; ".join(f"{c.name} ({', '.join(c.reasons)})" for c in summary.coordinator_candidates))
        parts.append(text)
    return Group(*parts)


def trend_renderable(trend: Trend, findings: Sequence[str] = ()) -> Group:
    definitions = trend.index_definitions
    colours = palette.index_colours(trend.codebooks)
    table = Table(title=Text(f"Series: {trend.series or '(no series)'}"), title_justify="left")
    for column in ("date", "title", "contrib.", "minutes"):
        table.add_column(column, justify="left" if column in ("date", "title") else "right")
    for index in definitions:
        table.add_column(index.short, justify="right")
        table.add_column("")
    table.add_column("flags/h", justify="right")
    for row in trend.rows:
        values: list[str | Text] = []
        for index in definitions:
            values += [number(row.indices[index.id]), Text(bar(row.indices[index.id], 12), style=colours[index.id])]
        table.add_row(
            row.meeting_date.isoformat(),
            Text(row.title),
            str(row.contributions),
            f"{row.observed_minutes:.0f}",
            *values,
            number(row.flags_per_hour, 1),
        )
    changes = Text()
    for index in definitions:
        changes.append(
            f"{index.short}: first→last {number(trend.change[index.id])}, "
            f"slope per meeting {number(trend.slope[index.id], 3)}\n"
        )
    organisations = Table(title="Airtime share by organisation", title_justify="left")
    organisations.add_column("organisation")
    for row in trend.rows:
        organisations.add_column(row.meeting_date.isoformat(), justify="right")
    for organisation_id, name in trend.organisations.items():
        organisations.add_row(
            Text(name), *[percent(row.organisation_airtime_share.get(organisation_id)) for row in trend.rows]
        )
    # The trend Dashboard's words: the trend over every meeting first, then each change beyond chance, within
    # noise, or too few to tell (p corrected for the tests stated together).
    headline = sentences_renderable("The trend", trend_sentences(trend))
    changed = sentences_renderable("What changed", change_sentences(trend))
    notes = Text(left_out_sentence(trend), style="italic") if trend.left_out else Text()
    extra = [findings_renderable(list(findings))] if findings else []
    # The answer first (a long series's table would push it off the screen), then the numbers behind it.
    return Group(notes, headline, changed, table, changes, *extra, organisations)


def agreement_renderable(comparison: Comparison, with_warnings: bool = True) -> Group:
    heading = Text.assemble(
        ("Agreement ", "bold"),
        f"A = {comparison.name_a} ({comparison.session_a}), B = {comparison.name_b} ({comparison.session_b}) · "
        f"clock offset {comparison.offset_s:+.1f} s · {(comparison.common_end_s - comparison.common_start_s) / 60:.1f}"
        f" min in common · {plural(comparison.matched_pairs, 'contribution')} matched, {comparison.unmatched_a} only "
        f"in A, {comparison.unmatched_b} only in B",
    )
    second = "one-second" if comparison.slice_s == 1 else f"{comparison.slice_s:g}-second"
    unit = Text(
        f"By slices: what each observer had running at the middle of each of {comparison.slices:,} {second} "
        f"slices in common (time-sliced). By contributions: contributions paired by speaker and a start within "
        f"{comparison.tolerance_s:g} s, one only in A or B counting against none (contribution-matched).",
        style="italic",
    )
    table = Table(title="By dimension and flag", title_justify="left")
    for column in ("", "by", "n", "Po", "kappa", "PABAK", "Landis & Koch"):
        left = column in ("", "by", "Landis & Koch")
        table.add_column(column, justify="left" if left else "right", no_wrap=column in ("", "by", "n"))
    for row in comparison.dimensions:
        for method, result in (("slices", row.time_sliced), ("contributions", row.matched)):
            if result is not None:
                table.add_row(
                    Text(comparison.labels.get(row.dimension, row.dimension)),
                    method,
                    f"{result.n:,}",
                    number(result.po),
                    number(result.kappa),
                    number(result.pabak),
                    result.label,
                )
    parts: list[RenderableType] = [
        heading,
        unit,
        *[Text(f"Note: {w}", style="yellow") for w in (comparison.warnings if with_warnings else [])],
        table,
    ]
    for row in comparison.dimensions:
        if row.dimension not in comparison.code_labels:
            continue  # the speaker and the flags: their table row says it
        labels = comparison.code_labels[row.dimension]
        result = row.matched or row.time_sliced
        title = f"{comparison.labels.get(row.dimension, row.dimension)}: contribution-matched (rows A, columns B)"
        matrix = Table(title=Text(title), title_justify="left")
        matrix.add_column("A \\ B")
        for category in result.categories:
            matrix.add_column(Text(labels.get(category, category)), justify="right")
        for category in result.categories:
            matrix.add_row(
                Text(labels.get(category, category)),
                *[str(result.confusion[category][other]) for other in result.categories],
            )
        parts.append(matrix)
    return Group(*parts)


def sentences_renderable(heading: str, sentences: Sequence[str]) -> Text:
    """Sentences as a short list under a heading, as plain text (names are never markup); nothing when none."""
    if not sentences:
        return Text()
    text = Text(f"{heading}\n", style="bold")
    for sentence in sentences:
        text.append(f"• {sentence}.\n")
    return text


def findings_renderable(sentences: list[str]) -> RenderableType:
    """The sequences' notable findings under "What followed what"."""
    return sentences_renderable("What followed what", sentences)


def sequences_renderable(table: LagTable, after: AfterFlag | None, codebook: Codebook) -> Group:
    dropped = dropped_words(table, codebook)
    heading = Text.assemble(
        ("Sequences ", "bold"),
        f"by {by_heading(table, codebook)}, lag {table.lag}, over {plural(len(table.sessions), 'session')}: "
        f"{plural(table.n, 'pair')}" + (f" ({dropped})" if dropped else ""),
    )
    sentences = notable_findings([table], after)
    words = Text()
    for sentence in sentences:
        words.append(f"• {sentence}.\n")
    if not sentences:
        words.append(
            too_few_pairs(table) or "Nothing stood out beyond chance (corrected for the number of tests).", style="dim"
        )
    parts: list[RenderableType] = [heading, words]
    if table.values:
        counts = Table(title="Counts: rows at position t, columns at t + lag", title_justify="left")
        counts.add_column("")
        for value in table.values:
            counts.add_column(Text(table.label(value)), justify="right")
        counts.add_column("total", justify="right")
        for source in table.values:
            cells = [table.cell(source, target).count for target in table.values]
            counts.add_row(Text(table.label(source)), *[str(c) for c in cells], str(sum(cells)))
        pairs = Table(title="Transitions (bold: |z| ≥ 1.96 where at least 5 pairs are expected)", title_justify="left")
        for column in ("from", "to", "count", "expected", "P(to | from)", "z", "Yule's Q"):
            pairs.add_column(column, justify="left" if column in ("from", "to") else "right")
        for transition in table.transitions:
            pairs.add_row(
                Text(table.label(transition.source)),
                Text(table.label(transition.target)),
                str(transition.count),
                number(transition.expected),
                number(transition.probability),
                Text(number(transition.adjusted_residual), style="bold" if transition.notable else ""),
                number(transition.yules_q),
            )
        parts += [counts, pairs]
    if after is not None:
        comparison = Table(
            title=Text(
                f"After a {after.flag_label} flag ({after.events} flagged): the next {after.window} contributions; "
                f"{after.after_contributions} after, {after.elsewhere_contributions} elsewhere; "
                f"{after.permutations:,} permutations, seed {after.seed}"
            ),
            title_justify="left",
        )
        for column in ("index", "after", "elsewhere", "difference", "p"):
            comparison.add_column(column, justify="left" if column == "index" else "right")
        for result in after.indices:
            comparison.add_row(
                result.index.heading,
                number(result.after),
                number(result.elsewhere),
                number(result.difference),
                p_text(result.p_value) if result.p_value is not None else Text(result.note, style="dim"),
            )
        parts.append(comparison)
    return Group(*parts)
