"""`humasbot broadcast`: propose, approve, reject, cancel, schedule and follow broadcasts.
`--by` names a dashboard account (audited as `admin:<name>`) or a member's phone; a member may
do here only what they may do in chat, checked the same way."""

from __future__ import annotations

import click

from bot.cli.base import acting, by_option, fail, in_zone, main, pass_context, refusal, when_text
from bot.cli.calendar import calendar_transaction
from broadcasts.db.models import Broadcast, BroadcastState
from broadcasts.delivery import outbox, planning, quota
from broadcasts.editorial import library, scheduling
from broadcasts.editorial import workflow as editorial
from broadcasts.errors import EditorialError, MembershipError
from broadcasts.people import membership
from broadcasts.people.actors import shown_key
from broadcasts.runtime import Runtime


@main.group()
def broadcast() -> None:
    """Broadcasts: propose, approve, cancel, follow."""


@broadcast.command("create")
@click.option("--group", "group_code", required=True, help="The group's code (sub-groups too).")
@click.option("--content", "content_id", type=int, help="An approved library item to send.")
@click.option("--body", help=f"The text to send (at most {editorial.MAX_BODY} characters).")
@by_option(required=True, doing="proposes it (a coordinator of the group, or an account)")
@pass_context
def broadcast_create(
    context: Runtime, group_code: str, content_id: int | None, body: str | None, by: str
) -> None:
    """Propose a broadcast; it waits for approval by someone else."""
    if (content_id is None) == (body is None):
        raise fail("give either --content ID or --body TEXT")
    now = context.clock.now()
    try:
        with context.database.transaction() as session:
            actor = acting(session, by)
            group = membership.group_by_code(session, group_code)
            item = library.get_content(session, content_id) if content_id is not None else None
            fields = (
                library.broadcast_fields(item)
                if item is not None
                else {"body": body or "", "language": context.settings.bot_language}
            )
            created = editorial.propose(
                session,
                group=group,
                author=actor.key,
                author_member=actor.member,
                content=item,
                now=now,
                **fields,
            )
            audience = planning.audience_size(session, group.id)
            left = quota.remaining_today(session, context.settings.whatsapp_daily_limit, now)
            click.echo(f"broadcast #{created.id} to {group.code}: waiting for approval")
            click.echo(f"audience: {audience} members")
            if audience > left:
                click.echo(f"warning: only {left} recipients are left in today's WhatsApp quota")
    except MembershipError as error:
        raise refusal(error) from error
    except EditorialError as error:
        raise refusal(error) from error


@broadcast.command("approve")
@click.argument("broadcast_id", type=int)
@by_option(required=True, doing="approves it (an editor of its group, not its author)")
@pass_context
def broadcast_approve(context: Runtime, broadcast_id: int, by: str) -> None:
    """Approve a broadcast; with no send time set it goes out at once."""
    try:
        with context.database.transaction() as session:
            actor = acting(session, by)
            # As in chat: a member must edit the group it reaches and not be its author.
            approved = editorial.approve(
                session, broadcast_id, editor=actor.member, actor=actor.key, now=context.clock.now()
            )
            planned = sum(outbox.counts(session, approved.id).values())
            if approved.state == BroadcastState.APPROVED.value:
                when = in_zone(approved.scheduled_at, approved.group.timezone)
                click.echo(f"broadcast #{approved.id} approved; sends at {when}")
            else:
                click.echo(f"broadcast #{approved.id} approved; {planned} deliveries planned")
    except EditorialError as error:
        raise refusal(error) from error


@broadcast.command("reject")
@click.argument("broadcast_id", type=int)
@click.option("--reason", required=True, help="Told to the author.")
@by_option(required=True, doing="rejects it (an editor of its group)")
@pass_context
def broadcast_reject(context: Runtime, broadcast_id: int, reason: str, by: str) -> None:
    """Reject a pending broadcast; its author is told why."""
    try:
        with context.database.transaction() as session:
            actor = acting(session, by)
            editorial.reject(
                session,
                broadcast_id,
                editor=actor.member,
                actor=actor.key,
                reason=reason,
                now=context.clock.now(),
            )
            click.echo(f"broadcast #{broadcast_id} rejected")
    except EditorialError as error:
        raise refusal(error) from error


@broadcast.command("cancel")
@click.argument("broadcast_id", type=int)
@by_option(doing="cancels it (a coordinator of its group, or an account)")
@pass_context
def broadcast_cancel(context: Runtime, broadcast_id: int, by: str | None) -> None:
    """Cancel a broadcast: recipients not yet sent to are never sent to."""
    try:
        with context.database.transaction() as session:
            actor = acting(session, by)
            editorial.cancel(
                session, broadcast_id, actor=actor.key, member=actor.member, now=context.clock.now()
            )
            counts = outbox.counts(session, broadcast_id)
            click.echo(f"broadcast #{broadcast_id} cancelled")
            _echo_counts(counts)
    except EditorialError as error:
        raise refusal(error) from error


def _echo_counts(counts: dict[str, int]) -> None:
    for state in ("queued", "sending", "unknown", "sent", "delivered", "read", "failed", "skipped"):
        click.echo(f"  {state:<10} {counts[state]}")


@broadcast.command("status")
@click.argument("broadcast_id", type=int)
@pass_context
def broadcast_status(context: Runtime, broadcast_id: int) -> None:
    """A broadcast's state and delivery counts."""
    try:
        with context.database.transaction() as session:
            found = editorial.followed_broadcast(session, broadcast_id, None)
            click.echo(_line(found))
            if found.scheduled_at is not None:
                click.echo(f"  scheduled at {in_zone(found.scheduled_at, found.group.timezone)}")
            if found.rejected_reason:
                click.echo(f"  rejected: {found.rejected_reason}")
            _echo_counts(outbox.counts(session, found.id))
    except EditorialError as error:
        raise refusal(error) from error


def _line(item: Broadcast) -> str:
    return (
        f"#{item.id:<5} {item.state:<9} {item.group.code:<12} {shown_key(item.author):<24} "
        f"{editorial.preview(item.body, 50)}"
    )


@broadcast.command("list")
@click.option("--state", type=click.Choice([s.value for s in BroadcastState]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@pass_context
def broadcast_list(context: Runtime, state: str | None, limit: int) -> None:
    """Broadcasts, newest first."""
    with context.database.transaction() as session:
        found = editorial.recent_broadcasts(session, state=state, limit=limit)
        if not found:
            click.echo("no broadcasts")
        for item in found:
            click.echo(_line(item))


# --- humasbot broadcast schedule ------------------------------------------------------------


@broadcast.command("schedule")
@click.argument("broadcast_id", type=int)
@click.argument("day", metavar="DATE")
@click.argument("at", metavar="TIME")
@by_option(doing="schedules it (a coordinator of its group, or an account)")
@pass_context
def broadcast_schedule(
    context: Runtime, broadcast_id: int, day: str, at: str, by: str | None
) -> None:
    """Set or move the send time of a broadcast not yet sent: DATE (YYYY-MM-DD) and TIME (HH:MM)
    in its group's local time. Approval is still required."""
    with calendar_transaction(context) as session:
        actor = acting(session, by)
        done = scheduling.schedule(
            session,
            broadcast_id,
            day,
            at,
            actor=actor.key,
            member=actor.member,
            now=context.clock.now(),
        )
        moved = f" (was {when_text(done.previous)})" if done.previous else ""
        click.echo(f"broadcast #{broadcast_id} scheduled for {when_text(done.local)}{moved}")
        if done.pending:
            click.echo("it still waits for an editor's approval; approved later, it goes at once")
