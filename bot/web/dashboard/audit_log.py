"""The audit log: who did what to which thing, and when, filtered by any of these, 50 events a
page (keyset by id: the same cost however far back). Actions are shown in words; dates are read
on the bot's clock."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from bot.web.dashboard.access import requires
from bot.web.dashboard.site import blueprint, language, local_time, page, t, words
from bot.web.runtime import runtime
from broadcasts.db.database import MAX_ID
from broadcasts.db.models import AccountRole, Group
from broadcasts.editorial import audit as log
from broadcasts.people.masking import mask_text
from broadcasts.phrasebook import zone_name

# What may be asked for, in the order the filter lists them (their words: audit.toml).
SUBJECTS = (
    "broadcast",
    "content",
    "claim",
    "calendar_entry",
    "campaign",
    "blackout",
    "group",
    "member",
    "account",
    "privacy",
)
# Where a subject has a page of its own.
SUBJECT_PAGES = {
    "broadcast": ("dashboard.broadcast", "broadcast_id"),
    "claim": ("dashboard.report_claim", "claim_id"),
}


def _actions() -> list[str]:
    """Every action with words: the ones the filter offers."""
    prefix = "audit.action_"
    return [
        k.removeprefix(prefix)
        for k in words(language())
        if k.startswith(prefix) and k != f"{prefix}other"
    ]


def action_words(action: str) -> str:
    """An action as people read it; one with no words yet is named as it is written."""
    key = f"audit.action_{action}"
    if key in words(language()):
        return t(key)
    return t("audit.action_other", action=action.replace("_", " "))


def subject_words(subject: str) -> str:
    key = f"audit.subject_{subject}"
    return t(key) if key in words(language()) else subject.replace("_", " ")


def detail_words(detail: dict[str, Any] | None) -> str:
    """What the event recorded besides, in words: names from the words file, times on the bot's
    clock, nothing for an empty value; phone numbers masked."""
    if not detail:
        return ""
    known = words(language())
    shown = (
        f"{t(f'audit.detail_{key}') if f'audit.detail_{key}' in known else key}: {_value(value)}"
        for key, value in detail.items()
    )
    return mask_text("; ".join(shown))[:500]


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return t("common.none")
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value)
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            return local_time(datetime.fromisoformat(value), short=True)
        except ValueError:
            return value
    return str(value)


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _event_id(text: str | None) -> int | None:
    """`before` / `after` as asked: a number that may be an event's id, else none."""
    try:
        number = int(text or "")
    except ValueError:
        return None
    return number if 0 < number <= MAX_ID + 1 else None


@blueprint.get("/audit")
@requires(AccountRole.VIEWER)
def audit() -> ResponseReturnValue:
    args = request.args
    asked = {
        "actor": args.get("actor", "").strip()[:100],
        "action": args.get("action", "").strip()[:32],
        "subject": args.get("subject", "").strip()[:32],
        "subject_id": args.get("subject_id", "").strip()[:12],
        "since": args.get("since", "").strip()[:10],
        "until": args.get("until", "").strip()[:10],
    }
    problems: list[str] = []
    app_runtime = runtime()
    zone = ZoneInfo(app_runtime.settings.bot_timezone)
    try:
        first, last = _day(asked["since"]), _day(asked["until"])
    except ValueError:
        first = last = None
        problems.append(t("audit.bad_date"))
    if first is not None and last is not None and last < first:
        problems.append(t("audit.dates_reversed"))
    subject_id: int | None = None
    if asked["subject_id"]:
        try:
            subject_id = int(asked["subject_id"])
        except ValueError:
            problems.append(t("audit.bad_subject_id"))
    since, until = log.day_range(first, last, zone)
    where = log.Filter(
        actor=log.actor_asked(asked["actor"]) if asked["actor"] else None,
        action=asked["action"] or None,
        subject=asked["subject"] or None,
        subject_id=subject_id,
        since=since,
        until=until,
    )
    context: dict[str, Any] = {
        "asked": asked,
        "actions": sorted(((a, action_words(a)) for a in _actions()), key=lambda pair: pair[1]),
        "subjects": [(s, subject_words(s)) for s in SUBJECTS],
        "action_words": action_words,
        "subject_words": subject_words,
        "detail_words": detail_words,
        "subject_pages": SUBJECT_PAGES,
        "problems": problems,
        "filters": {k: v for k, v in asked.items() if v},
        "zone": zone_name(app_runtime.clock.now().astimezone(zone)),
    }
    if problems:
        return page("audit.html", found=None, **context), 400
    with app_runtime.database.transaction() as db:
        found = log.page(
            db,
            where,
            before=_event_id(args.get("before")),
            after=_event_id(args.get("after")),
        )
        groups = [e.subject_id for e in found.events if e.subject == "group" and e.subject_id]
        codes = dict(db.execute(select(Group.id, Group.code).where(Group.id.in_(groups))).all())
        return page("audit.html", found=found, group_codes=codes, **context)
