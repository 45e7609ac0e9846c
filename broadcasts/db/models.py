"""The tables. Times are stored as UTC; phone numbers as E.164."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Role(enum.StrEnum):
    """Ordered: each role may do what the ones before it may."""

    MEMBER = "member"
    COORDINATOR = "coordinator"
    EDITOR = "editor"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    join_code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Group | None] = relationship(remote_side=[id])


class Member(Base):
    """A person the bot talks to. Phone today; a WhatsApp user id may identify them later."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    wa_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8))
    opted_out_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="member")

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("member_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship(back_populates="memberships")
    group: Mapped[Group] = relationship()


class InboundMessage(Base):
    """Every message received, once per MessageSid, with the reply given (a replay gets it)."""

    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_member_received", "member_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    sender: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text, default="")
    command: Mapped[str | None] = mapped_column(String(32))
    reply: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Election(Base):
    """An election calendar as loaded from `config/elections/*.yaml` (validated document)."""

    __tablename__ = "elections"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaqEntryRow(Base):
    """An election-literacy answer as loaded from `config/faq/*.yaml` (validated document)."""

    __tablename__ = "faq_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(64), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdminUser(Base):
    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Content, broadcasts and their delivery -------------------------------------------------


class ContentKind(enum.StrEnum):
    """Decides which approved WhatsApp template carries it outside the 24-hour window."""

    LITERACY = "literacy"
    CLARIFICATION = "clarification"
    NOTICE = "notice"


class BroadcastState(enum.StrEnum):
    PENDING = "pending"  # waits for an editor
    APPROVED = "approved"  # approved; waits for its time, or is being planned
    SENDING = "sending"  # deliveries planned; the dispatcher works through them
    DONE = "done"  # every delivery has a final state
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class DeliveryState(enum.StrEnum):
    """Ordered by progress: a status callback never moves a delivery backwards."""

    QUEUED = "queued"  # planned, not yet attempted (or waiting to retry)
    SENDING = "sending"  # claimed by a dispatcher; the request may be in flight
    UNKNOWN = "unknown"  # the request's outcome is not known: reconcile before any resend
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    SKIPPED = "skipped"  # never attempted, with a reason (opted out, no template, cancelled…)


class Content(Base):
    """The library of approved items that broadcasts (and CEK) draw on."""

    __tablename__ = "contents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(1000))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8), default="id")
    kind: Mapped[str] = mapped_column(String(16), default=ContentKind.LITERACY.value)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Broadcast(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_state_scheduled", "state", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    author: Mapped[str] = mapped_column(String(100))  # "member:+62…", "admin:name", "calendar:…"
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"))
    body: Mapped[str] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(1000))
    language: Mapped[str] = mapped_column(String(8), default="id")
    kind: Mapped[str] = mapped_column(String(16), default=ContentKind.LITERACY.value)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default=BroadcastState.PENDING.value)
    scheduled_at: Mapped[datetime | None]  # UTC; None: as soon as approved
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[str | None] = mapped_column(String(100))
    cancelled_at: Mapped[datetime | None]
    planned_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Group] = relationship()


class OutboundMessage(Base):
    """Every message the bot sends on its own: a row here before any attempt.

    A broadcast has one row per (broadcast, member); a notice (to an editor, an author, a
    coordinator) has a `dedupe_key`, so each is planned at most once however often it is asked.
    """

    __tablename__ = "outbound_messages"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "member_id", name="uq_outbound_broadcast_member"),
        Index("ix_outbound_state_due", "state", "next_attempt_at"),
        Index("ix_outbound_broadcast_state", "broadcast_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(String(64))  # "whatsapp:+62…" at planning time
    body: Mapped[str | None] = mapped_column(Text)  # notices; broadcasts read their broadcast
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.QUEUED.value)
    mode: Mapped[str | None] = mapped_column(String(16))  # "freeform" or "template"
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    attempted_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WhatsAppTemplate(Base):
    """An approved-or-not Content API template, as last synced from Twilio."""

    __tablename__ = "whatsapp_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_sid: Mapped[str] = mapped_column(String(64), unique=True)
    friendly_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    approval_status: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(16))  # which ContentKind it carries
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class HoaxReport(Base):
    __tablename__ = "hoax_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who did what, when: every approval, rejection, send, cancel and schedule."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_subject", "subject", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(32))  # "broadcast", "content", …
    subject_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- Editorial calendar: entries, campaigns, guards, and the occurrences they produce ---------


class EntryRule(enum.StrEnum):
    ONCE = "once"  # a local date and time
    RECURRING = "recurring"  # an RFC 5545 RRULE from a local start date
    ANCHORED = "anchored"  # days from an election stage's first or last day


class CampaignState(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class OccurrenceState(enum.StrEnum):
    PROPOSED = "proposed"  # a broadcast was made for it
    MISSED = "missed"  # the worker was down past the grace; coordinators were told
    SKIPPED = "skipped"  # held by a blackout window (a recurring occurrence)


class Campaign(Base):
    """A named series of calendar entries, paused, resumed or cancelled as one."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=CampaignState.ACTIVE.value)
    source: Mapped[str | None] = mapped_column(String(500))  # the YAML file it came from
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]


class CalendarEntry(Base):
    """What to send and when, as a rule on each target group's own wall clock."""

    __tablename__ = "calendar_entries"
    __table_args__ = (UniqueConstraint("campaign_id", "slug", name="uq_calendar_entry_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str | None] = mapped_column(String(64))  # its key within the campaign file
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)  # None: the library content's body
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"))
    media_url: Mapped[str | None] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(16), default=ContentKind.LITERACY.value)
    language: Mapped[str] = mapped_column(String(8), default="id")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    rule: Mapped[str] = mapped_column(String(16))  # EntryRule
    local_time: Mapped[time]
    starts_on: Mapped[date | None]  # once: the day; recurring: DTSTART's day
    rrule: Mapped[str | None] = mapped_column(String(500))
    anchor_election: Mapped[str | None] = mapped_column(String(32))
    anchor_stage: Mapped[str | None] = mapped_column(String(64))  # stage id, or "kind:<kind>"
    anchor_day: Mapped[str | None] = mapped_column(String(8))  # "first" or "last"
    offset_days: Mapped[int | None]
    during_quiet_hours: Mapped[bool] = mapped_column(default=False)
    cancelled_at: Mapped[datetime | None]
    # Approved ahead of time by an editor other than its author: its occurrences go out at
    # their time with no further step, while what is sent is what was approved (the version).
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    approved_version: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]

    campaign: Mapped[Campaign | None] = relationship()
    targets: Mapped[list[CalendarTarget]] = relationship(
        back_populates="entry", cascade="all, delete-orphan"
    )


class CalendarTarget(Base):
    """One entry for one group, with its next due time worked out ahead (guards applied).

    The worker's scan reads only `next_due_at` (indexed); whatever changes when an entry falls
    (a new election calendar, a blackout, quiet hours, a pause) recomputes it.
    """

    __tablename__ = "calendar_targets"
    __table_args__ = (
        UniqueConstraint("entry_id", "group_id", name="uq_calendar_target"),
        Index("ix_calendar_targets_due", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("calendar_entries.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    next_due_at: Mapped[datetime | None]  # None: nothing to do until something changes
    next_key: Mapped[str | None] = mapped_column(String(32))
    cursor_key: Mapped[str | None] = mapped_column(String(32))  # the last occurrence handled
    not_before: Mapped[datetime]  # occurrences landing earlier are not sent (added, resumed)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[CalendarEntry] = relationship(back_populates="targets")
    group: Mapped[Group] = relationship()


class CalendarOccurrence(Base):
    """Each occurrence handled, once: the unique key makes a second broadcast impossible."""

    __tablename__ = "calendar_occurrences"
    __table_args__ = (
        UniqueConstraint("entry_id", "group_id", "occurrence_key", name="uq_calendar_occurrence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("calendar_entries.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    occurrence_key: Mapped[str] = mapped_column(String(32))
    nominal_at: Mapped[datetime]
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))  # OccurrenceState
    reason: Mapped[str | None] = mapped_column(Text)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupQuietHours(Base):
    """A group's own quiet hours; a group without a row has the default (21:00–06:00)."""

    __tablename__ = "group_quiet_hours"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    starts: Mapped[time | None]  # both None: no quiet hours
    ends: Mapped[time | None]
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Blackout(Base):
    """Content with any of `tags` is held during whole local days, or an election stage."""

    __tablename__ = "calendar_blackouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    group_id: Mapped[int | None] = mapped_column(  # None: every group; else it and those below
        ForeignKey("groups.id", ondelete="CASCADE")
    )
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    election_code: Mapped[str | None] = mapped_column(String(32))
    stage: Mapped[str | None] = mapped_column(String(64))  # stage id, or "kind:<kind>"
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Group | None] = relationship()


class CalendarAnchorBasis(Base):
    """The stage dates of an election that the targets were last computed from.

    The worker compares it with the loaded calendars each tick: when an admin loads new official
    dates, every anchored entry of that election is recomputed, with no edit.
    """

    __tablename__ = "calendar_anchor_basis"

    election_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
