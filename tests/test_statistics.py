"""The numbers a statistician checks: the trend over meetings with the meeting as the unit, the interval of each
meeting's index, the comparisons widened by how much meetings differ — each against an independent
implementation (statsmodels) or values written down from one."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from click.testing import CliRunner
from statsmodels.stats.proportion import proportion_confint

from observer.analysis import story, trends
from observer.cli.main import main
from observer.core.codebook_models import Codebook

from .test_reports import _series

# The demo series `observer demo --sessions 4 --contributions 160 --seed 29`: PFI per meeting (counted, inside).
DEMO_PFI = [(62, 137), (66, 137), (77, 126), (86, 130)]


def statsmodels_trend(counts: list[tuple[int, int]]) -> tuple[float, float, float]:
    """R's glm(cbind(x, n - x) ~ meeting, family = quasibinomial) in statsmodels: slope, φ and p (t on k − 2 df).
    The proportions with var_weights = n: statsmodels' two-column form estimates the scale on another footing."""
    from scipy import stats

    counted = np.array([x for x, _ in counts], dtype=float)
    trials = np.array([n for _, n in counts], dtype=float)
    design = sm.add_constant(np.arange(len(counts), dtype=float))
    fit = sm.GLM(counted / trials, design, family=sm.families.Binomial(), var_weights=trials).fit(scale="X2")
    p_value = 2 * stats.t.sf(abs(fit.tvalues[1]), len(counts) - 2)
    return float(fit.params[1]), float(fit.scale), float(p_value)


def test_the_quasi_binomial_trend_matches_statsmodels_written_down() -> None:
    # statsmodels 0.15.0: GLM(x/n, [1, meeting], family=Binomial(), var_weights=n).fit(scale="X2"), then
    # p = 2·t.sf(|t|, k − 2), as R's summary(glm(..., family = quasibinomial)) gives it.
    fit = trends.quasi_binomial_trend(DEMO_PFI)
    assert isinstance(fit, trends.QuasiBinomialFit)
    assert fit.slope == pytest.approx(0.3102217051412439, rel=1e-8)
    assert fit.dispersion == pytest.approx(0.46505496066559077, rel=1e-8)
    assert fit.t == pytest.approx(5.69496696883988, rel=1e-8)
    assert fit.p_value == pytest.approx(0.02947663985770291, rel=1e-8)  # the R: p = 0.029
    five = trends.quasi_binomial_trend([(12, 40), (20, 45), (15, 38), (30, 50), (28, 41)])
    assert isinstance(five, trends.QuasiBinomialFit) and five.meetings == 5
    assert five.dispersion == pytest.approx(0.6315042656107546, rel=1e-8)
    assert five.p_value == pytest.approx(0.018751238066554387, rel=1e-8)


def test_the_quasi_binomial_trend_matches_statsmodels_on_random_series() -> None:
    rng = random.Random(7)
    for _ in range(40):
        k = rng.randint(4, 15)
        counts = []
        for meeting in range(k):
            n = rng.randint(5, 200)
            share = min(0.95, max(0.05, 0.3 + 0.03 * meeting + rng.gauss(0, 0.1)))
            counts.append((sum(rng.random() < share for _ in range(n)), n))
        fit = trends.quasi_binomial_trend(counts)
        assert isinstance(fit, trends.QuasiBinomialFit), counts
        slope, dispersion, p_value = statsmodels_trend(counts)
        assert fit.slope == pytest.approx(slope, rel=1e-6)
        assert fit.dispersion == pytest.approx(dispersion, rel=1e-6)
        assert fit.p_value == pytest.approx(p_value, rel=1e-6, abs=1e-300)


def test_no_trend_verdict_without_four_meetings_or_with_nothing_to_fit() -> None:
    assert trends.quasi_binomial_trend(DEMO_PFI[:3]) == "too few meetings to tell a trend: 3, and a trend needs 4"
    # A meeting with nothing coded for the index is not a meeting of the trend.
    assert trends.quasi_binomial_trend([*DEMO_PFI[:3], (0, 0)]) == (
        "too few meetings to tell a trend: 3, and a trend needs 4"
    )
    assert isinstance(trends.quasi_binomial_trend([DEMO_PFI[0], (0, 0), *DEMO_PFI[1:]]), trends.QuasiBinomialFit)
    assert "one side" in str(trends.quasi_binomial_trend([(0, 10), (0, 12), (0, 9), (0, 20)]))
    # All organisation-first, then all partnership-first: the logit runs off to infinity, no verdict.
    assert "no trend can be fitted" in str(trends.quasi_binomial_trend([(0, 10), (0, 10), (10, 10), (10, 10)]))


def test_the_wilson_interval_and_its_widening_by_dispersion() -> None:
    low, high = trends.wilson_interval(48, 100) or (0, 0)
    assert (low, high) == pytest.approx(proportion_confint(48, 100, method="wilson"), abs=1e-12)
    assert (low, high) == pytest.approx((0.384645517580519, 0.5768342223477604), abs=1e-12)  # statsmodels 0.15
    # Widened by √φ: Wilson's with n/φ contributions, so φ = 2 over 48/100 is 24/50's interval.
    widened = trends.wilson_interval(48, 100, dispersion=2.0)
    assert widened == pytest.approx(proportion_confint(24, 50, method="wilson"), abs=1e-12)
    assert trends.wilson_interval(0, 12) == pytest.approx((0.0, 0.24249400665524096), abs=1e-12)
    assert trends.wilson_interval(0, 0) is None


def test_two_meeting_comparisons_widen_their_variance_by_the_series_dispersion(partnership: Codebook) -> None:
    counts = [6, 8, 10, 12, 14, 16, 18, 20, 22, 9]  # φ = 2.64 (statsmodels, above)
    trend = _series(partnership, [(count, 30) for count in counts])
    result = story.change(trend, partnership.indices[0], 7, 8)
    dispersion = trend.trend["pfi"].dispersion
    assert result.dispersion == dispersion and dispersion == pytest.approx(2.6389691988570734, rel=1e-6)
    assert result.p_value == pytest.approx(trends.two_proportion_p(20, 30, 22, 30, dispersion=dispersion))
    assert result.p_value is not None and result.p_value > (trends.two_proportion_p(20, 30, 22, 30) or 1)
    assert "widened by how much these meetings differ" in story.method_sentence(trend)
    # Three meetings: φ cannot be measured, and the page says the test assumes contributions independent.
    three = _series(partnership, [(6, 30), (10, 30), (14, 30)])
    assert story.change(three, partnership.indices[0], 0, 2).dispersion is None
    assert "assumes contributions independent" in story.method_sentence(three)
    # φ under 1 from four meetings is chance: it never narrows a comparison.
    steady = _series(partnership, DEMO_PFI)
    assert (steady.trend["pfi"].dispersion or 0) < 1
    assert story.change(steady, partnership.indices[0], 0, 3).p_value == pytest.approx(
        trends.two_proportion_p(62, 137, 86, 130)
    )


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo") / "data"
    made = CliRunner().invoke(
        main, ["--data-dir", str(data), "demo", "--sessions", "4", "--contributions", "160", "--seed", "29"]
    )
    assert made.exit_code == 0, made.output
    return data


def test_the_demo_series_trend_is_statsmodels_quasi_binomial_and_every_meeting_has_its_interval(
    demo_archive: Path,
) -> None:
    run = CliRunner().invoke(main, ["--data-dir", str(demo_archive), "trends", "--json"])
    assert run.exit_code == 0, run.output
    shown = json.loads(run.output)
    for index in ("pfi", "ri"):
        counts = [tuple(row["index_counts"][index]) for row in shown["rows"]]
        _, dispersion, p_value = statsmodels_trend(counts)
        trend = shown["trend"][index]
        assert trend["test"] == "quasi-binomial trend" and trend["meetings"] == 4
        assert abs(trend["p_value"] - p_value) <= 0.001 * p_value
        assert trend["dispersion"] == pytest.approx(dispersion, rel=1e-6)
        for row in shown["rows"]:
            low, high = row["interval"][index]
            assert low < row[index] < high
    assert [tuple(row["index_counts"]["pfi"]) for row in shown["rows"]] == DEMO_PFI
    assert shown["trend"]["pfi"]["p_value"] == pytest.approx(0.02947663985770291, rel=1e-3)
    words = " ".join(CliRunner().invoke(main, ["--data-dir", str(demo_archive), "trends"]).output.split())
    # The headline in the table's own numbers (0.45 and 0.66 in its PFI column), not a fitted line's 0.44 and 0.67.
    assert "(PFI) went from 0.45 in the first meeting to 0.66 in the last, about +0.08 a meeting" in words
    assert "a real rise (" not in words  # p = 0.029 × the page's 6 tests


def test_three_demo_meetings_give_no_p_and_no_real_rise(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    made = CliRunner().invoke(
        main, ["--data-dir", data, "demo", "--sessions", "3", "--contributions", "160", "--seed", "29"]
    )
    assert made.exit_code == 0, made.output
    shown = json.loads(CliRunner().invoke(main, ["--data-dir", data, "trends", "--json"]).output)
    assert len(shown["rows"]) == 3
    for index in ("pfi", "ri"):
        assert shown["trend"][index]["p_value"] is None and shown["trend"][index]["dispersion"] is None
        assert all(row["interval"][index] is not None for row in shown["rows"])
    words = " ".join(CliRunner().invoke(main, ["--data-dir", data, "trends"]).output.split())
    assert "real" not in words.replace("A real rise or fall: ", "")
    assert "too few meetings to tell a trend: 3, and a trend needs 4" in words
    assert "assumes contributions independent" in words


def test_meetings_all_alike_have_no_spread_to_test_and_say_so() -> None:
    fit = trends.quasi_binomial_trend([(2, 4)] * 5)
    assert isinstance(fit, trends.QuasiBinomialFit)
    assert fit.p_value is None and fit.dispersion == 0 and fit.note == "the same in every meeting"


def test_every_meetings_interval_is_printed_beside_its_index_and_drawn_as_a_band(
    demo_archive: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    data = ["--data-dir", str(demo_archive)]
    shown = json.loads(CliRunner().invoke(main, [*data, "trends", "--json"]).output)
    words = CliRunner().invoke(main, [*data, "trends"]).output
    for row in shown["rows"]:
        low, high = row["interval"]["pfi"]
        assert f"{row['pfi']:.2f} │ ({low:.2f}–{high:.2f})" in words
    # One meeting's Summary and `show`: Wilson's interval of its own counts (one meeting cannot measure φ).
    first = shown["rows"][0]
    counted, inside = first["index_counts"]["pfi"]
    low, high = proportion_confint(counted, inside, method="wilson")
    said = CliRunner().invoke(main, [*data, "show", first["session_id"]]).output
    assert f"({low:.2f}–{high:.2f})" in said
    CliRunner().invoke(main, [*data, "export", first["session_id"], "-o", str(tmp_path / "one.xlsx")])
    band = next(
        r
        for r in load_workbook(tmp_path / "one.xlsx")["Summary"].iter_rows(values_only=True)
        if r[0] and "(PFI)" in r[0]
    )
    assert band[1] == pytest.approx(first["pfi"]) and band[2] == f"({low:.2f}–{high:.2f})"
    # The Dashboard: the bounds in the Meetings table, and each index's band about its line, out of the legend.
    made = CliRunner().invoke(main, [*data, "trends", "-o", str(tmp_path / "trend.xlsx")])
    assert made.exit_code == 0, made.output
    book = load_workbook(tmp_path / "trend.xlsx")
    meetings = list(book["Meetings"].iter_rows(values_only=True))
    header = list(meetings[0])
    for row, meeting in zip(shown["rows"], meetings[1:], strict=True):
        bounds = [meeting[header.index("PFI 95% low")], meeting[header.index("PFI 95% high")]]
        assert bounds == pytest.approx(row["interval"]["pfi"])
    chart = book["Dashboard"]._charts[0]
    assert len(chart.series) == 6
    assert [s.graphicalProperties.line.prstDash for s in chart.series[2:]] == ["dash"] * 4
    assert sorted(entry.idx for entry in chart.legend.legendEntry if entry.delete) == [2, 3, 4, 5]


def test_counts_whose_probabilities_run_to_zero_or_one_get_words_not_a_crash() -> None:
    # Three meetings all organisation-first, then one half and half: the fit's weights vanish (the information
    # matrix goes singular); said in words, as R would warn that fitted probabilities are 0 or 1.
    for counts in ([(0, 10), (0, 10), (0, 10), (5, 10)], [(0, 1), (0, 1), (0, 1), (1, 1)]):
        assert "no trend can be fitted" in str(trends.quasi_binomial_trend(counts))
    # Sparse but fittable: as statsmodels has it.
    counts = [(0, 10), (1, 10), (0, 10), (2, 10)]
    fit = trends.quasi_binomial_trend(counts)
    assert isinstance(fit, trends.QuasiBinomialFit)
    slope, dispersion, p_value = statsmodels_trend(counts)
    assert (fit.slope, fit.dispersion, fit.p_value) == pytest.approx((slope, dispersion, p_value), rel=1e-6)
