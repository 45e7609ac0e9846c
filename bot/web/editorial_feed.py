"""GET /calendar/<group>.ics?token=…: a group's editorial calendar, for officers to subscribe to.

The coming sends (with why one was moved or held) and what the last weeks sent or missed. The
link carries a token signed with SECRET_KEY for that one group (`humasbot calendar link GROUP`).
A missing or wrong token and an unknown group get the same 403, so codes cannot be enumerated;
without SECRET_KEY the feed is refused (503), as the dashboard's login is: a token signed with a
key anyone can read would open every group's calendar.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import NoReturn

from flask import Blueprint, Response, abort, request
from icalendar import Calendar, Event
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.web.runtime import runtime
from broadcasts.db.models import CalendarEntry, CalendarOccurrence, Group
from broadcasts.editorial_calendar import agenda
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.phrasebook import render
from config.settings import SUPPORTED_LANGUAGES, Settings

blueprint = Blueprint("calendar_ics", __name__)

PRODUCT_ID = "-//Humasbot//Editorial calendar//ID"
UID_DOMAIN = "calendar.humasbot"
# The same stand-in create_app uses when SECRET_KEY is unset (development only).
DEVELOPMENT_SECRET = "humasbot-development-only"
_SALT = "group-calendar-feed"
AHEAD_DAYS = 90
HISTORY_DAYS = 30
SEND_LENGTH = timedelta(minutes=15)  # how long a send shows in a calendar app


def _signer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key or DEVELOPMENT_SECRET, salt=_SALT)


def feed_token(settings: Settings, group_code: str) -> str:
    return str(_signer(settings).dumps(group_code))


def feed_url(settings: Settings, group_code: str) -> str:
    token = feed_token(settings, group_code)
    return f"{settings.public_base_url}/calendar/{group_code}.ics?token={token}"


def token_allows(settings: Settings, group_code: str, token: str) -> bool:
    try:
        return bool(_signer(settings).loads(token) == group_code)
    except BadSignature:
        return False


@blueprint.get("/calendar/<code>.ics")
def group_calendar(code: str) -> Response:
    language = request.args.get("lang", "").strip().lower()
    app_runtime = runtime()
    language = language if language in SUPPORTED_LANGUAGES else app_runtime.settings.bot_language
    now = app_runtime.clock.now()
    if not app_runtime.settings.secret_key:
        abort(503, description="calendar links need SECRET_KEY to be set on the server")
    wanted = code.strip().upper()[:32]
    # The token is checked before the group is looked up: an unknown code and a known one
    # without its token get the same answer.
    if not token_allows(app_runtime.settings, wanted, request.args.get("token", "")):
        _refuse()
    with app_runtime.database.transaction() as session:
        group = session.scalar(select(Group).where(Group.code == wanted))
        if group is None:
            _refuse()
        body = feed(session, group, language, now)
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = f'inline; filename="{group.code}.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def _refuse() -> NoReturn:
    abort(
        403,
        description=(
            "this calendar link is not valid: make it again with `humasbot calendar link` "
            "using the server's own SECRET_KEY"
        ),
    )


def feed(session: Session, group: Group, language: str, now: datetime) -> bytes:
    context = CalendarContext.load(session)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", render("calendar_ics_name", language, group=group.name))
    calendar.add("x-wr-timezone", group.timezone)
    # What reaches the group's members: its own sends and those of the groups above it.
    reaching = context.lineage(group.id)
    items = agenda.coming(session, now, days=AHEAD_DAYS, group_ids=reaching, context=context)
    for item in items:
        if item.when is not None:
            calendar.add_component(_coming_event(item, language, context, now))
    for occurrence, title in _history(session, reaching, now):
        calendar.add_component(_past_event(occurrence, title, language, now))
    return bytes(calendar.to_ical())


def _coming_event(
    item: agenda.AgendaItem, language: str, context: CalendarContext, now: datetime
) -> Event:
    event = _event(f"{item.uid}@{UID_DOMAIN}", item.title, item.when or now, now)
    reasons = agenda.explain(item, language, context)
    event.add(
        "description",
        render(
            "calendar_ics_event",
            language,
            status=item.status,
            approved=item.approved,
            reasons=reasons,
        ),
    )
    if item.campaign:
        event.add("categories", [item.campaign])
    tentative = item.status in (agenda.PENDING, agenda.PAUSED) or not item.approved
    cancelled = item.status == agenda.SKIPPED
    event.add("status", "CANCELLED" if cancelled else "TENTATIVE" if tentative else "CONFIRMED")
    return event


def _history(
    session: Session, group_ids: Collection[int], now: datetime
) -> list[tuple[CalendarOccurrence, str]]:
    rows = session.execute(
        select(CalendarOccurrence, CalendarEntry.title)
        .join(CalendarEntry, CalendarEntry.id == CalendarOccurrence.entry_id)
        .where(
            CalendarOccurrence.group_id.in_(list(group_ids)),
            CalendarOccurrence.due_at >= now - timedelta(days=HISTORY_DAYS),
        )
        .order_by(CalendarOccurrence.due_at)
    )
    return [(occurrence, title) for occurrence, title in rows]


def _past_event(occurrence: CalendarOccurrence, title: str, language: str, now: datetime) -> Event:
    uid = f"entry-{occurrence.entry_id}-{occurrence.group_id}-{occurrence.occurrence_key}"
    event = _event(f"{uid}@{UID_DOMAIN}", title, occurrence.due_at, now)
    event.add(
        "description",
        render(
            "calendar_ics_event",
            language,
            status=occurrence.state,
            reasons=[occurrence.reason] if occurrence.reason else [],
        ),
    )
    event.add("status", "CONFIRMED" if occurrence.state == "proposed" else "CANCELLED")
    return event


def _event(uid: str, title: str, start: datetime, now: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", start + SEND_LENGTH)
    event.add("summary", title)
    event.add("transp", "TRANSPARENT")  # a send does not make anyone busy
    return event
