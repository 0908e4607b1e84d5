"""Metrics against meetings computed by hand (see tests/meetings.py for the table)."""

from __future__ import annotations

import pytest

from observer.analysis import live_balance, metrics, timing, trends
from observer.core.codebook_models import Codebook

from .meetings import empty_meeting, hand_meeting

approx = pytest.approx


def test_spans_end_at_next_start_pause_or_session_end(partnership: Codebook) -> None:
    spans = timing.contribution_spans(hand_meeting(partnership))
    assert [(s.start_s, s.end_s) for s in spans] == [(0, 60), (60, 100), (100, 130), (130, 150), (150, 200), (200, 300)]


def test_session_indices_by_count_and_time(partnership: Codebook) -> None:
    summary = metrics.summarise(hand_meeting(partnership))
    assert summary.observed_s == 300  # the five-minute pause is not observed time
    assert summary.indices["pfi"] == approx(2 / 4)
    assert summary.indices["pfi_time"] == approx(70 / 180)
    assert summary.indices["ri"] == approx(3 / 5)
    assert summary.indices["ri_time"] == approx(110 / 200)
    orientation = summary.dimensions["orientation"]
    assert orientation.counts == {"org_first": 2, "partnership_first": 2, "neutral": 1}
    assert (orientation.coded, orientation.uncoded) == (5, 1)
    assert orientation.shares["neutral"] == approx(1 / 5)
    assert orientation.airtime_shares["neutral"] == approx(100 / 280)


def test_quadrant_table(partnership: Codebook) -> None:
    quadrant = metrics.summarise(hand_meeting(partnership)).quadrant
    assert quadrant.counts["org_first"] == {"transactional": 1, "relational": 1, "uncoded": 0}
    assert quadrant.counts["partnership_first"] == {"transactional": 1, "relational": 1, "uncoded": 0}
    assert quadrant.counts["neutral"] == {"transactional": 0, "relational": 0, "uncoded": 1}
    assert quadrant.counts["uncoded"] == {"transactional": 0, "relational": 1, "uncoded": 0}
    assert quadrant.core_total == 4
    assert quadrant.shares["org_first"]["relational"] == approx(0.25)
    assert quadrant.row_totals == {"org_first": 2, "partnership_first": 2, "neutral": 1, "uncoded": 1}


def test_flags_per_hour(partnership: Codebook) -> None:
    summary = metrics.summarise(hand_meeting(partnership))
    assert summary.flag_counts["coordinator"] == 2
    assert summary.flags_per_hour["coordinator"] == approx(2 / (300 / 3600))
    assert summary.flags_per_hour["governance_shield"] == approx(12.0)
    assert summary.total_flags_per_hour == approx(36.0)


def test_organisations_against_share_of_room(partnership: Codebook) -> None:
    rows = {row.id: row for row in metrics.summarise(hand_meeting(partnership)).organisations}
    council, trust, vol = rows["council"], rows["trust"], rows["vol"]
    # Present: Ann, Bob (council), Cath (trust), Dev (vol); Eve left before the start and never was.
    assert (council.attendees_present, trust.attendees_present, vol.attendees_present) == (2, 1, 1)
    assert council.share_of_room == approx(0.5) and trust.share_of_room == approx(0.25)
    assert (council.contributions, council.airtime_s) == (3, 130)
    assert council.share_contributions == approx(0.5) and council.share_airtime == approx(130 / 300)
    assert council.participation_ratio == approx(1.0)
    assert council.airtime_ratio == approx((130 / 300) / 0.5)
    assert trust.participation_ratio == approx((2 / 6) / 0.25)
    assert trust.airtime_ratio == approx((140 / 300) / 0.25)
    # The organisation-only contribution counts for its organisation.
    assert (vol.contributions, vol.airtime_s) == (1, 30)
    assert vol.participation_ratio == approx((1 / 6) / 0.25)
    assert council.indices["pfi"] == approx(0.0) and council.indices["ri"] == approx(2 / 3)


def test_participants_include_silent_attendees(partnership: Codebook) -> None:
    rows = {row.id: row for row in metrics.summarise(hand_meeting(partnership)).participants}
    assert rows["pd"].contributions == 0 and rows["pd"].share_airtime == 0
    assert rows["pd"].indices["pfi"] is None and rows["pd"].attendees_present == 1
    assert rows["pe"].attendees_present == 0
    assert rows["pc"].airtime_s == 140 and rows["pc"].indices["pfi"] == approx(1.0)
    assert rows["pc"].flag_counts["coordinator"] == 2


def test_coordinator_candidates(partnership: Codebook) -> None:
    summary = metrics.summarise(hand_meeting(partnership))
    assert [(c.name, c.reasons) for c in summary.coordinator_candidates] == [("Cath", ["2 coordinator flags"])]
    stricter = metrics.summarise(
        hand_meeting(partnership), coordinator_settings=metrics.CoordinatorSettings(min_coordinator_flags=3)
    )
    assert stricter.coordinator_candidates == []
    looser = metrics.summarise(
        hand_meeting(partnership), coordinator_settings=metrics.CoordinatorSettings(min_coded=1, min_pfi=0.75)
    )
    assert {c.name for c in looser.coordinator_candidates} == {"Cath"}


def test_timeline_by_agenda_item_and_bin(partnership: Codebook) -> None:
    summary = metrics.summarise(hand_meeting(partnership), bin_s=120)
    intro, money = summary.agenda
    assert (intro.label, intro.contributions, intro.indices["pfi"], intro.indices["ri"]) == (
        "Intro",
        3,
        approx(2 / 3),
        approx(1 / 3),
    )
    assert (money.label, money.contributions, money.indices["pfi"], money.indices["ri"]) == ("Money", 3, 0.0, 1.0)
    assert [b.contributions for b in summary.bins] == [3, 3, 0]
    assert summary.bins[2].indices["pfi"] is None  # nothing said: undefined, not 0


def test_empty_session_is_undefined_not_zero(partnership: Codebook) -> None:
    summary = metrics.summarise(empty_meeting(partnership))
    assert summary.contributions == 0
    assert (summary.indices["pfi"], summary.indices["ri"], summary.indices["pfi_time"]) == (None, None, None)
    assert summary.total_flags_per_hour is None
    assert summary.organisations[0].participation_ratio is None


def test_least_squares_slope_skips_undefined() -> None:
    assert trends.least_squares_slope([0.2, 0.4, None, 0.8]) == approx(0.2)
    assert trends.least_squares_slope([0.5]) is None
    assert trends.least_squares_slope([None, None]) is None


def test_series_trend(partnership: Codebook) -> None:
    import datetime as dt

    first = hand_meeting(partnership, "s1", dt.date(2026, 1, 1))
    second = hand_meeting(partnership, "s2", dt.date(2026, 2, 1))
    # In the second meeting Ann's first contribution becomes partnership-first: PFI 3/4.
    changed = [
        c.model_copy(update={"codes": {**c.codes, "orientation": "partnership_first"}}) if c.id == "c1" else c
        for c in second.contributions
    ]
    second = second.model_copy(update={"contributions": changed})
    trend = trends.series_trend([second, first], "Hand")
    assert [row.session_id for row in trend.rows] == ["s1", "s2"]
    assert [row.indices["pfi"] for row in trend.rows] == [approx(0.5), approx(0.75)]
    assert trend.change["pfi"] == approx(0.25)
    assert trend.slope["pfi"] == approx(0.25)
    assert trend.change["ri"] == approx(0.0)
    assert trend.rows[0].organisation_airtime_share["council"] == approx(130 / 300)
    single = trends.series_trend([first], "Hand")
    assert single.change["pfi"] is None and single.slope["pfi"] is None


def test_live_panel_and_summary_agree(partnership: Codebook) -> None:
    data = hand_meeting(partnership)
    live, summary = live_balance.live_balance(data), metrics.summarise(data)
    assert live.indices == summary.indices
    assert live.organisations == summary.organisations
