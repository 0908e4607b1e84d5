"""The calibration workbook: the verdict and scores, a confusion matrix per dimension, and every difference."""

from __future__ import annotations

from pathlib import Path

from observer import __version__
from observer.analysis.calibration import Calibration
from observer.core.clock import format_clock
from observer.interop.export.xlsx import BOLD, TITLE, BookWriter
from observer.present import agreement_tables
from observer.storage.files import scratch_dir_beside


def write_calibration_workbook(result: Calibration, labels: dict[str, str], path: Path) -> None:
    """``labels``: dimension and flag ids -> their labels in the codebook."""
    with scratch_dir_beside(path), BookWriter() as book:
        summary = book.sheet("Calibration", [26, 12, 12, 8, 10])
        verdict = "PASSED" if result.passed else "NOT PASSED"
        summary.append([f"Calibration: {verdict}"], font=TITLE)
        summary.append([f"observer: {result.observer or '(not named)'} · codebook {result.codebook}"])
        summary.append([f"reference {result.reference} · trainee {result.trainee}"])
        summary.append(
            [
                f"{result.matched} contributions matched, {result.only_reference} only in the reference, "
                f"{result.only_trainee} only in the trainee's coding"
            ]
        )
        if result.left_out:
            summary.append([f"{result.left_out[0].upper()}{result.left_out[1:]}."])
        summary.append(
            [
                f"To pass, every dimension needs kappa ≥ {result.thresholds.min_kappa:g} and agreement ≥ "
                f"{result.thresholds.min_agreement:.0%} (the codebook's [calibration] table)."
            ]
        )
        summary.blank()
        summary.table(agreement_tables.calibration_scores(result, labels))
        summary.blank()
        summary.append(["Blank kappa: undefined (one code used throughout by both codings)."])
        for note in result.notes:
            summary.append([note])
        summary.append([f"observer {__version__}"])
        for key, score in result.dimensions.items():
            sheet = book.sheet(labels.get(key, key), [26] + [14] * 12)
            sheet.table(agreement_tables.calibration_confusion(labels.get(key, key), score), titled=True)
        differences = book.sheet("Differences", [10, 30, 18, 22, 22, 60])
        differences.append(["time", "speaker", "dimension", "reference", "trainee", "reference note"], font=BOLD)
        for difference in result.differences:
            differences.append(
                [
                    format_clock(difference.start_s),
                    difference.speaker,
                    difference.dimension,
                    difference.reference or "(none)",
                    difference.trainee or "(none)",
                    difference.justification,
                ]
            )
        book.save(path)
