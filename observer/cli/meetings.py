"""`observer new`: a session planned from its series (the last meeting's roster and agenda), or as a second
coding of a meeting, and opened on the coding screen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from observer.cli.support import (
    A_FILE,
    Context,
    pass_context,
    warn,
)
from observer.core.codebooks import resolve_codebook
from observer.core.errors import InputError
from observer.core.text import name_key, plural, terminal_safe
from observer.interop.roster import same_series

if TYPE_CHECKING:
    from observer.core.models import Session
    from observer.interop.planning import SessionPlan

from observer.cli.main import run_app

# A second observer's coding of a meeting: the same option on every command that makes a session.
coding_of_option = click.option(
    "--coding-of",
    "coding_of",
    default=None,
    metavar="SESSION",
    help="Code a meeting another observer codes too: its title, series, date, roster and agenda unless given, and "
    "trends count the meeting once.",
)


@click.command()
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
    from observer.interop.planning import coded_again, plan_session
    from observer.interop.roster import build_session, read_roster

    first = context.archive.load(context.archive.resolve(coding_of)) if coding_of is not None else None
    if title is None and first is None:
        raise InputError("--title: the meeting's title is needed (or --coding-of SESSION, to code a meeting again)")
    if first is not None:
        again = coded_again(first.session, title=title, series=series or None, meeting_date=meeting_date)
        title, series, meeting_date = again.title, again.series, again.meeting_date
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
        warn_of_another_meeting(first.session, series, date)
    book = resolve_codebook(codebook, context.paths.codebooks) if codebook or first is None else first.session.codebook
    known, _ = context.archive.headers()  # ids to reuse: names and organisations, not contributions
    series = series_spelled_as_known(series, known)
    given = read_roster(roster) if roster is not None else None
    plan = plan_session(series=series, known=known, roster=given, agenda=list(agenda) or None, coding_of=first)
    say_what_was_carried(plan, during_meeting=True)
    entries, planned = plan.roster, plan.agenda
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


def warn_of_another_meeting(first: Session, series: str, date: dt.date) -> None:
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


def say_what_was_carried(plan: SessionPlan, during_meeting: bool) -> None:
    """What a new session took over from the meeting before, and who it left out (perhaps a one-off guest)."""
    previous = plan.carried_from
    if previous is None:
        return
    if plan.left_off:
        adds = "; + adds someone during the meeting" if during_meeting else ""
        click.echo(
            f"not carried over from '{terminal_safe(previous.session.title)}': "
            f"{terminal_safe(', '.join(plan.left_off))}, who arrived late (--roster FILE lists everyone expected{adds})"
        )
    if plan.agenda_carried:
        click.echo(f"agenda carried over from '{terminal_safe(previous.session.title)}' (--agenda replaces it)")


def series_spelled_as_known(series: str, known: list[Any]) -> str:
    """The series as the archive spells it (one partnership, one series), said when that differs from as typed."""
    from observer.interop.roster import series_as_known

    spelled = series_as_known(series, known)
    if spelled != series.strip():
        click.echo(f"series '{terminal_safe(spelled)}' (as the archive spells it)")
    return spelled
