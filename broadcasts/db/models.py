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
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
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
    """A person the bot talks to. Phone today; a WhatsApp user id may identify them later.

    An erased member stays as a row with no phone, name or language (`erased_at` set): the
    deliveries and broadcasts that point at it keep their counts, without the person."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    wa_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8))
    opted_out_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erasure_requested_at: Mapped[datetime | None]  # HAPUS DATA, waiting for YA HAPUS
    report_requested_at: Mapped[datetime | None]  # LAPOR alone, waiting for the forward
    erased_at: Mapped[datetime | None]

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


class ConsentSource(enum.StrEnum):
    """How a member came to receive a group's broadcasts."""

    JOIN_CODE = "join_code"  # DAFTAR with the group's invitation code, by chat
    CLI = "cli"  # added by an operator: `humasbot member add`
    DASHBOARD = "dashboard"  # added by an admin in the dashboard
    IMPORT = "import"  # a list of members imported by an admin
    UNRECORDED = "unrecorded"  # joined before consents were recorded (migration 0006)


class Consent(Base):
    """Each joining of a group, with how, when and by whom: the office's record of consent.

    Kept when the member leaves or is erased (`withdrawn_at` is set), so the record of what was
    agreed stays, without the person."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16))  # ConsentSource
    message_sid: Mapped[str | None] = mapped_column(String(64))  # the DAFTAR message
    given_by: Mapped[str | None] = mapped_column(String(100))  # who added them; None: themselves
    given_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


class InboundMessage(Base):
    """Every message received, once per MessageSid, with the reply given (a replay gets it)."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        Index("ix_inbound_member_received", "member_id", "received_at"),
        # The retention job's range: rows whose text is still kept (see people.retention).
        Index(
            "ix_inbound_texts_kept",
            "received_at",
            postgresql_where=text("sender <> ''"),
            sqlite_where=text("sender <> ''"),
        ),
    )

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


class AccountRole(enum.StrEnum):
    """A dashboard account's role. Ordered: each may do what the ones before it may."""

    VIEWER = "viewer"  # reads every page but users; changes nothing
    EDITOR = "editor"  # writes and approves content and broadcasts (never their own)
    ADMIN = "admin"  # also groups, members and accounts

    @property
    def rank(self) -> int:
        return list(AccountRole).index(self)


class AdminUser(Base):
    """A dashboard account. `member_id` links an editor to their phone so that four-eyes holds
    across chat and web: what they proposed by chat they may not approve on the web, and back."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    role: Mapped[str] = mapped_column(
        String(16), default=AccountRole.ADMIN.value, server_default=AccountRole.ADMIN.value
    )
    disabled_at: Mapped[datetime | None]
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))

    member: Mapped[Member | None] = relationship()


class AdminSession(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is stored, so a
    database dump opens no session. Logging out, disabling the account or changing its password
    deletes the rows, which ends those sessions wherever their cookies are."""

    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_user_id: Mapped[int] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class LoginFailure(Base):
    """A wrong password (or unknown name), kept for the login throttle's window."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username", "username", "failed_at"),
        Index("ix_login_failures_address", "address", "failed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime]


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
    # A clarification's finding (hoaxes.verdicts.Verdict) and where it is shown to be so.
    verdict: Mapped[str | None] = mapped_column(String(16))
    source_url: Mapped[str | None] = mapped_column(String(1000))
    # Its words as CEK compares them (hoaxes.search): set once it is an approved clarification,
    # '' otherwise. Full-text indexed: FTS5 on SQLite, a GIN index on PostgreSQL (migration 0007).
    search_terms: Mapped[str] = mapped_column(Text, default="")
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The workflow (migration 0010; `editorial.library`): a draft until submitted, then waiting
    # until an editor who wrote none of it approves it, or rejects it with a reason.
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime | None]
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    submitted_at: Mapped[datetime | None]
    rejected_by: Mapped[str | None] = mapped_column(String(100))
    rejected_at: Mapped[datetime | None]
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    # Editing approved content writes a new version that replaces it once approved; the
    # approved one stays as it was (broadcasts and calendar entries point at it). At most one
    # version replaces another. No foreign key: on SQLite only rebuilding `contents` could add
    # one, and that would drop CEK's triggers (migration 0007).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    replaces_id: Mapped[int | None] = mapped_column(index=True, unique=True)
    # An image uploaded on the dashboard (`editorial.images`): `media_url` is its public URL.
    image_sha256: Mapped[str | None] = mapped_column(String(64))
    image_type: Mapped[str | None] = mapped_column(String(16))
    image_size: Mapped[int | None]


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
    # A clarification of a hoax claim (`hoax_claims.id`): it goes to the claim's reporters, not
    # to the group tree (delivery.planning); the group is the one whose editors approve it. No
    # foreign key: on SQLite only rebuilding `broadcasts` could drop one, and that would cascade
    # to their deliveries.
    claim_id: Mapped[int | None]

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


# --- Hoax reports, the claims they make, and their clarification -----------------------------


class HoaxClaim(Base):
    """One suspected hoax, however many reports of it arrive (grouped by `hoaxes.claims`)."""

    __tablename__ = "hoax_claims"
    __table_args__ = (Index("ix_hoax_claims_latest", "latest_report_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    match_key: Mapped[str] = mapped_column(Text)  # its first report's words, as compared
    # Plain ids, not foreign keys: reports point at their claim, and a key back would be a cycle.
    first_report_id: Mapped[int]
    latest_report_id: Mapped[int]
    report_count: Mapped[int] = mapped_column(default=0)
    first_report_at: Mapped[datetime]
    latest_report_at: Mapped[datetime]


class HoaxReport(Base):
    __tablename__ = "hoax_reports"
    __table_args__ = (
        # The same text (and media) twice from one member is one report.
        UniqueConstraint("member_id", "fingerprint", name="uq_hoax_report_member_fingerprint"),
        Index("ix_hoax_reports_member_created", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None once the reporter is erased, or the link is past its retention (people.retention).
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("hoax_claims.id"), index=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64))  # None: filed before 0007
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HoaxReportGroup(Base):
    """The groups the reporter was in when they reported: whose coordinators see the report,
    even after the reporter leaves or is erased."""

    __tablename__ = "hoax_report_groups"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("hoax_reports.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class HoaxReportMedia(Base):
    """A picture, video, voice note or document forwarded with a report, as fetched."""

    __tablename__ = "hoax_report_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("hoax_reports.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class HoaxNoticeMark(Base):
    """The last notice of reports planned for a coordinator (its dedupe key): whether it went,
    and when, decides when the next may (at most one in a few minutes, see hoaxes.digests)."""

    __tablename__ = "hoax_notice_marks"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    last_key: Mapped[str | None] = mapped_column(String(200))


class HoaxDigestItem(Base):
    """A report a coordinator has not been told of yet: it waits for their next digest."""

    __tablename__ = "hoax_digest_items"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    report_id: Mapped[int] = mapped_column(
        ForeignKey("hoax_reports.id", ondelete="CASCADE"), primary_key=True
    )


class HoaxVerdict(Base):
    """A coordinator's finding on a claim, proposed as a clarification: the library item CEK
    finds, and the broadcast to the claim's reporters; both approved together by an editor
    other than its author (`editorial.workflow`)."""

    __tablename__ = "hoax_verdicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("hoax_claims.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(String(1000))
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id"))
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchWord(Base):
    """A word of an approved clarification as written, with the term CEK compares it as: a
    misspelt query word is read as the closest of these (`hoaxes.search`)."""

    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(String(40), primary_key=True)
    head: Mapped[str] = mapped_column(String(2), index=True)  # its first letters
    term: Mapped[str] = mapped_column(String(40))


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


# --- Amplification: offices repost approved broadcasts on their own channels -----------------


class Amplification(Base):
    """A link an office (group) posted a broadcast at, confirmed by one of its members (SUDAH).

    The link is kept as given and never fetched; `url_key` is its normalised form, hashed, so the
    same link twice (another member, a trailing slash, `www.`) counts once for that office."""

    __tablename__ = "amplifications"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "group_id", "url_key", name="uq_amplification_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(16))  # amplification.links.Platform
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
