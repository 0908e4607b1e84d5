"""Calibration: an observer's coding of a meeting against a reference (master) coding of the same meeting.

Contributions are matched as the agreement's contribution-matched method matches them (same speaker, starts
within a tolerance, closest first; one only in either coding counts as a disagreement with "none"). Per
dimension: Cohen's kappa and agreement Po, with the confusion matrix in the codebook's labels; per flag: the
same on its presence; the speaker: time-sliced, as in ``agreement``. The observer passes when every dimension
reaches the codebook's ``[calibration]`` thresholds (kappa undefined — one code used throughout by both —
passes on agreement alone). Each result is appended to the archive's calibration history.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from observer.analysis import agreement as agreement_module
from observer.analysis import timing
from observer.analysis.agreement import (
    DEFAULT_SLICE_S,
    FLAG_PREFIX,
    NONE,
    SPEAKER,
    Agreement,
    agreement_of_counts,
    speaker_of,
)
from observer.core.codebook_models import CalibrationThresholds, Codebook
from observer.core.errors import InputError, StorageError
from observer.core.models import SessionData, fully_coded
from observer.storage import system
from observer.storage.files import describe_os_error, fsync_dir

HISTORY_FILE = "calibrations.jsonl"


@dataclass(frozen=True)
class Difference:
    """A matched turn (or one only in either coding) where the two codings differ on a dimension."""

    start_s: float
    speaker: str
    dimension: str
    reference: str  # the reference's code label ("" when it has none)
    trainee: str
    justification: str  # the reference's note on that contribution


@dataclass
class Score:
    kappa: float | None
    agreement: float | None
    n: int
    passed: bool | None  # None: reported, not judged (the speaker and flags)
    categories: list[str] = field(default_factory=list)  # labels, in the confusion matrix's order
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)  # reference label -> trainee label -> n


@dataclass
class Calibration:
    reference: str  # session ids
    trainee: str
    observer: str
    codebook: str
    thresholds: CalibrationThresholds
    dimensions: dict[str, Score]
    speaker: Score
    flags: dict[str, Score]
    differences: list[Difference]
    matched: int
    only_reference: int
    only_trainee: int
    notes: list[str] = field(default_factory=list)  # what the scores alone do not say, in words
    # Turns of a transcript left out because one coding has not coded them on every dimension yet.
    not_coded_by_trainee: int = 0
    not_coded_by_reference: int = 0

    @property
    def passed(self) -> bool:
        return all(score.passed for score in self.dimensions.values())

    @property
    def left_out(self) -> str:
        """What calibration did not compare, in words ("" when it compared every turn)."""
        if not (self.not_coded_by_trainee or self.not_coded_by_reference):
            return ""
        compared = "only turns coded in both compared" if self.matched else "no turn coded in both: nothing compared"
        return (
            f"{compared}; left out {self.not_coded_by_trainee} turn{'' if self.not_coded_by_trainee == 1 else 's'} "
            f"the trainee has not coded and {self.not_coded_by_reference} the reference has not (on every dimension)"
        )

    def as_json(self) -> dict[str, Any]:
        def score(value: Score) -> dict[str, Any]:
            return {
                "kappa": value.kappa,
                "agreement": value.agreement,
                "n": value.n,
                "passed": value.passed,
                "confusion": value.confusion,
            }

        return {
            "passed": self.passed,
            "reference": self.reference,
            "trainee": self.trainee,
            "observer": self.observer,
            "codebook": self.codebook,
            "thresholds": self.thresholds.model_dump(),
            "dimensions": {key: score(value) for key, value in self.dimensions.items()},
            "speaker": score(self.speaker),
            "flags": {key: score(value) for key, value in self.flags.items()},
            "matched": self.matched,
            "only_reference": self.only_reference,
            "only_trainee": self.only_trainee,
            "left_out": {
                "not_coded_by_trainee": self.not_coded_by_trainee,
                "not_coded_by_reference": self.not_coded_by_reference,
            },
            "notes": self.notes,
            "differences": [asdict(d) for d in self.differences],
        }


def _score(result: Agreement, labels: dict[str, str], thresholds: CalibrationThresholds | None) -> Score:
    passed = None
    if thresholds is not None:
        agreed = result.po is not None and result.po >= thresholds.min_agreement
        enough = result.n >= thresholds.min_turns
        passed = enough and agreed and (result.kappa is None or result.kappa >= thresholds.min_kappa)
    categories = [labels.get(c, c) for c in result.categories]
    confusion = {labels.get(a, a): {labels.get(b, b): n for b, n in row.items()} for a, row in result.confusion.items()}
    return Score(result.kappa, result.po, result.n, passed, categories, confusion)


def _coded(result: Agreement) -> Agreement:
    """Agreement over the turns coded by either coding: two codings that both left a turn uncoded have not
    agreed on anything."""
    counts: Counter[tuple[str, str]] = Counter()
    for a, row in result.confusion.items():
        for b, count in row.items():
            if count and not a == b == NONE:
                counts[a, b] = count
    return agreement_of_counts(counts)


def calibrate(
    reference: SessionData,
    trainee: SessionData,
    tolerance_s: float = 3.0,
    offset_s: float | None = None,
    force: bool = False,
) -> Calibration:
    """The trainee's coding against the reference's; both on the same codebook, in the same version unless
    ``force`` (a version may rename codes: a renamed code would count as a disagreement)."""
    agreement_module.check_seconds(DEFAULT_SLICE_S, tolerance_s, offset_s)
    if reference.session.id == trainee.session.id:
        raise InputError(
            f"REFERENCE and TRAINEE are the same session ({reference.session.id}): a coding agrees with itself; "
            "give another observer's coding of the meeting"
        )
    for data in (reference, trainee):
        if not data.contributions:
            raise InputError(f"session {data.session.id} has no contributions: there is nothing to calibrate")
    agreement_module.check_comparable(reference, trainee, force=force)
    if offset_s is None:
        transcript = reference.session.transcript is not None or trainee.session.transcript is not None
        offset_s = 0.0 if transcript else agreement_module.clock_offset(reference, trainee)
        if abs(offset_s) > agreement_module.MAX_OFFSET_S:  # not an --offset given: said as agreement says it
            raise InputError(
                f"sessions {reference.session.id} and {trainee.session.id} do not overlap in time (offset "
                f"{offset_s:+.0f} s); check that they are the same meeting, or give --offset"
            )
    speaker_compared = None
    not_coded = (0, 0)
    if reference.session.transcript is not None or trainee.session.transcript is not None:
        # A transcript is coded turn by turn, over days: a trainee part of the way through is judged on the turns
        # coded so far, and told how many were left out (the speaker of every turn is known, coded or not).
        speaker_compared, _ = agreement_module.compare_with_pairs(
            reference, trainee, tolerance_s=tolerance_s, offset_s=offset_s, force=True
        )
        reference, trainee, not_coded = _coded_turns_only(reference, trainee, tolerance_s, offset_s)
    compared, pairs = agreement_module.compare_with_pairs(
        reference, trainee, tolerance_s=tolerance_s, offset_s=offset_s, force=force
    )
    codebook = reference.session.codebook
    rows = {row.dimension: row for row in compared.dimensions}
    dimensions: dict[str, Score] = {}
    differences: list[Difference] = []
    for dimension in codebook.dimensions:
        matched = rows[dimension.id].matched
        assert matched is not None  # every dimension but the speaker is matched
        dimensions[dimension.id] = _score(_coded(matched), compared.code_labels[dimension.id], codebook.calibration)
        for x, y in pairs:
            code_x, code_y = x.contribution.codes.get(dimension.id), y.contribution.codes.get(dimension.id)
            if code_x != code_y:
                differences.append(
                    Difference(
                        x.start_s,
                        speaker_of(reference, x),
                        dimension.label,
                        codebook.label_of(dimension.id, code_x),
                        codebook.label_of(dimension.id, code_y),
                        x.contribution.note,
                    )
                )
    flags = {
        flag.id: _score(rows[FLAG_PREFIX + flag.id].matched or rows[FLAG_PREFIX + flag.id].time_sliced, {}, None)
        for flag in codebook.flags
    }
    speaker_row = (
        rows[SPEAKER]
        if speaker_compared is None
        else next(row for row in speaker_compared.dimensions if row.dimension == SPEAKER)
    )
    differences.sort(key=lambda difference: difference.start_s)
    # Unmatched anywhere, not only within the span both codings cover (which is all the scores count).
    unmatched_reference = len(reference.contributions) - compared.matched_pairs
    unmatched_trainee = len(trainee.contributions) - compared.matched_pairs
    notes = _version_notes(codebook, trainee.session.codebook)
    notes += _notes(dimensions, codebook, len(reference.contributions), unmatched_reference, tolerance_s)
    if trainee.contributions and unmatched_trainee / len(trainee.contributions) >= UNMATCHED_SHARE:
        notes.append(
            f"{unmatched_trainee} of your {len(trainee.contributions)} turns have no match in the reference's "
            f"(the same speaker, starting within {tolerance_s:g} s)"
        )
    return Calibration(
        reference.session.id,
        trainee.session.id,
        trainee.session.observer,
        f"{codebook.name} {codebook.version}",
        codebook.calibration,
        dimensions,
        _score(speaker_row.time_sliced, {}, None),
        flags,
        differences,
        compared.matched_pairs,
        compared.unmatched_a,
        compared.unmatched_b,
        notes,
        not_coded[1],
        not_coded[0],
    )


def _coded_turns_only(
    reference: SessionData, trainee: SessionData, tolerance_s: float, offset_s: float
) -> tuple[SessionData, SessionData, tuple[int, int]]:
    """Both codings without the turns either has not coded on every dimension, matched as calibration matches
    them (a turn paired with an uncoded one goes, with it); and how many turns each had not coded."""
    timeline_a, timeline_b = agreement_module.Timeline(reference), agreement_module.Timeline(trainee)
    pairs, only_a, only_b = agreement_module.match_contributions(
        timeline_a, timeline_b, offset_s, tolerance_s, float("-inf"), float("inf")
    )
    # Each coding judged on its own codebook's dimensions (a version compared with --force may rename one).
    dimensions_a = reference.session.codebook.dimension_ids
    dimensions_b = trainee.session.codebook.dimension_ids

    def coded(span: timing.Span) -> bool:
        return fully_coded(span.contribution, dimensions_a)

    def coded_b(span: timing.Span) -> bool:
        return fully_coded(span.contribution, dimensions_b)

    both = [(x, y) for x, y in pairs if coded(x) and coded_b(y)]
    keep_a = {x.contribution.id for x, _ in both} | {x.contribution.id for x in only_a if coded(x)}
    keep_b = {y.contribution.id for _, y in both} | {y.contribution.id for y in only_b if coded_b(y)}
    by_reference = sum(1 for x, _ in pairs if not coded(x)) + sum(1 for x in only_a if not coded(x))
    by_trainee = sum(1 for x, y in pairs if coded(x) and not coded_b(y)) + sum(1 for y in only_b if not coded_b(y))

    def kept(data: SessionData, ids: set[str]) -> SessionData:
        return SessionData.model_construct(
            session=data.session, contributions=[c for c in data.contributions if c.id in ids]
        )

    return kept(reference, keep_a), kept(trainee, keep_b), (by_reference, by_trainee)


# A share of one coding's turns unmatched in the other from which calibration says so: a wrong offset, or
# another meeting, rather than disagreement.
UNMATCHED_SHARE = 0.2


def _version_notes(reference: Codebook, trainee: Codebook) -> list[str]:
    """What two versions of a codebook compared with --force do not share: a turn coded with a dimension, code
    or flag only one of them has cannot agree, however alike the two codings are."""
    if reference.version == trainee.version:
        return []
    versions = f"(the reference's {reference.name} {reference.version}, yours {trainee.version})"

    def only(ids_a: list[str], ids_b: list[str]) -> str:
        return ", ".join(f"'{i}'" for i in ids_a if i not in ids_b)

    notes = []
    kinds = (
        ("dimension", reference.dimension_ids, trainee.dimension_ids),
        ("flag", [f.id for f in reference.flags], [f.id for f in trainee.flags]),
    )
    for kind, ids_a, ids_b in kinds:
        if only(ids_a, ids_b) or only(ids_b, ids_a):
            notes.append(
                f"{kind}s in one version only {versions}: {only(ids_a, ids_b) or 'none'} in the reference's, "
                f"{only(ids_b, ids_a) or 'none'} in yours; not compared as one"
            )
    theirs = {d.id: [c.id for c in d.codes] for d in trainee.dimensions}
    for dimension in reference.dimensions:
        codes_a, codes_b = [c.id for c in dimension.codes], theirs.get(dimension.id)
        if codes_b is not None and (only(codes_a, codes_b) or only(codes_b, codes_a)):
            notes.append(
                f"{dimension.label}: codes in one version only {versions}: {only(codes_a, codes_b) or 'none'} in "
                f"the reference's, {only(codes_b, codes_a) or 'none'} in yours; a turn coded with one of them "
                "counts as a disagreement"
            )
    return notes


def _notes(
    dimensions: dict[str, Score], codebook: Codebook, reference_turns: int, unmatched: int, tolerance_s: float
) -> list[str]:
    """What the scores do not say by themselves: too few turns to judge, high agreement with a low kappa (one
    code dominating both codings), and turns of the reference no turn of the trainee's matched."""
    thresholds = codebook.calibration
    notes = []
    for dimension in codebook.dimensions:
        score = dimensions[dimension.id]
        if score.n < thresholds.min_turns:
            notes.append(
                f"{dimension.label}: too few coded turns to judge ({score.n}; at least {thresholds.min_turns}): "
                "the codebook's [calibration] min_turns"
            )
        elif (
            score.agreement is not None
            and score.agreement >= thresholds.min_agreement
            and score.kappa is not None
            and score.kappa < thresholds.min_kappa
        ):
            totals = {label: sum(row.values()) for label, row in score.confusion.items()}
            dominant = max(totals, key=lambda label: totals[label])
            agreed = round(score.agreement * score.n)
            notes.append(
                f"{dimension.label}: {agreed} of {score.n} turns agree, yet kappa is {score.kappa:.2f}: "
                f"'{dominant}' is most of both codings, so agreeing by chance is likely too, and kappa discounts "
                "it (the kappa paradox); code turns of the other kinds alike to raise it"
            )
    if reference_turns and unmatched / reference_turns >= UNMATCHED_SHARE:
        notes.append(
            f"{unmatched} of the reference's {reference_turns} turns have no match in yours (the same speaker, "
            f"starting within {tolerance_s:g} s): check --offset, and that both code the same meeting"
        )
    return notes


# ---------------------------------------------------------------- history


def record(root: Path, result: Calibration, at: dt.datetime) -> None:
    """Append the result to the archive's history (one JSON line, owner-only, fsynced)."""
    entry = {
        "at": at.isoformat(),
        "observer": result.observer,
        "codebook": result.codebook,
        "reference": result.reference,
        "trainee": result.trainee,
        "passed": result.passed,
        "kappa": {key: score.kappa for key, score in result.dimensions.items()},
        "agreement": {key: score.agreement for key, score in result.dimensions.items()},
    }
    path = root / HISTORY_FILE
    try:
        root.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | system.BINARY, 0o600)
        try:
            os.write(descriptor, (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        fsync_dir(root)
    except OSError as error:
        raise StorageError(describe_os_error(error, path) + "; the calibration was not recorded") from None


def history(root: Path, observer: str | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Recorded results, oldest first (of one observer, compared without case), and a warning per damaged line."""
    path = root / HISTORY_FILE
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return [], []
    except OSError as error:
        raise InputError(describe_os_error(error, path)) from None
    entries, warnings = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict) or not isinstance(entry.get("kappa"), dict):
                raise ValueError("not a calibration record")
        except ValueError:
            warnings.append(f"{path}:{number}: a damaged line, skipped")
            continue
        if observer is None or str(entry.get("observer", "")).casefold() == observer.casefold():
            entries.append(entry)
    return entries, warnings
