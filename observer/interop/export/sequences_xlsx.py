"""The sequences workbook: the lag table as square tables (counts, probabilities, residuals, Yule's Q), the
comparison after a flag, every pair as a tidy table, and the definitions. Values only, never a formula."""

from __future__ import annotations

from pathlib import Path

from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from observer import __version__
from observer.analysis.sequence_words import by_heading, dropped_words, notable_findings, too_few_pairs
from observer.analysis.sequences import MIN_EXPECTED, MIN_GROUP, NOTABLE_P, NOTABLE_Z, AfterFlag, LagTable
from observer.core.codebook_models import Codebook
from observer.core.columns import TRANSITION_ROW, Kind
from observer.core.text import plural
from observer.interop.export.xlsx import BOLD, TITLE, BookWriter, Sheet
from observer.present import sequence_tables, tables
from observer.storage.files import scratch_dir_beside

# Okabe–Ito blue and vermillion: a diverging scale colour-blind readers can tell apart, white at zero.
FEWER_THAN_CHANCE = "FF0072B2"
MORE_THAN_CHANCE = "FFD55E00"


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
            _square(sheet, sequence_tables.counts(table))
            _square(
                sheet,
                sequence_tables.lag_square(
                    table, "Transitional probability P(column | row)", lambda t: t.probability, Kind.RATIO
                ),
            )
            residuals = sequence_tables.lag_square(
                table,
                f"Adjusted residual z (|z| ≥ {NOTABLE_Z} beyond chance; grey: under {MIN_EXPECTED:g} pairs expected)",
                lambda t: t.adjusted_residual,
                Kind.RATIO,
                mute_untestable=True,
            )
            first = _square(sheet, residuals)
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
            _square(sheet, sequence_tables.lag_square(table, "Yule's Q", lambda t: t.yules_q, Kind.RATIO))
        if after is not None:
            _after_sheet(book, after)
        pairs = book.data_sheet("Transitions", TRANSITION_ROW, in_words=False)  # tidy, for analysis: the ids
        for t in table.transitions:
            pairs.append([t.source, t.target, t.count, t.expected, t.probability, t.adjusted_residual, t.yules_q])
        pairs.finish()
        _definitions_sheet(book, table)
        book.save(path)


def _square(sheet: Sheet, square: tables.ReportTable) -> int:
    """A K×K table under its title; returns the row number of its first value row."""
    first, _ = sheet.table(square, titled=True)
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
    sheet.table(sequence_tables.after_flag_comparison(after))


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
