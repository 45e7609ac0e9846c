"""`humasbot group timezone` and `group quiet-hours`: a group's clock."""

from __future__ import annotations

from datetime import datetime

import click

from bot.cli.base import by_option, fail, pass_context, refusal, zone_text
from bot.cli.calendar import (
    administrator,
    calendar_transaction,
)
from bot.cli.people import group
from broadcasts.editorial_calendar import (
    group_zone,
    quiet_hours,
)
from broadcasts.editorial_calendar.guards import QuietHours
from broadcasts.editorial_calendar.rules import parse_time
from broadcasts.errors import CalendarError, MembershipError
from broadcasts.people.membership import group_by_code
from broadcasts.runtime import Runtime

# --- humasbot group timezone ----------------------------------------------------------------


@group.command("timezone")
@click.argument("group_code", metavar="GROUP")
@click.argument("zone", required=False)
@by_option(doing="moves it")
@pass_context
def group_timezone(context: Runtime, group_code: str, zone: str | None, by: str | None) -> None:
    """Show a group's time zone, or move the group to ZONE (its calendar sends move with it)."""
    now = context.clock.now()
    try:
        with context.database.transaction() as session:
            doing = "move groups to another time zone" if zone is not None else None
            actor = administrator(session, by, doing)
            if zone is None:
                found = group_by_code(session, group_code)
            else:
                found, moved = group_zone.set_timezone(
                    session, group_code, zone, actor=actor.key, now=now
                )
                click.echo(f"{moved} calendar send(s) recomputed")
            click.echo(f"{found.code}: time zone {zone_text(found.timezone, now)}")
    except MembershipError as error:
        raise refusal(error) from error


# --- humasbot group quiet-hours -------------------------------------------------------------


@group.command("quiet-hours")
@click.argument("group_code", metavar="GROUP")
@click.argument("start", required=False, metavar="[START")
@click.argument("end", required=False, metavar="END]")
@click.option("--off", is_flag=True, help="No quiet hours for this group.")
@click.option("--default", "inherit", is_flag=True, help="Back to the group above's (or 21–06).")
@by_option(doing="sets them")
@pass_context
def group_quiet_hours(
    context: Runtime,
    group_code: str,
    start: str | None,
    end: str | None,
    off: bool,
    inherit: bool,
    by: str | None,
) -> None:
    """Show or set when calendar sends never land (local time), e.g. 21:00 06:00."""
    now = context.clock.now()
    if sum((off, inherit, start is not None)) > 1:
        raise fail("give START END, --off or --default (one of them)")
    changing = off or inherit or start is not None
    with calendar_transaction(context) as session:
        actor = administrator(session, by, "set quiet hours" if changing else None).key
        if off:
            found, hours = quiet_hours.set_quiet_hours(
                session, group_code, None, None, actor=actor, now=now
            )
        elif inherit:
            found, hours = quiet_hours.reset_quiet_hours(session, group_code, actor=actor, now=now)
        elif start is not None:
            if end is None:
                raise CalendarError("quiet_hours_pair")
            found, hours = quiet_hours.set_quiet_hours(
                session, group_code, parse_time(start), parse_time(end), actor=actor, now=now
            )
        else:
            found, hours = quiet_hours.quiet_hours_of(session, group_code)
        click.echo(f"{found.code}: {_quiet_text(hours, found.timezone, now)}")


def _quiet_text(hours: QuietHours | None, zone: str, now: datetime) -> str:
    """Times of day on the group's clock, with the zone's name."""
    if hours is None:
        return "no quiet hours"
    return f"quiet hours {hours} {zone_text(zone, now)}"
