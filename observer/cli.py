"""The command line: stable command names that scripts and tests rely on."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from observer import __version__
from observer.codebooks import available_codebooks, codebook_source, load_codebook, resolve_codebook
from observer.demo import DEMO_CONTRIBUTIONS, DEMO_SEED, DEMO_SESSIONS
from observer.errors import InputError, ObserverError
from observer.paths import DATA_DIR_ENV, DataPaths, default_data_dir
from observer.storage import Archive, SessionStore, SessionSummary
from observer.text import plural, terminal_safe

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> None:
    click.echo(f"observer: error: {terminal_safe(message)}", err=True)
    raise SystemExit(code)


def warn(message: str) -> None:
    """One warning line on stderr; what it quotes (a folder's name, a title) cannot drive the terminal."""
    click.echo(f"observer: warning: {terminal_safe(message)}", err=True)


class Progress:
    """A bar on stderr for long work over sessions: only on a terminal, and only once it has taken a second
    (a quick export prints nothing but its result)."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label = total, label
        self.done = 0
        self.began = time.monotonic()
        self.shown = sys.stderr.isatty()
        self.bar: Any = None

    def step(self) -> None:
        self.done += 1
        if not self.shown:
            return
        if self.bar is None:
            if time.monotonic() - self.began < 1.0:
                return
            self.bar = click.progressbar(length=self.total, label=self.label, file=sys.stderr).__enter__()
            self.bar.update(self.done)
        else:
            self.bar.update(1)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc_info)


def one_line_errors(command: F) -> F:
    """Every failure becomes one line on stderr and a non-zero exit; OBSERVER_DEBUG=1 shows the traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # The reader went away (``| head``): not an error worth a message.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0) from None
        except ObserverError as error:
            fail(str(error))
        except OSError as error:
            fail(f"{error.filename or ''}: {error.strerror or error}".lstrip(": "))
        except Exception as error:  # the promise is: never a traceback
            if os.environ.get("OBSERVER_DEBUG"):
                raise
            fail(f"unexpected {type(error).__name__}: {error} (run with OBSERVER_DEBUG=1 for details)")

    return wrapper  # type: ignore[return-value]


class Context:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.archive = Archive(data_dir)
        self.paths = DataPaths(data_dir)


pass_context = click.make_pass_decorator(Context)

# A file named on the command line (a roster, a map, an output): never a folder.
A_FILE = click.Path(dir_okay=False, path_type=Path)


def output_option(help: str, required: bool = False) -> Callable[[F], F]:
    """``-o FILE``: the file a command writes."""
    return click.option("-o", "--output", type=A_FILE, default=None, required=required, help=help)


def json_option(help: str = "Machine-readable output.") -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help=help)


class ObserverGroup(click.Group):
    """The command line's group: a mistyped option or value is one line on stderr, like every other error."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            # Not standalone: Click would print a usage block of three lines; the exceptions are handled here.
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            fail("interrupted")
        except click.ClickException as error:
            where = (
                f" (see: {error.ctx.command_path} --help)" if isinstance(error, click.UsageError) and error.ctx else ""
            )
            click.echo(f"observer: error: {terminal_safe(error.format_message())}{where}", err=True)
            raise SystemExit(error.exit_code) from None


@click.group(cls=ObserverGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
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


@one_line_errors
def run_app(context: Context, start: str, store: SessionStore | None = None) -> None:
    """The app, on Home or on the coding screen of ``store`` (a session this process already holds open)."""
    from observer.tui.app import ObserverApp  # the command line works without loading the TUI
    from observer.tuning import tuned_for_live_coding

    context.archive.ensure()
    session_id = store.session_id if store is not None else None
    app = ObserverApp(context.archive, start=start, session_id=session_id, store=store)
    with tuned_for_live_coding():
        app.run()
    if app.return_code:
        raise SystemExit(app.return_code)


# ---------------------------------------------------------------- codebooks


@main.group(invoke_without_command=True)
@click.pass_context
def codebooks(ctx: click.Context) -> None:
    """List, check or show codebooks (shipped, and *.toml in the data folder's codebooks/)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(codebooks_list)


@codebooks.command("list")
@pass_context
@one_line_errors
def codebooks_list(context: Context) -> None:
    """The codebooks you can start a session with."""
    entries, problems = available_codebooks(context.paths.codebooks)
    for entry in entries:
        book = entry.codebook
        where = "shipped" if entry.shipped else str(entry.path)
        dimensions = ", ".join(d.id for d in book.dimensions)
        indices = ", ".join(index.short for index in book.indices) or "none"
        click.echo(
            f"{book.name:<14} v{book.version:<6} {book.title}  [{dimensions}; {len(book.flags)} flags; "
            f"indices {indices}] ({where})"
        )
    for problem in problems:
        click.echo(f"unusable: {problem}", err=True)


@codebooks.command("check")
@click.argument("file", type=A_FILE)
@one_line_errors
def codebooks_check(file: Path) -> None:
    """Validate a codebook file; exits non-zero with the reason when it is not usable."""
    book = load_codebook(file)
    codes = sum(len(d.codes) for d in book.dimensions)
    click.echo(
        f"{file}: ok — {book.name} v{book.version}, {plural(len(book.dimensions), 'dimension')}, "
        f"{plural(codes, 'code')}, {plural(len(book.flags), 'flag')}, "
        f"indices: {', '.join(i.short for i in book.indices) or 'none'}"
    )


@codebooks.command("show")
@click.argument("name")
@pass_context
@one_line_errors
def codebooks_show(context: Context, name: str) -> None:
    """A codebook's TOML: the format by example, ready to copy, edit and check."""
    click.echo(terminal_safe(codebook_source(name, context.paths.codebooks), keep_newlines=True), nl=False)


# ---------------------------------------------------------------- sessions


def _session_row(summary: SessionSummary) -> dict[str, Any]:
    session = summary.session
    return {
        "id": session.id,
        "title": session.title,
        "series": session.series,
        "meeting_date": session.meeting_date.isoformat(),
        "observer": session.observer,
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
@one_line_errors
def sessions(context: Context, series: str | None, as_json: bool, reindex: bool) -> None:
    """List the sessions in the archive (from each session's header: no contributions are read)."""
    if reindex:
        written = context.archive.reindex()
        click.echo(f"wrote {plural(written, 'header')} (the listing reads them from now on)", err=True)
    summaries, problems = context.archive.summaries()
    rows = [_session_row(summary) for summary in summaries if series is None or summary.session.series == series]
    for problem in problems:
        warn(problem.message)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No sessions yet. Start one with: observer new --title 'Board meeting'  (or: observer demo)")
        return
    click.echo(f"{'id':<14} {'date':<10}  {'series':<24} {'title':<30} {'contrib':>7} {'min':>6}  status")
    for row in rows:
        series, title = terminal_safe(row["series"])[:24], terminal_safe(row["title"])[:30]
        click.echo(
            f"{row['id']:<14} {row['meeting_date']:<10}  {series:<24} {title:<30} "
            f"{row['contributions']:>7} {row['observed_minutes']:>6}  {row['status']}"
        )


@main.command()
@click.option("--title", required=True, help="The meeting's title.")
@click.option("--series", default="", help="The partnership or recurring meeting it belongs to.")
@click.option("--date", "meeting_date", default=None, help="Meeting date, YYYY-MM-DD (default: today).")
@click.option("--observer", "observer_name", default="", help="Your name, as the observer.")
@click.option(
    "--roster",
    type=A_FILE,
    default=None,
    help="CSV or XLSX with columns name, organisation[, role].",
)
@click.option("--codebook", default=None, help="Codebook name or .toml path (default: partnership).")
@click.option(
    "--agenda",
    "agenda",
    multiple=True,
    help="A planned agenda item (repeat, in order). Default: the agenda of the series' last meeting.",
)
@click.option("--no-open", is_flag=True, help="Create the session without opening the coding screen.")
@pass_context
@one_line_errors
def new(
    context: Context,
    title: str,
    series: str,
    meeting_date: str | None,
    observer_name: str,
    roster: Path | None,
    codebook: str | None,
    agenda: tuple[str, ...],
    no_open: bool,
) -> None:
    """Create a session and open it on the coding screen."""
    from observer.roster import agenda_of, build_session, last_session_of_series, read_roster, roster_of

    try:
        date = dt.date.fromisoformat(meeting_date) if meeting_date else dt.date.today()
    except ValueError:
        raise InputError(f"--date: '{meeting_date}' is not a date in the form YYYY-MM-DD") from None
    book = resolve_codebook(codebook, context.paths.codebooks)
    known, _ = context.archive.headers()  # ids to reuse: names and organisations, not contributions
    previous = last_session_of_series(series, known) if series else None
    entries = read_roster(roster) if roster is not None else roster_of(previous) if previous else []
    planned = list(agenda) or (agenda_of(previous) if previous else [])
    if planned and not agenda and previous is not None:
        click.echo(f"agenda carried over from '{terminal_safe(previous.session.title)}' (--agenda replaces it)")
    session = build_session(
        title=title,
        codebook=book,
        meeting_date=date,
        series=series,
        observer=observer_name,
        roster=entries,
        known_sessions=known,
        agenda=planned,
    )
    store = context.archive.create_session(session)
    agenda_words = f", {plural(len(planned), 'agenda item')}" if planned else ""
    click.echo(
        f"created session {session.id}: {terminal_safe(title)} ({plural(len(entries), 'attendee')}{agenda_words}, "
        f"codebook {book.name})"
    )
    if no_open:
        store.close()
    else:
        run_app(context, "coding", store)


@main.group()
def transcript() -> None:
    """Code a recorded meeting from its transcript (Teams or Zoom WebVTT, Teams .docx)."""


@transcript.command("import")
@click.argument("file", type=A_FILE)
@click.option("--title", default=None, help="The meeting's title (default: the file's name).")
@click.option("--series", default="", help="The partnership or recurring meeting it belongs to.")
@click.option("--date", "meeting_date", default=None, help="Meeting date, YYYY-MM-DD (default: today).")
@click.option("--observer", "observer_name", default="", help="Your name, as the one coding it.")
@click.option(
    "--roster",
    type=A_FILE,
    default=None,
    help="CSV or XLSX with columns name, organisation[, role] (default: the series' last roster).",
)
@click.option(
    "--map",
    "name_map",
    type=A_FILE,
    default=None,
    help="CSV of 'transcript name,attendee name[,organisation]' lines; remembered for the series.",
)
@click.option(
    "--merge-gap",
    type=click.FloatRange(0, 3600),
    default=2.0,
    show_default=True,
    help="Seconds between one speaker's cues that still make one turn.",
)
@click.option("--codebook", default=None, help="Codebook name or .toml path (default: partnership).")
@pass_context
@one_line_errors
def transcript_import(
    context: Context,
    file: Path,
    title: str | None,
    series: str,
    meeting_date: str | None,
    observer_name: str,
    roster: Path | None,
    name_map: Path | None,
    merge_gap: float,
    codebook: str | None,
) -> None:
    """Make a session of a transcript's turns, to code on the transcript screen (observer resume ID)."""
    from observer.roster import last_session_of_series, read_roster, roster_of
    from observer.transcript import read_name_map, read_transcript, transcript_session

    try:
        date = dt.date.fromisoformat(meeting_date) if meeting_date else dt.date.today()
    except ValueError:
        raise InputError(f"--date: '{meeting_date}' is not a date in the form YYYY-MM-DD") from None
    if not file.exists():
        raise InputError(f"{file}: no such file")
    book = resolve_codebook(codebook, context.paths.codebooks)
    read = read_transcript(file)
    lines = read_name_map(name_map) if name_map is not None else []
    known, _ = context.archive.headers()
    previous = last_session_of_series(series, known) if series else None
    entries = read_roster(roster) if roster is not None else roster_of(previous) if previous else []
    remembered = dict(previous.session.transcript.names) if previous and previous.session.transcript else {}
    imported = transcript_session(
        read,
        file_name=file.name,
        title=title or file.stem,
        codebook=book,
        meeting_date=date,
        series=series,
        observer=observer_name,
        roster=entries,
        known_sessions=known,
        remembered=remembered,
        name_map=lines,
        merge_gap_s=merge_gap,
    )
    context.archive.add_session(imported.data)
    data = imported.data
    speakers = {c.participant_id for c in data.contributions}
    click.echo(
        f"created session {data.session.id}: {terminal_safe(data.session.title)} "
        f"({plural(len(data.contributions), 'turn')} from {plural(imported.cues, 'cue')}, "
        f"{plural(len(speakers), 'speaker')}, codebook {book.name})"
    )
    if imported.unmatched:
        click.echo(
            f"{plural(len(imported.unmatched), 'name')} not on the roster, added under 'Not on the roster'. "
            "To match them, put these lines in a CSV file, edit them, and import again with --map FILE:"
        )
        for unmatched in imported.unmatched:
            click.echo(f"  {terminal_safe(unmatched.map_line)}")
    click.echo(f"code it: observer resume {data.session.id}")


@main.command()
@click.argument("session")
@pass_context
@one_line_errors
def resume(context: Context, session: str) -> None:
    """Reopen a session on the coding screen, where it stood."""
    # Opened here, before the app starts: a session that cannot be opened is one line and a non-zero exit.
    run_app(context, "coding", context.archive.open_session(context.archive.resolve(session)))


def _load_sessions(context: Context, session_refs: tuple[str, ...]) -> list[Any]:
    sessions = []
    for reference in session_refs:
        session_id = context.archive.resolve(reference)
        data, warnings = context.archive.load_with_warnings(session_id)
        for warning in warnings:
            warn(warning)
        sessions.append(data)
    return sessions


@main.command()
@click.argument("session")
@json_option("Machine-readable output (the same numbers).")
@pass_context
@one_line_errors
def show(context: Context, session: str, as_json: bool) -> None:
    """Print one session's summary."""
    from rich.console import Console

    from observer.export.records import Naming, summary_record
    from observer.metrics import summarise
    from observer.report import summary_renderable
    from observer.sequences import findings

    (data,) = _load_sessions(context, (session,))
    summary = summarise(data)
    if as_json:
        click.echo(json.dumps(summary_record(data, summary, Naming()), indent=1, ensure_ascii=False))
        return
    console = Console(width=max(100, shutil.get_terminal_size().columns))
    console.print(summary_renderable(summary, data, findings([data])))


@main.command()
@click.argument("sessions_", metavar="SESSION...", nargs=-1, required=True)
@output_option("File to write: .xlsx, .csv, .json or .boris.", required=True)
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
@click.option(
    "--key",
    "key_file",
    type=A_FILE,
    default=None,
    help="With --pseudonymise: also write the key to the pseudonyms to this CSV file.",
)
@pass_context
@one_line_errors
def export(
    context: Context,
    sessions_: tuple[str, ...],
    output: Path,
    pseudonymise: bool,
    keep_notes: bool | None,
    keep_titles: bool,
    raw_text: bool,
    with_text: bool,
    key_file: Path | None,
) -> None:
    """Export sessions; the format follows the extension of -o."""
    from observer.export import ArchiveSessions, export_options, export_sessions

    if (key_file is not None or keep_titles) and not pseudonymise:
        raise InputError(f"{'--key' if key_file is not None else '--keep-titles'} goes with --pseudonymise")
    output = context.paths.check_output(output)
    if key_file is not None:
        key_file = context.paths.check_output(key_file)
    if with_text and pseudonymise:
        warn("--with-text is ignored with --pseudonymise: what was said names people, so the words are left out")
    # Sessions are read one at a time while exporting: an archive's worth need not fit in memory.
    ids = [context.archive.resolve(ref) for ref in sessions_]
    with Progress(len(ids), "exporting") as progress:
        sessions = ArchiveSessions(context.archive, ids, progress.step)
        try:
            headers = sessions.headers()  # kept: the export's own header reads them from here
            options = export_options(
                context.archive, headers, pseudonymise, keep_notes, keep_titles, raw_text, with_text=with_text
            )
            export_sessions(sessions, output, options)
        finally:  # also when a later session is unreadable: what was stepped around before it is said
            for warning in sessions.warning_lines():
                warn(warning)
    if key_file is not None and options.pseudonyms is not None:
        options.pseudonyms.write_key(key_file, sessions)
        click.echo(f"key to the pseudonyms: {key_file} (keep it apart from the data)")
    click.echo(f"exported {plural(len(sessions), 'session')} to {output}")


@main.command()
@click.option("--series", default=None, help="The series (default: the only one in the archive).")
@output_option("Trend workbook to write (.xlsx).")
@json_option("Print the trend as JSON.")
@click.option("--pseudonymise", is_flag=True, help="Organisations as O01….")
@click.option(
    "--include-unfinished",
    is_flag=True,
    help="Count sessions not yet ended (paused or open) too; by default they are left out, and the page says so.",
)
@pass_context
@one_line_errors
def trends(
    context: Context,
    series: str | None,
    output: Path | None,
    as_json: bool,
    pseudonymise: bool,
    include_unfinished: bool,
) -> None:
    """Trends across the meetings of one series: indices, airtime shares, change and slope."""
    from observer.export import export_options, export_trends, series_trend, trend_json
    from observer.report import trend_renderable

    if output is not None:
        output = context.paths.check_output(output)
    from observer.export import ArchiveSessions

    loaded, problems = context.archive.headers()
    for problem in problems:
        warn(problem.message)
    names = sorted({data.session.series for data in loaded})
    if series is None:
        if len(names) != 1:
            raise InputError(f"choose a series with --series: {', '.join(repr(n) for n in names) or 'none yet'}")
        series = names[0]
    from observer.metrics import trend_choice

    in_series = [data for data in loaded if data.session.series == series]
    if not in_series:
        raise InputError(f"no sessions in series '{series}' (series: {', '.join(repr(n) for n in names)})")
    choice = trend_choice([data.session for data in in_series], include_unfinished)
    if choice.none_ended and not include_unfinished:
        warn(f"no session of '{series}' has ended yet: the trends count the unfinished ones")
    in_series_ids, left_out = choice.counted, choice.left_out
    counted = set(in_series_ids)
    options = export_options(
        context.archive, [d for d in in_series if d.session.id in counted], pseudonymise, keep_notes=False
    )
    with Progress(len(in_series_ids), "reading the series") as progress:
        reading = ArchiveSessions(context.archive, in_series_ids, progress.step)
        trend = (
            export_trends(reading, series, output, options, left_out)
            if output
            else series_trend(reading, series, options, left_out)
        )
    if as_json:
        click.echo(json.dumps(trend_json(trend, options), indent=1, ensure_ascii=False))
        return
    from rich.console import Console

    Console(width=max(100, shutil.get_terminal_size().columns)).print(trend_renderable(trend))
    if output:
        click.echo(f"trend workbook: {output}")


def _reference_session(context: Context, reference: str, trainee: Any) -> Any:
    """A session of the archive, or the one session of a bundle file (a training pack) that goes with the
    trainee's: the same transcript file, when the bundle holds several."""
    path = Path(reference)
    if not path.is_file():
        return _load_sessions(context, (reference,))[0]
    from observer.bundle import read_bundle

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


@main.command()
@click.argument("reference", required=False)
@click.argument("trainee", required=False)
@json_option()
@output_option("Calibration workbook (.xlsx): scores, confusion matrices, every difference.")
@click.option(
    "--tolerance",
    type=click.FloatRange(0, 600),
    default=3.0,
    show_default=True,
    help="Largest start difference of matched contributions, seconds.",
)
@click.option(
    "--offset", type=float, default=None, help="Seconds to add to the trainee's clock to read the reference's."
)
@click.option("--history", "show_history", is_flag=True, help="List the calibrations recorded in this archive.")
@click.option("--observer", "observer_name", default=None, help="With --history: one observer's only.")
@pass_context
@one_line_errors
def calibrate(
    context: Context,
    reference: str | None,
    trainee: str | None,
    as_json: bool,
    output: Path | None,
    tolerance: float,
    offset: float | None,
    show_history: bool,
    observer_name: str | None,
) -> None:
    """A trainee's coding of a meeting against a reference coding (a session id, or a bundle file): kappa and
    agreement per dimension, the confusion matrices, the differences, and passed or not."""
    from observer import calibration

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
    trainee_data = _load_sessions(context, (trainee,))[0]
    reference_data = _reference_session(context, reference, trainee_data)
    result = calibration.calibrate(reference_data, trainee_data, tolerance, offset)
    calibration.record(context.paths.root, result, dt.datetime.now(dt.UTC))
    codebook = reference_data.session.codebook
    labels = {d.id: d.label for d in codebook.dimensions} | {f.id: f.label for f in codebook.flags}
    if output is not None:
        from observer.export.calibration_xlsx import write_calibration_workbook

        write_calibration_workbook(result, labels, output)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=1, ensure_ascii=False))
        return
    click.echo(
        f"{'PASSED' if result.passed else 'NOT PASSED'}: {terminal_safe(result.observer or trainee_data.session.id)} "
        f"against the reference {result.reference} (kappa ≥ {result.thresholds.min_kappa:g} and agreement ≥ "
        f"{result.thresholds.min_agreement:.0%} on every dimension)"
    )
    rows = [(labels[key], score, True) for key, score in result.dimensions.items()]
    rows += [("speaker (time-sliced)", result.speaker, False)]
    rows += [(f"flag {labels[key]}", score, False) for key, score in result.flags.items()]
    width = max(len(name) for name, _, _ in rows)
    for name, score, judged in rows:
        agreed = "—" if score.agreement is None else f"{score.agreement:.0%}"
        verdict = ("passed" if score.passed else "not passed") if judged else ""
        click.echo(
            f"  {terminal_safe(name):<{width}}  κ {_kappa(score.kappa):>5}  agreement {agreed:>4}  {verdict}".rstrip()
        )
    click.echo(
        f"{plural(len(result.differences), 'difference')} in {plural(result.matched, 'matched contribution')}"
        f" ({result.only_reference} only in the reference, {result.only_trainee} only in yours)"
        + (f"; every one in {output}" if output else "; -o FILE.xlsx lists them")
    )


@main.command()
@click.argument("sessions_", metavar="SESSION_A SESSION_B [SESSION...]", nargs=-1, required=True)
@output_option("Agreement workbook (.xlsx) with a confusion matrix per dimension.")
@json_option()
@click.option("--slice", "slice_s", type=float, default=1.0, show_default=True, help="Slice width, seconds.")
@click.option(
    "--tolerance",
    type=float,
    default=3.0,
    show_default=True,
    help="Largest start difference of matched contributions, seconds.",
)
@click.option(
    "--offset",
    type=float,
    default=None,
    help="Seconds to add to B's clock to read A's (default: from their start times).",
)
@click.option("--force", is_flag=True, help="Compare sessions on different versions of the same codebook.")
@click.option("--pseudonymise", is_flag=True, help="People as P01…, organisations as O01…, titles and notes left out.")
@pass_context
@one_line_errors
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
) -> None:
    """Inter-observer agreement of sessions coding the same meeting: Po, Cohen's kappa, PABAK."""
    from observer import agreement as agreement_module
    from observer.export.records import plain

    if len(sessions_) < 2:
        raise InputError("agreement needs two sessions (or more, for a pairwise matrix)")
    if output is not None:
        output = context.paths.check_output(output)
    sessions = _load_sessions(context, sessions_)
    if pseudonymise:
        from observer.export import pseudonymised_by_name

        sessions = pseudonymised_by_name(context.archive, sessions)
    if len(sessions) > 2:
        if output is not None:
            raise InputError("-o writes the workbook for two sessions; with more, use --json or the table")
        matrix = agreement_module.pairwise(sessions, slice_s, tolerance, force)
        for warning in matrix.warnings:
            warn(warning)
        if as_json:
            click.echo(
                json.dumps(
                    {d: {f"{a} × {b}": k for (a, b), k in pairs.items()} for d, pairs in matrix.kappa.items()}, indent=1
                )
            )
            return
        for dimension, pairs in matrix.kappa.items():
            click.echo(f"\n{dimension}: time-sliced kappa")
            click.echo(" " * 16 + "".join(f"{sid[:14]:>16}" for sid in matrix.sessions[1:]))
            for first in matrix.sessions[:-1]:
                cells = [pairs.get((first, second)) for second in matrix.sessions[1:]]
                click.echo(
                    f"{first[:14]:<16}"
                    + "".join(
                        f"{'' if value is None and (first, second) not in pairs else _kappa(value):>16}"
                        for value, second in zip(cells, matrix.sessions[1:], strict=True)
                    )
                )
        return
    first, second = sessions
    comparison = agreement_module.compare(first, second, slice_s, tolerance, offset, force)
    for warning in comparison.warnings:
        warn(warning)
    if output is not None:
        from observer.export.agreement_xlsx import write_agreement_workbook

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

    from observer.report import agreement_renderable

    # The same tables as the app's agreement screen; the warnings went to stderr above.
    console = Console(width=max(100, shutil.get_terminal_size().columns))
    console.print(agreement_renderable(comparison, with_warnings=False))
    if output is not None:
        click.echo(f"agreement workbook: {output}")


@main.command()
@click.argument("sessions_", metavar="SESSION...", nargs=-1, required=True)
@click.option(
    "--by",
    default=None,
    help="What a position's value is: a dimension, 'organisation' or 'speaker' (default: the first index's dimension).",
)
@click.option("--lag", type=click.IntRange(min=1), default=1, show_default=True, help="Pairs (t, t + lag).")
@click.option("--after", "flag", default=None, help="Compare the indices after contributions carrying this flag.")
@click.option(
    "--window", type=click.IntRange(min=1), default=None, help="With --after: contributions after each flagged one [5]."
)
@click.option(
    "--permutations",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="With --after: shuffles for the p-value [2000].",
)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="With --after: seed of the shuffles [1].")
@json_option()
@output_option("Sequences workbook to write (.xlsx).")
@click.option("--pseudonymise", is_flag=True, help="People as P01…, organisations as O01… (with --by speaker).")
@pass_context
@one_line_errors
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
) -> None:
    """What follows what (lag-sequential analysis), pooled over the sessions given, never across them."""
    from observer import sequences as analysis

    if flag is None:
        for name, value in (("--window", window), ("--permutations", permutations), ("--seed", seed)):
            if value is not None:
                raise InputError(f"{name} goes with --after")
    if output is not None:
        if output.suffix.lower() != ".xlsx":
            raise InputError(f"{output}: the sequences workbook is written as .xlsx")
        output = context.paths.check_output(output)
    loaded = _load_sessions(context, sessions_)
    if pseudonymise:
        from observer.export import pseudonymised_by_name

        loaded = pseudonymised_by_name(context.archive, loaded)
    codebook = loaded[0].session.codebook
    default = codebook.indices[0].dimension if codebook.indices else codebook.dimensions[0].id
    by = analysis.by_named(codebook, by) if by else default
    flag = analysis.flag_named(codebook, flag) if flag is not None else None
    window = analysis.DEFAULT_WINDOW if window is None else window
    permutations = analysis.DEFAULT_PERMUTATIONS if permutations is None else permutations
    seed = analysis.DEFAULT_SEED if seed is None else seed
    analysis.check_request(loaded, by, lag, flag, window, permutations, seed)
    table = analysis.lag_table(loaded, by, lag)
    after = analysis.after_flag(loaded, flag, window, permutations, seed) if flag is not None else None
    if output is not None:
        from observer.export.sequences_xlsx import write_sequences_workbook

        write_sequences_workbook(table, after, codebook, output)
    if as_json:
        click.echo(json.dumps(analysis.sequences_record(table, after), indent=1, ensure_ascii=False))
        return
    from rich.console import Console

    from observer.report import sequences_renderable

    Console(width=max(100, shutil.get_terminal_size().columns)).print(sequences_renderable(table, after, codebook))
    if output is not None:
        click.echo(f"sequences workbook: {output}")


@main.command()
@click.argument("sessions_", metavar="SESSION...", nargs=-1, required=True)
@output_option("Bundle file to write.", required=True)
@pass_context
@one_line_errors
def bundle(context: Context, sessions_: tuple[str, ...], output: Path) -> None:
    """A portable file of whole sessions for another observer's archive."""
    from observer.bundle import write_bundle
    from observer.export import ArchiveSessions

    output = context.paths.check_output(output)
    ids = list(dict.fromkeys(context.archive.resolve(ref) for ref in sessions_))
    with Progress(len(ids), "bundling") as progress:
        sessions = ArchiveSessions(context.archive, ids, progress.step)  # one session in memory at a time
        count = write_bundle(sessions, output)
    for warning in sessions.warning_lines():
        warn(warning)
    click.echo(f"bundled {plural(count, 'session')} into {output}")


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=A_FILE)
@pass_context
@one_line_errors
def import_(context: Context, files: tuple[Path, ...]) -> None:
    """Merge bundles into this archive (everything is checked before anything is written)."""
    from observer.bundle import import_bundles

    report = import_bundles(context.archive, list(files))
    for line in report.lines():
        click.echo(line)


def _kappa(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


@main.command()
@click.option("--sessions", "session_count", type=click.IntRange(1, 10_000), default=DEMO_SESSIONS, show_default=True)
@click.option("--contributions", type=click.IntRange(0, 1_000_000), default=DEMO_CONTRIBUTIONS, show_default=True)
@click.option("--seed", type=int, default=DEMO_SEED, show_default=True)
@click.option(
    "--second-observer",
    is_flag=True,
    help="Also a second, independently perturbed coding of each meeting, to try agreement and calibrate.",
)
@pass_context
@one_line_errors
def demo(context: Context, session_count: int, contributions: int, seed: int, second_observer: bool) -> None:
    """Fill the archive with realistic simulated meetings of a few series."""
    from observer.demo import generate_demo

    ids = generate_demo(
        context.archive, sessions=session_count, contributions=contributions, seed=seed, second=second_observer
    )
    if second_observer:
        pairs = len(ids) // 2
        click.echo(
            f"added {pairs} demo sessions and a second observer's coding of each to {context.paths.root}; "
            f"try: observer agreement {ids[0]} {ids[1]}"
        )
        return
    click.echo(f"added {len(ids)} demo sessions to {context.paths.root}; try: observer sessions")


if __name__ == "__main__":
    sys.exit(main())
