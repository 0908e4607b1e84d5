"""The commands for the archive as a whole: a demo archive to try the app on, one verified file of all of it
(a backup), and back."""

from __future__ import annotations

from pathlib import Path

import click

from observer.cli.support import (
    Context,
    Progress,
    pass_context,
    warn,
)
from observer.core.text import plural, terminal_safe
from observer.interop.demo import DEMO_CONTRIBUTIONS, DEMO_SEED, DEMO_SESSIONS
from observer.storage.paths import shown


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@pass_context
def backup(context: Context, file: Path) -> None:
    """Write the whole archive (sessions, trash, pseudonym key, calibrations, codebooks) to FILE, checked."""
    from observer.interop.backup import write_backup

    target = context.paths.check_output(file)
    sessions = context.archive.session_ids()
    with Progress(len(sessions), "backing up") as progress:
        report = write_backup(context.data_dir, target, progress.step)
    for session_id in report.live:
        warn(f"session {session_id} is open for writing in another window: it is backed up as it stood just now")
    trash = f" and {report.trashed} deleted in the trash" if report.trashed else ""
    click.echo(
        f"backed up {plural(report.sessions, 'session')}{trash} ({plural(report.files, 'file')}, "
        f"{report.bytes / 1e6:.1f} MB) from {shown(context.data_dir)} to {target}; checked against its manifest"
    )


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@pass_context
def restore(context: Context, file: Path) -> None:
    """Bring back a backup FILE into an empty data folder (checked whole before anything is written)."""
    from observer.interop.backup import restore_backup

    contents = restore_backup(file, context.data_dir)
    trash = f" and {contents.trashed} deleted in the trash" if contents.trashed else ""
    click.echo(
        f"restored {plural(contents.sessions, 'session')}{trash} ({plural(len(contents.files), 'file')}, made "
        f"{terminal_safe(contents.made_at)} by {terminal_safe(contents.made_by)}) into {shown(context.data_dir)}"
    )


@click.command()
@click.option("--sessions", "session_count", type=click.IntRange(1, 10_000), default=DEMO_SESSIONS, show_default=True)
@click.option("--contributions", type=click.IntRange(0, 1_000_000), default=DEMO_CONTRIBUTIONS, show_default=True)
@click.option("--seed", type=int, default=DEMO_SEED, show_default=True)
@click.option(
    "--second-observer",
    is_flag=True,
    help="A second, independently perturbed coding of each demo meeting already in the archive (or of new ones), "
    "to try agreement and calibrate; trends count each meeting once.",
)
@pass_context
def demo(context: Context, session_count: int, contributions: int, seed: int, second_observer: bool) -> None:
    """Fill the archive with realistic simulated meetings of a few series."""
    from observer.interop.demo import add_second_codings, generate_demo

    if second_observer:
        meetings, pairs = add_second_codings(context.archive, seed)
        if pairs:
            first, other = pairs[0]
            click.echo(
                f"added a second coding of each of the {plural(len(pairs), 'demo meeting')} already in "
                f"{context.paths.root}, by a second observer; try: observer agreement {first} {other}"
            )
            return
        if meetings:
            click.echo(f"each of the {plural(meetings, 'demo meeting')} in {context.paths.root} has a second coding")
            return
    ids = generate_demo(
        context.archive, sessions=session_count, contributions=contributions, seed=seed, second=second_observer
    )
    if second_observer:
        click.echo(
            f"added {plural(len(ids) // 2, 'demo meeting')} and a second coding of each, by a second observer, to "
            f"{context.paths.root}; try: observer agreement {ids[0]} {ids[1]}"
        )
        return
    click.echo(f"added {len(ids)} demo sessions to {context.paths.root}; try: observer sessions")
