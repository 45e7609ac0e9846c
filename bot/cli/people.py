"""Groups, members, dashboard logins, and talking to the bot without WhatsApp."""

from __future__ import annotations

import uuid

import click

from bot.chat.inbound import Inbound, answer
from bot.cli.base import acting, by_option, fail, in_zone, main, pass_context, refusal, zone_text
from broadcasts.db.models import Group, Membership, Role
from broadcasts.errors import MembershipError
from broadcasts.people import actors, erasure, membership
from broadcasts.people.membership import GroupNode, shown_phone
from broadcasts.people.phones import PhoneError, normalise_phone
from broadcasts.phrasebook import render
from broadcasts.runtime import Runtime


def not_a_phone(phone: str) -> click.ClickException:
    return fail(f"{phone!r} is not a phone number (try 0812… or +62812…)")


# Numbers are masked as someone else's (0812-****-4444) unless the operator asks for them:
# what a terminal shows gets pasted into chats and tickets.
full_numbers_option = click.option(
    "--full-numbers", is_flag=True, help="Show members' phone numbers in full (E.164)."
)


@main.group()
def group() -> None:
    """Coordination groups."""


@group.command("create")
@click.argument("code")
@click.option("--name", required=True, help="The group's display name.")
@click.option("--parent", "parent_code", help="Code of the group above this one.")
@click.option("--timezone", help="e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura.")
@pass_context
def group_create(
    context: Runtime, code: str, name: str, parent_code: str | None, timezone: str | None
) -> None:
    """Create a group; its join code is printed as the last line."""
    try:
        with context.database.transaction() as session:
            created = membership.create_group(
                session,
                code,
                name,
                parent_code=parent_code,
                timezone=timezone,
                default_timezone=context.settings.bot_timezone,
            )
            join_code = created.join_code
            zone = zone_text(created.timezone, context.clock.now())
            click.echo(f"Group {created.code} ({created.name}), time zone {zone}")
    except MembershipError as error:
        raise refusal(error) from error
    click.echo(join_code)


@main.group()
def member() -> None:
    """Members of groups."""


@member.command("add")
@click.argument("phone")
@click.option("--group", "group_code", required=True, help="The group's code.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.MEMBER.value,
    show_default=True,
)
@click.option("--name", help="The member's name.")
@by_option(doing="adds them (recorded as who gave their consent)")
@pass_context
def member_add(
    context: Runtime, phone: str, group_code: str, role: str, name: str | None, by: str | None
) -> None:
    """Add a member to a group (or change their role in it). Adding records their consent as
    given through the command line, by --by, now."""
    try:
        with context.database.transaction() as session:
            actor = acting(session, by)
            actors.require_account(actor, "add members")
            joined = membership.add_member(
                session,
                phone,
                group_code,
                role=Role(role),
                name=name,
                added_by=actor.key,
                now=context.clock.now(),
            )
            click.echo(f"{_person(joined)} is {joined.role} of {joined.group.code}")
    except PhoneError as error:
        raise not_a_phone(phone) from error
    except MembershipError as error:
        raise refusal(error) from error


@member.command("erase")
@click.argument("phone")
@by_option(doing="handles the request")
@click.option("--yes", is_flag=True, help="Erase without asking to confirm.")
@pass_context
def member_erase(context: Runtime, phone: str, by: str | None, yes: bool) -> None:
    """Erase the personal data of PHONE, on a request that did not come by chat (a letter):
    the same as HAPUS DATA. Their number, name, messages, groups and roles go; broadcasts and
    delivery counts stay, without the person."""
    try:
        number = normalise_phone(phone)
    except PhoneError as error:
        raise fail(
            f"{phone!r} is not a phone number (try 0812… or +62812…); nothing was erased"
        ) from error
    shown = shown_phone(number)
    with context.database.transaction() as session:
        known = membership.find_member(session, phone=number) is not None
    if not known:
        raise fail(f"no one with the number {shown} is known to the bot; nothing was erased")
    if not yes:
        click.confirm(f"Erase all personal data of {shown}? This cannot be undone", abort=True)
    with context.database.transaction() as session:
        actor = acting(session, by)
        actors.require_account(actor, "erase a person's data")
        found = membership.find_member(session, phone=number)
        if found is None:  # erased meanwhile (by chat)
            raise fail(f"no one with the number {shown} is known to the bot; nothing was erased")
        done = erasure.erase(
            session,
            found,
            context.clock.now(),
            via="cli",
            actor=actor.key,
            default_language=context.settings.bot_language,
        )
    groups, texts = _count(done.groups, "group"), _count(done.messages, "incoming text")
    click.echo(f"erased {shown}, now erased member #{done.member_id}: left {groups}")
    click.echo(f"deleted {texts} and {_count(done.reports, 'report link')}")
    click.echo(
        f"{_count(done.deliveries, 'message')} sent to them stay in the delivery counts, "
        f"without the number; {done.stopped} still queued will not be sent"
    )


@member.command("list")
@click.option("--group", "group_code", required=True, help="The group's code.")
@full_numbers_option
@pass_context
def member_list(context: Runtime, group_code: str, full_numbers: bool) -> None:
    """The group's own members with their roles (editors first)."""
    try:
        with context.database.transaction() as session:
            found = membership.group_by_code(session, group_code)
            joined = membership.members_of(session, found)
            click.echo(f"{found.code} ({found.name}): {_count(len(joined), 'member')}")
            _echo_members(found, joined, full_numbers)
    except MembershipError as error:
        raise refusal(error) from error


@member.command("remove")
@click.argument("phone")
@click.option("--group", "group_code", required=True, help="The group's code.")
@by_option(doing="removes them")
@pass_context
def member_remove(context: Runtime, phone: str, group_code: str, by: str | None) -> None:
    """Take a member out of a group (they stay in the groups below it). The last editor of a
    group with no editor above it cannot be removed: make someone else editor first."""
    try:
        with context.database.transaction() as session:
            actor = acting(session, by)
            actors.require_account(actor, "remove members")
            removed = membership.remove_member(
                session, phone, group_code, actor=actor.key, now=context.clock.now()
            )
            who = _person(removed)
            click.echo(f"{who} removed from {removed.group.code} (was {removed.role})")
    except PhoneError as error:
        raise not_a_phone(phone) from error
    except MembershipError as error:
        raise refusal(error) from error


@member.command("role")
@click.argument("phone")
@click.argument("role", type=click.Choice([r.value for r in Role]), metavar="ROLE")
@click.option("--group", "group_code", required=True, help="The group's code.")
@by_option(doing="changes it")
@pass_context
def member_role(context: Runtime, phone: str, role: str, group_code: str, by: str | None) -> None:
    """Give a member of a group another ROLE there: member, coordinator or editor."""
    try:
        with context.database.transaction() as session:
            actor = acting(session, by)
            actors.require_account(actor, "change roles")
            joined, before = membership.change_role(
                session, phone, group_code, Role(role), actor=actor.key, now=context.clock.now()
            )
            who = _person(joined)
            if before == joined.role:
                click.echo(f"{who} is already {before} of {joined.group.code}; nothing changed")
            else:
                click.echo(f"{who} is now {joined.role} of {joined.group.code} (was {before})")
    except PhoneError as error:
        raise not_a_phone(phone) from error
    except MembershipError as error:
        raise refusal(error) from error


@group.command("list")
@pass_context
def group_list(context: Runtime) -> None:
    """Every group as a tree (sub-groups under their parent), with its time zone and members."""
    now = context.clock.now()
    with context.database.transaction() as session:
        nodes = membership.group_tree(session)
    if not nodes:
        click.echo("no groups yet: humasbot group create CODE --name NAME")
        return
    rows = [
        (
            "  " * node.depth + node.group.code,
            node.group.name,
            zone_text(node.group.timezone, now),
            _members_text(node),
            "" if node.reviewed else "no editor: nobody can approve its broadcasts",
        )
        for node in nodes
    ]
    header = ("GROUP", "NAME", "TIME ZONE", "MEMBERS", "")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(4)]
    for row in (header, *rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[4]]).rstrip())


@group.command("show")
@click.argument("code")
@full_numbers_option
@pass_context
def group_show(context: Runtime, code: str, full_numbers: bool) -> None:
    """One group: its parent and sub-groups, time zone, join code, and members with roles."""
    now = context.clock.now()
    try:
        with context.database.transaction() as session:
            found = membership.group_by_code(session, code)
            nodes = membership.group_tree(session)
            node = next(node for node in nodes if node.group.id == found.id)
            subgroups = [n.group for n in nodes if n.group.parent_id == found.id]
            joined = membership.members_of(session, found)
            parent = found.parent
            click.echo(f"{found.code}  {found.name}")
            click.echo(f"parent group: {_group_text(parent) if parent else '— (top level)'}")
            click.echo(f"sub-groups:   {', '.join(map(_group_text, subgroups)) or '—'}")
            click.echo(f"time zone:    {zone_text(found.timezone, now)}")
            click.echo(f"join code:    {found.join_code}")
            click.echo(f"created:      {in_zone(found.created_at, found.timezone)}")
            click.echo(f"members:      {_members_text(node)}")
            click.echo(f"approval:     {_approval_text(node)}")
            click.echo("")
            _echo_members(found, joined, full_numbers)
    except MembershipError as error:
        raise refusal(error) from error


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _members_text(node: GroupNode) -> str:
    text = _count(node.members, "member")
    return f"{text}, {node.reach} with sub-groups" if node.subgroups else text


def _approval_text(node: GroupNode) -> str:
    if node.editors:
        return f"{_count(node.editors, 'editor')} here (and any editor of a group above)"
    if node.reviewed:
        return "by the editors of the groups above"
    return "no editor here or above: nobody can approve its broadcasts"


def _group_text(found: Group) -> str:
    return f"{found.code} ({found.name})"


def _person(joined: Membership) -> str:
    """The member a change was made to, as the operator is shown them (number masked)."""
    phone = shown_phone(joined.member.phone)
    return f"{joined.member.name} ({phone})" if joined.member.name else phone


def _echo_members(found: Group, joined: list[Membership], full_numbers: bool) -> None:
    if not joined:
        click.echo("no members yet: they join with the join code, or humasbot member add")
        return
    rows = [
        (
            m.role,
            m.member.name or "—",
            (m.member.phone or "—") if full_numbers else shown_phone(m.member.phone),
            f"joined {in_zone(m.created_at, found.timezone)}",
            "(stopped broadcasts)" if m.member.opted_out else "",
        )
        for m in joined
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[4]]).rstrip())


@main.command()
@click.option("--from", "sender", required=True, help="The phone number you speak as.")
@click.option("--name", help="Your name, as WhatsApp would show it.")
@click.option("--message", help="Send this one message, print the reply and exit.")
@pass_context
def chat(context: Runtime, sender: str, name: str | None, message: str | None) -> None:
    """Talk to the bot as PHONE, without WhatsApp."""
    try:
        phone = normalise_phone(sender)
    except PhoneError as error:
        raise not_a_phone(sender) from error
    from broadcasts.elections import faq
    from broadcasts.elections.stored import load_bundled

    with context.database.transaction() as session:
        load_bundled(session, context.clock.now())
        faq.load_bundled(session, context.clock.now())

    def say(text: str) -> None:
        inbound = Inbound(f"CHAT{uuid.uuid4().hex}", f"whatsapp:{phone}", text, name)
        said = answer(context.database, context.settings, context.clock, inbound)
        click.echo(said.text)
        if said.media_url:  # WhatsApp would show the picture; a terminal says where it is
            language = said.language or context.settings.bot_language
            click.echo(render("picture_link", language, url=said.media_url))

    if message is not None:
        say(message)
        return
    click.echo(f"Chatting as {phone}. Ctrl-D to leave.")
    while True:
        try:
            text = input("> ")
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        say(text)
