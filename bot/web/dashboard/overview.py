"""The overview: what goes out today and this week, broadcasts being sent (with live counts),
what waits for approval, the 24-hour quota left, and the sender and its WhatsApp templates.

It runs a fixed number of queries however many broadcasts and groups there are: groups are
loaded with their broadcasts (`joinedload`), counts for every listed broadcast in one query
(`outbox.counts_of`), the week's sends in the calendar's own few (`agenda.coming`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from bot.web.dashboard.access import requires
from bot.web.dashboard.broadcasts import funnel, in_flight
from bot.web.dashboard.site import blueprint, page, t
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole, Broadcast, BroadcastState, ContentKind
from broadcasts.delivery import outbox, quota, templates_sync, window
from broadcasts.editorial_calendar import agenda, agenda_cache
from config.settings import SUPPORTED_LANGUAGES, Settings

WEEK = 7  # days of sends shown
SHOWN = 20  # at most this many rows per list
LANGUAGES = tuple(sorted(SUPPORTED_LANGUAGES, key=lambda lang: lang != "id"))


def agenda_words(item: agenda.AgendaItem) -> str:
    """Where a coming send stands, in words (an entry no editor approved ahead says so)."""
    words = t("overview.agenda_" + item.status.replace(" ", "_"))
    if item.entry_id is not None and not item.approved:
        words += " · " + t("overview.agenda_unapproved")
    return words


@dataclass(frozen=True)
class TemplateHealth:
    """Which kinds of broadcast can reach a member outside the 24-hour window, per language."""

    languages: list[str]  # in words, as the columns
    covered: list[tuple[str, list[bool]]]  # a kind in words → has a template, per language
    approved: int
    waiting: int  # submitted to WhatsApp, not approved (yet)
    refused: int  # rejected, paused, disabled or deleted
    synced_at: datetime | None

    @property
    def missing(self) -> bool:
        return any(not ok for _, found in self.covered for ok in found)


def template_health(db: Session) -> TemplateHealth:
    templates = templates_sync.listing(db)
    usable = window.approved_templates(db)
    covered = [
        (t(f"overview.kind_{kind.value}"), [(kind.value, lang) in usable for lang in LANGUAGES])
        for kind in ContentKind
    ]
    statuses = [t.approval_status.lower() for t in templates]
    return TemplateHealth(
        languages=[t(f"overview.language_{lang}") for lang in LANGUAGES],
        covered=covered,
        approved=statuses.count("approved"),
        waiting=sum(s in ("received", "pending", "submitted", "in_review") for s in statuses),
        refused=sum(s in ("rejected", "paused", "disabled", templates_sync.GONE) for s in statuses),
        synced_at=max((t.synced_at for t in templates), default=None),
    )


def sender(settings: Settings) -> str | None:
    """The sending number as people write it, or None when nothing goes to WhatsApp."""
    if not settings.twilio_enabled:
        return None
    if settings.twilio_whatsapp_from:
        return settings.twilio_whatsapp_from.removeprefix("whatsapp:")
    return ""  # a messaging service: the number is chosen by it


def split_by_day(
    items: Sequence[agenda.AgendaItem], now: datetime
) -> tuple[list[agenda.AgendaItem], list[agenda.AgendaItem]]:
    """Today's sends (today on each group's own clock) and the rest of the week's."""
    today: list[agenda.AgendaItem] = []
    later: list[agenda.AgendaItem] = []
    for item in items:
        if item.when is None:
            continue
        zone = item.group.zone
        (
            today if item.when.astimezone(zone).date() == now.astimezone(zone).date() else later
        ).append(item)
    return today, later


def _calendar_url() -> str | None:
    """The calendar page, once that area exists."""
    endpoint = "dashboard.calendar"
    return url_for(endpoint) if endpoint in current_app.view_functions else None


@blueprint.get("/")
@requires(AccountRole.VIEWER)
def overview() -> ResponseReturnValue:
    app_runtime = runtime()
    settings = app_runtime.settings
    now = app_runtime.clock.now()
    with app_runtime.database.transaction() as db:
        week = agenda.coming(db, now, days=WEEK, entries=agenda_cache.entry_sends)
        today, later = split_by_day(week, now)
        with_group = select(Broadcast).options(joinedload(Broadcast.group))
        pending = BroadcastState.PENDING.value
        waiting = list(
            db.scalars(
                with_group.where(Broadcast.state == pending)
                .order_by(Broadcast.created_at, Broadcast.id)
                .limit(SHOWN)
            )
        )
        waiting_total = db.scalar(
            select(func.count(Broadcast.id)).where(Broadcast.state == pending)
        )
        sending = list(
            db.scalars(
                with_group.where(Broadcast.state == BroadcastState.SENDING.value)
                .order_by(Broadcast.planned_at, Broadcast.id)
                .limit(SHOWN)
            )
        )
        counts = outbox.counts_of(db, [b.id for b in sending])
        used = quota.used_today(db, now)
        limit = settings.whatsapp_daily_limit
        return page(
            "overview.html",
            today=today[:SHOWN],
            today_more=max(0, len(today) - SHOWN),
            later=later[:SHOWN],
            later_more=max(0, len(later) - SHOWN),
            waiting=waiting,
            waiting_total=waiting_total or 0,
            sending=[(b, funnel(counts[b.id]), in_flight(counts[b.id])) for b in sending],
            quota_used=used,
            quota_limit=limit,
            quota_left=max(0, limit - used),
            quota_percent=min(100, round(100 * used / limit)) if limit else 100,
            calendar_url=_calendar_url(),
            sender=sender(settings),
            templates=template_health(db),
            agenda_words=agenda_words,
        )
