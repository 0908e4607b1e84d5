"""The commands that keep the whole archive safe: one verified file of all of it, and back."""

from __future__ import annotations

from pathlib import Path

import click

from observer.cli.support import Context, Progress, pass_context, warn
from observer.core.text import plural, terminal_safe
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
