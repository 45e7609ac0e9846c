"""`humasbot faq`: load election-literacy answers (no code change), list what is loaded."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from bot.cli.base import in_zone, main, pass_context
from broadcasts.db.models import FaqEntryRow
from broadcasts.elections.faq import FaqError, load_faq, parse_entry, read_faq_file
from broadcasts.runtime import Runtime


@main.group("faq")
def faq_group() -> None:
    """The FAQ: short, sourced answers to the questions members ask."""


@faq_group.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@pass_context
def load(context: Runtime, file: Path) -> None:
    """Load FAQ entries from a YAML FILE (see config/faq/ for the form).

    Entries with an id already loaded are replaced; the others are added. A file with any
    problem loads nothing."""
    try:
        entries = read_faq_file(file)
    except FaqError as error:
        raise click.ClickException(f"{error}\nNothing was loaded.") from error
    with context.database.transaction() as session:
        added, replaced = load_faq(session, entries, context.clock.now())
    click.echo(f"loaded {len(added)}, replaced {len(replaced)} FAQ entries from {file.name}")


@faq_group.command("list")
@pass_context
def list_entries(context: Runtime) -> None:
    """The FAQ entries loaded: id, Indonesian title, source, and when each was loaded."""
    with context.database.transaction() as session:
        rows = session.execute(
            select(FaqEntryRow.entry_id, FaqEntryRow.document, FaqEntryRow.loaded_at).order_by(
                FaqEntryRow.entry_id
            )
        ).all()
    if not rows:
        click.echo("no FAQ entries loaded (humasbot run loads the bundled ones)")
        return
    width = max(len(entry_id) for entry_id, _, _ in rows)
    for entry_id, document, loaded_at in rows:
        try:
            entry = parse_entry(document, "stored FAQ entry")
            summary = f"{entry.title.id} | {entry.source}"
        except FaqError as error:
            summary = f"DAMAGED: {error}"
        loaded = in_zone(loaded_at, context.settings.bot_timezone)
        click.echo(f"{entry_id:<{width}}  {summary} | loaded {loaded}")
