"""`observer transcript import`: a recorded meeting's transcript made into a session to code, or imported again
over an earlier import."""

from __future__ import annotations

import datetime as dt
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from observer.cli.support import (
    A_FILE,
    Context,
    fail,
    pass_context,
    seconds_option,
    warn,
)
from observer.core.codebooks import resolve_codebook
from observer.core.errors import InputError
from observer.core.text import plural, terminal_safe
from observer.interop.transcript_cues import DEFAULT_MERGE_GAP_S, MAX_MERGE_GAP_S

if TYPE_CHECKING:
    pass

from observer.cli.meetings import (
    coding_of_option,
    say_what_was_carried,
    series_spelled_as_known,
    warn_of_another_meeting,
)


@click.group()
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
    from observer.interop.planning import coded_again, plan_session
    from observer.interop.roster import read_roster
    from observer.interop.transcript import default_title, transcript_session
    from observer.interop.transcript_files import read_transcript
    from observer.interop.transcript_reimport import replacing, roster_before, speakers_as_imported
    from observer.interop.transcript_speakers import read_name_map

    if force and replace is None:
        raise InputError("--force goes with --replace: it replaces an earlier import even if coding would be lost")
    earlier = _import_to_replace(context, replace, file, force) if replace is not None else None
    before = earlier.session if earlier is not None else None
    first_data = context.archive.load(context.archive.resolve(coding_of)) if coding_of is not None else None
    first = first_data.session if first_data is not None else None
    if first is not None and before is None:
        again = coded_again(first, title=title, series=series, meeting_date=meeting_date)
        title, series, meeting_date = again.title, again.series, again.meeting_date
    date_text = meeting_date or (before.meeting_date.isoformat() if before else None)
    try:
        date = dt.date.fromisoformat(date_text) if date_text else dt.date.today()
    except ValueError:
        raise InputError(f"--date: '{meeting_date}' is not a date in the form YYYY-MM-DD") from None
    if first is not None:
        warn_of_another_meeting(first, series if series is not None else first.series, date)
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
        series = series_spelled_as_known(series, known)
        given = read_roster(roster) if roster is not None else None
        plan = plan_session(series=series, known=known, roster=given, agenda=list(agenda) or None, coding_of=first_data)
        say_what_was_carried(plan, during_meeting=False)
        entries, planned = plan.roster, plan.agenda
        remembered, organisations = plan.transcript_names
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


def _import_to_replace(context: Context, replace: str, file: Path, force: bool) -> Any:
    """The earlier import ``--replace`` names, once it is plainly one that may be replaced."""
    from observer.core.fields import NAME_MAX
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
