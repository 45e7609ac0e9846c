"""Dashboard accounts: roles, passwords, sessions and the link to a member's phone.

A session is a row (`admin_sessions`) checked on every request, so the database, not the cookie,
decides who is signed in: disabling an account, deleting it or changing its password ends its
sessions at once, logging out ends that one, and a session idle for `IDLE` ends by itself.

An account may be linked to a member (an editor's own phone). Then the account and the member
are one person for four-eyes: `approver` hands the workflow the member, and the workflow refuses
their own broadcasts whether they were proposed by chat or on the web.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from broadcasts.db.models import AccountRole, AdminSession, AdminUser, Member
from broadcasts.errors import AccountError
from broadcasts.people import login_throttle
from broadcasts.people.membership import find_member
from broadcasts.people.phones import PhoneError, normalise_phone

IDLE = timedelta(hours=2)  # a session unused this long has ended
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
MIN_PASSWORD = 8
_USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class SignedIn:
    """Who a valid session belongs to, as the web needs it after the session closes."""

    account_id: int
    username: str
    role: AccountRole
    member_id: int | None

    def may(self, role: AccountRole) -> bool:
        return self.role.rank >= role.rank

    @property
    def may_edit(self) -> bool:
        return self.may(AccountRole.EDITOR)


def check_username(username: str) -> str:
    name = username.strip()
    if not _USERNAME.fullmatch(name):
        raise AccountError("bad_username", username=name[:64])
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError("short_password", minimum=MIN_PASSWORD)
    return password


def check_role(role: str) -> AccountRole:
    try:
        return AccountRole(role.strip().lower())
    except ValueError:
        raise AccountError("bad_role", role=role) from None


def find(session: Session, username: str) -> AdminUser:
    account = session.scalar(select(AdminUser).where(AdminUser.username == username.strip()))
    if account is None:
        raise AccountError("unknown_account", username=username.strip()[:64])
    return account


def all_accounts(session: Session) -> list[AdminUser]:
    return list(session.scalars(select(AdminUser).order_by(AdminUser.username)))


def create(
    session: Session, username: str, password: str, role: str = AccountRole.ADMIN.value
) -> AdminUser:
    name = check_username(username)
    chosen = check_role(role)
    check_password(password)
    if session.scalar(select(AdminUser.id).where(AdminUser.username == name)) is not None:
        raise AccountError("account_exists", username=name)
    account = AdminUser(
        username=name, password_hash=generate_password_hash(password), role=chosen.value
    )
    session.add(account)
    session.flush()
    return account


def _active_admins(session: Session) -> int:
    return (
        session.scalar(
            select(func.count(AdminUser.id)).where(
                AdminUser.role == AccountRole.ADMIN.value, AdminUser.disabled_at.is_(None)
            )
        )
        or 0
    )


def disable(session: Session, username: str, now: datetime) -> AdminUser:
    """Disabled, and every session of the account ended. The last active admin stays: without
    one nobody could manage accounts from the dashboard."""
    account = find(session, username)
    if account.disabled_at is None:
        if account.role == AccountRole.ADMIN.value and _active_admins(session) <= 1:
            raise AccountError("last_admin", username=account.username)
        account.disabled_at = now
    end_sessions(session, account.id)
    return account


def enable(session: Session, username: str) -> AdminUser:
    account = find(session, username)
    account.disabled_at = None
    return account


def set_password(session: Session, username: str, password: str) -> AdminUser:
    """A new password ends every session: whoever knew the old one is signed out."""
    account = find(session, username)
    account.password_hash = generate_password_hash(check_password(password))
    end_sessions(session, account.id)
    return account


def set_role(session: Session, username: str, role: str) -> AdminUser:
    account = find(session, username)
    chosen = check_role(role)
    demoted = account.role == AccountRole.ADMIN.value and chosen is not AccountRole.ADMIN
    if demoted and account.disabled_at is None and _active_admins(session) <= 1:
        raise AccountError("last_admin", username=account.username)
    account.role = chosen.value
    return account


def link_member(session: Session, username: str, phone: str | None) -> AdminUser:
    """Link the account to the member with this phone (any common form), or unlink (None)."""
    account = find(session, username)
    if phone is None or not phone.strip():
        account.member_id = None
        return account
    try:
        number = normalise_phone(phone)
    except PhoneError:
        raise AccountError("not_a_member", phone=phone.strip()[:32]) from None
    member = find_member(session, phone=number)
    if member is None:
        raise AccountError("not_a_member", phone=phone.strip()[:32])
    account.member_id = member.id
    return account


def linked_member(session: Session, signed_in: SignedIn) -> Member | None:
    """The member the account acts as, for four-eyes: None when it is linked to nobody."""
    return session.get(Member, signed_in.member_id) if signed_in.member_id else None


# --- Signing in and sessions ----------------------------------------------------------------


@cache
def _no_such_account() -> str:
    """A hash to check when the username is unknown, so a wrong name takes as long as a wrong
    password and does not tell which names exist."""
    return generate_password_hash(secrets.token_hex(16))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignInResult:
    """`token` for the cookie when the password was right; `throttled` when it was not even
    checked."""

    token: str | None = None
    throttled: bool = False


def sign_in(
    session: Session, username: str, password: str, address: str, now: datetime
) -> SignInResult:
    """Checks the throttle, then the password; a right one opens a session."""
    if login_throttle.is_locked(session, username, address, now):
        return SignInResult(throttled=True)
    account = session.scalar(select(AdminUser).where(AdminUser.username == username))
    stored = account.password_hash if account is not None else _no_such_account()
    right = check_password_hash(stored, password)
    if account is None or not right or account.disabled_at is not None:
        login_throttle.record_failure(session, username, address, now)
        return SignInResult()
    login_throttle.forget(session, username, now)
    token = secrets.token_urlsafe(32)
    session.add(
        AdminSession(
            admin_user_id=account.id, token_hash=_digest(token), created_at=now, last_seen_at=now
        )
    )
    return SignInResult(token=token)


def session_owner(session: Session, token: str, now: datetime) -> SignedIn | None:
    """Who the session with this token belongs to, or None when it has ended (logged out, idle,
    account disabled, deleted or its password changed)."""
    found = session.execute(
        select(AdminSession, AdminUser)
        .join(AdminUser, AdminUser.id == AdminSession.admin_user_id)
        .where(AdminSession.token_hash == _digest(token))
    ).first()
    if found is None:
        return None
    row, account = found
    if account.disabled_at is not None or now - row.last_seen_at >= IDLE:
        session.delete(row)
        return None
    if now - row.last_seen_at >= SEEN_EVERY:
        row.last_seen_at = now
    return SignedIn(account.id, account.username, AccountRole(account.role), account.member_id)


def sign_out(session: Session, token: str) -> None:
    session.execute(delete(AdminSession).where(AdminSession.token_hash == _digest(token)))


def end_sessions(session: Session, account_id: int) -> None:
    session.execute(delete(AdminSession).where(AdminSession.admin_user_id == account_id))
