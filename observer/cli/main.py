"""The `observer` group: the data folder, every command by name (each loaded when it runs), and the commands on
one session: listing them, resuming one, showing its summary."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from observer import __version__
from observer.cli.support import (
    Context,
    ObserverGroup,
    fail,
    json_option,
    load_sessions,
    pass_context,
    warn,
)
from observer.core.text import plural
from observer.interop.roster import same_series
from observer.storage import ListedSession, SessionStore
from observer.storage.paths import DATA_DIR_ENV, default_data_dir

if TYPE_CHECKING:
    pass


# The commands whose modules are loaded only when they run: listing the sessions, or opening the app, does not
# wait for the analyses, the exports and the pool to load.
ELSEWHERE = {
    "agreement": "observer.cli.analysis:agreement",
    "backup": "observer.cli.archive:backup",
    "bundle": "observer.cli.bundles:bundle",
    "calibrate": "observer.cli.analysis:calibrate",
    "codebooks": "observer.cli.codebooks:codebooks",
    "demo": "observer.cli.archive:demo",
    "export": "observer.cli.exports:export",
    "import": "observer.cli.bundles:import_",
    "key": "observer.cli.key:key",
    "new": "observer.cli.meetings:new",
    "pool": "observer.cli.pool:pool",
    "restore": "observer.cli.archive:restore",
    "sequences": "observer.cli.analysis:sequences",
    "transcript": "observer.cli.transcripts:transcript",
    "trends": "observer.cli.exports:trends",
}


@click.group(
    cls=ObserverGroup,
    elsewhere=ELSEWHERE,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--data-dir",
    # Whether it is a folder is checked below, naming where the path came from (this option or the variable).
    type=click.Path(path_type=Path),
    default=None,
    envvar=DATA_DIR_ENV,
    show_envvar=True,
    help="Archive folder (default: the platform's user data folder).",
)
@click.version_option(__version__, prog_name="observer")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """Code partnership meetings live, and turn them into summaries, trends and workbooks.

    Run without a command to open the app's home screen.
    """
    ctx.obj = Context((data_dir or default_data_dir()).expanduser())
    if ctx.obj.data_dir.exists() and not ctx.obj.data_dir.is_dir():
        given = ctx.get_parameter_source("data_dir")
        source = (
            f"${DATA_DIR_ENV}"
            if given == click.core.ParameterSource.ENVIRONMENT
            else "--data-dir"
            if data_dir
            else "data folder"
        )
        fail(f"{source} {ctx.obj.data_dir} is a file, not a folder")
    if ctx.invoked_subcommand is None:
        run_app(ctx.obj, "home")


def run_app(context: Context, start: str, store: SessionStore | None = None) -> None:
    """The app, on Home or on the coding screen of ``store`` (a session this process already holds open)."""
    from observer.tui.app import ObserverApp  # the command line works without loading the TUI
    from observer.tui.tuning import tuned_for_live_coding

    context.archive.ensure()
    session_id = store.session_id if store is not None else None
    app = ObserverApp(context.archive, start=start, session_id=session_id, store=store)
    with tuned_for_live_coding():
        app.run()
    if app.return_code:
        raise SystemExit(app.return_code)


def _session_row(summary: ListedSession) -> dict[str, Any]:
    session = summary.session
    return {
        "id": session.id,
        "title": session.title,
        "series": session.series,
        "meeting_date": session.meeting_date.isoformat(),
        "observer": session.observer,
        "meeting": session.meeting,  # the same for every coding of one meeting: its first coding's id
        "codebook": f"{session.codebook.name} {session.codebook.version}",
        "contributions": summary.contributions,
        "observed_minutes": round(summary.observed_s / 60, 1),
        "status": session.status.value,
    }


@main.command()
@click.option("--series", default=None, help="Only sessions of this series.")
@json_option()
@click.option(
    "--reindex",
    is_flag=True,
    help="Also write the listing header of sessions that have none (archives from before headers); the one "
    "listing that writes.",
)
@pass_context
def sessions(context: Context, series: str | None, as_json: bool, reindex: bool) -> None:
    """List the sessions in the archive (from each session's header: no contributions are read)."""
    if reindex:
        written = context.archive.reindex()
        click.echo(f"wrote {plural(written, 'header')} (the listing reads them from now on)", err=True)
    summaries, problems = context.archive.summaries()
    listed = [summary for summary in summaries if series is None or same_series(series, summary.session.series)]
    for problem in problems:
        warn(problem.message)
    if as_json:
        click.echo(json.dumps([_session_row(summary) for summary in listed], indent=2))
        return
    if not listed:
        click.echo("No sessions yet. Start one with: observer new --title 'Board meeting'  (or: observer demo)")
        return
    from observer.present import tables
    from observer.present.report import plain_lines

    for line in plain_lines(tables.session_list(listed), max(100, shutil.get_terminal_size().columns)):
        click.echo(line)


@main.command()
@click.argument("session")
@pass_context
def resume(context: Context, session: str) -> None:
    """Reopen a session on the coding screen, where it stood."""
    # Opened here, before the app starts: a session that cannot be opened is one line and a non-zero exit.
    run_app(context, "coding", context.archive.open_session(context.archive.resolve(session)))


@main.command()
@click.argument("session")
@json_option("Machine-readable output (the same numbers).")
@pass_context
def show(context: Context, session: str, as_json: bool) -> None:
    """Print one session's summary."""
    from rich.console import Console

    from observer.analysis.metrics import summarise
    from observer.analysis.sequence_words import findings
    from observer.interop.export.records import summary_record
    from observer.present.report import summary_renderable
    from observer.privacy.naming import Naming

    (data,) = load_sessions(context, (session,))
    if as_json:
        shown = Naming().redact(data)  # names as recorded; what the export leaves out, left out
        click.echo(json.dumps(summary_record(shown, summarise(shown)), indent=1, ensure_ascii=False))
        return
    summary = summarise(data)
    console = Console(width=max(100, shutil.get_terminal_size().columns))
    console.print(summary_renderable(summary, data, findings([data])))


if __name__ == "__main__":
    sys.exit(main())
