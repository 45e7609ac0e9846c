"""`humasbot admin …`: dashboard logins, their roles, and the member an editor is."""

from __future__ import annotations

import sys

import click

from bot.cli.base import main, pass_context, refusal
from broadcasts.db.models import AccountRole
from broadcasts.errors import AccountError
from broadcasts.people import accounts
from broadcasts.people.membership import shown_phone
from broadcasts.runtime import Runtime

ROLES = click.Choice([role.value for role in AccountRole])


@main.group()
def admin() -> None:
    """Dashboard logins."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@admin.command("create")
@click.argument("username")
@click.option("--role", type=ROLES, default=AccountRole.ADMIN.value, show_default=True)
@click.option("--phone", help="The member this account is (an editor's own phone): four-eyes "
              "then holds across chat and the dashboard.")  # fmt: skip
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def admin_create(
    context: Runtime, username: str, role: str, phone: str | None, password_stdin: bool
) -> None:
    """Create a dashboard login."""
    password = _password(password_stdin)
    try:
        with context.database.transaction() as session:
            account = accounts.create(session, username, password, role)
            if phone:
                accounts.link_member(session, account.username, phone)
    except AccountError as error:
        raise refusal(error) from None
    click.echo(f"{role} {account.username} created")


@admin.command("list")
@pass_context
def admin_list(context: Runtime) -> None:
    """Every dashboard login with its role and state."""
    with context.database.transaction() as session:
        for account in accounts.all_accounts(session):
            state = "disabled" if account.disabled_at else "active"
            member = account.member
            linked = f"  member {shown_phone(member.phone)}" if member and member.phone else ""
            click.echo(f"{account.username}  {account.role}  {state}{linked}")


@admin.command("disable")
@click.argument("username")
@pass_context
def admin_disable(context: Runtime, username: str) -> None:
    """Disable a login; its sessions end at once."""
    try:
        with context.database.transaction() as session:
            accounts.disable(session, username, context.clock.now())
    except AccountError as error:
        raise refusal(error) from None
    click.echo(f"{username} disabled; its sessions have ended")


@admin.command("enable")
@click.argument("username")
@pass_context
def admin_enable(context: Runtime, username: str) -> None:
    """Let a disabled login sign in again."""
    try:
        with context.database.transaction() as session:
            accounts.enable(session, username)
    except AccountError as error:
        raise refusal(error) from None
    click.echo(f"{username} enabled")


@admin.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def admin_password(context: Runtime, username: str, password_stdin: bool) -> None:
    """Set a new password; the login's sessions end."""
    password = _password(password_stdin)
    try:
        with context.database.transaction() as session:
            accounts.set_password(session, username, password)
    except AccountError as error:
        raise refusal(error) from None
    click.echo(f"password of {username} changed; its sessions have ended")


@admin.command("role")
@click.argument("username")
@click.argument("role", type=ROLES)
@pass_context
def admin_role(context: Runtime, username: str, role: str) -> None:
    """Change a login's role."""
    try:
        with context.database.transaction() as session:
            accounts.set_role(session, username, role)
    except AccountError as error:
        raise refusal(error) from None
    click.echo(f"{username} is now {role}")
