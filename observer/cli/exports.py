"""The commands that write what the archive holds for others: a session's export, a series' trends."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from observer.cli.support import (
    A_FILE,
    Context,
    Progress,
    json_option,
    key_option,
    load_key,
    output_option,
    pass_context,
    warn,
)
from observer.core.errors import InputError
from observer.core.text import plural
from observer.interop.roster import same_series, series_as_known
from observer.privacy.pseudonyms import PseudonymRegistry


@click.command()
@click.argument("sessions_", metavar="[SESSION...]", nargs=-1)
@output_option("File to write: .xlsx, .csv, .json or .boris.", required=True)
@click.option("--series", default=None, help="Every session of this series (with or instead of SESSION...).")
@click.option(
    "--pseudonymise",
    is_flag=True,
    help="People as P01…, organisations O01…, observer R01, series S01; titles, agenda items, roles and notes "
    "replaced or dropped.",
)
@click.option("--keep-notes/--drop-notes", default=None, help="Keep notes in a pseudonymised export.")
@click.option(
    "--keep-titles", is_flag=True, help="Keep session titles, series and agenda item titles in a pseudonymised export."
)
@click.option("--raw-text", is_flag=True, help="CSV: write text as typed, even text a spreadsheet reads as a formula.")
@click.option(
    "--with-text",
    is_flag=True,
    help="Include what was said in transcript turns (a 'text' column); never with --pseudonymise.",
)
@key_option()
@click.option(
    "--key-table",
    "table_file",
    type=A_FILE,
    default=None,
    help="With --pseudonymise (numbered): also write the table of pseudonyms to names to this CSV file.",
)
@pass_context
def export(
    context: Context,
    sessions_: tuple[str, ...],
    output: Path,
    series: str | None,
    pseudonymise: bool,
    keep_notes: bool | None,
    keep_titles: bool,
    raw_text: bool,
    with_text: bool,
    key_file: Path | None,
    table_file: Path | None,
) -> None:
    """Export sessions; the format follows the extension of -o."""
    from observer.interop.export import ArchiveSessions, export_options, export_sessions

    programme_key = load_key(key_file)
    pseudonymise = pseudonymise or programme_key is not None
    if (table_file is not None or keep_titles) and not pseudonymise:
        raise InputError(f"{'--key-table' if table_file is not None else '--keep-titles'} goes with --pseudonymise")
    if table_file is not None and programme_key is not None:
        raise InputError("--key-table lists numbered pseudonyms; with --key, 'observer key map KEY' lists them")
    output = context.paths.check_output(output)
    if table_file is not None:
        table_file = context.paths.check_output(table_file)
    if with_text and pseudonymise:
        warn("--with-text is ignored with --pseudonymise: what was said names people, so the words are left out")
    if not sessions_ and series is None:
        raise InputError("export needs a SESSION (or several) or --series SERIES")
    # Sessions are read one at a time while exporting: an archive's worth need not fit in memory.
    ids = [context.archive.resolve(ref) for ref in sessions_]
    if series is not None:
        ids += [session_id for session_id in _series_sessions(context, series) if session_id not in ids]
    with Progress(len(ids), "exporting") as progress:
        sessions = ArchiveSessions(context.archive, ids, progress.step)
        try:
            headers = sessions.headers()  # kept: the export's own header reads them from here
            options = export_options(
                context.archive,
                headers,
                pseudonymise,
                keep_notes,
                keep_titles,
                raw_text,
                with_text=with_text,
                key=programme_key,
            )
            export_sessions(sessions, output, options)
        finally:  # also when a later session is unreadable: what was stepped around before it is said
            for warning in sessions.warning_lines():
                warn(warning)
    if table_file is not None and isinstance(options.pseudonyms, PseudonymRegistry):
        options.pseudonyms.write_key(table_file, sessions)
        click.echo(f"key to the pseudonyms: {table_file} (keep it apart from the data)")
    click.echo(f"exported {plural(len(sessions), 'session')} to {output}")


def _series_sessions(context: Context, series: str) -> list[str]:
    """The ids of a series' sessions (its name in any case), oldest meeting first; InputError names the series
    there are when it has none."""
    loaded, problems = context.archive.headers()
    for problem in problems:
        warn(problem.message)
    spelled = series_as_known(series, loaded)
    in_series = sorted(
        (data for data in loaded if spelled and same_series(data.session.series, spelled)),
        key=lambda data: (data.session.meeting_date, data.session.created_at),
    )
    if not in_series:
        names = sorted({data.session.series for data in loaded if data.session.series})
        raise InputError(f"no sessions in series '{series}' (series: {', '.join(repr(n) for n in names) or 'none'})")
    return [data.session.id for data in in_series]


@click.command()
@click.option("--series", default=None, help="The series (default: the only one in the archive).")
@output_option("Trend workbook to write (.xlsx).")
@json_option("Print the trend as JSON.")
@click.option("--pseudonymise", is_flag=True, help="Organisations as O01….")
@key_option()
@click.option(
    "--include-unfinished",
    is_flag=True,
    help="Count sessions not yet ended (paused or open) too; by default they are left out, and the page says so.",
)
@pass_context
def trends(
    context: Context,
    series: str | None,
    output: Path | None,
    as_json: bool,
    pseudonymise: bool,
    key_file: Path | None,
    include_unfinished: bool,
) -> None:
    """Trends across the meetings of one series: indices, airtime shares, change and slope."""
    from observer.interop.export import export_options, export_trends, series_trend
    from observer.interop.export.records import trend_record
    from observer.present.report import trend_renderable

    programme_key = load_key(key_file)
    if output is not None:
        output = context.paths.check_output(output)
    from observer.interop.export import ArchiveSessions

    loaded, problems = context.archive.headers()
    for problem in problems:
        warn(problem.message)
    names = sorted({data.session.series for data in loaded})
    if series is None:
        if len(names) != 1:
            raise InputError(f"choose a series with --series: {', '.join(repr(n) for n in names) or 'none yet'}")
        series = names[0]
    from observer.analysis.trends import trend_choice

    series = series_as_known(series, loaded)
    in_series = [data for data in loaded if same_series(data.session.series, series)]
    if not in_series:
        raise InputError(f"no sessions in series '{series}' (series: {', '.join(repr(n) for n in names)})")
    choice = trend_choice([data.session for data in in_series], include_unfinished)
    if choice.none_ended and not include_unfinished:
        warn(f"no session of '{series}' has ended yet: the trends count the unfinished ones")
    if choice.to_code_note:
        warn(choice.to_code_note)
    in_series_ids, left_out = choice.counted, choice.left_out
    counted = set(in_series_ids)
    options = export_options(
        context.archive,
        [d for d in in_series if d.session.id in counted],
        pseudonymise or programme_key is not None,
        keep_notes=False,
        key=programme_key,
    )
    with Progress(len(in_series_ids), "reading the series") as progress:
        reading = ArchiveSessions(context.archive, in_series_ids, progress.step)
        trend = (
            export_trends(reading, series, output, options, left_out)
            if output
            else series_trend(reading, series, options, left_out)
        )
    if as_json:
        click.echo(json.dumps(trend_record(trend), indent=1, ensure_ascii=False))
        return
    from rich.console import Console

    Console(width=max(100, shutil.get_terminal_size().columns)).print(trend_renderable(trend))
    if output:
        click.echo(f"trend workbook: {output}")
