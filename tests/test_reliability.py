"""Krippendorff's α beside κ: against Krippendorff's own worked example, the `krippendorff` package, and the
confusion matrix each agreement reports."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from observer.analysis import agreement as ag
from observer.analysis.reliability import nominal_alpha, units_of_pairs, units_of_rows
from observer.cli.main import main
from observer.interop.demo import generate_demo, second_observer
from observer.storage import Archive

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers, twelve units,
# values 1-5 with gaps (None: the observer gave no value); nominal α = 0.743.
KRIPPENDORFF_EXAMPLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def as_words(rows: list[list[int | None]]) -> list[list[str | None]]:
    return [[None if value is None else str(value) for value in row] for row in rows]


def package_alpha(rows: list[list[int | None]]) -> float:
    data = np.array([[np.nan if value is None else value for value in row] for row in rows], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def test_krippendorffs_own_nominal_example() -> None:
    alpha = nominal_alpha(units_of_rows(as_words(KRIPPENDORFF_EXAMPLE)))
    assert alpha.value is not None and round(alpha.value, 3) == 0.743
    assert alpha.value == pytest.approx(package_alpha(KRIPPENDORFF_EXAMPLE), abs=1e-12)
    assert alpha.units == 11  # unit 12 has one value only: not pairable
    assert alpha.interval is not None and alpha.interval[0] < alpha.value <= alpha.interval[1]
    # Seeded: the same units give the same interval.
    assert nominal_alpha(units_of_rows(as_words(KRIPPENDORFF_EXAMPLE))).interval == alpha.interval


def test_alpha_matches_the_krippendorff_package_with_gaps_and_several_observers() -> None:
    rng = random.Random(3)
    for _ in range(60):
        observers, units = rng.randint(2, 6), rng.randint(3, 40)
        truth = [rng.randint(1, 4) for _ in range(units)]
        rows = [
            [None if rng.random() < 0.2 else (value if rng.random() < 0.7 else rng.randint(1, 4)) for value in truth]
            for _ in range(observers)
        ]
        ours = nominal_alpha(units_of_rows(as_words(rows)), replicates=10)
        try:
            expected = package_alpha(rows)
        except ValueError:  # the package refuses data with a single value: ours says so in words
            assert ours.value is None and ours.note
            continue
        if math.isnan(expected):
            assert ours.value is None and ours.note
        else:
            assert ours.value == pytest.approx(expected, abs=1e-9), rows


def test_undefined_alpha_is_said_in_words_never_nan() -> None:
    same = nominal_alpha(units_of_pairs({("absent", "absent"): 500}))
    assert same.value is None and same.interval is None
    assert same.note == "α undefined: every value the same (absent)"
    nothing = nominal_alpha(units_of_rows([["1", None], [None, "2"]]))
    assert nothing.value is None and nothing.note == "α undefined: no unit has values from two observers"
    empty = ag.agreement([])
    assert empty.alpha is None and empty.alpha_note


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("agreement") / "data"
    archive = Archive(root)
    (session_id,) = generate_demo(archive, sessions=1, contributions=120, seed=29)
    original = archive.load(session_id)
    ids = [session_id]
    for index, share in enumerate((0.15, 0.35)):
        other = second_observer(original, share, seed=index)
        other = other.model_copy(update={"session": other.session.model_copy(update={"id": f"{session_id}-{index}"})})
        archive.add_session(other)
        ids.append(other.session.id)
    return root, ids


def alpha_of_confusion(confusion: dict[str, dict[str, int]]) -> float:
    """α of a confusion matrix with the package: each cell (a, b) is that many units valued a and b."""
    categories = sorted(confusion)
    counts = []
    for a in categories:
        for b in categories:
            row = [0] * len(categories)
            row[categories.index(a)] += 1
            row[categories.index(b)] += 1
            counts += [row] * confusion[a][b]
    return float(krippendorff.alpha(value_counts=np.array(counts), level_of_measurement="nominal"))


def test_agreement_json_alpha_is_the_alpha_of_its_own_confusion_matrix(observed: tuple[Path, list[str]]) -> None:
    root, ids = observed
    run = CliRunner().invoke(main, ["--data-dir", str(root), "agreement", ids[0], ids[1], "--json"])
    assert run.exit_code == 0, run.output
    record = json.loads(run.output)
    checked = 0
    for row in record["dimensions"]:
        for method in ("time_sliced", "matched"):
            result = row[method]
            if result is None:
                continue
            assert "NaN" not in json.dumps(result)
            if result["alpha"] is None:
                assert result["alpha_note"].startswith("α undefined") and result["alpha_ci"] is None
                continue
            assert result["alpha"] == pytest.approx(alpha_of_confusion(result["confusion"]), abs=1e-6)
            low, high = result["alpha_ci"]
            assert low <= result["alpha"] <= high
            checked += 1
    assert checked >= 6
    again = json.loads(
        CliRunner().invoke(main, ["--data-dir", str(root), "agreement", ids[0], ids[1], "--json"]).output
    )
    assert again == record  # the bootstrap is seeded


def test_alpha_beside_kappa_in_the_table_and_the_workbook(observed: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, ids = observed
    out = tmp_path / "agreement.xlsx"
    command = ["--data-dir", str(root), "agreement", ids[0], ids[1]]
    run = CliRunner().invoke(main, [*command, "-o", str(out)], env={"COLUMNS": "160"})
    assert run.exit_code == 0, run.output
    narrow = CliRunner().invoke(main, command).output  # 100 columns: alpha stays beside kappa, PABAK goes
    assert "│ kappa ┃ Landis & Koch  ┃ alpha ┃" in narrow.replace("┃ kappa", "│ kappa")
    record = json.loads(
        CliRunner().invoke(main, ["--data-dir", str(root), "agreement", ids[0], ids[1], "--json"]).output
    )
    orientation = next(row for row in record["dimensions"] if row["dimension"] == "orientation")["time_sliced"]
    low, high = orientation["alpha_ci"]
    assert f"{orientation['alpha']:.2f} │ ({low:.2f}–{high:.2f})" in run.output
    rows = list(load_workbook(out)["Agreement"].iter_rows(values_only=True))
    header = next(row for row in rows if row[0] == "Dimension or flag")
    assert header[7:9] == ("alpha", "alpha 95% interval")
    line = next(row for row in rows if row[0] == "Orientation" and row[1] == "time-sliced")
    assert line[7] == pytest.approx(orientation["alpha"]) and line[8] == f"({low:.2f}–{high:.2f})"


def test_three_observers_get_one_alpha_with_uncoded_slices_missing(observed: tuple[Path, list[str]]) -> None:
    root, ids = observed
    archive = Archive(root)
    sessions = [archive.load(session_id) for session_id in ids]
    run = CliRunner().invoke(main, ["--data-dir", str(root), "agreement", *ids, "--json"])
    assert run.exit_code == 0, run.output
    record = json.loads(run.output)
    # The reliability data, slice by slice, each observer's value or missing (nothing running, or uncoded).
    timelines = [ag.Timeline(data) for data in sessions]
    offsets = [0.0] + [ag.clock_offset(sessions[0], data) for data in sessions[1:]]
    start = max(0.0, *offsets)
    end = min(t.observed_s + offset for t, offset in zip(timelines, offsets, strict=True))
    midpoints = [start + index + 0.5 for index in range(int(end - start))]
    for dimension in ("orientation", "topic", "speaker"):
        rows = []
        for data, timeline, offset in zip(sessions, timelines, offsets, strict=True):
            row = []
            for midpoint in midpoints:
                span = timeline.at(midpoint - offset)
                value = ag.value_of(data, span, dimension) if span else None
                row.append(None if value in (None, ag.NONE) else value)
            rows.append(row)
        names = sorted({value for row in rows for value in row if value is not None})
        numbered = [[None if value is None else names.index(value) for value in row] for row in rows]
        shown = record[dimension]
        assert shown["alpha"] == pytest.approx(package_alpha(numbered), abs=1e-9)
        assert shown["alpha_ci"][0] <= shown["alpha"] <= shown["alpha_ci"][1]
        assert len([key for key in shown if " × " in key]) == 3  # each pair's kappa, as before
    printed = CliRunner().invoke(main, ["--data-dir", str(root), "agreement", *ids]).output
    assert "alpha over all 3 observers" in " ".join(printed.split())
