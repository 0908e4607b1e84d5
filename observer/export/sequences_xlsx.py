"""The sequences workbook: the lag table as square tables (counts, probabilities, residuals, Yule's Q), the
comparison after a flag, every pair as a tidy table, and the definitions. Values only, never a formula."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from observer import __version__
from observer.export.xlsx import BOLD, PERCENT, RATIO, TITLE, BookWriter, Sheet
from observer.files import scratch_dir_beside
from observer.models import Codebook
from observer.sequences import (
    MIN_EXPECTED,
    MIN_GROUP,
    NOTABLE_P,
    NOTABLE_Z,
    AfterFlag,
    LagTable,
    Transition,
    by_heading,
    dropped_words,
    notable_findings,
    too_few_pairs,
)
from observer.text import plural

# Okabe–Ito blue and vermillion: a diverging scale colour-blind readers can tell apart, white at zero.
FEWER_THAN_CHANCE = "FF0072B2"
MORE_THAN_CHANCE = "FFD55E00"
UNTESTABLE = Font(italic=True, color="FF808080")


def write_sequences_workbook(table: LagTable, after: AfterFlag | None, codebook: Codebook, path: Path) -> None:
    with scratch_dir_beside(path), BookWriter() as book:
        width = len(table.values)
        sheet = book.sheet("Sequences", [34] + [16] * max(2, width + 1))
        sheet.append([f"Sequences by {by_heading(table, codebook)}, lag {table.lag}"], font=TITLE)
        sheet.append(
            [
                f"{table.n:,} pairs (position t, position t + {table.lag}) from "
                f"{plural(len(table.sessions), 'session')}, never across sessions"
                + (f"; {dropped_words(table, codebook)}." if table.dropped else ".")
            ]
        )
        sheet.blank()
        sentences = notable_findings([table], after)
        sheet.append(["What stood out"], font=BOLD)
        for sentence in sentences:
            sheet.append([f"{sentence}."])
        if not sentences:
            sheet.append([too_few_pairs(table) or "Nothing stood out beyond chance."])
        sheet.blank()
        if table.values:
            _square(sheet, table, "Counts (rows: position t; columns: t + lag)", lambda t: t.count, None, totals=True)
            _square(sheet, table, "Transitional probability P(column | row)", lambda t: t.probability, RATIO)
            first = _square(
                sheet,
                table,
                f"Adjusted residual z (|z| ≥ {NOTABLE_Z} beyond chance; grey: under {MIN_EXPECTED:g} pairs expected)",
                lambda t: t.adjusted_residual,
                RATIO,
                untestable_grey=True,
            )
            cells = f"B{first}:{get_column_letter(1 + width)}{first + width - 1}"
            sheet.worksheet.conditional_formatting.add(
                cells,
                ColorScaleRule(
                    start_type="num",
                    start_value=-NOTABLE_Z,
                    start_color=FEWER_THAN_CHANCE,
                    mid_type="num",
                    mid_value=0,
                    mid_color="FFFFFFFF",
                    end_type="num",
                    end_value=NOTABLE_Z,
                    end_color=MORE_THAN_CHANCE,
                ),
            )
            sheet.worksheet.conditional_formatting.add(
                cells,
                CellIsRule(operator="notBetween", formula=[str(-NOTABLE_Z), str(NOTABLE_Z)], font=Font(bold=True)),
            )
            _square(sheet, table, "Yule's Q", lambda t: t.yules_q, RATIO)
        if after is not None:
            _after_sheet(book, after)
        pairs = book.table(
            "Transitions",
            ["from", "to", "count", "expected", "probability", "adjusted_residual", "yules_q"],
            formats={"expected": RATIO, "probability": RATIO, "adjusted_residual": RATIO, "yules_q": RATIO},
            widths={"from": 28, "to": 28},
        )
        for t in table.transitions:
            pairs.append(
                [
                    pairs.current.cell(t.source),
                    pairs.current.cell(t.target),
                    t.count,
                    t.expected,
                    t.probability,
                    t.adjusted_residual,
                    t.yules_q,
                ]
            )
        pairs.finish()
        _definitions_sheet(book, table)
        book.save(path)


def _square(
    sheet: Sheet,
    table: LagTable,
    title: str,
    value: Callable[[Transition], float | int | None],
    number_format: str | None,
    totals: bool = False,
    untestable_grey: bool = False,
) -> int:
    """A K×K table under its title; returns the row number of its first value row."""
    sheet.append([title], font=BOLD)
    sheet.append(["", *[table.label(v) for v in table.values], *(["total"] if totals else [])], font=BOLD)
    first = sheet.rows + 1
    for source in table.values:
        cells = [table.cell(source, target) for target in table.values]
        row = [sheet.cell(table.label(source), font=BOLD)]
        for transition in cells:
            shown = value(transition)
            if untestable_grey and not transition.testable and shown is not None:
                cell = WriteOnlyCell(sheet.worksheet, value=shown)
                cell.number_format, cell.font = number_format or "General", UNTESTABLE
                row.append(cell)
            else:
                row.append(sheet.cell(shown, number_format))
        if totals:
            row.append(sum(t.count for t in cells))
        sheet.worksheet.append(row)
        sheet.rows += 1
    if totals:
        column_totals = [sum(table.cell(s, t).count for s in table.values) for t in table.values]
        sheet.append(["total", *column_totals, table.n], font=BOLD)
    sheet.blank()
    return first


def _after_sheet(book: BookWriter, after: AfterFlag) -> None:
    sheet = book.sheet("After flag", [30, 16, 16, 16, 16, 16, 16, 60])
    sheet.append([f"After a '{after.flag_label}' contribution: the next {after.window} contributions"], font=TITLE)
    sheet.append(
        [
            f"Flagged: {plural(after.events, 'contribution')}; {after.after_contributions} fall in the windows after "
            f"them and {after.elsewhere_contributions} elsewhere. p: two-sided, {after.permutations:,} "
            f"permutations of the flag within each session, seed {after.seed}."
        ]
    )
    sheet.blank()
    sheet.append(
        [
            "Index",
            "After",
            "Elsewhere",
            "Difference",
            "p",
            "After: contributions in the index",
            "Elsewhere: contributions in the index",
            "Note",
        ],
        font=BOLD,
    )
    for result in after.indices:
        sheet.worksheet.append(
            [
                sheet.cell(result.index.heading),
                sheet.cell(result.after, PERCENT),
                sheet.cell(result.elsewhere, PERCENT),
                sheet.cell(result.difference, PERCENT),
                sheet.cell(result.p_value, "0.000"),
                result.after_n,
                result.elsewhere_n,
                sheet.cell(result.note),
            ]
        )
        sheet.rows += 1


def _definitions_sheet(book: BookWriter, table: LagTable) -> None:
    sheet = book.sheet("Definitions", [26, 110])
    sheet.append(["Definitions"], font=TITLE)
    for term, meaning in [
        (
            "Sequence",
            "A session's contributions in start order; a position's value is its code, organisation or "
            "speaker. A position with no value stays in the sequence; any pair involving it is left out.",
        ),
        (
            "Pairs",
            "Lag-L pairs are (position t, position t + L) within one session. x = pairs counted; N their "
            "total; r row totals, c column totals, over the values that occur.",
        ),
        ("Expected", "e = r c / N."),
        ("Transitional probability", "x / r."),
        (
            "Adjusted residual",
            "z = (x − e) / √(e (1 − r/N)(1 − c/N)). Read as beyond chance where |z| ≥ "
            f"{NOTABLE_Z} and at least {MIN_EXPECTED:g} pairs are expected.",
        ),
        ("Yule's Q", "(ad − bc)/(ad + bc) from a = x, b = r − x, c = c − x, d = N − r − c + x."),
        (
            "After a flag",
            "The next K positions after each flagged contribution, same session; their union is "
            "'after', every other contribution 'elsewhere'; flagged contributions are in neither.",
        ),
        (
            "p",
            f"Two-sided permutation p-value: (1 + permutations at least as extreme) / (1 + permutations). "
            f"Given where both groups have at least {MIN_GROUP} contributions inside the index; notable below "
            f"{NOTABLE_P}.",
        ),
        ("Blank cells", "Undefined values (a zero denominator) are left blank, never 0."),
        ("Sessions", ", ".join(table.sessions)),
        ("Written by", f"observer {__version__}"),
    ]:
        sheet.worksheet.append([sheet.cell(term, font=BOLD), sheet.cell(meaning)])
        sheet.rows += 1
