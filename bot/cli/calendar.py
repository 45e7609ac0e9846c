"""The editorial calendar on the command line: scheduling a broadcast, calendar entries,
campaigns, blackout windows, quiet hours, the agenda and the group's calendar link.

Times are given on the group's own wall clock (09:00 in Pontianak is WIB, in Balikpapan WITA).
Errors are the bot's own words (`calendar_error.txt`, in English here) and change nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from bot.cli.base import acting, by_option, main, pass_context, when_text, zone_text
from bot.cli.content import broadcast
from bot.cli.people import fail, group, membership_message
from bot.web.editorial_feed import feed_url
from broadcasts.db.models import Blackout, CalendarEntry, CampaignState, ContentKind, Group
from broadcasts.db.schema import upgrade
from broadcasts.editorial import scheduling
from broadcasts.editorial_calendar import (
    agenda,
    approval,
    blackouts,
    campaigns,
    entries,
    group_zone,
    quiet_hours,
    scan,
    stages,
)
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.errors import CalendarError
from broadcasts.editorial_calendar.guards import QuietHours
from broadcasts.editorial_calendar.rules import Rule, parse_time
from broadcasts.editorial_calendar.timeline import WAITING_NO_DATE
from broadcasts.elections import faq
from broadcasts.elections.stored import all_elections, load_bundled
from broadcasts.people import actors
from broadcasts.people.actors import Actor
from broadcasts.people.membership import MembershipError, group_by_code
from broadcasts.phrasebook import render
from broadcasts.runtime import Runtime
from config.settings import SUPPORTED_LANGUAGES

_MAX_ID = 2**31 - 1


def calendar_message(error: CalendarError) -> str:
    """The CLI speaks English to operators, in the words the bot uses in chat."""
    return render("calendar_error", "en", key=error.key, **error.data).replace("*", "")


@contextmanager
def calendar_transaction(context: Runtime) -> Iterator[Session]:
    """A transaction whose calendar errors end the command with exit 1 and change nothing."""
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            # Anchors need the election calendars, even before the first `humasbot run`.
            load_bundled(session, context.clock.now())
            faq.load_bundled(session, context.clock.now())
            yield session
    except CalendarError as error:
        raise fail(calendar_message(error) + "\nNothing was changed.") from error


def console() -> Console:
    """Wide enough for the agenda's columns even when output is not a terminal."""
    return Console(width=shutil.get_terminal_size((160, 40)).columns, highlight=False)


def _tags(text: str) -> list[str]:
    return [tag for tag in (t.strip() for t in text.split(",")) if tag]


def _checked_id(value: int, what: str) -> int:
    if not 0 < value <= _MAX_ID:
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
        weekdays=_tags(weekly or ""),
        month_day=monthly,
        interval=every,
        until=until,
    )


@calendar_group.command("add")
@click.option("--group", "groups", multiple=True, required=True, help="A group code (repeatable).")
@click.option("--title", default="", help="How the entry is listed (default: its first words).")
@click.option("--body", help="The text to send; it waits for an editor's approval each time.")
@click.option("--content", "content_id", type=int, help="A library item (approved: sent as is).")
@click.option("--media-url", help="A public http(s) link to an image, video or PDF.")
@click.option("--tags", default="", help="Comma-separated, e.g. kampanye,pemilu2029")
@click.option("--language", type=click.Choice(SUPPORTED_LANGUAGES), default="id", show_default=True)
@click.option(
    "--kind",
    type=click.Choice([k.value for k in ContentKind]),
    default=ContentKind.LITERACY.value,
    show_default=True,
)
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
        campaign = campaigns.campaign_named(session, campaign_name) if campaign_name else None
        if campaign is not None and campaign.state == CampaignState.CANCELLED.value:
            raise CalendarError("campaign_cancelled", name=campaign.name)
        spec = entries.EntrySpec(
            title=title,
            rule=rule,
            groups=list(groups),
            body=body,
            content_id=content_id,
            media_url=media_url,
            kind=kind,
            language=language,
            tags=_tags(tags),
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
            group_ids = [_group(session, group_code).id]
        calendar_context = CalendarContext.load(session)
        items = agenda.coming(
            session, now, days=days, group_ids=group_ids, context=calendar_context
        )
        if not items:
            click.echo(f"nothing to send in the next {days} days")
            return
        console().print(_agenda_table(items, calendar_context, f"the next {days} days"))


def _group(session: Session, code: str) -> Group:
    try:
        return group_by_code(session, code)
    except MembershipError as error:
        raise CalendarError("unknown_group", code=code.strip().upper()) from error


def _agenda_table(
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
            _checked_id(entry_id, "calendar entry"),
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
            session, _checked_id(entry_id, "calendar entry"), _approver(session, by), now
        )
        click.echo(f"calendar entry #{entry_id} approved: {entry.title}; it goes out at:")
        _echo_approved(session, [entry.id], now)


# What an approver is shown of what they approve: the sends of the next months, at most this many.
_SHOWN_SENDS, _SHOWN_DAYS = 20, 90


def _echo_approved(session: Session, entry_ids: list[int], now: datetime) -> None:
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


def _approver(session: Session, by: str) -> approval.Approver:
    actor = acting(session, by)
    actors.require_named(actor, "approve it")
    return approval.Approver(actor.key, actor.member)


@calendar_group.command("tick")
@pass_context
def calendar_tick(context: Runtime) -> None:
    """Run the worker's due-entry scan once now (the worker does it every few seconds)."""
    upgrade(context.database)
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
        code = _group_code(session, group_code)
    if not context.settings.secret_key:
        click.echo("warning: SECRET_KEY is not set; this link changes once it is", err=True)
    click.echo(feed_url(context.settings, code))


def _group_code(session: Session, code: str) -> str:
    try:
        return group_by_code(session, code).code
    except MembershipError as error:
        raise CalendarError("unknown_group", code=code.strip().upper()) from error


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
        approved = approval.approve_campaign(session, name, _approver(session, by), now)
        click.echo(f"campaign {name}: {len(approved)} entries approved; they go out at:")
        _echo_approved(session, [entry.id for entry in approved], now)


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
        console().print(_agenda_table(shown, calendar_context, f"campaign {campaign.name}"))
        undated = sum(1 for item in waiting if item.waiting == WAITING_NO_DATE)
        if undated:
            click.echo(f"{undated} sends wait for official stage dates (belum ditetapkan KPU)")


# --- humasbot blackout ----------------------------------------------------------------------


@main.group("blackout")
def blackout_group() -> None:
    """Blackout windows: hold content with certain tags during a period."""


@blackout_group.command("add")
@click.argument("name")
@click.option("--tags", required=True, help="Comma-separated tags of the content to hold.")
@click.option("--from", "first", metavar="DATE", help="The first day held (YYYY-MM-DD).")
@click.option("--to", "last", metavar="DATE", help="The last day held (inclusive).")
@click.option("--stage", help='An election stage instead of dates, e.g. "masa tenang".')
@click.option("--election", help="The stage's election, e.g. pemilu2029.")
@click.option("--group", "group_code", help="Only this group and those below it (default: all).")
@by_option(doing="adds it")
@pass_context
def blackout_add(
    context: Runtime,
    name: str,
    tags: str,
    first: str | None,
    last: str | None,
    stage: str | None,
    election: str | None,
    group_code: str | None,
    by: str | None,
) -> None:
    """Hold content tagged with any of --tags from --from to --to, or during --stage."""
    with calendar_transaction(context) as session:
        actor = administrator(session, by, "add blackout windows")
        added = blackouts.add_blackout(
            session,
            name,
            _tags(tags),
            group_code=group_code,
            first=first,
            last=last,
            stage=stage,
            election=election,
            actor=actor.key,
            now=context.clock.now(),
        )
        click.echo(f"blackout #{added.id} {added.name!r} added: {_blackout_period(added)}")


def _blackout_period(blackout: Blackout) -> str:
    if blackout.stage:
        period = f"during {blackout.stage.removeprefix('kind:')} of {blackout.election_code}"
    else:
        period = f"{blackout.starts_on} to {blackout.ends_on}"
    scope = f"group {blackout.group.code} and below" if blackout.group else "all groups"
    return f"holds [{', '.join(blackout.tags)}] {period}, {scope}"


@blackout_group.command("list")
@pass_context
def blackout_list(context: Runtime) -> None:
    """Every blackout window."""
    with calendar_transaction(context) as session:
        found = blackouts.all_blackouts(session)
        if not found:
            click.echo("no blackout windows")
        for item in found:
            click.echo(f"#{item.id} {item.name}: {_blackout_period(item)}")


@blackout_group.command("remove")
@click.argument("blackout_id", type=int)
@by_option(doing="removes it")
@pass_context
def blackout_remove(context: Runtime, blackout_id: int, by: str | None) -> None:
    """Remove a blackout window; what it held goes back to its own time."""
    with calendar_transaction(context) as session:
        actor = administrator(session, by, "remove blackout windows")
        blackouts.remove_blackout(
            session, _checked_id(blackout_id, "blackout"), actor=actor.key, now=context.clock.now()
        )
    click.echo(f"blackout #{blackout_id} removed")


# --- humasbot group timezone ----------------------------------------------------------------


@group.command("timezone")
@click.argument("group_code", metavar="GROUP")
@click.argument("zone", required=False)
@by_option(doing="moves it")
@pass_context
def group_timezone(context: Runtime, group_code: str, zone: str | None, by: str | None) -> None:
    """Show a group's time zone, or move the group to ZONE (its calendar sends move with it)."""
    upgrade(context.database)
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
        raise fail(membership_message(error)) from error


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
