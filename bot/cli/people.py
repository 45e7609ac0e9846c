"""Groups, members, dashboard logins, and talking to the bot without WhatsApp."""

from __future__ import annotations

import sys
import uuid

import click
from werkzeug.security import generate_password_hash

from bot.cli.base import Context, main, pass_context
from bot.inbound import Inbound, answer
from broadcasts import membership
from broadcasts.membership import MembershipError
from broadcasts.models import AdminUser, Role
from broadcasts.phones import PhoneError, normalise_phone
from broadcasts.phrasebook import render
from broadcasts.schema import upgrade


def fail(message: str) -> click.ClickException:
    return click.ClickException(message)


def membership_message(error: MembershipError) -> str:
    """The CLI speaks English to operators; chat replies come from the templates."""
    return render(f"error_{error.key}", "en", **error.data).replace("*", "")


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
    context: Context, code: str, name: str, parent_code: str | None, timezone: str | None
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
            click.echo(f"Group {created.code} ({created.name}), time zone {created.timezone}")
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
def member_add(context: Context, phone: str, group_code: str, role: str, name: str | None) -> None:
    """Add a member to a group (or change their role in it)."""
    upgrade(context.database)
    try:
        with context.database.transaction() as session:
            joined = membership.add_member(session, phone, group_code, role=Role(role), name=name)
            click.echo(f"{joined.member.phone} is {joined.role} of {joined.group.code}")
    except PhoneError as error:
        raise fail(f"{phone!r} is not a phone number (try 0812… or +62812…)") from error
    except MembershipError as error:
        raise fail(membership_message(error)) from error


@main.group()
def admin() -> None:
    """Dashboard logins."""


@admin.command("create")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def admin_create(context: Context, username: str, password_stdin: bool) -> None:
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
def chat(context: Context, sender: str, name: str | None, message: str | None) -> None:
    """Talk to the bot as PHONE, without WhatsApp."""
    try:
        phone = normalise_phone(sender)
    except PhoneError as error:
        raise fail(f"{sender!r} is not a phone number (try 0812… or +62812…)") from error
    upgrade(context.database)
    from broadcasts import faq
    from broadcasts.calendars import load_bundled

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
