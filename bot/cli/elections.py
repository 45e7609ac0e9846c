"""`humasbot election`: load an official calendar (no code change), list what is loaded."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from bot.cli.base import in_zone, main, pass_context
from broadcasts.db.models import Election as ElectionRow
from broadcasts.elections.calendar import Election, ElectionDataError, parse_election
from broadcasts.elections.stored import is_loaded, load_calendar, read_calendar_file
from broadcasts.runtime import Runtime


@main.group("election")
def election_group() -> None:
    """Election calendars: the dates the bot answers with."""


@election_group.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the calendar loaded with the same code.")
@pass_context
def load(context: Runtime, file: Path, replace: bool) -> None:
    """Load an election calendar from a YAML FILE (see config/elections/ for the form)."""
    try:
        election = read_calendar_file(file)
    except ElectionDataError as error:
        raise click.ClickException(f"{error}\nNothing was loaded.") from error
    with context.database.transaction() as session:
        if is_loaded(session, election.code) and not replace:
            raise click.ClickException(
                f"{election.code} is already loaded; add --replace to replace it with {file.name}"
            )
        replaced = load_calendar(session, election, context.clock.now())
    verb = "replaced" if replaced else "loaded"
    click.echo(f"{verb} {election.code}: {describe(election)}")


@election_group.command("list")
@pass_context
def list_calendars(context: Runtime) -> None:
    """The calendars loaded, with their voting day and when they were loaded."""
    with context.database.transaction() as session:
        rows = session.execute(
            select(ElectionRow.code, ElectionRow.document, ElectionRow.loaded_at).order_by(
                ElectionRow.code
            )
        ).all()
    if not rows:
        click.echo("no election calendars loaded (humasbot run loads the bundled ones)")
        return
    for code, document, loaded_at in rows:
        try:
            summary = describe(parse_election(document, code))
        except ElectionDataError as error:
            summary = f"DAMAGED: {error}"
        loaded = in_zone(loaded_at, context.settings.bot_timezone)
        click.echo(f"{code:<14} {summary}; loaded {loaded}")


def describe(election: Election) -> str:
    """One line for operators (who read English)."""
    voting = election.voting_stage
    if election.voting_day is not None:
        when = f"voting day {election.voting_day.isoformat()}"
    elif voting is not None and voting.start is not None:
        when = f"dates not yet set (provisional voting day {voting.start.isoformat()})"
    elif voting is not None and voting.expected_month is not None:
        when = f"dates not yet set (provisional: {voting.expected_month:%Y-%m})"
    else:
        when = "dates not yet set"
    return f"{election.name.en}, {len(election.stages)} stages, {when}"
