"""Who acts outside chat: `--by` on the command line names a dashboard account or a member.

In chat the sender is the actor. On the command line the operator says on whose behalf they act,
and that is checked as strictly as a chat message is: the name must be a real dashboard account
(`humasbot admin create`) or the phone of a member, and a member acting through the CLI may do
only what their role lets them do in chat (`editorial` checks it the same way for both).

The audit log writes actors as keys: `admin:<username>` for an account (as the dashboard does),
`member:+62…` for a member (as chat does), `system:…` for the bot itself. Checks here fail
closed: anything not shown to be allowed is refused, with a message in English for operators.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import AdminUser, Group, Member
from broadcasts.editorial.workflow import may_coordinate, may_edit, member_actor
from broadcasts.people.membership import find_member, is_erased_actor, shown_phone
from broadcasts.people.phones import PhoneError, normalise_phone

ACCOUNT_PREFIX = "admin:"
# The operator at the command line who did not say who they are (no `--by`). They hold the
# machine and its database, so they may administer; but they are nobody in particular, so they
# may not be the second pair of eyes on anything.
OPERATOR_KEY = "system:cli"


class ActorError(ValueError):
    """`--by` names nobody, or the one it names may not do what was asked. Its text is for
    operators, in English."""


@dataclass(frozen=True)
class Actor:
    """Someone acting: `key` as the audit log writes it, and the member when it is one."""

    key: str
    member: Member | None = None

    @property
    def is_account(self) -> bool:
        """A dashboard account: an admin of the deployment."""
        return self.key.startswith(ACCOUNT_PREFIX)

    @property
    def is_operator(self) -> bool:
        """The unnamed operator at the command line (no `--by`)."""
        return self.key == OPERATOR_KEY

    @property
    def label(self) -> str:
        """How the actor is shown to an operator: an account by its key, a member by their name
        and masked number (never the full number: terminal output gets pasted around)."""
        if self.member is None:
            return self.key
        number = shown_phone(self.member.phone)
        return f"member {self.member.name} ({number})" if self.member.name else f"member {number}"


OPERATOR = Actor(OPERATOR_KEY)


def shown_key(key: str) -> str:
    """An audit key as an operator is shown it: a member's number masked, an erased member as
    such (`erased:17` → "erased member #17")."""
    prefix, _, rest = key.partition(":")
    if is_erased_actor(key):
        return f"erased member #{rest}"
    return f"{prefix}:{shown_phone(rest)}" if prefix == "member" and rest.startswith("+") else key


def account_key(username: str) -> str:
    return f"{ACCOUNT_PREFIX}{username}"


def resolve_by(session: Session, by: str) -> Actor:
    """The actor `by` names: a dashboard account's username, or a member's phone number in any
    common form (`0812…`, `+62 812-…`, `62812…`, `whatsapp:+62812…`).

    Raises ActorError for anything else, and when the text names both an account and a member
    (say so with the account's exact username or the member's number written differently)."""
    text = by.strip()
    if not text:
        raise ActorError("--by is empty: give a dashboard account's username or a member's phone")
    account = session.scalar(
        select(AdminUser.username).where(
            AdminUser.username == text, AdminUser.disabled_at.is_(None)
        )
    )
    member = _member(session, text)
    if account is not None and member is not None:
        raise ActorError(
            f"--by {text!r} is both a dashboard account and a member's phone; "
            "write the phone as +62… to mean the member"
        )
    if account is not None:
        return Actor(account_key(account))
    if member is not None:
        return Actor(member_actor(member), member)
    raise ActorError(_nobody(text))


def _member(session: Session, text: str) -> Member | None:
    try:
        phone = normalise_phone(text)
    except PhoneError:
        return None
    return find_member(session, phone=phone)


def _nobody(text: str) -> str:
    try:
        phone = normalise_phone(text)
    except PhoneError:
        return (
            f"--by {text!r} is neither a dashboard account nor a phone number "
            "(accounts: humasbot admin create; phones: 0812… or +62812…)"
        )
    return f"--by {shown_phone(phone)} is not a member's phone (members: humasbot member add)"


# --- What an actor may do --------------------------------------------------------------------


def require_account(actor: Actor, doing: str) -> None:
    """Administration (the content library, calendars, campaigns, blackouts, group settings,
    members): a dashboard account's or the operator's, never a member's through the CLI."""
    if actor.member is not None:
        raise ActorError(
            f"{actor.label} may not {doing}: that is for dashboard accounts "
            "(a member acts through the CLI only as they could in chat)"
        )


def require_named(actor: Actor, doing: str) -> None:
    """A decision someone answers for (an approval): it needs a `--by`."""
    if actor.is_operator:
        raise ActorError(f"say who is to {doing} with --by (a dashboard account or an editor)")


def require_coordinator(session: Session, actor: Actor, groups: Iterable[Group]) -> None:
    """A member must coordinate (or edit) every group, or a group above it; accounts may."""
    if actor.member is None:
        return
    for group in groups:
        if not may_coordinate(session, actor.member, group):
            raise ActorError(f"{actor.label} does not coordinate group {group.code}")


def require_editor(session: Session, actor: Actor, groups: Iterable[Group], doing: str) -> None:
    """The four-eyes reviewer: a dashboard account, or a member who is an editor of every group
    (each through itself or a group above it, so of every group below it too). The operator
    with no `--by` is nobody's second pair of eyes."""
    require_named(actor, doing)
    if actor.member is None:
        return
    for group in groups:
        if not may_edit(session, actor.member, group):
            raise ActorError(
                f"{actor.label} is not an editor of group {group.code}, so may not {doing}: "
                "only editors of the groups it reaches may"
            )


def require_not_author(actor: Actor, author: str, doing: str) -> None:
    """Four eyes: whoever wrote something may not be the one who approves it."""
    if actor.key == author:
        raise ActorError(f"{actor.label} wrote it, so may not {doing}: someone else must")
