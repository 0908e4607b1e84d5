"""The commands that compare and analyse codings: calibration, agreement between observers, sequences."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from observer.analysis.agreement import (
    DEFAULT_SLICE_S,
    DEFAULT_TOLERANCE_S,
    MAX_OFFSET_S,
    MAX_SLICE_S,
    MAX_TOLERANCE_S,
    MIN_SLICE_S,
)
from observer.analysis.sequences import (
    DEFAULT_LAG,
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    DEFAULT_WINDOW,
    MAX_PERMUTATIONS,
)
from observer.cli.support import (
    Context,
    F,
    json_option,
    key_option,
    load_key,
    load_sessions,
    output_option,
    pass_context,
    seconds_option,
    warn,
)
from observer.core.errors import InputError
from observer.core.text import plural, terminal_safe


def _reference_session(context: Context, reference: str, trainee: Any) -> Any:
    """A session of the archive, or the one session of a bundle file (a training pack) that goes with the
    trainee's: the same transcript file, when the bundle holds several."""
    path = Path(reference)
    if not path.is_file():
        return load_sessions(context, (reference,))[0]
    from observer.interop.bundle import read_bundle

    sessions = read_bundle(path)
    if len(sessions) == 1:
        return sessions[0]
    source = trainee.session.transcript.file if trainee.session.transcript else None
    fitting = [d for d in sessions if d.session.transcript and d.session.transcript.file == source]
    if len(fitting) == 1:
        return fitting[0]
    raise InputError(
        f"{path}: {plural(len(sessions), 'session')} in the bundle and none is plainly the reference for "
        f"{trainee.session.id}; import it (observer import) and give the reference's id"
    )


# Matching two codings of one meeting: calibration and agreement take the same two options.
tolerance_option = seconds_option(
    "--tolerance",
    low=0,
    high=MAX_TOLERANCE_S,
    default=DEFAULT_TOLERANCE_S,
    show_default=True,
    help="Largest start difference of matched contributions",
)


def offset_option(help: str) -> Callable[[F], F]:
    return seconds_option("--offset", low=-MAX_OFFSET_S, high=MAX_OFFSET_S, default=None, help=help)


@click.command()
@click.argument("reference", required=False)
@click.argument("trainee", required=False)
@json_option()
@output_option("Calibration workbook (.xlsx): scores, confusion matrices, every difference.")
@tolerance_option
@offset_option("Seconds to add to the trainee's clock to read the reference's")
@click.option(
    "--force", is_flag=True, help="Compare codings on different versions of the same codebook (codes may be renamed)."
)
@click.option("--history", "show_history", is_flag=True, help="List the calibrations recorded in this archive.")
@click.option("--observer", "observer_name", default=None, help="With --history: one observer's only.")
@pass_context
def calibrate(
    context: Context,
    reference: str | None,
    trainee: str | None,
    as_json: bool,
    output: Path | None,
    tolerance: float,
    offset: float | None,
    force: bool,
    show_history: bool,
    observer_name: str | None,
) -> None:
    """A trainee's coding of a meeting against a reference coding (a session id, or a bundle file): kappa and
    agreement per dimension, the confusion matrices, the differences, and passed or not."""
    from observer.analysis import calibration

    if show_history:
        entries, warnings = calibration.history(context.paths.root, observer_name)
        for warning in warnings:
            warn(warning)
        if as_json:
            click.echo(json.dumps(entries, indent=1, ensure_ascii=False))
            return
        if not entries:
            click.echo(
                "no calibrations recorded yet" + (f" for {terminal_safe(observer_name)}" if observer_name else "")
            )
            return
        for entry in entries:
            kappas = "  ".join(f"{key} κ {_kappa(value)}" for key, value in entry["kappa"].items())
            who = terminal_safe(str(entry.get("observer") or "(not named)"))
            book = terminal_safe(str(entry.get("codebook", "")))
            verdict = "passed" if entry.get("passed") else "not passed"
            click.echo(f"{str(entry.get('at', ''))[:10]}  {who:<20} {book:<16} {verdict:<10}  {kappas}")
        return
    if reference is None or trainee is None:
        raise InputError("calibrate needs REFERENCE and TRAINEE (or --history)")
    if output is not None:
        output = context.paths.check_output(output)
    trainee_data = load_sessions(context, (trainee,))[0]
    reference_data = _reference_session(context, reference, trainee_data)
    result = calibration.calibrate(reference_data, trainee_data, tolerance, offset, force)
    calibration.record(context.paths.root, result, dt.datetime.now(dt.UTC))
    codebook = reference_data.session.codebook
    labels = {d.id: d.label for d in codebook.dimensions} | {f.id: f.label for f in codebook.flags}
    if output is not None:
        from observer.interop.export.calibration_xlsx import write_calibration_workbook

        write_calibration_workbook(result, labels, output)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=1, ensure_ascii=False))
        return
    click.echo(
        f"{'PASSED' if result.passed else 'NOT PASSED'}: {terminal_safe(result.observer or trainee_data.session.id)} "
        f"against the reference {result.reference} (kappa ≥ {result.thresholds.min_kappa:g} and agreement ≥ "
        f"{result.thresholds.min_agreement:.0%} on every dimension)"
    )
    if result.left_out:
        click.echo(f"{result.left_out[0].upper()}{result.left_out[1:]}.")
    from rich.console import Console

    from observer.present import agreement_tables
    from observer.present.report import Fitted

    scores = agreement_tables.calibration_scores(result, labels)
    Console(width=max(100, shutil.get_terminal_size().columns)).print(Fitted(scores))
    click.echo(
        f"{plural(len(result.differences), 'difference')} in {plural(result.matched, 'matched contribution')}"
        f" ({result.only_reference} only in the reference, {result.only_trainee} only in yours)"
        + (f"; every one in {output}" if output else "; -o FILE.xlsx lists them")
    )
    for note in result.notes:
        click.echo(f"• {terminal_safe(note)}")


@click.command()
@click.argument("sessions_", metavar="SESSION_A SESSION_B [SESSION...]", nargs=-1, required=True)
@output_option("Agreement workbook (.xlsx) with a confusion matrix per dimension.")
@json_option()
@seconds_option(
    "--slice",
    "slice_s",
    low=MIN_SLICE_S,
    high=MAX_SLICE_S,
    default=DEFAULT_SLICE_S,
    show_default=True,
    help="Slice width",
)
@tolerance_option
@offset_option("Seconds to add to B's clock to read A's (default: from their start times)")
@click.option("--force", is_flag=True, help="Compare sessions on different versions of the same codebook.")
@click.option("--pseudonymise", is_flag=True, help="People as P01…, organisations as O01…, titles and notes left out.")
@key_option()
@pass_context
def agreement(
    context: Context,
    sessions_: tuple[str, ...],
    output: Path | None,
    as_json: bool,
    slice_s: float,
    tolerance: float,
    offset: float | None,
    force: bool,
    pseudonymise: bool,
    key_file: Path | None,
) -> None:
    """Inter-observer agreement of sessions coding the same meeting: Po, Cohen's kappa, PABAK, Krippendorff's
    alpha."""
    from observer.analysis import agreement as agreement_module
    from observer.interop.export.records import plain

    if len(sessions_) < 2:
        raise InputError("agreement needs two sessions (or more, for a pairwise matrix)")
    programme_key = load_key(key_file)
    if output is not None:
        output = context.paths.check_output(output)
    sessions = load_sessions(context, sessions_)
    if pseudonymise or programme_key is not None:
        from observer.interop.export import pseudonymised_by_name

        sessions = pseudonymised_by_name(context.archive, sessions, programme_key)
    if len(sessions) > 2:
        if output is not None:
            raise InputError("-o writes the workbook for two sessions; with more, use --json or the table")
        matrix = agreement_module.pairwise(sessions, slice_s, tolerance, force, offset)
        for warning in matrix.warnings:
            warn(warning)
        if as_json:
            # Per dimension: each pair's kappa under "A × B", and the one alpha over every observer beside them.
            record = {
                d: {f"{a} × {b}": k for (a, b), k in pairs.items()} | _alpha_record(matrix.alpha.get(d))
                for d, pairs in matrix.kappa.items()
            }
            click.echo(json.dumps(record, indent=1))
            return
        from rich.console import Console

        from observer.present import agreement_tables
        from observer.present.report import Fitted

        console = Console(width=max(100, shutil.get_terminal_size().columns))
        for dimension in matrix.kappa:
            console.print(Fitted(agreement_tables.pairwise_kappa(matrix, dimension)))
        return
    first, second = sessions
    comparison = agreement_module.compare(first, second, slice_s, tolerance, offset, force)
    for warning in comparison.warnings:
        warn(warning)
    if output is not None:
        from observer.interop.export.agreement_xlsx import write_agreement_workbook

        write_agreement_workbook(comparison, output)
    if as_json:
        record = plain(comparison)
        for row in record["dimensions"]:
            for method in ("time_sliced", "matched"):
                if row[method] is not None:
                    row[method]["label"] = agreement_module.landis_koch(row[method]["kappa"])
        click.echo(json.dumps(record, indent=1))
        return
    from rich.console import Console

    from observer.present.report import agreement_renderable

    # The same tables as the app's agreement screen; the warnings went to stderr above.
    console = Console(width=max(100, shutil.get_terminal_size().columns))
    console.print(agreement_renderable(comparison, with_warnings=False))
    if output is not None:
        click.echo(f"agreement workbook: {output}")


def _alpha_record(alpha: Any) -> dict[str, Any]:
    if alpha is None:
        return {}
    interval = list(alpha.interval) if alpha.interval is not None else None
    return {"alpha": alpha.value, "alpha_ci": interval, "alpha_units": alpha.units, "alpha_note": alpha.note}


def _kappa(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


@click.command()
@click.argument("sessions_", metavar="SESSION...", nargs=-1, required=True)
@click.option(
    "--by",
    default=None,
    help="What a position's value is: a dimension, 'organisation' or 'speaker' (default: the first index's dimension).",
)
@click.option("--lag", type=click.IntRange(min=1), default=DEFAULT_LAG, show_default=True, help="Pairs (t, t + lag).")
@click.option("--after", "flag", default=None, help="Compare the indices after contributions carrying this flag.")
@click.option(
    "--window",
    type=click.IntRange(min=1),
    default=None,
    help=f"With --after: contributions after each flagged one [{DEFAULT_WINDOW}].",
)
@click.option(
    "--permutations",
    type=click.IntRange(1, MAX_PERMUTATIONS),
    default=None,
    help=f"With --after: shuffles for the p-value [{DEFAULT_PERMUTATIONS}].",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=None, help=f"With --after: seed of the shuffles [{DEFAULT_SEED}]."
)
@json_option()
@output_option("Sequences workbook to write (.xlsx).")
@click.option("--pseudonymise", is_flag=True, help="People as P01…, organisations as O01… (with --by speaker).")
@key_option()
@pass_context
def sequences(
    context: Context,
    sessions_: tuple[str, ...],
    by: str | None,
    lag: int,
    flag: str | None,
    window: int | None,
    permutations: int | None,
    seed: int | None,
    as_json: bool,
    output: Path | None,
    pseudonymise: bool,
    key_file: Path | None,
) -> None:
    """What follows what (lag-sequential analysis), pooled over the sessions given, never across them."""
    from observer.analysis import sequences as analysis
    from observer.cli.sequence_requests import by_named, check_request, flag_named, sequences_record

    if flag is None:
        for name, value in (("--window", window), ("--permutations", permutations), ("--seed", seed)):
            if value is not None:
                raise InputError(f"{name} goes with --after")
    if output is not None:
        if output.suffix.lower() != ".xlsx":
            raise InputError(f"{output}: the sequences workbook is written as .xlsx")
        output = context.paths.check_output(output)
    programme_key = load_key(key_file)
    loaded = load_sessions(context, sessions_)
    if pseudonymise or programme_key is not None:
        from observer.interop.export import pseudonymised_by_name

        loaded = pseudonymised_by_name(context.archive, loaded, programme_key)
    codebook = loaded[0].session.codebook
    default = codebook.indices[0].dimension if codebook.indices else codebook.dimensions[0].id
    by = by_named(codebook, by) if by else default
    flag = flag_named(codebook, flag) if flag is not None else None
    window = analysis.DEFAULT_WINDOW if window is None else window
    permutations = analysis.DEFAULT_PERMUTATIONS if permutations is None else permutations
    seed = analysis.DEFAULT_SEED if seed is None else seed
    check_request(loaded, by, lag, flag, window, permutations, seed)
    table = analysis.lag_table(loaded, by, lag)
    after = analysis.after_flag(loaded, flag, window, permutations, seed) if flag is not None else None
    if output is not None:
        from observer.interop.export.sequences_xlsx import write_sequences_workbook

        write_sequences_workbook(table, after, codebook, output)
    if as_json:
        click.echo(json.dumps(sequences_record(table, after), indent=1, ensure_ascii=False))
        return
    from rich.console import Console

    from observer.present.report import sequences_renderable

    Console(width=max(100, shutil.get_terminal_size().columns)).print(sequences_renderable(table, after, codebook))
    if output is not None:
        click.echo(f"sequences workbook: {output}")
