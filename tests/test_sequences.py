"""Sequences: lag tables, the comparison after a flag, and their words, against sequences worked out by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from observer.analysis.sequence_words import findings, notable_findings, too_few_pairs
from observer.analysis.sequences import _random_subsets as random_subsets
from observer.analysis.sequences import after_flag, lag_table
from observer.cli.main import main
from observer.cli.sequence_requests import sequences_record
from observer.core.codebook_models import Codebook
from observer.core.codebooks import resolve_codebook
from observer.core.models import Organisation, Participant, Session, SessionData
from observer.interop.export import export_options, export_sessions
from observer.storage import Archive

from .meetings import contribution

ORG, PF, NEU = "org_first", "partnership_first", "neutral"
COORDINATOR = "coordinator"


def meeting(
    codebook: Codebook,
    orientations: list[str | None],
    session_id: str = "s1",
    flagged: set[int] = frozenset(),  # type: ignore[assignment]
    topics: list[str | None] | None = None,
    speakers: list[str] | None = None,
) -> SessionData:
    """One contribution every 10 s, coded as given (None: uncoded), ``flagged`` positions carrying coordinator."""
    people = [
        Participant(id="pa", name="Ann", organisation_id="council"),
        Participant(id="pc", name="Cath", organisation_id="trust"),
    ]
    session = Session(
        id=session_id,
        title="Sequence meeting",
        meeting_date="2026-03-02",
        codebook=codebook,
        organisations=[Organisation(id="council", name="City Council"), Organisation(id="trust", name="NHS Trust")],
        participants=people,
    )
    contributions = []
    for position, orientation in enumerate(orientations):
        codes = {} if orientation is None else {"orientation": orientation}
        topic = topics[position] if topics else None
        if topic is not None:
            codes["topic"] = topic
        who = speakers[position] if speakers else "pa"
        contributions.append(
            contribution(
                position + 1,
                10.0 * position,
                who,
                "council" if who == "pa" else "trust",
                codes,
                [COORDINATOR] if position in flagged else [],
            )
        )
    return SessionData(session=session, contributions=contributions)


@pytest.fixture
def codebook() -> Codebook:
    return resolve_codebook("partnership", None)


def test_lag_one_table_worked_by_hand(codebook: Codebook) -> None:
    # O O P P O · P O O P: the pairs touching the uncoded position (O,·) and (·,P) are dropped, which leaves
    # OO 2, OP 2, PP 1, PO 2: N = 7, rows O 4 and P 3, columns O 4 and P 3. Neutral never occurs.
    table = lag_table([meeting(codebook, [ORG, ORG, PF, PF, ORG, None, PF, ORG, ORG, PF])], "orientation", 1)
    assert table.n == 7
    assert table.values == [ORG, PF]
    assert [(t.source, t.target, t.count) for t in table.transitions] == [
        (ORG, ORG, 2),
        (ORG, PF, 2),
        (PF, ORG, 2),
        (PF, PF, 1),
    ]

    oo = table.cell(ORG, ORG)
    assert oo.expected == pytest.approx(4 * 4 / 7)
    assert oo.probability == pytest.approx(2 / 4)
    assert oo.adjusted_residual == pytest.approx((2 - 16 / 7) / math.sqrt(16 / 7 * (3 / 7) * (3 / 7)))
    assert oo.adjusted_residual == pytest.approx(-0.44096, abs=1e-5)
    # a = 2, b = 4 - 2 = 2, c = 4 - 2 = 2, d = 7 - 4 - 4 + 2 = 1: Q = (2 - 4) / (2 + 4)
    assert oo.yules_q == pytest.approx(-1 / 3)

    op = table.cell(ORG, PF)
    assert op.expected == pytest.approx(12 / 7)
    assert op.probability == pytest.approx(0.5)
    assert op.adjusted_residual == pytest.approx((2 - 12 / 7) / math.sqrt(12 / 7 * (3 / 7) * (4 / 7)))
    assert op.yules_q == pytest.approx((2 * 2 - 2 * 1) / (2 * 2 + 2 * 1))  # a 2, b 2, c 1, d 2

    pp = table.cell(PF, PF)
    assert pp.probability == pytest.approx(1 / 3)
    assert pp.adjusted_residual == pytest.approx((1 - 9 / 7) / math.sqrt(9 / 7 * (4 / 7) * (4 / 7)))
    assert pp.yules_q == pytest.approx((1 * 2 - 2 * 2) / (1 * 2 + 2 * 2))  # a 1, b 2, c 2, d 2
    # Seven pairs: no cell expects 5, so nothing is claimed and the report says why.
    assert not table.testable and "too few pairs" in too_few_pairs(table)
    assert notable_findings([table]) == []


def test_undefined_values_are_null_never_zero(codebook: Codebook) -> None:
    # O O N: pairs (O,O) and (O,N). Neutral only ever follows: its row is empty.
    table = lag_table([meeting(codebook, [ORG, ORG, NEU])], "orientation", 1)
    assert table.n == 2 and table.values == [ORG, NEU]
    from_neutral = table.cell(NEU, ORG)
    assert from_neutral.count == 0 and from_neutral.expected == 0
    assert from_neutral.probability is None  # r = 0
    assert from_neutral.adjusted_residual is None  # e = 0
    assert from_neutral.yules_q is None  # a = b = 0: ad + bc = 0
    # Every pair starts with O: 1 - r/N = 0, so the residual's variance is zero.
    assert table.cell(ORG, ORG).adjusted_residual is None and table.cell(ORG, NEU).adjusted_residual is None
    assert table.cell(ORG, ORG).probability == 0.5
    record = json.loads(json.dumps(sequences_record(table, None)))
    neutral_to_org = next(t for t in record["transitions"] if t["from"] == NEU and t["to"] == ORG)
    assert neutral_to_org == {
        "from": NEU,
        "to": ORG,
        "count": 0,
        "expected": 0.0,
        "probability": None,
        "adjusted_residual": None,
        "yules_q": None,
    }


def test_no_pairs_at_all(codebook: Codebook) -> None:
    table = lag_table([meeting(codebook, [None, ORG, None, PF])], "orientation", 1)
    assert table.n == 0 and table.values == [] and table.transitions == []
    assert "too few pairs" in too_few_pairs(table)
    assert sequences_record(table, None)["note"]


def test_lag_two(codebook: Codebook) -> None:
    # O P O P P at lag 2: (O,O), (P,P), (O,P).
    table = lag_table([meeting(codebook, [ORG, PF, ORG, PF, PF])], "orientation", 2)
    assert table.n == 3
    assert {(t.source, t.target): t.count for t in table.transitions} == {
        (ORG, ORG): 1,
        (ORG, PF): 1,
        (PF, ORG): 0,
        (PF, PF): 1,
    }
    assert table.cell(ORG, ORG).probability == pytest.approx(1 / 2)
    assert table.cell(PF, ORG).probability == 0


def test_pooling_never_pairs_across_sessions(codebook: Codebook) -> None:
    first = meeting(codebook, [ORG, PF], "s1")
    second = meeting(codebook, [PF, ORG], "s2")
    pooled = lag_table([first, second], "orientation", 1)
    # Joined end to end they would add (P,P) from s1's last and s2's first.
    assert pooled.n == 2 and pooled.cell(PF, PF).count == 0
    assert pooled.cell(ORG, PF).count == 1 and pooled.cell(PF, ORG).count == 1
    assert pooled.sessions == ["s1", "s2"]


def test_by_organisation_and_speaker(codebook: Codebook) -> None:
    data = meeting(codebook, [ORG, PF, ORG, PF], speakers=["pa", "pc", "pc", "pa"])
    data.contributions[2] = data.contributions[2].model_copy(update={"participant_id": None})
    organisations = lag_table([data], "organisation", 1)
    assert organisations.values == ["City Council", "NHS Trust"]  # the names, as in the CSV
    assert organisations.cell("City Council", "NHS Trust").count == 1
    assert organisations.cell("NHS Trust", "NHS Trust").count == 1
    assert organisations.cell("NHS Trust", "City Council").count == 1
    speakers = lag_table([data], "speaker", 1)
    assert speakers.n == 1  # only (pa, pc): the organisation-only contribution has no speaker
    assert speakers.cell("pa", "pc").count == 1 and speakers.label("pc") == "Cath"


def test_after_flag_worked_by_hand(codebook: Codebook) -> None:
    # Coordinator at 0 and 5, window 2: after = {1, 2, 6, 7}, elsewhere = {3, 4, 8, 9}, flagged in neither.
    orientations = [PF, PF, PF, ORG, ORG, PF, PF, ORG, PF, ORG]
    result = after_flag([meeting(codebook, orientations, flagged={0, 5})], COORDINATOR, window=2, seed=7)
    assert (result.events, result.after_contributions, result.elsewhere_contributions) == (2, 4, 4)
    pfi = result.indices[0]
    assert pfi.index.id == "pfi"
    assert pfi.after == pytest.approx(3 / 4)  # P P P O
    assert pfi.elsewhere == pytest.approx(1 / 4)  # O O P O
    assert pfi.difference == pytest.approx(0.5)
    assert pfi.p_value is None and "too few" in pfi.note  # 4 and 4 inside PFI, 5 each needed
    ri = result.indices[1]
    assert ri.after is None and ri.elsewhere is None and ri.difference is None  # no topic coded


def test_after_flag_windows_overlap_and_stop_at_the_session_end(codebook: Codebook) -> None:
    # Flags at 0 and 1, window 2: windows {1, 2} and {2, 3}; 1 is flagged, so after = {2, 3}. A flag on the
    # last contribution of a session has an empty window, and the next session is not its window.
    first = meeting(codebook, [PF, PF, ORG, ORG, PF, PF], "s1", flagged={0, 1, 5})
    second = meeting(codebook, [ORG, ORG, ORG], "s2")
    result = after_flag([first, second], COORDINATOR, window=2)
    assert result.events == 3 and result.after_contributions == 2 and result.elsewhere_contributions == 4
    assert result.indices[0].after == 0.0 and result.indices[0].elsewhere == pytest.approx(1 / 4)


def test_permutation_test_is_seeded_and_finds_a_real_effect(codebook: Codebook) -> None:
    # After each coordinator contribution two partnership-first ones; organisation-first talk elsewhere.
    pattern = [NEU, PF, PF, ORG, ORG, ORG, ORG, ORG]
    sessions = [meeting(codebook, pattern * 5, f"s{number}", flagged={8 * k for k in range(5)}) for number in range(3)]
    first = after_flag(sessions, COORDINATOR, window=2, permutations=500, seed=11)
    again = after_flag(sessions, COORDINATOR, window=2, permutations=500, seed=11)
    other = after_flag(sessions, COORDINATOR, window=2, permutations=500, seed=12)
    pfi = first.indices[0]
    assert (pfi.after, pfi.elsewhere) == (1.0, 0.0)
    assert pfi.p_value == again.indices[0].p_value
    # Hardly any shuffle puts every flag just before a partnership-first pair: p is at its floor 1 / (P + 1).
    assert pfi.p_value == pytest.approx(1 / 501)
    assert other.indices[0].p_value is not None and other.indices[0].p_value < 0.01
    sentence = notable_findings([], first)[0]
    assert sentence == (
        "In the 2 contributions after a coordinator contribution, 100% of talk coded partnership-first or "
        "organisation-first was partnership-first, against 0% elsewhere (p = 0.002)"
    )


def test_no_effect_gives_no_small_p(codebook: Codebook) -> None:
    # The same talk everywhere: every shuffle is as extreme as what was seen (difference 0), so p = 1.
    sessions = [meeting(codebook, [PF] * 40, "s1", flagged={0, 10, 20, 30})]
    result = after_flag(sessions, COORDINATOR, window=2, permutations=200, seed=3)
    assert result.indices[0].difference == pytest.approx(0.0)
    assert result.indices[0].p_value == 1.0
    assert notable_findings([], result) == []


def test_shuffled_flags_are_uniform_sets_of_the_right_size() -> None:
    rng = np.random.default_rng(5)
    for chosen in (1, 3, 7, 9):  # 7 and 9 of 10: drawn as the complement
        sets = random_subsets(rng, 10, chosen, 20_000)
        assert (sets.sum(axis=1) == chosen).all()
        frequency = sets.mean(axis=0)
        assert np.allclose(frequency, chosen / 10, atol=0.02), frequency


def test_strong_persistence_is_said_in_words(codebook: Codebook) -> None:
    orientations = ([ORG] * 10 + [PF] * 10) * 6
    table = lag_table([meeting(codebook, orientations)], "orientation", 1)
    sentences = notable_findings([table])
    assert sentences[0].startswith("Organisation-first talk was followed by more organisation-first talk than chance")
    assert "(z = " in sentences[0]
    lag_two = lag_table([meeting(codebook, orientations)], "orientation", 2)
    assert "followed, 2 contributions later, by" in notable_findings([lag_two])[0]


def test_a_borderline_cell_is_not_claimed_once_the_tests_are_counted(codebook: Codebook) -> None:
    # A table whose strongest cell has 1.96 <= |z| < the Bonferroni threshold for its testable cells.
    letters = "OOPPPOPOPOOOPOPOPOPOPPPPPOPPOPPOPPPOPOOOPPOPOOPOPPOPPOOPOPPP"
    table = lag_table([meeting(codebook, [{"O": ORG, "P": PF}[letter] for letter in letters])], "orientation", 1)
    strongest = max(abs(t.adjusted_residual or 0) for t in table.transitions if t.testable)
    assert 1.96 <= strongest < 2.5, strongest  # 4 testable cells: 2.50 is needed
    assert any(t.notable for t in table.transitions)  # shown in bold in the table
    assert notable_findings([table]) == []  # but not claimed in words


def _store(tmp_path: Path, *sessions: SessionData) -> Path:
    archive = Archive(tmp_path / "data")
    for data in sessions:
        archive.add_session(data)
    return tmp_path / "data"


def _run(data_dir: Path, *args: str):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), "sequences", *args])


def test_cli_json_is_the_documented_record(tmp_path: Path, codebook: Codebook) -> None:
    data_dir = _store(
        tmp_path,
        meeting(codebook, [ORG, ORG, PF, PF, ORG, None, PF, ORG, ORG, PF], "s1", flagged={0}),
        meeting(codebook, [PF, ORG], "s2"),
    )
    result = _run(data_dir, "s1", "s2", "--after", COORDINATOR, "--window", "2", "--permutations", "50", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert {"by", "lag", "sessions", "n", "transitions", "after"} <= record.keys()
    assert (record["by"], record["lag"], record["sessions"], record["n"]) == ("orientation", 1, ["s1", "s2"], 8)
    assert len(record["transitions"]) == 4  # every pair of the two values that occur, zeros included
    assert set(record["transitions"][0]) == {
        "from",
        "to",
        "count",
        "expected",
        "probability",
        "adjusted_residual",
        "yules_q",
    }
    after = record["after"]
    assert (after["flag"], after["window"], after["events"]) == (COORDINATOR, 2, 1)
    assert set(after["indices"]) == {"pfi", "ri"}
    assert {"after", "elsewhere", "difference", "p_value"} <= set(after["indices"]["pfi"])
    assert after["indices"]["pfi"]["after"] == pytest.approx(1 / 2)  # positions 1 and 2: O, P


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["s1", "--by", "mood"], "--by: unknown dimension 'mood'"),
        (["s1", "--after", "hero"], "--after: unknown flag 'hero'"),
        (["s1", "--lag", "0"], "Invalid value for '--lag': 0 is not in the range x>=1."),
        (["s1", "--lag", "4"], "--lag 4 is longer than every session"),
        (["s1", "--after", COORDINATOR, "--window", "0"], "Invalid value for '--window': 0 is not in the range x>=1."),
        (["s1", "--window", "3"], "--window goes with --after"),
        (
            ["s1", "--after", COORDINATOR, "--permutations", "0"],
            "'--permutations': 0 is not in the range 1<=x<=1000000",
        ),
        (["s1", "--after", COORDINATOR, "--seed", "-1"], "Invalid value for '--seed': -1 is not in the range x>=0."),
        (["s1", "s-bales"], "sessions use different codebooks: s1 has partnership 1.0, s-bales has bales-ipa"),
        (["s1", "nothing"], "nothing"),
        (["s1", "-o", "out.csv"], "written as .xlsx"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, codebook: Codebook, arguments: list[str], message: str) -> None:
    bales = meeting(codebook, [ORG], "s-bales")
    bales = bales.model_copy(
        update={"session": bales.session.model_copy(update={"codebook": resolve_codebook("bales-ipa", None)})}
    )
    bales.contributions[0] = bales.contributions[0].model_copy(update={"codes": {}})
    data_dir = _store(tmp_path, meeting(codebook, [ORG, PF, ORG, PF], "s1"), bales)
    result = _run(data_dir, *arguments)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("observer: error:"), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.output


def test_workbook_tables_colour_scale_and_no_formula(tmp_path: Path, codebook: Codebook) -> None:
    data = meeting(codebook, ([ORG] * 10 + [PF] * 10) * 3, "s1", flagged={0, 20, 40}, speakers=["pa", "pc"] * 30)
    # An organisation named like a formula stays text in every cell it reaches.
    data.session.organisations[0] = Organisation(id="council", name='=HYPERLINK("x")')
    data_dir = _store(tmp_path, data)
    out = tmp_path / "seq.xlsx"
    result = _run(
        data_dir, "s1", "--by", "organisation", "--after", COORDINATOR, "--permutations", "99", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["Sequences", "After flag", "Transitions", "Definitions"]
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
    sequences = book["Sequences"]
    texts = [row[0] for row in sequences.iter_rows(values_only=True)]
    assert "Counts (rows: position t; columns: t + lag)" in texts
    residual_title = next(i for i, text in enumerate(texts, start=1) if str(text).startswith("Adjusted residual"))
    rules = {str(ranges.sqref): [rule.type for rule in ranges.rules] for ranges in sequences.conditional_formatting}
    assert rules == {f"B{residual_title + 2}:C{residual_title + 3}": ["colorScale", "cellIs"]}
    assert sequences.cell(residual_title + 1, 2).value == '=HYPERLINK("x")'
    assert sequences.cell(residual_title + 1, 2).data_type == "s"
    after = book["After flag"]
    assert [cell.value for cell in after[4]][:5] == ["Index", "After", "Elsewhere", "Difference", "p"]


def test_session_workbook_and_review_say_what_followed_what(tmp_path: Path, codebook: Codebook) -> None:
    strong = meeting(codebook, ([ORG] * 10 + [PF] * 10) * 3, "s-strong")
    plain = meeting(codebook, [ORG, PF, ORG, PF, NEU, ORG], "s-plain")
    data_dir = _store(tmp_path, strong, plain)
    archive = Archive(data_dir)
    for data, expect in ((strong, True), (plain, False)):
        out = tmp_path / f"{data.session.id}.xlsx"
        sources = [archive.load(data.session.id)]
        export_sessions(sources, out, export_options(archive, sources, pseudonymise=False))
        texts = [row[0] for row in load_workbook(out)["Summary"].iter_rows(values_only=True)]
        assert ("What followed what" in texts) is expect
        if expect:
            heading = texts.index("What followed what")
            assert texts[heading + 1] == "• " + findings([strong])[0] + "."
            assert texts[heading + 1].startswith("• Organisation-first talk was followed by more organisation-first")


def test_show_prints_the_findings(tmp_path: Path, codebook: Codebook) -> None:
    data_dir = _store(tmp_path, meeting(codebook, ([ORG] * 10 + [PF] * 10) * 3, "s-strong"))
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "show", "s-strong"])
    assert result.exit_code == 0, result.output
    assert "What followed what" in result.stdout
    assert "Organisation-first talk was followed by more organisation-first talk than chance" in result.stdout


async def test_review_and_series_screens_say_what_followed_what(tmp_path: Path, codebook: Codebook) -> None:
    from observer.tui.app import ObserverApp
    from observer.tui.review import TrendsScreen

    from .tui_helpers import FakeClock, review_from_home, screen_text, shown

    strong = meeting(codebook, ([ORG] * 10 + [PF] * 10) * 3, "s-strong")
    data_dir = _store(tmp_path, strong)
    expected = findings([strong])[0]
    app = ObserverApp(Archive(data_dir), clock=FakeClock())
    async with app.run_test(size=(160, 50)) as pilot:
        text = await review_from_home(pilot)
        assert "What followed what" in text and expected in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("s")
        await shown(pilot, TrendsScreen)
        assert expected in " ".join(screen_text(pilot).split())


@pytest.mark.parametrize("window", [1, 3, 9, 29, 30, 31, 1000])
def test_long_windows_mark_the_same_positions_as_short_ones(window: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from observer.analysis import sequences

    flagged = np.random.default_rng(window).random((200, 30)) < 0.2
    monkeypatch.setattr(sequences, "_SHIFTED_WINDOWS", 10**9)
    shifted = sequences._after_masks(flagged, window)
    monkeypatch.setattr(sequences, "_SHIFTED_WINDOWS", 0)
    counted = sequences._after_masks(flagged, window)
    assert (shifted == counted).all()
    # Position t is after a flag when one of t - window … t - 1 is flagged and t itself is not.
    for row in range(5):
        for t in range(30):
            expected = not flagged[row, t] and flagged[row, max(0, t - window) : t].any()
            assert counted[row, t] == expected


def test_flags_and_dimensions_are_named_as_people_read_them_and_dropped_pairs_say_why(
    tmp_path: Path, codebook: Codebook
) -> None:
    # 10 contributions, the 6th uncoded on orientation: of the 9 pairs at lag 1, 2 touch it and are left out.
    data_dir = _store(tmp_path, meeting(codebook, [ORG, ORG, PF, PF, ORG, None, PF, ORG, ORG, PF], "s1", {0, 4}))
    by_label = _run(data_dir, "s1", "--by", "Orientation", "--after", "coordinator", "--json")
    assert by_label.exit_code == 0, by_label.output
    record = json.loads(by_label.output)
    assert (record["by"], record["n"], record["possible_pairs"], record["dropped_pairs"]) == ("orientation", 7, 9, 2)
    for spelling in ("Coordinator", "COORDINATOR", " coordinator "):
        result = _run(data_dir, "s1", "--after", spelling, "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["after"]["flag"] == "coordinator"
    words = " ".join(_run(data_dir, "s1").output.split())
    assert "7 pairs (2 pairs of 9 left out: a contribution uncoded on orientation at either end)" in words
    unknown = _run(data_dir, "s1", "--after", "Chairing")
    assert (
        unknown.exit_code == 1
        and "unknown flag 'Chairing'" in unknown.output
        and "Coordinator (coordinator)" in unknown.output
    )


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--window", "abc", "--after", "coordinator"], "Invalid value for '--window': 'abc' is not a valid integer"),
        (["--lag", "0"], "Invalid value for '--lag': 0 is not in the range x>=1."),
    ],
)
def test_mistyped_values_are_one_line_from_the_command_line(tmp_path: Path, arguments: list[str], said: str) -> None:
    result = CliRunner().invoke(
        main, ["--data-dir", str(tmp_path), "sequences", "s1", *arguments], prog_name="observer"
    )
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and said in result.output and "observer sequences --help" in result.output


def test_help_names_the_data_folder_variable() -> None:
    assert "OBSERVER_DATA_DIR" in CliRunner().invoke(main, ["--help"]).output
