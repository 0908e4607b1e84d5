"""The codebooks command: the codebooks there are, one checked, one shown."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from observer.cli.support import (
    A_FILE,
    Context,
    pass_context,
)
from observer.core.codebooks import available_codebooks, codebook_source, load_codebook
from observer.core.text import plural, terminal_safe

if TYPE_CHECKING:
    pass


@click.group(invoke_without_command=True)
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
