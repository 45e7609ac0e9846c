"""Groups, members, dashboard logins, and talking to the bot without WhatsApp."""

from __future__ import annotations

import sys
import uuid

import click
from werkzeug.security import generate_password_hash

from bot.chat.inbound import Inbound, answer
from bot.cli.base import acting, by_option, in_zone, main, pass_context, zone_text
from broadcasts.db.models import AdminUser, Group, Membership, Role
from broadcasts.db.schema import upgrade
from broadcasts.people import actors, membership
from broadcasts.people.membership import GroupNode, MembershipError, shown_phone
from broadcasts.people.phones import PhoneError, normalise_phone
from broadcasts.phrasebook import render
from broadcasts.runtime import Runtime


def fail(message: str) -> click.ClickException:
    return click.ClickException(message)


def membership_message(error: MembershipError) -> str:
    """The CLI speaks English to operators; chat replies come from the templates. Their *bold*
    marks are WhatsApp's and go; asterisks in the data (a masked number) stay."""
    data = {k: v.replace("*", "\0") if isinstance(v, str) else v for k, v in error.data.items()}
    return render(f"error_{error.key}", "en", **data).replace("*", "").replace("\0", "*")


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
    upgrade(context.database)
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
        raise fail(membership_message(error)) from error
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
@pass_context
def member_add(context: Runtime, phone: str, group_code: str, role: str, name: str | None) -> None:
    """Add a member to a group (or change their role in it)."""
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            joined = membership.add_member(session, phone, group_code, role=Role(role), name=name)
            click.echo(f"{joined.member.phone} is {joined.role} of {joined.group.code}")
    except PhoneError as error:
        raise not_a_phone(phone) from error
    except MembershipError as error:
        raise fail(membership_message(error)) from error


@member.command("list")
@click.option("--group", "group_code", required=True, help="The group's code.")
@full_numbers_option
@pass_context
def member_list(context: Runtime, group_code: str, full_numbers: bool) -> None:
    """The group's own members with their roles (editors first)."""
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            found = membership.group_by_code(session, group_code)
            joined = membership.members_of(session, found)
            click.echo(f"{found.code} ({found.name}): {_count(len(joined), 'member')}")
            _echo_members(found, joined, full_numbers)
    except MembershipError as error:
        raise fail(membership_message(error)) from error


@member.command("remove")
@click.argument("phone")
@click.option("--group", "group_code", required=True, help="The group's code.")
@by_option(doing="removes them")
@pass_context
def member_remove(context: Runtime, phone: str, group_code: str, by: str | None) -> None:
    """Take a member out of a group (they stay in the groups below it). The last editor of a
    group with no editor above it cannot be removed: make someone else editor first."""
    upgrade(context.database)
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
        raise fail(f"{membership_message(error)}\nNothing was changed.") from error


@member.command("role")
@click.argument("phone")
@click.argument("role", type=click.Choice([r.value for r in Role]), metavar="ROLE")
@click.option("--group", "group_code", required=True, help="The group's code.")
@by_option(doing="changes it")
@pass_context
def member_role(context: Runtime, phone: str, role: str, group_code: str, by: str | None) -> None:
    """Give a member of a group another ROLE there: member, coordinator or editor."""
    upgrade(context.database)
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
        raise fail(f"{membership_message(error)}\nNothing was changed.") from error


@group.command("list")
@pass_context
def group_list(context: Runtime) -> None:
    """Every group as a tree (sub-groups under their parent), with its time zone and members."""
    upgrade(context.database)
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
    upgrade(context.database)
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
        raise fail(membership_message(error)) from error


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


@main.group()
def admin() -> None:
    """Dashboard logins."""


@admin.command("create")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def admin_create(context: Runtime, username: str, password_stdin: bool) -> None:
    """Create a dashboard login."""
    username = username.strip()
    if not username or len(username) > 64:
        raise fail("the username must be 1 to 64 characters")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise fail("the password must be at least 8 characters")
    upgrade(context.database)
    with context.database.transaction() as session:
        if session.query(AdminUser).filter_by(username=username).first() is not None:
            raise fail(f"admin {username!r} already exists")
        session.add(AdminUser(username=username, password_hash=generate_password_hash(password)))
    click.echo(f"admin {username} created")


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
    upgrade(context.database)
    from broadcasts.elections import faq
    from broadcasts.elections.stored import load_bundled

    with context.database.transaction() as session:
        load_bundled(session, context.clock.now())
        faq.load_bundled(session, context.clock.now())

    def say(text: str) -> None:
        inbound = Inbound(f"CHAT{uuid.uuid4().hex}", f"whatsapp:{phone}", text, name)
        click.echo(answer(context.database, context.settings, context.clock, inbound))

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
