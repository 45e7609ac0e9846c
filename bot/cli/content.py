"""The content library and broadcasts on the command line: the admin's side of the editorial
workflow. An approval here is an admin's, recorded in the audit log under `admin:<name>`."""

from __future__ import annotations

import click

from bot.cli.base import Context, main, pass_context
from bot.cli.people import fail, membership_message
from broadcasts import editorial, library, membership, planning, quota
from broadcasts.editorial import EditorialError
from broadcasts.membership import MembershipError
from broadcasts.models import Broadcast, BroadcastState, Content, ContentKind
from broadcasts.phrasebook import render
from broadcasts.schema import upgrade
from config.settings import SUPPORTED_LANGUAGES


def editorial_message(error: EditorialError) -> str:
    """The CLI speaks English to operators, in the words the bot uses in chat."""
    return render("editorial_error", "en", key=error.key, **error.data).replace("*", "")


def admin_actor(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64:
        raise fail("--by must be a name of 1 to 64 characters")
    return f"admin:{name}"


def _state(content: Content) -> str:
    return f"approved by {content.approved_by}" if content.approved_at else "waiting for approval"


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
@click.option("--by", "author", default="cli", show_default=True, help="Who wrote it.")
@pass_context
def content_add(
    context: Context,
    title: str,
    body: str,
    media_url: str | None,
    tags: str,
    language: str,
    kind: str,
    author: str,
) -> None:
    """Add an item to the library (it waits for approval)."""
    actor = admin_actor(author)
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            added = library.add_content(
                session,
                title=title,
                body=body,
                media_url=media_url,
                tags=tags.split(","),
                language=language,
                kind=kind,
                created_by=actor,
                now=context.clock.now(),
            )
            click.echo(f"content #{added.id} added: {added.title} ({_state(added)})")
    except EditorialError as error:
        raise fail(editorial_message(error)) from error


@content.command("list")
@click.option("--approved/--pending", "approved", default=None, help="Only approved / waiting.")
@pass_context
def content_list(context: Context, approved: bool | None) -> None:
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
def content_show(context: Context, content_id: int) -> None:
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
            click.echo(f"written by {item.created_by}")
            click.echo("")
            click.echo(item.body)
    except EditorialError as error:
        raise fail(editorial_message(error)) from error


@content.command("approve")
@click.argument("content_id", type=int)
@click.option("--by", "approver", required=True, help="Who approves it (not its author).")
@pass_context
def content_approve(context: Context, content_id: int, approver: str) -> None:
    """Approve an item for reuse in broadcasts and CEK answers."""
    actor = admin_actor(approver)
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            item = library.approve_content(
                session, content_id, actor=actor, now=context.clock.now()
            )
            click.echo(f"content #{item.id} approved by {actor}")
    except EditorialError as error:
        raise fail(editorial_message(error)) from error


@main.group()
def broadcast() -> None:
    """Broadcasts: propose, approve, cancel, follow."""


@broadcast.command("create")
@click.option("--group", "group_code", required=True, help="The group's code (sub-groups too).")
@click.option("--content", "content_id", type=int, help="An approved library item to send.")
@click.option("--body", help=f"The text to send (at most {editorial.MAX_BODY} characters).")
@click.option("--by", "author", required=True, help="Who proposes it.")
@pass_context
def broadcast_create(
    context: Context, group_code: str, content_id: int | None, body: str | None, author: str
) -> None:
    """Propose a broadcast; it waits for approval by someone else."""
    if (content_id is None) == (body is None):
        raise fail("give either --content ID or --body TEXT")
    actor = admin_actor(author)
    upgrade(context.database)
    now = context.clock.now()
    try:
        with context.database.transaction() as session:
            group = membership.group_by_code(session, group_code)
            item = library.get_content(session, content_id) if content_id is not None else None
            created = editorial.propose(
                session,
                group=group,
                author=actor,
                author_member=None,
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
@click.option("--by", "approver", required=True, help="Who approves it (not its author).")
@pass_context
def broadcast_approve(context: Context, broadcast_id: int, approver: str) -> None:
    """Approve a broadcast; with no send time set it goes out at once."""
    actor = admin_actor(approver)
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            approved = editorial.approve(
                session, broadcast_id, editor=None, actor=actor, now=context.clock.now()
            )
            planned = sum(editorial.delivery_counts(session, approved.id).values())
            if approved.state == BroadcastState.APPROVED.value:
                click.echo(f"broadcast #{approved.id} approved; sends at {approved.scheduled_at}")
            else:
                click.echo(f"broadcast #{approved.id} approved; {planned} deliveries planned")
    except EditorialError as error:
        raise fail(editorial_message(error)) from error


@broadcast.command("reject")
@click.argument("broadcast_id", type=int)
@click.option("--reason", required=True, help="Told to the author.")
@click.option("--by", "editor", required=True)
@pass_context
def broadcast_reject(context: Context, broadcast_id: int, reason: str, editor: str) -> None:
    """Reject a pending broadcast; its author is told why."""
    actor = admin_actor(editor)
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            editorial.reject(
                session,
                broadcast_id,
                editor=None,
                actor=actor,
                reason=reason,
                now=context.clock.now(),
            )
            click.echo(f"broadcast #{broadcast_id} rejected")
    except EditorialError as error:
        raise fail(editorial_message(error)) from error


@broadcast.command("cancel")
@click.argument("broadcast_id", type=int)
@click.option("--by", "canceller", default="cli", show_default=True)
@pass_context
def broadcast_cancel(context: Context, broadcast_id: int, canceller: str) -> None:
    """Cancel a broadcast: recipients not yet sent to are never sent to."""
    actor = admin_actor(canceller)
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            editorial.cancel(
                session, broadcast_id, actor=actor, member=None, now=context.clock.now()
            )
            counts = editorial.delivery_counts(session, broadcast_id)
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
def broadcast_status(context: Context, broadcast_id: int) -> None:
    """A broadcast's state and delivery counts."""
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            found = editorial.followed_broadcast(session, broadcast_id, None)
            click.echo(_line(found))
            if found.scheduled_at is not None:
                click.echo(f"  scheduled at {found.scheduled_at.isoformat()}")
            if found.rejected_reason:
                click.echo(f"  rejected: {found.rejected_reason}")
            _echo_counts(editorial.delivery_counts(session, found.id))
    except EditorialError as error:
        raise fail(editorial_message(error)) from error


def _line(item: Broadcast) -> str:
    return (
        f"#{item.id:<5} {item.state:<9} {item.group.code:<12} {item.author:<24} "
        f"{editorial.preview(item.body, 50)}"
    )


@broadcast.command("list")
@click.option("--state", type=click.Choice([s.value for s in BroadcastState]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@pass_context
def broadcast_list(context: Context, state: str | None, limit: int) -> None:
    """Broadcasts, newest first."""
    upgrade(context.database)
    with context.database.transaction() as session:
        found = editorial.recent_broadcasts(session, state=state, limit=limit)
        if not found:
            click.echo("no broadcasts")
        for item in found:
            click.echo(_line(item))
