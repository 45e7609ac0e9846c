"""`humasbot blackout`: periods when no calendar post goes out (a whole country's, or a group's)."""

from __future__ import annotations

import click

from bot.cli.base import by_option, main, pass_context
from bot.cli.calendar import (
    administrator,
    calendar_transaction,
    checked_id,
    tags_of,
)
from broadcasts.db.models import Blackout
from broadcasts.editorial_calendar import (
    blackouts,
)
from broadcasts.runtime import Runtime

# --- humasbot blackout ----------------------------------------------------------------------


@main.group("blackout")
def blackout_group() -> None:
    """Blackout windows: hold content with certain tags during a period."""


@blackout_group.command("add")
@click.argument("name")
@click.option("--tags", required=True, help="Comma-separated tags of the content to hold.")
@click.option("--from", "first", metavar="DATE", help="The first day held (YYYY-MM-DD).")
@click.option("--to", "last", metavar="DATE", help="The last day held (inclusive).")
@click.option("--stage", help='An election stage instead of dates, e.g. "masa tenang".')
@click.option("--election", help="The stage's election, e.g. pemilu2029.")
@click.option("--group", "group_code", help="Only this group and those below it (default: all).")
@by_option(doing="adds it")
@pass_context
def blackout_add(
    context: Runtime,
    name: str,
    tags: str,
    first: str | None,
    last: str | None,
    stage: str | None,
    election: str | None,
    group_code: str | None,
    by: str | None,
) -> None:
    """Hold content tagged with any of --tags from --from to --to, or during --stage."""
    with calendar_transaction(context) as session:
        actor = administrator(session, by, "add blackout windows")
        added = blackouts.add_blackout(
            session,
            name,
            tags_of(tags),
            group_code=group_code,
            first=first,
            last=last,
            stage=stage,
            election=election,
            actor=actor.key,
            now=context.clock.now(),
        )
        click.echo(f"blackout #{added.id} {added.name!r} added: {_blackout_period(added)}")


def _blackout_period(blackout: Blackout) -> str:
    if blackout.stage:
        period = f"during {blackout.stage.removeprefix('kind:')} of {blackout.election_code}"
    else:
        period = f"{blackout.starts_on} to {blackout.ends_on}"
    scope = f"group {blackout.group.code} and below" if blackout.group else "all groups"
    return f"holds [{', '.join(blackout.tags)}] {period}, {scope}"


@blackout_group.command("list")
@pass_context
def blackout_list(context: Runtime) -> None:
    """Every blackout window."""
    with calendar_transaction(context) as session:
        found = blackouts.all_blackouts(session)
        if not found:
            click.echo("no blackout windows")
        for item in found:
            click.echo(f"#{item.id} {item.name}: {_blackout_period(item)}")


@blackout_group.command("remove")
@click.argument("blackout_id", type=int)
@by_option(doing="removes it")
@pass_context
def blackout_remove(context: Runtime, blackout_id: int, by: str | None) -> None:
    """Remove a blackout window; what it held goes back to its own time."""
    with calendar_transaction(context) as session:
        actor = administrator(session, by, "remove blackout windows")
        blackouts.remove_blackout(
            session, checked_id(blackout_id, "blackout"), actor=actor.key, now=context.clock.now()
        )
    click.echo(f"blackout #{blackout_id} removed")
