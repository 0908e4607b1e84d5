"""The agreement workbook: a summary sheet, then a sheet per dimension with its confusion matrices."""

from __future__ import annotations

from pathlib import Path

from observer import __version__
from observer.agreement import Agreement, Comparison
from observer.export.xlsx import BOLD, RATIO, TITLE, BookWriter, Sheet
from observer.files import scratch_dir_beside
from observer.text import plural


def write_agreement_workbook(comparison: Comparison, path: Path) -> None:
    with scratch_dir_beside(path), BookWriter() as book:
        summary = book.sheet("Agreement", [22, 18, 10, 10, 10, 10, 18, 4, 10, 10, 10, 18])
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
        summary.append(["dimension or flag", "method", "n", "Po", "kappa", "PABAK", "Landis & Koch"], font=BOLD)
        for row in comparison.dimensions:
            for method, result in (("time-sliced", row.time_sliced), ("contribution-matched", row.matched)):
                if result is not None:
                    summary.worksheet.append(
                        [
                            summary.cell(comparison.labels.get(row.dimension, row.dimension)),
                            method,
                            result.n,
                            summary.cell(result.po, RATIO),
                            summary.cell(result.kappa, RATIO),
                            summary.cell(result.pabak, RATIO),
                            result.label,
                        ]
                    )
                    summary.rows += 1
        summary.blank()
        summary.append(["Blank: undefined (kappa when Pe = 1, PABAK with one category, all with no pairs)."])
        summary.append([f"observer {__version__}"])
        for row in comparison.dimensions:
            labels = comparison.code_labels.get(row.dimension, {})
            sheet = book.sheet(comparison.labels.get(row.dimension, row.dimension), [26] + [14] * 12)
            _matrix(
                sheet,
                "time-sliced",
                row.time_sliced,
                labels,
                comparison.in_order(row.dimension, row.time_sliced.categories),
            )
            if row.matched is not None:
                sheet.blank()
                order = comparison.in_order(row.dimension, row.matched.categories)
                _matrix(sheet, "contribution-matched", row.matched, labels, order)
        book.save(path)


def _matrix(sheet: Sheet, method: str, result: Agreement, labels: dict[str, str], order: list[str]) -> None:
    sheet.append([f"{method}: rows are A, columns are B (n = {result.n})"], font=BOLD)
    named = [labels.get(category, category) for category in order]
    sheet.append(["A \\ B", *named, "total"], font=BOLD)
    for category, name in zip(order, named, strict=True):
        counts = [result.confusion[category][other] for other in order]
        sheet.append([name, *counts, sum(counts)])
    totals = [sum(result.confusion[a][b] for a in order) for b in order]
    sheet.append(["total", *totals, result.n])
