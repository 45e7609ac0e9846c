"""`humasbot content`: the library of reusable, approved items — the admin's side of the
editorial workflow. `--by` names a dashboard account (audited as `admin:<name>`) or a member's phone
(`member:+62…`); a member may do here only what they may do in chat, checked the same way."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli.base import acting, by_option, content_options, main, pass_context
from broadcasts.db.models import AdminUser, Content, Member
from broadcasts.editorial import library
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial.library import ContentState
from broadcasts.hoaxes.verdicts import Verdict
from broadcasts.people import actors
from broadcasts.people.actors import Actor, shown_key
from broadcasts.runtime import Runtime


def _state(content: Content) -> str:
    state = library.state_of(content)
    if state is ContentState.APPROVED and content.approved_by is not None:
        return f"approved by {shown_key(content.approved_by)}"
    if state is ContentState.REJECTED and content.rejected_by is not None:
        return f"rejected by {shown_key(content.rejected_by)}: {content.rejected_reason}"
    return "draft" if state is ContentState.DRAFT else "waiting for approval"


def _same_person(session: Session, actor: Actor) -> Member | None:
    """The member a dashboard account is linked to: four eyes hold across chat and web."""
    if not actor.is_account:
        return None
    username = actor.key.split(":", 1)[1]
    return session.scalar(
        select(Member)
        .join(AdminUser, AdminUser.member_id == Member.id)
        .where(AdminUser.username == username)
    )


@main.group()
def content() -> None:
    """The content library: reusable, approved items."""


@content.command("add")
@click.option("--title", required=True)
@click.option("--body", required=True, help=f"At most {editorial.MAX_BODY} characters.")
@click.option("--tags", default="", help="Comma-separated, e.g. pencoblosan,tps")
@click.option(
    "--verdict",
    type=click.Choice([v.value for v in Verdict]),
    help="A clarification's finding, shown by CEK (hoax: HOAKS, true: FAKTA…).",
)
@click.option("--source", "source_url", help="A clarification's source: a public http(s) link.")
@click.option("--draft", is_flag=True, help="Keep it as a draft: not yet submitted for approval.")
@content_options
@by_option(doing="wrote it")
@pass_context
def content_add(
    context: Runtime,
    title: str,
    body: str,
    media_url: str | None,
    tags: str,
    verdict: str | None,
    source_url: str | None,
    draft: bool,
    language: str,
    kind: str,
    by: str | None,
) -> None:
    """Add an item to the library (it waits for approval, or stays a draft with --draft)."""
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
            verdict=verdict,
            source_url=source_url,
            created_by=actor.key,
            now=context.clock.now(),
            submit=not draft,
        )
        click.echo(f"content #{added.id} added: {added.title} ({_state(added)})")


_MARKS = {
    ContentState.DRAFT: "draft   ",
    ContentState.WAITING: "pending ",
    ContentState.APPROVED: "approved",
    ContentState.REJECTED: "rejected",
}


@content.command("list")
@click.option("--approved/--pending", "approved", default=None, help="Only approved / waiting.")
@pass_context
def content_list(context: Runtime, approved: bool | None) -> None:
    """The library, newest first."""
    with context.database.transaction() as session:
        items = library.list_contents(session, approved=approved)
        if not items:
            click.echo("no content")
        for item in items:
            mark = _MARKS[library.state_of(item)]
            version = f" (v{item.version})" if item.version > 1 else ""
            click.echo(
                f"#{item.id:<5} {mark} {item.kind:<13} {item.language}  {item.title}{version}"
            )


@content.command("show")
@click.argument("content_id", type=int)
@pass_context
def content_show(context: Runtime, content_id: int) -> None:
    """One item in full."""
    with context.database.transaction() as session:
        item = library.get_content(session, content_id)
        click.echo(f"#{item.id} {item.title}")
        click.echo(f"kind: {item.kind}, language: {item.language}, {_state(item)}")
        click.echo(f"tags: {', '.join(item.tags) or '-'}")
        if item.media_url:
            click.echo(f"media: {item.media_url}")
        if item.verdict:
            click.echo(
                f"verdict: {item.verdict}"
                + (f", source: {item.source_url}" if item.source_url else "")
            )
        if item.replaces_id is not None:
            click.echo(f"version {item.version}, replaces #{item.replaces_id}")
        click.echo(f"written by {shown_key(item.created_by)}")
        click.echo("")
        click.echo(item.body)


@content.command("approve")
@click.argument("content_id", type=int)
@by_option(required=True, doing="approves it (not its author)")
@pass_context
def content_approve(context: Runtime, content_id: int, by: str) -> None:
    """Approve an item for reuse in broadcasts and CEK answers."""
    with context.database.transaction() as session:
        actor = acting(session, by)
        # The library serves every group, so it is no one group's editors' to approve.
        actors.require_account(actor, "approve library content")
        item = library.approve_content(
            session,
            content_id,
            actor=actor.key,
            now=context.clock.now(),
            same_person=_same_person(session, actor),
        )
        click.echo(f"content #{item.id} approved by {actor.label}")


@content.command("submit")
@click.argument("content_id", type=int)
@by_option(doing="submits it")
@pass_context
def content_submit(context: Runtime, content_id: int, by: str | None) -> None:
    """Submit a draft (or a rejected item) for approval."""
    with context.database.transaction() as session:
        actor = acting(session, by)
        actors.require_account(actor, "submit library content")
        item = library.submit_content(session, content_id, actor=actor.key, now=context.clock.now())
        click.echo(f"content #{item.id} submitted: {_state(item)}")


@content.command("reject")
@click.argument("content_id", type=int)
@click.option("--reason", required=True, help="Why, for its author: e.g. the date is wrong.")
@by_option(required=True, doing="rejects it (not its author)")
@pass_context
def content_reject(context: Runtime, content_id: int, reason: str, by: str) -> None:
    """Reject a waiting item with a reason; its author may change it and submit it again."""
    with context.database.transaction() as session:
        actor = acting(session, by)
        actors.require_account(actor, "reject library content")
        item = library.reject_content(
            session,
            content_id,
            actor=actor.key,
            reason=reason,
            now=context.clock.now(),
            same_person=_same_person(session, actor),
        )
        click.echo(f"content #{item.id} rejected by {actor.label}")
