"""`humasbot calendar`: calendar entries, the agenda and the group's calendar link, and the
helpers the calendar's other commands share (campaigns, blackouts, a group's clock).

Times are given on the group's own wall clock (09:00 in Pontianak is WIB, in Balikpapan WITA).
Errors are the bot's own words (`calendar_error.txt`, in English here) and change nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from bot.cli.base import (
    acting,
    by_option,
    content_options,
    fail,
    main,
    pass_context,
    refusal,
    when_text,
)
from bot.web.editorial_feed import feed_url
from broadcasts.db.database import MAX_ID
from broadcasts.db.models import CalendarEntry, Group
from broadcasts.editorial_calendar import (
    agenda,
    approval,
    campaigns,
    entries,
    scan,
    stages,
)
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.rules import Rule
from broadcasts.elections import faq
from broadcasts.elections.stored import all_elections, load_bundled
from broadcasts.errors import CalendarError, MembershipError
from broadcasts.people import actors
from broadcasts.people.actors import Actor
from broadcasts.people.membership import group_by_code
from broadcasts.runtime import Runtime


@contextmanager
def calendar_transaction(context: Runtime) -> Iterator[Session]:
    """A transaction whose calendar errors end the command with exit 1 and change nothing."""
    try:
        with context.database.transaction() as session:
            # Anchors need the election calendars, even before the first `humasbot run`.
            load_bundled(session, context.clock.now())
            faq.load_bundled(session, context.clock.now())
            yield session
    except CalendarError as error:
        raise refusal(error) from error


def console() -> Console:
    """Wide enough for the agenda's columns even when output is not a terminal."""
    return Console(width=shutil.get_terminal_size((160, 40)).columns, highlight=False)


def tags_of(text: str) -> list[str]:
    return [tag for tag in (t.strip() for t in text.split(",")) if tag]


def checked_id(value: int, what: str) -> int:
    if not 0 < value <= MAX_ID:
        raise fail(f"there is no {what} #{value}")
    return value


def administrator(session: Session, by: str | None, doing: str | None) -> Actor:
    """The calendar, campaigns, blackouts and group settings are administration: `--by` names
    a dashboard account (or is left out: the operator); a member's phone is refused for what
    changes something (`doing`; None when the command only shows)."""
    actor = acting(session, by)
    if doing is not None:
        actors.require_account(actor, doing)
    return actor


# --- humasbot calendar ----------------------------------------------------------------------


@main.group("calendar")
def calendar_group() -> None:
    """The editorial calendar: one-off, recurring and election-anchored sends."""


def _rule(
    session: Session,
    *,
    on: str | None,
    at: str | None,
    daily: bool,
    weekly: str | None,
    monthly: int | None,
    rrule: str | None,
    starts: str | None,
    until: str | None,
    every: int,
    anchor: str | None,
    election: str | None,
    first_zone_today: date,
) -> Rule:
    chosen = [
        name
        for name, given in (
            ("--on", on is not None),
            ("--daily", daily),
            ("--weekly", weekly is not None),
            ("--monthly", monthly is not None),
            ("--rrule", rrule is not None),
            ("--anchor", anchor is not None),
        )
        if given
    ]
    if len(chosen) != 1:
        raise fail("say when with one of --on, --daily, --weekly, --monthly, --rrule, --anchor")
    if anchor is not None:
        elections = stages.by_code(all_elections(session))
        return entries.anchored(anchor, elections, election=election, at=at)
    if at is None:
        raise fail("--time HH:MM is required")
    if on is not None:
        return entries.once(on, at)
    frequency = "daily" if daily else "weekly" if weekly is not None else None
    frequency = "monthly" if monthly is not None else frequency
    return entries.recurring(
        at,
        starts_on=starts or first_zone_today.isoformat(),
        rrule=rrule,
        frequency=frequency,
        weekdays=tags_of(weekly or ""),
        month_day=monthly,
        interval=every,
        until=until,
    )


@calendar_group.command("add")
@click.option("--group", "groups", multiple=True, required=True, help="A group code (repeatable).")
@click.option("--title", default="", help="How the entry is listed (default: its first words).")
@click.option("--body", help="The text to send; it waits for an editor's approval each time.")
@click.option("--content", "content_id", type=int, help="A library item (approved: sent as is).")
@click.option("--tags", default="", help="Comma-separated, e.g. kampanye,pemilu2029")
@content_options
@click.option("--on", "on", metavar="DATE", help="One-off: on this day (YYYY-MM-DD).")
@click.option("--time", "at", metavar="HH:MM", help="Local time of day in each group.")
@click.option("--daily", is_flag=True, help="Recurring: every day.")
@click.option("--weekly", metavar="DAYS", help="Recurring: on these days, e.g. mo,th or senin")
@click.option("--monthly", type=int, metavar="DAY", help="Recurring: on this day (-1: the last).")
@click.option("--rrule", help="Recurring: an RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=FR")
@click.option("--every", default=1, show_default=True, help="Recurring: every N days/weeks/months.")
@click.option("--from", "starts", metavar="DATE", help="Recurring: the first day (default today).")
@click.option("--until", metavar="DATE", help="Recurring: the last day (inclusive).")
@click.option("--anchor", help='Anchored: e.g. "H-7 pemungutan suara", "first day of masa tenang"')
@click.option("--election", help="Anchored: the election code, e.g. pemilu2029.")
@click.option("--during-quiet-hours", is_flag=True, help="May land in the groups' quiet hours.")
@click.option("--campaign", "campaign_name", help="Add it to this campaign.")
@by_option(doing="adds it")
@pass_context
def calendar_add(
    context: Runtime,
    groups: Sequence[str],
    title: str,
    body: str | None,
    content_id: int | None,
    media_url: str | None,
    tags: str,
    language: str,
    kind: str,
    on: str | None,
    at: str | None,
    daily: bool,
    weekly: str | None,
    monthly: int | None,
    rrule: str | None,
    every: int,
    starts: str | None,
    until: str | None,
    anchor: str | None,
    election: str | None,
    during_quiet_hours: bool,
    campaign_name: str | None,
    by: str | None,
) -> None:
    """Add a calendar entry: one-off (--on), recurring (--daily/--weekly/--monthly/--rrule) or
    anchored to an election stage (--anchor)."""
    now = context.clock.now()
    with calendar_transaction(context) as session:
        actor = administrator(session, by, "add calendar entries")
        calendar_context = CalendarContext.load(session)
        first = entries.groups_named(session, groups)[0]
        rule = _rule(
            session,
            on=on,
            at=at,
            daily=daily,
            weekly=weekly,
            monthly=monthly,
            rrule=rrule,
            starts=starts,
            until=until,
            every=every,
            anchor=anchor,
            election=election,
            first_zone_today=now.astimezone(calendar_context.zone(first.id)).date(),
        )
        campaign = campaigns.open_campaign(session, campaign_name) if campaign_name else None
        spec = entries.EntrySpec(
            title=title,
            rule=rule,
            groups=list(groups),
            body=body,
            content_id=content_id,
            media_url=media_url,
            kind=kind,
            language=language,
            tags=tags_of(tags),
            during_quiet_hours=during_quiet_hours,
        )
        entry = entries.add_entry(
            session, spec, actor=actor.key, now=now, campaign=campaign, context=calendar_context
        )
        click.echo(f"calendar entry #{entry.id} added: {entry.title}")
        _echo_next(session, entry, now)


def _echo_next(session: Session, entry: CalendarEntry, now: datetime) -> None:
    calendar_context = CalendarContext.load(session)
    for target in entry.targets:
        group_info = calendar_context.group(target.group_id)
        if target.next_due_at is not None:
            local = target.next_due_at.astimezone(group_info.zone)
            click.echo(f"  {group_info.code}: next send {when_text(local)}")
            continue
        items = agenda.coming(
            session, now, days=1, group_ids=[target.group_id], context=calendar_context
        )
        waiting = [i for i in items if i.entry_id == entry.id and i.waiting]
        reason = agenda.explain(waiting[0], "en", calendar_context) if waiting else []
        click.echo(f"  {group_info.code}: {reason[0] if reason else 'nothing more to send'}")


@calendar_group.command("list")
@click.option("--group", "group_code", help="Only this group (and not the groups below it).")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 366))
@pass_context
def calendar_list(context: Runtime, group_code: str | None, days: int) -> None:
    """The coming sends, with why a send was moved, held or is waiting."""
    now = context.clock.now()
    with calendar_transaction(context) as session:
        group_ids = None
        if group_code:
            group_ids = [group_of(session, group_code).id]
        calendar_context = CalendarContext.load(session)
        items = agenda.coming(
            session, now, days=days, group_ids=group_ids, context=calendar_context
        )
        if not items:
            click.echo(f"nothing to send in the next {days} days")
            return
        console().print(agenda_table(items, calendar_context, f"the next {days} days"))


def group_of(session: Session, code: str) -> Group:
    try:
        return group_by_code(session, code)
    except MembershipError as error:
        raise CalendarError("unknown_group", code=code.strip().upper()) from error


def agenda_table(
    items: Sequence[agenda.AgendaItem], calendar_context: CalendarContext, title: str
) -> Table:
    table = Table(title=f"Coming sends: {title}", title_justify="left")
    for column in ("when (local)", "group", "what", "from", "status", "why"):
        table.add_column(column, overflow="fold")
    for item in items:
        source = (
            f"broadcast #{item.broadcast_id}"
            if item.broadcast_id is not None
            else f"{item.campaign or 'entry'} #{item.entry_id}"
        )
        why = "; ".join(agenda.explain(item, "en", calendar_context))
        status = item.status if item.approved else f"{item.status}, needs approval"
        table.add_row(when_text(item.local), item.group.code, item.title, source, status, why)
    return table


@calendar_group.command("cancel")
@click.argument("entry_id", type=int)
@by_option(doing="cancels it")
@pass_context
def calendar_cancel(context: Runtime, entry_id: int, by: str | None) -> None:
    """Stop a calendar entry for good (what it already proposed stays with the editors)."""
    with calendar_transaction(context) as session:
        actor = administrator(session, by, "cancel calendar entries")
        entries.cancel_entry(
            session,
            checked_id(entry_id, "calendar entry"),
            actor=actor.key,
            now=context.clock.now(),
        )
    click.echo(f"calendar entry #{entry_id} cancelled")


@calendar_group.command("approve")
@click.argument("entry_id", type=int)
@by_option(required=True, doing="approves it")
@pass_context
def calendar_approve(context: Runtime, entry_id: int, by: str) -> None:
    """Approve an entry ahead of time: each of its sends then goes out at its time with no
    further step (an editor of every group it reaches, not its author)."""
    with calendar_transaction(context) as session:
        now = context.clock.now()
        entry = approval.approve_entry(
            session, checked_id(entry_id, "calendar entry"), approver_named(session, by), now
        )
        click.echo(f"calendar entry #{entry_id} approved: {entry.title}; it goes out at:")
        echo_approved(session, [entry.id], now)


# What an approver is shown of what they approve: the sends of the next months, at most this many.
_SHOWN_SENDS, _SHOWN_DAYS = 20, 90


def echo_approved(session: Session, entry_ids: list[int], now: datetime) -> None:
    """Every send the approval covers in the coming months, on each group's clock."""
    items = [
        item
        for item in agenda.coming(session, now, days=_SHOWN_DAYS)
        if item.entry_id in entry_ids and item.local is not None
    ]
    for item in items[:_SHOWN_SENDS]:
        click.echo(f"  {when_text(item.local)}  {item.group.code}  {item.title}")
    if len(items) > _SHOWN_SENDS:
        click.echo(f"  … and {len(items) - _SHOWN_SENDS} more in the next {_SHOWN_DAYS} days")
    if not items:
        click.echo(f"  (nothing in the next {_SHOWN_DAYS} days)")


def approver_named(session: Session, by: str) -> approval.Approver:
    actor = acting(session, by)
    actors.require_named(actor, "approve it")
    return approval.Approver(actor.key, actor.member)


@calendar_group.command("tick")
@pass_context
def calendar_tick(context: Runtime) -> None:
    """Run the worker's due-entry scan once now (the worker does it every few seconds)."""
    grace = timedelta(hours=context.settings.calendar_misfire_grace_hours)
    done = scan.tick(context.database, context.clock.now(), grace)
    proposed = ", ".join(f"#{i}" for i in done.proposed) or "none"
    click.echo(f"broadcasts proposed: {proposed}")
    click.echo(f"missed (more than {grace.total_seconds() / 3600:.0f} h late): {done.missed}")
    click.echo(f"held by a blackout: {done.skipped}")


@calendar_group.command("link")
@click.argument("group_code", metavar="GROUP")
@pass_context
def calendar_link(context: Runtime, group_code: str) -> None:
    """The group's calendar as an iCalendar link to subscribe to (keep it private)."""
    with calendar_transaction(context) as session:
        code = group_code_of(session, group_code)
    if not context.settings.secret_key:
        # The server refuses every calendar link without it (see bot/web/editorial_feed.py).
        raise fail("SECRET_KEY is not set: the server refuses calendar links until it is")
    click.echo(feed_url(context.settings, code))


def group_code_of(session: Session, code: str) -> str:
    try:
        return group_by_code(session, code).code
    except MembershipError as error:
        raise CalendarError("unknown_group", code=code.strip().upper()) from error
