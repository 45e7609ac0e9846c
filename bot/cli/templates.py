"""`humasbot templates …`: the WhatsApp templates that carry content outside the 24-h window.

Importing this module also registers the dispatcher and reconciliation jobs with the worker.
"""

from __future__ import annotations

import click

from bot.cli.base import main, pass_context
from broadcasts.db.models import ContentKind
from broadcasts.delivery import dispatch, reconcile, templates_sync
from broadcasts.delivery.transports import transport_for
from broadcasts.delivery.transports.base import TransportUnavailable
from broadcasts.runtime import Runtime

# The worker's jobs register themselves when imported.
__all__ = ["dispatch", "reconcile", "templates"]


@main.group()
def templates() -> None:
    """WhatsApp templates (Twilio Content API) and the content kinds they carry."""


@templates.command("sync")
@pass_context
def templates_sync_command(context: Runtime) -> None:
    """Read the account's templates and their approval status from Twilio."""
    transport = transport_for(context.settings)
    try:
        remote = transport.templates()
    except TransportUnavailable as error:
        raise click.ClickException(str(error)) from error
    except Exception as error:
        raise click.ClickException(f"could not read templates from Twilio: {error}") from error
    with context.database.transaction() as session:
        report = templates_sync.sync(session, remote, context.clock.now())
    click.echo(
        f"{len(remote)} templates at Twilio: {report.added} new, {report.updated} updated,"
        f" {report.gone} no longer listed"
    )


@templates.command("list")
@pass_context
def templates_list(context: Runtime) -> None:
    """The templates as last synced, with their approval and the kind they carry."""
    with context.database.transaction() as session:
        found = templates_sync.listing(session)
        lines = [
            f"{t.content_sid}  {t.approval_status:<10} {t.language:<6} {t.kind or '-':<14}"
            f" {t.friendly_name}"
            for t in found
        ]
    if not lines:
        click.echo("no templates: run `humasbot templates sync`")
        return
    click.echo(f"{'SID':<34}  {'STATUS':<10} {'LANG':<6} {'KIND':<14} NAME")
    for line in lines:
        click.echo(line)


@templates.command("map")
@click.argument("content_sid")
@click.option(
    "--kind",
    required=True,
    type=click.Choice([k.value for k in ContentKind]),
    help="The kind of content this template carries.",
)
@pass_context
def templates_map(context: Runtime, content_sid: str, kind: str) -> None:
    """Use template CONTENT_SID for one kind of content outside the 24-hour window."""
    try:
        with context.database.transaction() as session:
            template = templates_sync.map_kind(session, content_sid.strip(), kind)
            status = template.approval_status
    except templates_sync.TemplateError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{content_sid} now carries {kind} content")
    if status != "approved":
        click.echo(f"note: it is {status}, so it is not used until WhatsApp approves it")
