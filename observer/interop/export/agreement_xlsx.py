"""The agreement workbook: a summary sheet, then a sheet per dimension with its confusion matrices."""

from __future__ import annotations

from pathlib import Path

from observer import __version__
from observer.analysis.agreement import Comparison
from observer.core.text import plural
from observer.interop.export.xlsx import TITLE, BookWriter
from observer.present import agreement_tables
from observer.storage.files import scratch_dir_beside


def write_agreement_workbook(comparison: Comparison, path: Path) -> None:
    with scratch_dir_beside(path), BookWriter() as book:
        summary = book.sheet("Agreement", [22, 18, 10, 10, 10, 10, 18, 10, 40])
        summary.append(
            [
                f"Agreement: {comparison.name_a} ({comparison.session_a}, A) and {comparison.name_b} "
                f"({comparison.session_b}, B)"
            ],
            font=TITLE,
        )
        summary.append(
            [
                f"clock offset {comparison.offset_s:+.1f} s · slices of {comparison.slice_s:g} s over "
                f"{(comparison.common_end_s - comparison.common_start_s) / 60:.1f} min in common · "
                f"tolerance {comparison.tolerance_s:g} s · "
                f"{plural(comparison.matched_pairs, 'contribution')} matched, "
                f"{comparison.unmatched_a} only in A, {comparison.unmatched_b} only in B"
            ]
        )
        summary.append(
            [
                f"n: time-sliced, the {comparison.slices:,} slices of {comparison.slice_s:g} s in common (what each "
                "observer had running at each slice's middle); contribution-matched, the contributions paired plus "
                "those only in A or B"
            ]
        )
        for warning in comparison.warnings:
            summary.append([f"Note: {warning}"])
        summary.blank()
        summary.table(agreement_tables.by_dimension(comparison))
        summary.blank()
        summary.append(
            [
                "Blank: undefined (kappa when Pe = 1, PABAK with one category, all with no pairs; alpha when every "
                "value is the same, said beside it). alpha: Krippendorff's, nominal, over the same pairs as kappa; "
                "its 95% interval from 2,000 resamplings of them."
            ]
        )
        summary.append([f"observer {__version__}"])
        for row in comparison.dimensions:
            sheet = book.sheet(comparison.labels.get(row.dimension, row.dimension), [26] + [14] * 12)
            for method, result in (("time-sliced", row.time_sliced), ("contribution-matched", row.matched)):
                if result is not None:
                    sheet.table(agreement_tables.confusion(comparison, row.dimension, method, result), titled=True)
                    sheet.blank()
        book.save(path)
