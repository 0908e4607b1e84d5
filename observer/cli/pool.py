"""``observer pool``: several observers' bundles or archives as one data package any tool reads."""

from __future__ import annotations

import os
from pathlib import Path

import click

from observer.cli.support import Context, key_option, load_key, pass_context, warn
from observer.core.errors import InputError
from observer.core.text import plural


@click.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=True, dir_okay=True, path_type=Path),
    required=True,
    help="Folder for the package: new, empty, or an earlier pool (replaced whole).",
)
@key_option("Programme key: everyone pseudonymised as in every keyed export (needed unless --names).")
@click.option("--names", is_flag=True, help="Without a key: keep names as recorded (personal data).")
@click.option("--parquet", is_flag=True, help="Also write each table as Parquet (needs observer[parquet]).")
@pass_context
def pool(
    context: Context, inputs: tuple[Path, ...], output: Path, key_file: Path | None, names: bool, parquet: bool
) -> None:
    """Pool bundles (or archive folders) from several observers into a data package: CSV tables, a codebook,
    datapackage.json and a README."""
    from observer.interop.pool import check_naming, pool_input, write_pool

    writer = None
    if parquet:
        from observer.interop.pool_parquet import check_parquet, write_parquet

        check_parquet()
        writer = write_parquet
    programme_key = load_key(key_file)
    target = Path(os.path.realpath(output.expanduser()))
    root = Path(os.path.realpath(context.data_dir.expanduser()))
    if target == root or root in target.parents:
        raise InputError(f"{output}: that is inside the data folder {context.data_dir}; choose a folder outside it")
    found = [pool_input(path) for path in dict.fromkeys(inputs)]
    check_naming(found, programme_key, names)
    if programme_key is not None and names:
        warn("--names is ignored with --key: the package holds pseudonyms only")

    def progress(line: str) -> None:
        click.echo(line, err=True)

    report = write_pool(found, target, programme_key, progress, warn, writer)
    if report.skipped:
        warn(f"{plural(len(report.skipped), 'session')} met twice, identical, pooled once")
    click.echo(
        f"pooled {plural(report.sessions, 'session')} ({plural(report.contributions, 'contribution')}) into {output}"
    )
