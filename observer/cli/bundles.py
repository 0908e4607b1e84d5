"""The commands that carry sessions between archives: a bundle written, bundles imported."""

from __future__ import annotations

from pathlib import Path

import click

from observer.cli.support import (
    A_FILE,
    Context,
    Progress,
    key_option,
    load_key,
    output_option,
    pass_context,
    warn,
)
from observer.core.text import plural


@click.command()
@click.argument("sessions_", metavar="SESSION...", nargs=-1, required=True)
@output_option("Bundle file to write.", required=True)
@key_option("Programme key: the bundle holds the sessions pseudonymised under it (names, titles and notes left out).")
@pass_context
def bundle(context: Context, sessions_: tuple[str, ...], output: Path, key_file: Path | None) -> None:
    """A portable file of whole sessions for another observer's archive (or, with --key, for a pool)."""
    from observer.interop.bundle import write_bundle
    from observer.interop.export import ArchiveSessions

    programme_key = load_key(key_file)
    output = context.paths.check_output(output)
    ids = list(dict.fromkeys(context.archive.resolve(ref) for ref in sessions_))
    with Progress(len(ids), "bundling") as progress:
        sessions = ArchiveSessions(context.archive, ids, progress.step)  # one session in memory at a time
        if programme_key is None:
            count = write_bundle(sessions, output)
        else:
            from observer.privacy.keyed_sessions import keyed_session
            from observer.privacy.programme_key import KeyedPseudonyms

            pseudonyms = KeyedPseudonyms(programme_key)
            for header in sessions.headers():  # a collision refused before anything is written
                pseudonyms.learn(header.session)
            keyed = (keyed_session(data, pseudonyms) for data in sessions)
            count = write_bundle(keyed, output, programme_key.key_id)
    for warning in sessions.warning_lines():
        warn(warning)
    click.echo(f"bundled {plural(count, 'session')} into {output}")


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=A_FILE)
@pass_context
def import_(context: Context, files: tuple[Path, ...]) -> None:
    """Merge bundles into this archive (everything is checked before anything is written)."""
    from observer.interop.bundle import import_bundles

    report = import_bundles(context.archive, list(files))
    for line in report.lines():
        click.echo(line)
