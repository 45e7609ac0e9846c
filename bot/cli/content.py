"""The content library and broadcasts on the command line: the admin's side of the editorial
workflow. `--by` names a dashboard account (audited as `admin:<name>`) or a member's phone
(`member:+62…`); a member may do here only what they may do in chat, checked the same way."""

from __future__ import annotations

import click

from bot.cli.base import acting, by_option, in_zone, main, pass_context
from bot.cli.people import fail, membership_message
from broadcasts.db.models import Broadcast, BroadcastState, Content, ContentKind
from broadcasts.db.schema import upgrade
from broadcasts.delivery import outbox, planning, quota
from broadcasts.editorial import library
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial.workflow import EditorialError
from broadcasts.people import actors, membership
from broadcasts.people.actors import shown_key
from broadcasts.people.membership import MembershipError
from broadcasts.phrasebook import render
from broadcasts.runtime import Runtime
from config.settings import SUPPORTED_LANGUAGES


def editorial_message(error: EditorialError) -> str:
    """The CLI speaks English to operators, in the words the bot uses in chat."""
    return render("editorial_error", "en", key=error.key, **error.data).replace("*", "")


def _state(content: Content) -> str:
    if content.approved_at is None or content.approved_by is None:
        return "waiting for approval"
    return f"approved by {shown_key(content.approved_by)}"


@main.group()
def content() -> None:
    """The content library: reusable, approved items."""


@content.command("add")
@click.option("--title", required=True)
@click.option("--body", required=True, help=f"At most {editorial.MAX_BODY} characters.")
@click.option("--media-url", help="A public http(s) link to an image, video or PDF.")
@click.option("--tags", default="", help="Comma-separated, e.g. pencoblosan,tps")
@click.option("--language", type=click.Choice(SUPPORTED_LANGUAGES), default="id", show_default=True)
@click.option(
    "--kind",
    type=click.Choice([k.value for k in ContentKind]),
    default=ContentKind.LITERACY.value,
    show_default=True,
)
@by_option(doing="wrote it")
@pass_context
def content_add(
    context: Runtime,
    title: str,
    body: str,
    media_url: str | None,
    tags: str,
    language: str,
    kind: str,
    by: str | None,
) -> None:
    """Add an item to the library (it waits for approval)."""
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            actor = acting(session, by)
            actors.require_account(actor, "add to the content library")
            added = library.add_content(
                session,
                title=title,
                body=body,
                media_url=media_url,
                tags=tags.split(","),
                language=language,
                kind=kind,
                created_by=actor.key,
                now=context.clock.now(),
            )
            click.echo(f"content #{added.id} added: {added.title} ({_state(added)})")
    except EditorialError as error:
        raise fail(editorial_message(error)) from error


@content.command("list")
@click.option("--approved/--pending", "approved", default=None, help="Only approved / waiting.")
@pass_context
def content_list(context: Runtime, approved: bool | None) -> None:
    """The library, newest first."""
    upgrade(context.database)
    with context.database.transaction() as session:
        items = library.list_contents(session, approved=approved)
        if not items:
            click.echo("no content")
        for item in items:
            mark = "approved" if item.approved_at else "pending "
            click.echo(f"#{item.id:<5} {mark} {item.kind:<13} {item.language}  {item.title}")


@content.command("show")
@click.argument("content_id", type=int)
@pass_context
def content_show(context: Runtime, content_id: int) -> None:
    """One item in full."""
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            item = library.get_content(session, content_id)
            click.echo(f"#{item.id} {item.title}")
            click.echo(f"kind: {item.kind}, language: {item.language}, {_state(item)}")
            click.echo(f"tags: {', '.join(item.tags) or '-'}")
            if item.media_url:
                click.echo(f"media: {item.media_url}")
            click.echo(f"written by {shown_key(item.created_by)}")
            click.echo("")
            click.echo(item.body)
    except EditorialError as error:
        raise fail(editorial_message(error)) from error


@content.command("approve")
@click.argument("content_id", type=int)
@by_option(required=True, doing="approves it (not its author)")
@pass_context
def content_approve(context: Runtime, content_id: int, by: str) -> None:
    """Approve an item for reuse in broadcasts and CEK answers."""
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            actor = acting(session, by)
            # The library serves every group, so it is no one group's editors' to approve.
            actors.require_account(actor, "approve library content")
            item = library.approve_content(
                session, content_id, actor=actor.key, now=context.clock.now()
            )
            click.echo(f"content #{item.id} approved by {actor.label}")
    except EditorialError as error:
        raise fail(editorial_message(error)) from error


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
    upgrade(context.database)
    now = context.clock.now()
    try:
        with context.database.transaction() as session:
            actor = acting(session, by)
            group = membership.group_by_code(session, group_code)
            item = library.get_content(session, content_id) if content_id is not None else None
            created = editorial.propose(
                session,
                group=group,
                author=actor.key,
                author_member=actor.member,
                body=item.body if item is not None else body or "",
                kind=item.kind if item is not None else ContentKind.LITERACY,
                tags=item.tags if item is not None else (),
                language=item.language if item is not None else context.settings.bot_language,
                content=item,
                now=now,
            )
            audience = planning.audience_size(session, group.id)
            left = quota.remaining_today(session, context.settings.whatsapp_daily_limit, now)
            click.echo(f"broadcast #{created.id} to {group.code}: waiting for approval")
            click.echo(f"audience: {audience} members")
            if audience > left:
                click.echo(f"warning: only {left} recipients are left in today's WhatsApp quota")
    except MembershipError as error:
        raise fail(membership_message(error)) from error
    except EditorialError as error:
        raise fail(editorial_message(error)) from error


@broadcast.command("approve")
@click.argument("broadcast_id", type=int)
@by_option(required=True, doing="approves it (an editor of its group, not its author)")
@pass_context
def broadcast_approve(context: Runtime, broadcast_id: int, by: str) -> None:
    """Approve a broadcast; with no send time set it goes out at once."""
    upgrade(context.database)
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
        raise fail(editorial_message(error)) from error


@broadcast.command("reject")
@click.argument("broadcast_id", type=int)
@click.option("--reason", required=True, help="Told to the author.")
@by_option(required=True, doing="rejects it (an editor of its group)")
@pass_context
def broadcast_reject(context: Runtime, broadcast_id: int, reason: str, by: str) -> None:
    """Reject a pending broadcast; its author is told why."""
    upgrade(context.database)
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
        raise fail(editorial_message(error)) from error


@broadcast.command("cancel")
@click.argument("broadcast_id", type=int)
@by_option(doing="cancels it (a coordinator of its group, or an account)")
@pass_context
def broadcast_cancel(context: Runtime, broadcast_id: int, by: str | None) -> None:
    """Cancel a broadcast: recipients not yet sent to are never sent to."""
    upgrade(context.database)
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
        raise fail(editorial_message(error)) from error


def _echo_counts(counts: dict[str, int]) -> None:
    for state in ("queued", "sending", "unknown", "sent", "delivered", "read", "failed", "skipped"):
        click.echo(f"  {state:<10} {counts[state]}")


@broadcast.command("status")
@click.argument("broadcast_id", type=int)
@pass_context
def broadcast_status(context: Runtime, broadcast_id: int) -> None:
    """A broadcast's state and delivery counts."""
    upgrade(context.database)
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
        raise fail(editorial_message(error)) from error


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
    upgrade(context.database)
    with context.database.transaction() as session:
        found = editorial.recent_broadcasts(session, state=state, limit=limit)
        if not found:
            click.echo("no broadcasts")
        for item in found:
            click.echo(_line(item))
