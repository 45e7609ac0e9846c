"""GET /elections.ics: every dated election stage as an all-day iCalendar event.

Calendar apps subscribe to it; `?lang=en` gives the English names. Provisional dates are
TENTATIVE events and say so; stages with no date (or only an expected month) are left out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, request
from icalendar import Calendar, Event

from bot.web.runtime import runtime
from broadcasts.elections import stored as calendars
from broadcasts.elections.calendar import Stage
from broadcasts.elections.stored import Snapshot
from broadcasts.phrasebook import render
from config.settings import SUPPORTED_LANGUAGES

blueprint = Blueprint("calendar_feed", __name__)

PRODUCT_ID = "-//Humasbot//Election calendars//ID"
UID_DOMAIN = "elections.humasbot"


def requested_language() -> str:
    """`?lang=` (Indonesian when absent); a language the bot does not speak is a 400."""
    language = request.args.get("lang", "id").strip().lower()
    if language not in SUPPORTED_LANGUAGES:
        abort(400, description=f"lang must be one of {', '.join(SUPPORTED_LANGUAGES)}")
    return language


@blueprint.get("/elections.ics")
def elections_ics() -> Response:
    language = requested_language()
    app_runtime = runtime()
    with app_runtime.database.transaction() as session:
        found = calendars.snapshot(session)
    stamp = found.loaded_at or app_runtime.clock.now()
    response = Response(feed(found, language, stamp), content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="elections.ics"'
    if found.loaded_at is not None:
        response.last_modified = found.loaded_at
    return response


def feed(found: Snapshot, language: str, stamp: datetime) -> bytes:
    """The iCalendar text; `stamp` (when the calendars were loaded) keeps it stable between
    requests, so subscribers see a change only when a calendar changes."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", render("ics_name", language))
    for election in found.elections:
        for stage in election.stages:
            if stage.start is None or stage.end is None:
                continue
            event = Event()
            event.add("uid", f"{election.code}.{stage.id}@{UID_DOMAIN}")
            event.add("dtstamp", stamp)
            event.add("dtstart", stage.start)
            event.add("dtend", stage.end + timedelta(days=1))  # all-day: the end is exclusive
            event.add("summary", render("ics_summary", language, election=election, stage=stage))
            description = render("ics_description", language, election=election, stage=stage)
            event.add("description", description)
            event.add("categories", [election.code])
            event.add("status", _status(stage))
            event.add("transp", "TRANSPARENT")  # a stage does not make anyone busy
            calendar.add_component(event)
    return bytes(calendar.to_ical())


def _status(stage: Stage) -> str:
    if not stage.held:
        return "CANCELLED"  # a fallback day that was not needed (a second round)
    return "TENTATIVE" if stage.provisional else "CONFIRMED"
