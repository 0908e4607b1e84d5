"""What a person reads on screen: Rich renderables and number formatting for the command line and the app.

Textual-free, so that ``observer show``, ``trends``, ``agreement`` and ``sequences`` print the same tables as the review
screens without the app being installed or importable.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, Group, JustifyMethod, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from observer.analysis.agreement import Comparison
from observer.analysis.metrics import SessionSummary
from observer.analysis.sequence_words import by_heading, dropped_words, notable_findings, too_few_pairs
from observer.analysis.sequences import AfterFlag, LagTable
from observer.analysis.story import (
    change_sentences,
    contributions_said,
    left_out_sentence,
    method_sentence,
    session_sentences,
    trend_sentences,
)
from observer.analysis.trends import Trend
from observer.core.clock import format_clock
from observer.core.codebook_models import Codebook
from observer.core.models import SessionData
from observer.core.text import plural, terminal_safe
from observer.present import agreement_tables, sequence_tables, tables
from observer.present.tables import number

BAR_WIDTH = 24
NAME_LINE = 18  # characters: a typed name wrapped narrower than this is hard to read (a table drops columns)


def bar(value: float | None, width: int = BAR_WIDTH) -> str:
    if value is None:
        return ""
    filled = max(0.0, min(1.0, value)) * width
    return "█" * int(filled) + ("▌" if filled - int(filled) >= 0.5 else "")


def rich_table(
    table: tables.ReportTable, bars: bool = True, optional: bool = True, text_width: int | None = None
) -> Table:
    """A table as the terminal shows it: numbers to the right, a bar after a share or index that has one,
    typed text never read as markup, codes in their colours. ``bars``, ``optional``: with the bars, with the
    columns a reader can do without (``Column.optional``); ``text_width``: typed text wrapped at this width."""
    shown = Table(title=Text(terminal_safe(table.title)), title_justify="left")
    kept = [(position, column) for position, column in enumerate(table.columns) if optional or not column.optional]
    for _, column in kept:
        heading = Text(terminal_safe(column.narrow_heading), style=column.colour or "")
        justify: JustifyMethod = "right" if column.numeric else "left"
        # Measuring whether it fits (``Fitted``): names wrapped at ``text_width``, sentences at twice that.
        wrap = {tables.Kind.TEXT: text_width, tables.Kind.WORDS: text_width and 2 * text_width}.get(column.kind)
        shown.add_column(heading, justify=justify, max_width=wrap)
        if column.bar and bars:
            shown.add_column("", max_width=BAR_WIDTH // 2, no_wrap=True, overflow="crop")
    for row_number, row in enumerate(table.rows):
        colour = table.colour(row_number) or ""
        cells: list[Text] = []
        for position, column in kept:
            value = row[position]
            style = colour if position == 0 else ""
            if (row_number, position) in table.strong:
                style = "bold"
            elif (row_number, position) in table.muted:
                style = "dim"
            cells.append(Text(tables.shown(column, value), style=style))
            if column.bar and bars:
                cells.append(Text(bar(value, BAR_WIDTH // 2), style=column.colour or colour or ""))
        shown.add_row(*cells)
    if not table.rows and table.empty:
        shown.add_row(Text(table.empty, style="dim"))
    return shown


def plain_lines(table: tables.ReportTable, width: int) -> list[str]:
    """A list to scan (the archive's sessions) as plain lines, a row a line: headings, then values, two spaces
    apart; numbers, dates and ids whole, the names sharing what is left of ``width`` and cut with "…". Thousands
    of rows print at once: a Rich table measures every cell and took a quarter of a second for 300."""
    cells = [
        [tables.shown(column, value) for column, value in zip(table.columns, row, strict=True)] for row in table.rows
    ]
    headings = [terminal_safe(column.narrow_heading) for column in table.columns]
    widths = [
        max([cell_len(heading), *(cell_len(row[place]) for row in cells)]) for place, heading in enumerate(headings)
    ]
    names = [place for place, column in enumerate(table.columns) if column.kind is tables.Kind.TEXT]
    spare = width - 2 * (len(widths) - 1) - sum(w for place, w in enumerate(widths) if place not in names)
    # The names share what is left, the shortest first (what one does not need goes to the next), each at least
    # a few letters.
    for taken, place in enumerate(sorted(names, key=lambda place: widths[place])):
        widths[place] = min(widths[place], max(NAME_LINE // 2, spare // (len(names) - taken)))
        spare -= widths[place]

    def line(values: list[str]) -> str:
        fitted = []
        for place, (value, column) in enumerate(zip(values, table.columns, strict=True)):
            if cell_len(value) > widths[place]:
                value = set_cell_size(value, widths[place] - 1) + "…"
            pad = " " * (widths[place] - cell_len(value))
            fitted.append(pad + value if column.numeric else value + pad)
        return "  ".join(fitted).rstrip()

    return [line(headings), *(line(row) for row in cells)]


class Fitted:
    """A table fitted to the terminal it is printed on: where its cells would wrap or be cut to fit, the bars
    go first, then the columns a reader can do without (an 80-column terminal keeps the organisations' names
    whole instead of every column squeezed)."""

    def __init__(self, table: tables.ReportTable) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        unbounded = options.update(max_width=100_000)  # a table's own measure never exceeds the width it is given
        for bars, optional in ((True, True), (False, True)):
            # Fits: every number whole, and each name in lines of at least a few words.
            probe = rich_table(self.table, bars, optional, text_width=NAME_LINE)
            if Measurement.get(console, unbounded, probe).maximum <= options.max_width:
                yield rich_table(self.table, bars, optional)
                return
        yield rich_table(self.table, bars=False, optional=False)


def summary_renderable(summary: SessionSummary, data: SessionData, findings: Sequence[str] = ()) -> Group:
    """One session's summary; ``findings`` are the sequences' notable patterns in words (sequence_words.findings)."""
    session = data.session
    codebook = session.codebook
    heading = Text.assemble(
        (terminal_safe(session.title), "bold"),
        f"  ·  {terminal_safe(session.series) or 'no series'}  ·  {session.meeting_date}  ·  ",
        f"{contributions_said(summary)} over {format_clock(summary.observed_s)} observed",
    )
    parts: list[RenderableType] = [heading, Text()]
    sentences = session_sentences(summary, data)
    if sentences:
        parts.append(sentences_renderable("What we saw", sentences))
    if codebook.indices:
        parts.append(Fitted(tables.headline(summary, codebook, summary.index_counts)))
    if summary.quadrant is not None:
        parts.append(Fitted(tables.quadrant(summary.quadrant, codebook)))
    if findings:
        parts.append(findings_renderable(list(findings)))
    parts += [
        Fitted(tables.organisations(summary, codebook)),
        Fitted(tables.participants(summary.participants, codebook)),
        Fitted(tables.agenda(summary.agenda, codebook)),
        Fitted(tables.flags(summary.flag_counts, summary.flags_per_hour, codebook)),
    ]
    if summary.coordinator_candidates:
        names = {c.participant_id: c.name for c in summary.coordinator_candidates}
        parts.append(Fitted(tables.coordinator_candidates(summary.coordinator_candidates, names.__getitem__)))
    return Group(*parts)


def trend_renderable(trend: Trend, findings: Sequence[str] = ()) -> Group:
    definitions = trend.index_definitions
    changes = Text()
    for index in definitions:
        changes.append(
            f"{index.short}: first→last {number(trend.change[index.id])}, "
            f"slope per meeting {number(trend.slope[index.id], 3)}\n"
        )
    table, organisations = Fitted(tables.trend_meetings(trend)), Fitted(tables.trend_airtime(trend))
    # The trend Dashboard's words: the trend over every meeting first, then each change beyond chance, within
    # noise, or too few to tell (p corrected for the tests stated together).
    headline = sentences_renderable("The trend", trend_sentences(trend))
    changed = sentences_renderable("What changed", change_sentences(trend))
    method = Text(terminal_safe(method_sentence(trend)), style="italic")
    notes = Text(terminal_safe(left_out_sentence(trend)), style="italic")
    extra = [findings_renderable(list(findings))] if findings else []
    # The answer first (a long series's table would push it off the screen), then the numbers behind it.
    return Group(notes, headline, changed, method, table, changes, *extra, organisations)


def agreement_renderable(comparison: Comparison, with_warnings: bool = True) -> Group:
    heading = Text.assemble(
        ("Agreement ", "bold"),
        f"A = {terminal_safe(comparison.name_a)} ({comparison.session_a}), B = {terminal_safe(comparison.name_b)} "
        f"({comparison.session_b}) · "
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
    parts: list[RenderableType] = [
        heading,
        unit,
        *[Text(f"Note: {terminal_safe(w)}", style="yellow") for w in (comparison.warnings if with_warnings else [])],
        Fitted(agreement_tables.by_dimension(comparison)),
    ]
    for row in comparison.dimensions:
        if row.dimension not in comparison.code_labels:
            continue  # the speaker and the flags: their table row says it
        method, result = ("contribution-matched", row.matched) if row.matched else ("time-sliced", row.time_sliced)
        parts.append(Fitted(agreement_tables.confusion(comparison, row.dimension, method, result)))
    return Group(*parts)


def sentences_renderable(heading: str, sentences: Sequence[str]) -> Text:
    """Sentences as a short list under a heading, as plain text (names are never markup); nothing when none."""
    if not sentences:
        return Text()
    text = Text(f"{heading}\n", style="bold")
    for sentence in sentences:
        text.append(f"• {terminal_safe(sentence)}.\n")  # sentences name people and organisations
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
        words.append(f"• {terminal_safe(sentence)}.\n")
    if not sentences:
        words.append(
            too_few_pairs(table) or "Nothing stood out beyond chance (corrected for the number of tests).", style="dim"
        )
    parts: list[RenderableType] = [heading, words]
    if table.values:
        parts += [Fitted(sequence_tables.counts(table)), Fitted(sequence_tables.transitions(table))]
    if after is not None:
        parts.append(Fitted(sequence_tables.after_flag_comparison(after)))
    return Group(*parts)
