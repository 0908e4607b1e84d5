"""The command line: stable command names that scripts and tests rely on."""

from __future__ import annotations

import datetime as dt
import json
import shlex
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from observer import __version__
from observer.cli.analysis import agreement, bundle, calibrate, demo, export, import_, sequences, trends
from observer.cli.archive import backup, restore
from observer.cli.key import key
from observer.cli.pool import pool
from observer.cli.support import (
    A_FILE,
    Context,
    ObserverGroup,
    fail,
    json_option,
    load_sessions,
    pass_context,
    seconds_option,
    warn,
)
from observer.core.codebooks import available_codebooks, codebook_source, load_codebook, resolve_codebook
from observer.core.errors import InputError
from observer.core.text import name_key, plural, terminal_safe
from observer.interop.roster import same_series
from observer.interop.transcript_files import DEFAULT_MERGE_GAP_S, MAX_MERGE_GAP_S
from observer.storage import ListedSession, SessionStore
from observer.storage.paths import DATA_DIR_ENV, default_data_dir

if TYPE_CHECKING:
    from observer.core.models import Session


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


# ---------------------------------------------------------------- codebooks


@main.group(invoke_without_command=True)
@click.pass_context
def codebooks(ctx: click.Context) -> None:
    """List, check or show codebooks (shipped, and *.toml in the data folder's codebooks/)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(codebooks_list)


@codebooks.command("list")
@pass_context
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
def codebooks_show(context: Context, name: str) -> None:
    """A codebook's TOML: the format by example, ready to copy, edit and check."""
    click.echo(terminal_safe(codebook_source(name, context.paths.codebooks), keep_newlines=True), nl=False)


# ---------------------------------------------------------------- sessions


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


# A second observer's coding of a meeting: the same option on every command that makes a session.
coding_of_option = click.option(
    "--coding-of",
    "coding_of",
    default=None,
    metavar="SESSION",
    help="Code a meeting another observer codes too: its title, series, date, roster and agenda unless given, and "
    "trends count the meeting once.",
)


@main.command()
@click.option("--title", default=None, help="The meeting's title (required unless --coding-of).")
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
@coding_of_option
@click.option("--no-open", is_flag=True, help="Create the session without opening the coding screen.")
@pass_context
def new(
    context: Context,
    title: str | None,
    series: str,
    meeting_date: str | None,
    observer_name: str,
    roster: Path | None,
    codebook: str | None,
    agenda: tuple[str, ...],
    coding_of: str | None,
    no_open: bool,
) -> None:
    """Create a session and open it on the coding screen."""
    from observer.interop.roster import build_session, last_session_of_series

    first = context.archive.load(context.archive.resolve(coding_of)) if coding_of is not None else None
    if title is None and first is None:
        raise InputError("--title: the meeting's title is needed (or --coding-of SESSION, to code a meeting again)")
    if first is not None:
        title = title or first.session.title
        series = series or first.session.series
        meeting_date = meeting_date or first.session.meeting_date.isoformat()
        if name_key(observer_name) == name_key(first.session.observer):
            warn(
                f"session {first.session.id} was coded by '{terminal_safe(first.session.observer)}' too: give "
                "your own name with --observer, so that agreement can tell the codings apart"
            )
    assert title is not None
    try:
        date = dt.date.fromisoformat(meeting_date) if meeting_date else dt.date.today()
    except ValueError:
        raise InputError(f"--date: '{meeting_date}' is not a date in the form YYYY-MM-DD") from None
    if first is not None:
        _warn_of_another_meeting(first.session, series, date)
    book = resolve_codebook(codebook, context.paths.codebooks) if codebook or first is None else first.session.codebook
    known, _ = context.archive.headers()  # ids to reuse: names and organisations, not contributions
    series = _series_as_known(series, known)
    previous = first or (last_session_of_series(series, known) if series else None)
    entries, planned = _carried_over(roster, previous, first is not None, agenda, during_meeting=True)
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
    if first is not None:
        session = session.model_copy(update={"meeting_id": first.session.meeting})
    store = context.archive.create_session(session)
    agenda_words = f", {plural(len(planned), 'agenda item')}" if planned else ""
    second = f", a second coding of session {first.session.id}'s meeting" if first is not None else ""
    click.echo(
        f"created session {session.id}: {terminal_safe(title)} ({plural(len(entries), 'attendee')}{agenda_words}, "
        f"codebook {book.name}{second})"
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
@click.option("--series", default=None, help="The partnership or recurring meeting it belongs to.")
@click.option("--date", "meeting_date", default=None, help="Meeting date, YYYY-MM-DD (default: today).")
@click.option("--observer", "observer_name", default=None, help="Your name, as the one coding it.")
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
@seconds_option(
    "--merge-gap",
    low=0,
    high=MAX_MERGE_GAP_S,
    default=None,
    help=f"Seconds between one speaker's cues that still make one turn [default: {DEFAULT_MERGE_GAP_S:g}]",
)
@click.option("--codebook", default=None, help="Codebook name or .toml path (default: partnership).")
@click.option(
    "--agenda",
    "agenda",
    multiple=True,
    help="A planned agenda item (repeat, in order); the first is filed from the first turn on, A on the "
    "transcript screen starts the next. Default: the agenda of the series' last meeting.",
)
@click.option(
    "--replace",
    "replace",
    default=None,
    metavar="SESSION",
    help="Import again over an earlier import of this file (to put names right with --map, say): every unchanged "
    "turn keeps its coding, and the earlier session goes to the trash (u on Home restores it). Refused when "
    "coding would be lost, unless --force. Title, series, date, observer, codebook, agenda and merge gap are "
    "the earlier import's unless given.",
)
@click.option("--force", is_flag=True, help="With --replace: replace even if coding would be lost.")
@coding_of_option
@pass_context
def transcript_import(
    context: Context,
    file: Path,
    title: str | None,
    series: str | None,
    meeting_date: str | None,
    observer_name: str | None,
    roster: Path | None,
    name_map: Path | None,
    merge_gap: float | None,
    codebook: str | None,
    agenda: tuple[str, ...],
    replace: str | None,
    force: bool,
    coding_of: str | None,
) -> None:
    """Make a session of a transcript's turns, to code on the transcript screen (observer resume ID)."""
    from observer.interop.roster import last_session_of_series, read_roster
    from observer.interop.transcript import (
        default_title,
        read_name_map,
        read_transcript,
        replacing,
        roster_before,
        speakers_as_imported,
        transcript_session,
    )

    if force and replace is None:
        raise InputError("--force goes with --replace: it replaces an earlier import even if coding would be lost")
    earlier = _import_to_replace(context, replace, file, force) if replace is not None else None
    before = earlier.session if earlier is not None else None
    first_data = context.archive.load(context.archive.resolve(coding_of)) if coding_of is not None else None
    first = first_data.session if first_data is not None else None
    if first is not None and before is None:
        title = title or first.title
        series = series if series is not None else first.series
        meeting_date = meeting_date or first.meeting_date.isoformat()
    date_text = meeting_date or (before.meeting_date.isoformat() if before else None)
    try:
        date = dt.date.fromisoformat(date_text) if date_text else dt.date.today()
    except ValueError:
        raise InputError(f"--date: '{meeting_date}' is not a date in the form YYYY-MM-DD") from None
    if first is not None:
        _warn_of_another_meeting(first, series if series is not None else first.series, date)
    if not file.exists():
        raise InputError(f"{file}: no such file")
    book = resolve_codebook(codebook, context.paths.codebooks) if codebook or before is None else before.codebook
    read = read_transcript(file)
    lines = read_name_map(name_map) if name_map is not None else []
    known, _ = context.archive.headers()
    series = series if series is not None else before.series if before else ""
    if earlier is not None and before is not None and before.transcript is not None:
        entries = read_roster(roster) if roster is not None else roster_before(earlier)
        remembered = dict(before.transcript.names)
        organisations = dict(before.transcript.organisations)
        planned = list(agenda) or list(before.planned_agenda)
        merge_gap = merge_gap if merge_gap is not None else before.transcript.merge_gap_s
    else:
        series = _series_as_known(series, known)
        series_last = last_session_of_series(series, known) if series else None
        # A second coding is of the meeting the first codes: its roster (late arrivals included) and agenda,
        # not those of the series' last meeting, which may be a later one with other people.
        previous = first_data or series_last
        entries, planned = _carried_over(roster, previous, first_data is not None, agenda, during_meeting=False)
        named = previous if previous and previous.session.transcript else series_last
        remembered = dict(named.session.transcript.names) if named and named.session.transcript else {}
        organisations = dict(named.session.transcript.organisations) if named and named.session.transcript else {}
    imported = transcript_session(
        read,
        file_name=file.name,
        title=title or (before.title if before else default_title(file.name)),
        codebook=book,
        meeting_date=date,
        series=series,
        observer=observer_name if observer_name is not None else before.observer if before else "",
        roster=entries,
        known_sessions=known,
        remembered=remembered,
        remembered_organisations=organisations,
        name_map=lines,
        merge_gap_s=merge_gap if merge_gap is not None else DEFAULT_MERGE_GAP_S,
        agenda=planned,
    )
    data = imported.data
    replacement = replacing(earlier, data, speakers_as_imported(read, earlier)) if earlier is not None else None
    if earlier is not None and replacement is not None:
        if replacement.lost and not force:
            raise InputError(_coding_lost(earlier, replacement.lost))
        data = replacement.data
    if first is not None:
        data = data.model_copy(update={"session": data.session.model_copy(update={"meeting_id": first.meeting})})
    context.archive.add_session(data)
    speakers = {c.participant_id for c in data.contributions}
    click.echo(
        f"created session {data.session.id}: {terminal_safe(data.session.title)} "
        f"({plural(len(data.contributions), 'turn')} from {plural(imported.cues, 'cue')}, "
        f"{plural(len(speakers), 'speaker')}, codebook {book.name}"
        + (f", {plural(len(planned), 'agenda item')} planned" if planned else "")
        + (f", a second coding of session {first.id}'s meeting" if first is not None else "")
        + ")"
    )
    if earlier is not None and replacement is not None:
        _trash_replaced(context, earlier, replacement, data.session.id)
    if imported.added_by_map:
        click.echo(f"added to the roster by the map: {terminal_safe(', '.join(imported.added_by_map))}")
    if imported.unmatched:
        click.echo(
            f"{plural(len(imported.unmatched), 'name')} not on the roster, added under 'Not on the roster'. "
            "To match them, put these lines in a CSV file, edit them, and import again over this session with "
            f"--replace: observer transcript import {terminal_safe(shlex.quote(str(file)))} --map FILE.csv "
            f"--replace {data.session.id}"
        )
        for unmatched in imported.unmatched:
            click.echo(f"  {terminal_safe(unmatched.map_line)}")
    click.echo(f"code it: observer resume {data.session.id}")


def _warn_of_another_meeting(first: Session, series: str, date: dt.date) -> None:
    """A coding linked to ``first``'s meeting but given another date or series: linked all the same (trends
    count the meeting once), which a mistyped --date would otherwise hide."""
    if date != first.meeting_date:
        warn(
            f"--date {date.isoformat()}: session {first.id}'s meeting was on {first.meeting_date.isoformat()}; "
            "this coding is linked to that meeting all the same"
        )
    if not same_series(series, first.series):
        warn(
            f"--series '{series}': session {first.id}'s meeting is of '{first.series}'; this coding is linked to "
            f"that meeting all the same, and counted in the trends of '{series}' too"
        )


def _import_to_replace(context: Context, replace: str, file: Path, force: bool) -> Any:
    """The earlier import ``--replace`` names, once it is plainly one that may be replaced."""
    from observer.core.models import NAME_MAX
    from observer.storage import lock_is_held

    session_id = context.archive.resolve(replace)
    earlier, warnings, damaged = context.archive.load_with_damage(session_id)
    for warning in warnings:
        warn(warning)
    source = earlier.session.transcript
    if source is None:
        raise InputError(f"--replace: session {session_id} was coded live, not imported from a transcript")
    if source.file != file.name[:NAME_MAX] and not force:  # the name as the import stored it
        raise InputError(
            f"--replace: session {session_id} was imported from '{source.file}', not '{file.name}' "
            "(--force replaces it anyway)"
        )
    if lock_is_held(context.archive.paths.lock(session_id)):
        raise InputError(f"--replace: session {session_id} is open for coding: close it first, then import again")
    if damaged and not force:
        raise InputError(
            f"--replace: session {session_id}'s journal is damaged: what was coded after the damage cannot be read, "
            f"so it would not come over. Opening it (observer resume {session_id}) sets the damage aside; --force "
            "replaces it anyway (its files go to the trash whole)"
        )
    return earlier


def _coding_lost(earlier: Any, lost: list[Any]) -> str:
    from observer.core.clock import format_clock

    position = {turn.id: number for number, turn in enumerate(earlier.contributions, start=1)}
    named = [
        f"turn {position[turn.id]} at {format_clock(turn.start_s)} ({earlier.session.speaker_name(turn)})"
        for turn in lost[:3]
    ]
    more = f" and {len(lost) - 3} more" if len(lost) > 3 else ""
    return (
        f"--replace: {plural(len(lost), 'coded turn')} of session {earlier.session.id} would lose "
        f"{'its' if len(lost) == 1 else 'their'} coding, not being in the new import unchanged (joined, split or cut "
        f"differently, or given by hand a speaker it does not have): {', '.join(named)}{more}. Nothing was imported; "
        "--force imports it anyway (that coding stays in the earlier session, which goes to the trash)"
    )


def _trash_replaced(context: Context, earlier: Any, replacement: Any, new_id: str) -> None:
    from observer.core.errors import ObserverError

    old_id = earlier.session.id
    try:
        context.archive.trash_session(old_id)
    except ObserverError as error:
        fail(
            f"imported as session {new_id}, but the session it replaces, {old_id}, could not go to the trash "
            f"({error}): both are in the archive; delete {old_id} on Home once it is closed"
        )
    lost = (
        f"; {plural(len(replacement.lost), 'coded turn')} not kept (their coding stays in the trashed session)"
        if replacement.lost
        else ""
    )
    kept = f"{plural(replacement.kept, 'coded turn')} kept {'its' if replacement.kept == 1 else 'their'} coding"
    click.echo(f"replaced session {old_id}: {kept}{lost}. The earlier session is in the trash: u on Home restores it")


def _carried_over(
    roster: Path | None, previous: Any, same_meeting: bool, agenda: tuple[str, ...], during_meeting: bool
) -> tuple[list[Any], list[str]]:
    """A new session's roster and agenda: those given, else ``previous``'s, saying what was carried and what not.
    A second coding of a meeting (``same_meeting``) takes its roster whole; the next meeting of a series leaves out
    who arrived late to the last (perhaps a one-off guest), and says so."""
    from observer.interop.roster import agenda_of, late_arrivals, read_roster, roster_of

    if roster is not None:
        entries = read_roster(roster)
    elif previous is not None:
        entries = roster_of(previous, late_arrivals=same_meeting)
        guests = [] if same_meeting else late_arrivals(previous)
        if guests:
            adds = "; + adds someone during the meeting" if during_meeting else ""
            click.echo(
                f"not carried over from '{terminal_safe(previous.session.title)}': {terminal_safe(', '.join(guests))}, "
                f"who arrived late (--roster FILE lists everyone expected{adds})"
            )
    else:
        entries = []
    planned = list(agenda) or (agenda_of(previous) if previous else [])
    if planned and not agenda and previous is not None:
        click.echo(f"agenda carried over from '{terminal_safe(previous.session.title)}' (--agenda replaces it)")
    return entries, planned


def _series_as_known(series: str, known: list[Any]) -> str:
    """The series as the archive spells it (one partnership, one series), said when that differs from as typed."""
    from observer.interop.roster import series_as_known

    spelled = series_as_known(series, known)
    if spelled != series.strip():
        click.echo(f"series '{terminal_safe(spelled)}' (as the archive spells it)")
    return spelled


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
    from observer.analysis.sequences import findings
    from observer.interop.export.records import summary_record
    from observer.present.report import summary_renderable
    from observer.privacy.naming import Naming

    (data,) = load_sessions(context, (session,))
    summary = summarise(data)
    if as_json:
        click.echo(json.dumps(summary_record(data, summary, Naming()), indent=1, ensure_ascii=False))
        return
    console = Console(width=max(100, shutil.get_terminal_size().columns))
    console.print(summary_renderable(summary, data, findings([data])))


for _command in (export, trends, calibrate, agreement, sequences, bundle, import_, demo, backup, restore, key, pool):
    main.add_command(_command)


if __name__ == "__main__":
    sys.exit(main())
