"""`humasbot content`: the library of reusable, approved items — the admin's side of the
editorial workflow. `--by` names a dashboard account (audited as `admin:<name>`) or a member's phone
(`member:+62…`); a member may do here only what they may do in chat, checked the same way."""

from __future__ import annotations

import click

from bot.cli.base import acting, by_option, content_options, main, pass_context, refusal
from broadcasts.db.models import Content
from broadcasts.editorial import library
from broadcasts.editorial import workflow as editorial
from broadcasts.errors import EditorialError
from broadcasts.hoaxes.verdicts import Verdict
from broadcasts.people import actors
from broadcasts.people.actors import shown_key
from broadcasts.runtime import Runtime


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
@click.option("--tags", default="", help="Comma-separated, e.g. pencoblosan,tps")
@click.option(
    "--verdict",
    type=click.Choice([v.value for v in Verdict]),
    help="A clarification's finding, shown by CEK (hoax: HOAKS, true: FAKTA…).",
)
@click.option("--source", "source_url", help="A clarification's source: a public http(s) link.")
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
    language: str,
    kind: str,
    by: str | None,
) -> None:
    """Add an item to the library (it waits for approval)."""
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
                verdict=verdict,
                source_url=source_url,
                created_by=actor.key,
                now=context.clock.now(),
            )
            click.echo(f"content #{added.id} added: {added.title} ({_state(added)})")
    except EditorialError as error:
        raise refusal(error) from error


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
            mark = "approved" if item.approved_at else "pending "
            click.echo(f"#{item.id:<5} {mark} {item.kind:<13} {item.language}  {item.title}")


@content.command("show")
@click.argument("content_id", type=int)
@pass_context
def content_show(context: Runtime, content_id: int) -> None:
    """One item in full."""
    try:
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
            click.echo(f"written by {shown_key(item.created_by)}")
            click.echo("")
            click.echo(item.body)
    except EditorialError as error:
        raise refusal(error) from error


@content.command("approve")
@click.argument("content_id", type=int)
@by_option(required=True, doing="approves it (not its author)")
@pass_context
def content_approve(context: Runtime, content_id: int, by: str) -> None:
    """Approve an item for reuse in broadcasts and CEK answers."""
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
        raise refusal(error) from error
