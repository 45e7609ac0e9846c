"""Members, groups and who belongs where, with which role."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, case, func, literal_column, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from broadcasts.db.models import ConsentSource, Group, Member, Membership, Role
from broadcasts.editorial import audit
from broadcasts.errors import MembershipError
from broadcasts.people import consent
from broadcasts.people.group_tree import ancestry
from broadcasts.people.phones import normalise_phone

# Join codes avoid letters and digits that are easy to misread (0/O, 1/I/L).
_JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INDONESIAN_ZONES = ("Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura")

# The statements every inbound message runs, built once: building and keying a statement costs
# about as much CPU as running it.
_HOME_TIMEZONE_OF_MEMBER = (
    select(Group.timezone)
    .join(Membership, Membership.group_id == Group.id)
    .where(Membership.member_id == Member.id)
    .order_by(Membership.id)
    .limit(1)
    .correlate(Member)
    .scalar_subquery()
)
_MEMBER_BY_WA_ID = select(Member, _HOME_TIMEZONE_OF_MEMBER).where(
    Member.wa_id == bindparam("wa_id")
)
_MEMBER_BY_PHONE = select(Member, _HOME_TIMEZONE_OF_MEMBER).where(
    Member.phone == bindparam("phone")
)
_MEMBERS = Member.metadata.tables[Member.__tablename__]
_LAST_INBOUND = (
    update(_MEMBERS)
    .where(_MEMBERS.c.id == bindparam("member_id"))
    .values(last_inbound_at=bindparam("at"))
)
# On PostgreSQL a message from a member seen before is found, its time written and the home time
# zone read in one statement: one round trip where a lookup and an update take two. (SQLite drops
# the table names inside RETURNING, which breaks the subquery; it takes the two statements.)
_WROTE_BY_WA_ID, _WROTE_BY_PHONE = (
    select(Member, literal_column("home_timezone")).from_statement(
        update(_MEMBERS)
        .where(key == bindparam("key"))
        .values(last_inbound_at=bindparam("at"))
        .returning(*_MEMBERS.c, _HOME_TIMEZONE_OF_MEMBER.label("home_timezone"))
    )
    for key in (_MEMBERS.c.wa_id, _MEMBERS.c.phone)
)
_ROLES = select(Membership.group_id, Membership.role).where(
    Membership.member_id == bindparam("member_id")
)
_HOME_TIMEZONE = (
    select(Group.timezone)
    .join(Membership, Membership.group_id == Group.id)
    .where(Membership.member_id == bindparam("member_id"))
    .order_by(Membership.id)
    .limit(1)
)
# Home time zones of the members looked up in a session, by member id, kept in `session.info`:
# the lookup fetches one with the member (a date reply needs it), and any change this module
# makes to a membership drops them (member_import, which writes them in bulk, calls it too).
_HOME_TIMEZONES = "humasbot.home_timezones"


def find_member(
    session: Session, phone: str | None = None, wa_id: str | None = None
) -> Member | None:
    if wa_id:
        member = _member_with_home(session, _MEMBER_BY_WA_ID, {"wa_id": wa_id})
        if member is not None:
            return member
    if phone:
        return _member_with_home(session, _MEMBER_BY_PHONE, {"phone": phone})
    return None


def _member_with_home(
    session: Session, statement: Any, parameters: dict[str, Any]
) -> Member | None:
    row = session.execute(statement, parameters).one_or_none()
    if row is None:
        return None
    member: Member = row[0]
    _known_home_timezones(session)[member.id] = row[1]
    return member


def _known_home_timezones(session: Session) -> dict[int, str | None]:
    known: dict[int, str | None] = session.info.setdefault(_HOME_TIMEZONES, {})
    return known


def _memberships_changed(session: Session) -> None:
    session.info.pop(_HOME_TIMEZONES, None)


def memberships_changed(session: Session) -> None:
    """To be called by whatever else writes memberships in bulk (`member_import`)."""
    _memberships_changed(session)


def get_or_create_member(
    session: Session, phone: str, *, wa_id: str | None = None, name: str | None = None
) -> Member:
    member = find_member(session, phone=phone, wa_id=wa_id)
    if member is None:
        return _new_member(session, phone, wa_id, name, at=None)
    _complete(member, wa_id, name)
    return member


def member_writing(
    session: Session, phone: str, at: datetime, *, wa_id: str | None = None, name: str | None = None
) -> Member:
    """The member a message comes from, made on their first, with the message's time recorded:
    that opens the 24-hour window in which free-form messages may be sent to them."""
    if session.get_bind().dialect.name != "postgresql":
        known = get_or_create_member(session, phone, wa_id=wa_id, name=name)
        record_inbound(session, known, at)
        return known
    member: Member | None = None
    if wa_id:
        member = _member_with_home(session, _WROTE_BY_WA_ID, {"key": wa_id, "at": at})
    if member is None:
        member = _member_with_home(session, _WROTE_BY_PHONE, {"key": phone, "at": at})
    if member is None:
        return _new_member(session, phone, wa_id, name, at=at)
    _complete(member, wa_id, name)
    return member


def record_inbound(session: Session, member: Member, at: datetime) -> None:
    """Opens the member's 24-hour window: one UPDATE of one column, written now rather than by a
    unit-of-work flush. The loaded member is told the value without marking it changed."""
    session.execute(_LAST_INBOUND, {"member_id": member.id, "at": at})
    set_committed_value(member, "last_inbound_at", at)


def _new_member(
    session: Session, phone: str, wa_id: str | None, name: str | None, at: datetime | None
) -> Member:
    member = Member(phone=phone, wa_id=wa_id, name=name, last_inbound_at=at)
    if at is not None:
        member.created_at = at  # the message's time, by the clock passed in
    session.add(member)
    session.flush()
    _known_home_timezones(session)[member.id] = None  # in no group yet
    return member


def _complete(member: Member, wa_id: str | None, name: str | None) -> None:
    """Fills in what an earlier message did not tell about the member."""
    if wa_id and member.wa_id is None:
        member.wa_id = wa_id
    if name and not member.name:
        member.name = name


def group_by_code(session: Session, code: str) -> Group:
    group = session.scalar(select(Group).where(Group.code == code.strip().upper()))
    if group is None:
        raise MembershipError("unknown_group", code=code.strip().upper())
    return group


def new_join_code(session: Session, length: int = 6) -> str:
    while True:
        code = "".join(secrets.choice(_JOIN_ALPHABET) for _ in range(length))
        if session.scalar(select(Group.id).where(Group.join_code == code)) is None:
            return code


def rotate_join_code(session: Session, group_code: str, *, actor: str, now: datetime) -> Group:
    """Gives the group a new invitation code at once: the old one joins nobody any more (members
    already in stay). Audited, without either code."""
    group = group_by_code(session, group_code)
    group.join_code = new_join_code(session)
    session.flush()
    audit.record(session, actor, "join_code_rotated", "group", group.id, now)
    return group


def check_timezone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise MembershipError("unknown_timezone", timezone=zone) from exc
    return zone


def create_group(
    session: Session,
    code: str,
    name: str,
    *,
    parent_code: str | None = None,
    timezone: str | None = None,
    default_timezone: str = "Asia/Jakarta",
) -> Group:
    code = code.strip().upper()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 32:
        raise MembershipError("bad_group_code", code=code)
    if not name.strip():
        raise MembershipError("empty_group_name")
    if session.scalar(select(Group.id).where(Group.code == code)) is not None:
        raise MembershipError("group_exists", code=code)
    parent = group_by_code(session, parent_code) if parent_code else None
    zone = check_timezone(timezone or (parent.timezone if parent else default_timezone))
    group = Group(
        code=code,
        name=name.strip(),
        parent=parent,
        timezone=zone,
        join_code=new_join_code(session),
    )
    session.add(group)
    session.flush()
    return group


def add_member(
    session: Session,
    phone: str,
    group_code: str,
    *,
    role: Role = Role.MEMBER,
    name: str | None = None,
    added_by: str = "system:cli",
    source: ConsentSource = ConsentSource.CLI,
    now: datetime | None = None,
) -> Membership:
    """Adds (or re-roles) a member in a group; `phone` in any common form. A new membership's
    consent is recorded as given through `source` by `added_by` (an actor key)."""
    group = group_by_code(session, group_code)
    member = get_or_create_member(session, normalise_phone(phone), name=name)
    if name:
        member.name = name
    existing = session.scalar(
        select(Membership).where(Membership.member_id == member.id, Membership.group_id == group.id)
    )
    if existing is not None:
        if role != Role.EDITOR:
            _lock_ancestry(session, group)
            _keep_a_reviewer(session, existing)
        existing.role = role.value
        return existing
    joined = Membership(member=member, group=group, role=role.value)
    if now is not None:
        joined.created_at = now  # the clock passed in, as the consent's time
    session.add(joined)
    session.flush()
    _memberships_changed(session)
    consent.record(session, member.id, group.id, source, at=now, given_by=added_by)
    return joined


def join(
    session: Session,
    member: Member,
    join_code: str,
    *,
    message_sid: str | None = None,
    now: datetime | None = None,
) -> tuple[Group, bool]:
    """Joins by join code; returns the group and whether the member was new to it. Joining is
    the member's consent, recorded with the message that asked (`message_sid`)."""
    group = session.scalar(select(Group).where(Group.join_code == join_code.strip().upper()))
    if group is None:
        raise MembershipError("unknown_join_code", code=join_code.strip().upper())
    existing = session.scalar(
        select(Membership.id).where(
            Membership.member_id == member.id, Membership.group_id == group.id
        )
    )
    if existing is not None:
        return group, False
    session.add(Membership(member_id=member.id, group_id=group.id, role=Role.MEMBER.value))
    session.flush()
    _memberships_changed(session)
    consent.record(
        session, member.id, group.id, ConsentSource.JOIN_CODE, at=now, message_sid=message_sid
    )
    return group, True


def leave(session: Session, member: Member, group_code: str) -> Group:
    group = group_by_code(session, group_code)
    joined = session.scalar(
        select(Membership).where(Membership.member_id == member.id, Membership.group_id == group.id)
    )
    if joined is None:
        raise MembershipError("not_in_group", code=group.code)
    session.delete(joined)
    session.flush()
    _memberships_changed(session)
    consent.withdraw(session, member.id, group.id)
    return group


def leave_all(session: Session, member: Member, now: datetime) -> int:
    """Takes the member out of every group, whatever their role (their data is being erased);
    returns how many groups they were in."""
    joined = list(session.scalars(select(Membership).where(Membership.member_id == member.id)))
    for row in joined:
        session.delete(row)
    session.flush()
    _memberships_changed(session)
    consent.withdraw(session, member.id, at=now)
    return len(joined)


def opt_out(member: Member, at: datetime) -> bool:
    """Stops all broadcasts to the member; returns False if they had already stopped."""
    if member.opted_out_at is not None:
        return False
    member.opted_out_at = at
    return True


def opt_in(member: Member) -> bool:
    if member.opted_out_at is None:
        return False
    member.opted_out_at = None
    return True


def roles_of(session: Session, member: Member) -> dict[int, Role]:
    rows = session.execute(_ROLES, {"member_id": member.id})
    return {group_id: Role(role) for group_id, role in rows}


def groups_of(session: Session, member: Member) -> list[tuple[Group, Role]]:
    rows = session.execute(
        select(Group, Membership.role)
        .join(Membership, Membership.group_id == Group.id)
        .where(Membership.member_id == member.id)
        .order_by(Group.code)
    )
    return [(group, Role(role)) for group, role in rows]


def home_timezone(session: Session, member: Member) -> str | None:
    """The time zone of the member's first group; None when they are in none."""
    known = _known_home_timezones(session)
    if member.id not in known:
        known[member.id] = session.scalar(_HOME_TIMEZONE, {"member_id": member.id})
    return known[member.id]


def descendant_ids(session: Session, group_id: int) -> set[int]:
    """The group and every group below it."""
    children: dict[int | None, list[int]] = {}
    for gid, parent_id in session.execute(select(Group.id, Group.parent_id)):
        children.setdefault(parent_id, []).append(gid)
    found, frontier = {group_id}, [group_id]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def role_in_group(session: Session, member: Member, group: Group) -> Role | None:
    """The member's role in `group`, inherited from its ancestors (the highest one wins)."""
    roles = roles_of(session, member)
    best: Role | None = None
    current: Group | None = group
    seen: set[int] = set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        role = roles.get(current.id)
        if role is not None and (best is None or role.rank > best.rank):
            best = role
        current = current.parent
    return best


# --- Managing members (the operator's side: the CLI and the dashboard) ----------------------


def shown_phone(phone: str | None) -> str:
    """A number as people write it, masked as someone else's number is (words.md):
    +6281234564444 → 0812-****-4444; a foreign one keeps its country code, +4477****0123."""
    if not phone:
        return "—"
    if phone.startswith("+62") and len(phone) > 9:
        national = "0" + phone[3:]
        return f"{national[:4]}-****-{national[-4:]}"
    return f"{phone[:5]}****{phone[-4:]}"


# How an erased member is named where they acted (the audit log, a broadcast's author): the
# row's id, which says two actions were one person's without saying who (people.erasure).
ERASED_PREFIX = "erased:"


def erased_actor(member_id: int) -> str:
    return f"{ERASED_PREFIX}{member_id}"


def is_erased_actor(key: str | None) -> bool:
    return bool(key) and str(key).startswith(ERASED_PREFIX)


@dataclass(frozen=True)
class GroupNode:
    """A group in the tree, with who is in it."""

    group: Group
    depth: int  # 0 for a group with no parent
    members: int  # in the group itself
    reach: int | None  # different people in it and every group below it; None: not counted
    subgroups: int  # groups right below it
    editors: int  # editors of the group itself
    reviewed: bool  # an editor of it or of a group above it can approve its broadcasts


def group_tree(session: Session, *, reach: bool = True) -> list[GroupNode]:
    """Every group, each parent followed by its sub-groups, siblings by code.

    `reach=False` leaves out the different people in each group with those below it (it needs
    every membership in memory: 100,000 rows for a national network) and counts members and
    editors in the database instead, for a page that shows only those."""
    groups = list(session.scalars(select(Group).order_by(Group.code)))
    people: dict[int, set[int]] = {group.id: set() for group in groups}
    members: dict[int, int] = dict.fromkeys(people, 0)
    editors: dict[int, int] = dict.fromkeys(people, 0)
    if reach:
        for group_id, member_id, role in session.execute(
            select(Membership.group_id, Membership.member_id, Membership.role)
        ):
            people[group_id].add(member_id)
            editors[group_id] += role == Role.EDITOR.value
        members = {group_id: len(found) for group_id, found in people.items()}
    else:
        is_editor = case((Membership.role == Role.EDITOR.value, 1), else_=0)
        for group_id, joined, editing in session.execute(
            select(Membership.group_id, func.count(), func.sum(is_editor)).group_by(
                Membership.group_id
            )
        ):
            members[group_id], editors[group_id] = int(joined), int(editing or 0)
    children: dict[int | None, list[Group]] = {}
    known = set(people)
    for group in groups:
        parent = group.parent_id if group.parent_id in known else None
        children.setdefault(parent, []).append(group)

    visited: list[tuple[Group, int, bool]] = []  # parents before their sub-groups
    seen: set[int] = set()

    def visit(group: Group, depth: int, reviewed_above: bool) -> None:
        seen.add(group.id)
        reviewed = reviewed_above or editors[group.id] > 0
        visited.append((group, depth, reviewed))
        for child in children.get(group.id, []):
            if child.id not in seen:  # a bad edit could make a cycle: each group shows once
                visit(child, depth + 1, reviewed)

    for root in [*children.get(None, []), *groups]:  # the rest: only groups in a cycle
        if root.id not in seen:
            visit(root, 0, False)
    everyone = {group_id: set(found) for group_id, found in people.items()}
    if reach:
        for group, depth, _ in reversed(visited):  # sub-groups before their parent
            if depth > 0 and group.parent_id is not None:
                everyone[group.parent_id] |= everyone[group.id]
    below = {group.id: len(children.get(group.id, [])) for group in groups}
    return [
        GroupNode(
            group=group,
            depth=depth,
            members=members[group.id],
            reach=len(everyone[group.id]) if reach else None,
            subgroups=below[group.id],
            editors=editors[group.id],
            reviewed=reviewed,
        )
        for group, depth, reviewed in visited
    ]


def members_of(session: Session, group: Group) -> list[Membership]:
    """The group's own members (not those of the groups below), editors first, then by name."""
    joined = session.scalars(
        select(Membership)
        .options(joinedload(Membership.member))
        .where(Membership.group_id == group.id)
        .order_by(Membership.id)
    )
    return sorted(
        joined,
        key=lambda m: (-Role(m.role).rank, (m.member.name or "").lower(), m.member.phone or ""),
    )


def remove_member(
    session: Session, phone: str, group_code: str, *, actor: str, now: datetime
) -> Membership:
    """Takes the member out of the group (not out of the groups below it), audited.

    Refused (MembershipError "last_editor") when it would leave the group with no editor of its
    own or above it: nobody could then approve its broadcasts or its sub-groups'."""
    joined = _membership(session, phone, group_code)
    _keep_a_reviewer(session, joined)
    _ = joined.group, joined.member  # loaded now: the caller reads them after the delete
    session.delete(joined)
    session.flush()
    _memberships_changed(session)
    consent.withdraw(session, joined.member_id, joined.group_id, at=now)
    audit.record(
        session,
        actor,
        "member_removed",
        "group",
        joined.group_id,
        now,
        member=joined.member_id,
        role=joined.role,
    )
    return joined


def change_role(
    session: Session, phone: str, group_code: str, role: Role, *, actor: str, now: datetime
) -> tuple[Membership, Role]:
    """Gives a member of the group another role there; returns it with the role before.

    Refused like `remove_member` when it takes the last editor's role away."""
    joined = _membership(session, phone, group_code)
    before = Role(joined.role)
    if before == role:
        return joined, before
    if before == Role.EDITOR:
        _keep_a_reviewer(session, joined)
    joined.role = role.value
    session.flush()
    _memberships_changed(session)
    audit.record(
        session,
        actor,
        "role_changed",
        "group",
        joined.group_id,
        now,
        member=joined.member_id,
        before=before.value,
        after=role.value,
    )
    return joined, before


def _membership(session: Session, phone: str, group_code: str) -> Membership:
    """The membership of `phone` (any common form) in the group, its group tree locked."""
    number = normalise_phone(phone)
    group = group_by_code(session, group_code)
    _lock_ancestry(session, group)
    member = find_member(session, phone=number)
    joined = None
    if member is not None:
        joined = session.scalar(
            select(Membership).where(
                Membership.member_id == member.id, Membership.group_id == group.id
            )
        )
    if joined is None:
        raise MembershipError("member_not_in_group", phone=shown_phone(number), code=group.code)
    return joined


def _lock_ancestry(session: Session, group: Group) -> None:
    """Locks the group and those above it (PostgreSQL), in id order: two operators taking the
    last two editors away at once are then checked one after the other, and the second refused.
    Every change of an editor locks the same rows its check reads. SQLite writes one at a time."""
    above = ancestry([group.id])
    session.execute(
        select(Group.id)
        .where(Group.id.in_(select(above.c.id)))
        .order_by(Group.id)
        .with_for_update()
    )


def _keep_a_reviewer(session: Session, leaving: Membership) -> None:
    """Refuses to take an editor away from a group that would then have no editor, of its own
    or in any group above it (editors above approve here too, as `editorial.reviewers` says)."""
    if leaving.role != Role.EDITOR.value:
        return
    group = session.get_one(Group, leaving.group_id)
    above = ancestry([group.id])
    other = session.scalar(
        select(Membership.id)
        .where(
            Membership.group_id.in_(select(above.c.id)),
            Membership.role == Role.EDITOR.value,
            Membership.id != leaving.id,
        )
        .limit(1)
    )
    if other is None:
        member = session.get_one(Member, leaving.member_id)
        raise MembershipError("last_editor", phone=shown_phone(member.phone), code=group.code)
