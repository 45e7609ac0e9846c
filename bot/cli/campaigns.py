"""`humasbot campaign`: series of calendar posts, loaded from YAML or made here, approved, paused,
resumed or cancelled as one."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.base import by_option, main, pass_context
from bot.cli.calendar import (
    administrator,
    agenda_table,
    approver_named,
    calendar_transaction,
    console,
    echo_approved,
)
from broadcasts.editorial_calendar import (
    agenda,
    approval,
    campaigns,
)
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.timeline import WAITING_NO_DATE
from broadcasts.runtime import Runtime

# --- humasbot campaign ----------------------------------------------------------------------


@main.group("campaign")
def campaign_group() -> None:
    """Campaigns: named series of calendar entries (config/campaigns/*.yaml)."""


@campaign_group.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@by_option(doing="loads it")
@pass_context
def campaign_load(context: Runtime, file: Path, by: str | None) -> None:
    """Load (or reload) a campaign from a YAML FILE; all of it, or nothing."""
    with calendar_transaction(context) as session:
        actor = administrator(session, by, "load campaigns")
        summary = campaigns.load_file(session, file, actor=actor.key, now=context.clock.now())
        name, title = summary.campaign.name, summary.campaign.title
    click.echo(
        f"campaign {name} ({title}): {summary.added} entries added, {summary.updated} updated, "
        f"{summary.removed} removed"
    )
    if summary.waiting:
        click.echo(f"{summary.waiting} entries wait for official stage dates")
    if summary.passed:
        click.echo(f"{summary.passed} entries are already past and will not be sent")


@campaign_group.command("create")
@click.argument("name")
@click.option("--title", required=True)
@click.option("--description")
@by_option(doing="creates it")
@pass_context
def campaign_create(
    context: Runtime, name: str, title: str, description: str | None, by: str | None
) -> None:
    """An empty campaign; add entries with `calendar add --campaign NAME`."""
    with calendar_transaction(context) as session:
        actor = administrator(session, by, "create campaigns")
        created = campaigns.create(
            session,
            name,
            title,
            description=description,
            actor=actor.key,
            now=context.clock.now(),
        )
        click.echo(f"campaign {created.name} created")


def _campaign_action(context: Runtime, name: str, by: str | None, action: str) -> None:
    now = context.clock.now()
    with calendar_transaction(context) as session:
        actor = administrator(session, by, f"{action} campaigns").key
        if action == "pause":
            campaigns.pause(session, name, actor=actor, now=now)
            click.echo(f"campaign {name} paused: nothing goes out until it is resumed")
        elif action == "resume":
            campaigns.resume(session, name, actor=actor, now=now)
            click.echo(f"campaign {name} resumed: sends from now on (missed ones are not sent)")
        else:
            _, stopped = campaigns.cancel(session, name, actor=actor, now=now)
            click.echo(f"campaign {name} cancelled; {stopped} open broadcasts cancelled with it")


@campaign_group.command("approve")
@click.argument("name")
@by_option(required=True, doing="approves it")
@pass_context
def campaign_approve(context: Runtime, name: str, by: str) -> None:
    """Approve every entry of a campaign ahead of time (all or none)."""
    with calendar_transaction(context) as session:
        now = context.clock.now()
        approved = approval.approve_campaign(session, name, approver_named(session, by), now)
        click.echo(f"campaign {name}: {len(approved)} entries approved; they go out at:")
        echo_approved(session, [entry.id for entry in approved], now)


@campaign_group.command("pause")
@click.argument("name")
@by_option(doing="pauses it")
@pass_context
def campaign_pause(context: Runtime, name: str, by: str | None) -> None:
    """Hold every entry of the campaign until it is resumed."""
    _campaign_action(context, name, by, "pause")


@campaign_group.command("resume")
@click.argument("name")
@by_option(doing="resumes it")
@pass_context
def campaign_resume(context: Runtime, name: str, by: str | None) -> None:
    """Send again from now on (what fell due while paused is not sent)."""
    _campaign_action(context, name, by, "resume")


@campaign_group.command("cancel")
@click.argument("name")
@by_option(doing="cancels it")
@pass_context
def campaign_cancel(context: Runtime, name: str, by: str | None) -> None:
    """Stop the campaign for good, with its broadcasts not yet finished."""
    _campaign_action(context, name, by, "cancel")


@campaign_group.command("next")
@click.argument("name")
@click.option("--count", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--days", default=366, show_default=True, type=click.IntRange(1, 3660))
@pass_context
def campaign_next(context: Runtime, name: str, count: int, days: int) -> None:
    """What the campaign will send next, and what waits for a stage's date."""
    with calendar_transaction(context) as session:
        campaign = campaigns.campaign_named(session, name)
        calendar_context = CalendarContext.load(session)
        items = agenda.coming(
            session,
            context.clock.now(),
            days=days,
            campaign_id=campaign.id,
            context=calendar_context,
        )
        timed = [item for item in items if item.when is not None][:count]
        waiting = [item for item in items if item.when is None]
        click.echo(f"campaign {campaign.name} ({campaign.title}): {campaign.state}")
        if not timed and not waiting:
            click.echo("nothing more to send")
            return
        shown = timed + waiting
        console().print(agenda_table(shown, calendar_context, f"campaign {campaign.name}"))
        undated = sum(1 for item in waiting if item.waiting == WAITING_NO_DATE)
        if undated:
            click.echo(f"{undated} sends wait for official stage dates (belum ditetapkan KPU)")
