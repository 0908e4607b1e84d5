"""``observer key``: the programme key that makes pseudonyms the same across archives, and its map to names."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from observer.cli.support import A_FILE, Context, load_key, pass_context, warn
from observer.core.text import terminal_safe


@click.group()
def key() -> None:
    """The programme key: one pseudonym per person in every archive and output made with it."""


@key.command("new")
@click.argument("file", type=A_FILE)
def key_new(file: Path) -> None:
    """Make a new programme key in FILE (owner-only; never over an existing file)."""
    from observer.privacy.programme_key import new_key_file

    made = new_key_file(file)
    click.echo(f"programme key {made.key_id} written to {file}")
    click.echo("keep it apart from the data: whoever holds it can turn every pseudonym back into a name")


@key.command("map")
@click.argument("file", type=A_FILE)
@pass_context
def key_map(context: Context, file: Path) -> None:
    """Print, as CSV, each name of this archive and its pseudonym under the key in FILE (for the key's holder:
    never part of an export)."""
    from observer.privacy.programme_key import KeyedPseudonyms

    programme_key = load_key(file)
    pseudonyms = KeyedPseudonyms(programme_key)
    headers, problems = context.archive.headers()
    for problem in problems:
        warn(problem.message)
    rows: set[tuple[str, str, str, str]] = set()
    for data in headers:
        session = data.session
        pseudonyms.learn(session)
        organisations = {o.id: o.name for o in session.organisations}
        for organisation in session.organisations:
            rows.add(("organisation", pseudonyms.organisation_of(session, organisation.id), organisation.name, ""))
        for person in session.participants:
            pseudonym = pseudonyms.participant_of(session, person.id)
            rows.add(("participant", pseudonym, person.name, organisations.get(person.organisation_id, "")))
        if session.observer:
            rows.add(("observer", pseudonyms.observer_of(session.observer), session.observer, ""))
        if session.series:
            rows.add(("series", pseudonyms.series_of(session.series), session.series, ""))
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["kind", "pseudonym", "name", "organisation"])
    for row in sorted(rows):
        writer.writerow([terminal_safe(value) for value in row] if sys.stdout.isatty() else row)
