"""`humasbot privacy report`: the office's account of personal data, for an audit — consents by
source, erasures done, what retention deleted. (`humasbot member erase` is with `member`.)"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import click

from bot.cli.base import in_zone, main, pass_context
from broadcasts.db.models import ConsentSource
from broadcasts.people import privacy
from broadcasts.people.actors import shown_key
from broadcasts.people.retention import REPORTER_LINK_DAYS
from broadcasts.runtime import Runtime

SOURCES = {
    ConsentSource.JOIN_CODE.value: "joined by chat with an invitation code",
    ConsentSource.CLI.value: "added on the command line",
    ConsentSource.DASHBOARD.value: "added in the dashboard",
    ConsentSource.IMPORT.value: "imported from a member list",
    ConsentSource.UNRECORDED.value: "joined before consents were recorded",
}
WAYS = {"chat": "by chat", "cli": "on the command line", "retention": "by retention"}
SWEPT = {
    "texts": "incoming texts",
    "notices": "notice texts",
    "report_links": "report links",
    "numbers": "silent numbers",
}


@main.group("privacy")
def privacy_group() -> None:
    """Personal data: what is kept, consented to, erased."""


@privacy_group.command("report")
@pass_context
def report(context: Runtime) -> None:
    """Consents by source, erasures done, what the retention job deleted."""
    zone = context.settings.bot_timezone
    with context.database.transaction() as session:
        found = privacy.report(session)
    click.echo("Consents (how members came to receive broadcasts):")
    for source in (*SOURCES, *sorted(set(found.consents) - set(SOURCES))):
        held, withdrawn = found.consents[source], found.withdrawn[source]
        if held or withdrawn:
            click.echo(f"  {SOURCES.get(source, source)}: {held} in force, {withdrawn} withdrawn")
    if not (found.consents or found.withdrawn):
        click.echo("  none yet")
    if found.added_by:
        click.echo(f"  added by: {_counts(found.added_by, shown_key)}")
    click.echo(f"  memberships without a consent in force: {found.without_consent}")

    erasures = sum(found.erasures.values())
    ways = _counts(found.erasures, lambda way: WAYS.get(way, way))
    click.echo(f"Erasures: {erasures}" + (f" ({ways})" if erasures else ""))
    if found.last_erasure is not None:
        click.echo(f"  last: {in_zone(found.last_erasure, zone)}")

    days = context.settings.inbound_retention_days
    click.echo(
        f"Retention: incoming texts kept {days} days (INBOUND_RETENTION_DAYS), "
        f"report links {REPORTER_LINK_DAYS} days"
    )
    deleted = ", ".join(f"{found.retained[key]} {words}" for key, words in SWEPT.items())
    click.echo(f"  deleted so far: {deleted}")
    click.echo(f"  last run that deleted something: {in_zone(found.last_retention, zone)}")
    oldest = in_zone(found.oldest_text, zone)
    click.echo(f"  incoming texts kept now: {found.texts_kept} (oldest {oldest})")


def _counts(counted: Counter[str], shown: Callable[[str], str]) -> str:
    return ", ".join(f"{shown(key)} {n}" for key, n in counted.most_common())
