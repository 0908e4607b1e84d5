"""Agreement: worked examples, hand-computed alignments, and kappa falling as codes are changed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from observer.analysis import agreement as ag
from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.core.errors import InputError
from observer.core.models import SessionData
from observer.interop.demo import generate_demo, second_observer
from observer.storage import Archive

from .meetings import hand_meeting

approx = pytest.approx


def pairs_from_table(table: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    return [pair for pair, count in table.items() for _ in range(count)]


def test_cohen_kappa_worked_example() -> None:
    # The standard two-rater example: 50 items, 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no.
    # Po = 35/50 = 0.70; Pe = 0.5*0.6 + 0.5*0.4 = 0.50; kappa = 0.4; PABAK = 2*0.7 - 1 = 0.4.
    result = ag.agreement(pairs_from_table({("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15}))
    assert (result.n, result.po, result.pe) == (50, approx(0.70), approx(0.50))
    assert result.kappa == approx(0.40) and result.pabak == approx(0.40)
    assert result.label == "fair"
    assert result.confusion["yes"] == {"no": 5, "yes": 20}


def test_cohen_kappa_three_categories_by_hand() -> None:
    # A\\B    x  y  z | A's marginals: x 0.4, y 0.3, z 0.3
    #  x     3  1  0 | B's marginals: x 0.4, y 0.4, z 0.2
    #  y     1  2  0 | Po = 7/10; Pe = .4*.4 + .3*.4 + .3*.2 = .34
    #  z     0  1  2 | kappa = (.7-.34)/(.66) = .5454..; PABAK = (3*.7-1)/2 = .55
    table = {("x", "x"): 3, ("x", "y"): 1, ("y", "x"): 1, ("y", "y"): 2, ("z", "y"): 1, ("z", "z"): 2}
    result = ag.agreement(pairs_from_table(table))
    assert result.po == approx(0.7) and result.pe == approx(0.34)
    assert result.kappa == approx(0.36 / 0.66) and result.pabak == approx(0.55)
    assert result.label == "moderate"


def test_undefined_cases() -> None:
    same = ag.agreement([("a", "a")] * 5)  # one category used by both throughout: Pe = 1
    assert same.po == 1.0 and same.kappa is None and same.pabak is None and same.label == ""
    nothing = ag.agreement([])
    assert (nothing.po, nothing.kappa, nothing.pabak) == (None, None, None)
    opposite = ag.agreement([("a", "b"), ("b", "a")])
    assert opposite.kappa == approx(-1.0) and opposite.label == "poor"


@pytest.mark.parametrize(
    ("kappa", "label"),
    [
        (-0.1, "poor"),
        (0.0, "slight"),
        (0.2, "slight"),
        (0.21, "fair"),
        (0.4, "fair"),
        (0.41, "moderate"),
        (0.6, "moderate"),
        (0.61, "substantial"),
        (0.8, "substantial"),
        (0.81, "almost perfect"),
        (1.0, "almost perfect"),
    ],
)
def test_landis_koch_labels(kappa: float, label: str) -> None:
    assert ag.landis_koch(kappa) == label


def shifted(data: SessionData, session_id: str, seconds: float, topic_for: dict[str, str]) -> SessionData:
    """The same meeting as a second observer: clock started ``seconds`` later, some topics different."""
    session = data.session.model_copy(
        update={"id": session_id, "started_at": data.session.started_at + dt.timedelta(seconds=seconds)}
    )
    contributions = []
    for c in data.contributions:
        codes = dict(c.codes)
        if c.id in topic_for:
            codes["topic"] = topic_for[c.id]
        contributions.append(c.model_copy(update={"start_s": max(0.0, c.start_s - seconds), "codes": codes}))
    return SessionData(
        session=session.model_copy(
            update={
                "ended_s": 300 - seconds,
                "clock_elapsed_s": 300 - seconds,
                "pauses": [p.model_copy(update={"at_s": p.at_s - seconds}) for p in session.pauses],
            }
        ),
        contributions=contributions,
    )


def test_identical_coding_agrees_perfectly(partnership: Codebook) -> None:
    data = hand_meeting(partnership)
    result = ag.compare(data, data.model_copy(update={"session": data.session.model_copy(update={"id": "s-copy"})}))
    for row in result.dimensions:
        assert row.time_sliced.po == 1.0, row.dimension
        assert row.time_sliced.n == 300
    assert result.matched_pairs == 6 and result.unmatched_a == result.unmatched_b == 0


def test_time_sliced_and_matched_by_hand(partnership: Codebook) -> None:
    a = hand_meeting(partnership)
    # B started its clock 10 s later and coded contribution 6 relational (A left its topic uncoded).
    b = shifted(a, "s-b", 10, {"c6": "relational"})
    result = ag.compare(a, b, slice_s=10, tolerance_s=3)
    assert result.offset_s == 10 and (result.common_start_s, result.common_end_s) == (10, 300)
    topic = next(row for row in result.dimensions if row.dimension == "topic")
    # 29 slices of 10 s (10-300 on A's clock). B's contribution 1 starts at B's 0 = A's 10.
    # The last 10 slices (200-300) run contribution 6: A "none", B "relational"; the other 19 agree.
    assert topic.time_sliced.n == 29
    assert topic.time_sliced.po == approx(19 / 29)
    assert topic.time_sliced.confusion["none"]["relational"] == 10
    # Matched: A's first contribution starts before B began observing (outside the common span): not counted.
    # B's first starts at A's 10 s, with nothing of A's within 3 s: unmatched in B.
    assert (result.matched_pairs, result.unmatched_a, result.unmatched_b) == (5, 0, 1)
    # Pairs c2..c5 agree on topic; c6 is (none, relational); B's unmatched first is (none, transactional).
    # Po = 4/6. A: relational 3, transactional 1, none 2. B: relational 4, transactional 2, none 0.
    # Pe = (3*4 + 1*2 + 2*0) / 36 = 14/36; kappa = (24/36 - 14/36) / (22/36) = 10/22.
    assert topic.matched.po == approx(4 / 6)
    assert topic.matched.pe == approx(14 / 36)
    assert topic.matched.kappa == approx(10 / 22)
    speaker = next(row for row in result.dimensions if row.dimension == "speaker")
    assert speaker.matched is None and speaker.time_sliced.po == 1.0


def test_refusals_and_warnings(partnership: Codebook, archive: Archive) -> None:
    from observer.core.codebooks import resolve_codebook

    a = hand_meeting(partnership)
    bales = hand_meeting(resolve_codebook("bales-ipa", None), "s-bales")
    with pytest.raises(InputError, match="different codebooks"):
        ag.compare(a, bales)
    newer = a.model_copy(
        update={
            "session": a.session.model_copy(
                update={"id": "s-new", "codebook": partnership.model_copy(update={"version": "2.0"})}
            )
        }
    )
    with pytest.raises(InputError, match="--force"):
        ag.compare(a, newer)
    assert ag.compare(a, newer, force=True).dimensions
    copy = a.model_copy(update={"session": a.session.model_copy(update={"id": "s-late"})})
    assert any("overlap for only" in w for w in ag.compare(a, copy, offset_s=250).warnings)
    with pytest.raises(InputError, match="do not overlap"):
        ag.compare(a, a.model_copy(update={"session": a.session.model_copy(update={"id": "x"})}), offset_s=5000)


def test_kappa_falls_as_more_codes_are_changed(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    (session_id,) = generate_demo(archive, sessions=1, contributions=300, seed=5)
    original = archive.load(session_id)
    kappas = []
    for share in (0.0, 0.2, 0.4, 0.7):
        other = second_observer(original, change_share=share, jitter_s=1.5, seed=11)
        archive.add_session(other)
        result = json.loads(
            CliRunner()
            .invoke(main, ["--data-dir", str(tmp_path / "data"), "agreement", session_id, other.session.id, "--json"])
            .output
        )
        orientation = next(d for d in result["dimensions"] if d["dimension"] == "orientation")
        kappas.append((orientation["time_sliced"]["kappa"], orientation["matched"]["kappa"]))
        archive.trash_session(other.session.id)
    sliced = [k for k, _ in kappas]
    matched = [k for _, k in kappas]
    assert sliced == sorted(sliced, reverse=True) and matched == sorted(matched, reverse=True)
    assert matched[0] == approx(1.0) and sliced[0] > 0.9  # jitter costs a little of the time-sliced agreement
    assert matched[-1] < 0.4


def test_cli_table_workbook_and_pairwise(tmp_path: Path, partnership) -> None:
    archive = Archive(tmp_path / "data")
    (session_id,) = generate_demo(archive, sessions=1, contributions=80, seed=2)
    original = archive.load(session_id)
    for index, share in enumerate((0.1, 0.3)):
        archive.add_session(
            second_observer(original, share, seed=index).model_copy(
                update={
                    "session": second_observer(original, share, seed=index).session.model_copy(
                        update={"id": f"{session_id}-{index}"}
                    )
                }
            )
        )
    runner = CliRunner()
    data_dir = ["--data-dir", str(tmp_path / "data")]
    out = tmp_path / "agreement.xlsx"
    table = runner.invoke(main, [*data_dir, "agreement", session_id, f"{session_id}-0", "-o", str(out)])
    assert table.exit_code == 0, table.output
    # In words: the observers by name, dimensions, flags and codes by their labels, the unit of n said.
    said = " ".join(table.output.split())
    assert "A = Demo observer (" in said and "B = Second observer (" in said
    slices = json.loads(runner.invoke(main, [*data_dir, "agreement", session_id, f"{session_id}-0", "--json"]).output)
    assert f"each of {slices['dimensions'][0]['time_sliced']['n']:,} one-second slices in common (time-sliced)" in said
    assert "Coordinator (flag)" in said and "Organisation-first" in said and "contribution-matched" in said
    book = load_workbook(out)
    flags = [f"{flag.label} (flag)" for flag in partnership.flags]
    assert book.sheetnames == ["Agreement", "Speaker", "Orientation", "Topic", *flags]
    assert book["Orientation"]["A2"].value == "A \\ B"
    assert [c.value for c in book["Orientation"][2]][1:4] == ["Organisation-first", "Partnership-first", "Neutral"]
    assert book["Coordinator (flag)"]["B2"].value == "absent"
    matrix = runner.invoke(main, [*data_dir, "agreement", session_id, f"{session_id}-0", f"{session_id}-1", "--json"])
    kappas = json.loads(matrix.output)
    assert set(kappas) == {"speaker", "orientation", "topic", *(f"flag:{f.id}" for f in partnership.flags)}
    assert len([pair for pair in kappas["topic"] if " × " in pair]) == 3 and "alpha" in kappas["topic"]
    # As a table: every pair's kappa once, under the dimension's heading.
    printed = runner.invoke(main, [*data_dir, "agreement", session_id, f"{session_id}-0", f"{session_id}-1"])
    assert printed.exit_code == 0, printed.output
    topic = printed.output.split("topic: time-sliced kappa")[1].split("time-sliced kappa")[0]
    pair_kappas = [kappa for pair, kappa in kappas["topic"].items() if " × " in pair]
    assert all(f"{kappa:.2f}" in topic for kappa in pair_kappas), topic
    header = next(line for line in topic.splitlines() if "┃" in line)
    rows = [line for line in topic.splitlines() if line.startswith("│")]
    assert f"{session_id}-1" in header and not any(f"│ {session_id}-1 " in row for row in rows)  # a column only
    refused = runner.invoke(main, [*data_dir, "agreement", session_id])
    assert refused.exit_code == 1 and "two sessions" in refused.stderr
