"""Campaigns: a named series of entries, from a YAML file in `config/campaigns/` or the CLI.

A file is read and every entry checked before anything is written; loading the same file again
updates the campaign in place (entries are matched by their `key`, so what already went out
never goes out twice), cancels the entries the file no longer has, and adds the new ones.
Pausing, resuming or cancelling acts on every entry of the campaign at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    CalendarEntry,
    CalendarOccurrence,
    CalendarTarget,
    Campaign,
    CampaignState,
    ContentKind,
)
from broadcasts.editorial import audit
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial_calendar import entries, stages, targets
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.rules import Anchored, Rule, stage_slug
from broadcasts.elections.calendar import Election
from broadcasts.elections.stored import all_elections
from broadcasts.errors import CalendarError, EditorialError

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CAMPAIGN_FIELDS = frozenset(
    {
        "name",
        "title",
        "description",
        "election",
        "groups",
        "time",
        "tags",
        "kind",
        "language",
        "during_quiet_hours",
        "entries",
    }
)
_ENTRY_FIELDS = frozenset(
    {
        "key",
        "title",
        "body",
        "content",
        "media_url",
        "tags",
        "kind",
        "language",
        "time",
        "at",
        "date",
        "anchor",
        "election",
        "repeat",
        "rrule",
        "from",
        "during_quiet_hours",
    }
)
_REPEAT_FIELDS = frozenset({"every", "days", "day", "interval", "from", "until"})


# --- Reading a campaign file ----------------------------------------------------------------


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    title: str
    description: str | None
    groups: list[str]
    entries: list[entries.EntrySpec]


def bad(where: str, problem: str) -> CalendarError:
    return CalendarError("bad_campaign", where=where, problem=problem)


class _Loader(yaml.SafeLoader):
    """Safe YAML whose dates stay text: our own parser checks them and says what is wrong
    (PyYAML would fail on 2029-02-30 with no line to point at)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise bad(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise bad(str(path), f"cannot be read ({error})") from error
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader: builds plain data only
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise bad(path.name, f"not valid YAML{line}") from error


def parse(
    session: Session, document: Any, origin: str, elections: Mapping[str, Election]
) -> CampaignSpec:
    """A campaign file's document, every entry checked; nothing is written here."""
    fields = _mapping(document, origin, _CAMPAIGN_FIELDS)
    name = _text(fields, "name", origin).lower()
    if not _NAME.match(name) or len(name) > 64:
        raise bad(origin, f"name {name!r} must be lowercase words joined by hyphens")
    groups = _groups(session, fields.get("groups"), origin)
    defaults = {key: fields.get(key) for key in ("election", "time", "kind", "language")}
    defaults["tags"] = _list(fields, "tags", origin)
    defaults["during_quiet_hours"] = fields.get("during_quiet_hours", False)
    raw = fields.get("entries")
    if not isinstance(raw, list) or not raw:
        raise bad(origin, "entries must be a non-empty list")
    specs = [
        _entry(item, f"{origin}: entry {n}", defaults, groups, elections)
        for n, item in enumerate(raw, 1)
    ]
    keys = [spec.slug for spec in specs]
    for key in keys:
        if keys.count(key) > 1:
            raise bad(origin, f"two entries have the key {key!r}: give each its own `key`")
    description = fields.get("description")
    return CampaignSpec(
        name,
        _text(fields, "title", origin),
        " ".join(str(description).split()) if description else None,
        groups,
        specs,
    )


def _mapping(value: Any, where: str, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad(where, "expected a mapping of fields")
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        raise bad(where, f"unknown field {unknown[0]!r} (known: {', '.join(sorted(allowed))})")
    return value


def _text(fields: Mapping[str, Any], key: str, where: str) -> str:
    value = fields.get(key)
    if not isinstance(value, str) or not value.strip():
        raise bad(where, f"{key} is missing or not text")
    return " ".join(value.split())


def _list(fields: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = fields.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise bad(where, f"{key} must be a list of words")
    return [str(v) for v in value]


def _groups(session: Session, value: Any, where: str) -> list[str]:
    if value == "all":
        codes = entries.top_level_groups(session)
        if not codes:
            raise bad(where, "groups: all, but there are no groups yet")
        return codes
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise bad(where, "groups must be `all` or a list of group codes")
    return [group.code for group in entries.groups_named(session, value)]


def _clock(value: Any) -> str | None:
    """A time as written. YAML 1.1 reads an unquoted 10:00 as the base-60 number 600."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value // 60:02d}:{value % 60:02d}"
    return str(value)


def _day(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _entry(
    item: Any,
    where: str,
    defaults: Mapping[str, Any],
    groups: list[str],
    elections: Mapping[str, Election],
) -> entries.EntrySpec:
    fields = _mapping(item, where, _ENTRY_FIELDS)
    try:
        rule, described = _rule(fields, defaults, elections, where)
        body, content = fields.get("body"), fields.get("content")
        if content is not None and (isinstance(content, bool) or not isinstance(content, int)):
            raise bad(where, "content is the id (a number) of an item in the content library")
        during = fields.get("during_quiet_hours", defaults["during_quiet_hours"])
        if not isinstance(during, bool):
            raise bad(where, "during_quiet_hours must be true or false")
        key = str(fields.get("key") or stage_slug(described))[:64]
        return entries.EntrySpec(
            title=str(fields.get("title") or ""),
            rule=rule,
            groups=groups,
            body=str(body) if body is not None else None,
            content_id=content,
            media_url=fields.get("media_url"),
            kind=str(fields.get("kind") or defaults["kind"] or ContentKind.LITERACY.value),
            language=str(fields.get("language") or defaults["language"] or "id"),
            tags=[*defaults["tags"], *_list(fields, "tags", where)],
            during_quiet_hours=during,
            slug=key,
        )
    except CalendarError as error:
        if error.key == "bad_campaign":
            raise
        raise CalendarError(error.key, where=where, **error.data) from error


def _rule(
    fields: Mapping[str, Any],
    defaults: Mapping[str, Any],
    elections: Mapping[str, Election],
    where: str,
) -> tuple[Rule, str]:
    """The entry's rule, and a phrase describing it (the default key)."""
    # (Not `on:`: YAML 1.1 reads an unquoted `on` as true.)
    forms = [key for key in ("at", "date", "anchor", "repeat", "rrule") if key in fields]
    if len(forms) != 1:
        raise bad(where, "give exactly one of at, date, anchor, repeat or rrule")
    form = forms[0]
    at = _clock(fields.get("time")) or _clock(defaults["time"])
    if form == "at":
        day, _, moment = str(fields["at"]).strip().partition(" ")
        return entries.once(day, moment.strip() or at or ""), f"at {fields['at']}"
    if form == "date":
        day = _day(fields["date"]) or ""
        return entries.once(day, at or ""), f"on {day}"
    if at is None:
        raise bad(where, "time is missing (give it here or for the whole campaign)")
    if form == "anchor":
        phrase = str(fields["anchor"])
        election = fields.get("election") or defaults["election"]
        return entries.anchored(phrase, elections, election=election, at=at), phrase
    starts = _day(fields.get("from"))
    if form == "rrule":
        if starts is None:
            raise bad(where, "an rrule needs `from` (its first day)")
        return entries.recurring(at, starts_on=starts, rrule=str(fields["rrule"])), "rrule"
    repeat = _mapping(fields["repeat"], f"{where}: repeat", _REPEAT_FIELDS)
    starts = _day(repeat.get("from")) or starts
    if starts is None:
        raise bad(where, "repeat needs `from` (its first day)")
    every = str(repeat.get("every") or "")
    rule = entries.recurring(
        at,
        starts_on=starts,
        frequency=every,
        weekdays=_list(repeat, "days", where),
        month_day=_int(repeat.get("day"), where),
        interval=_int(repeat.get("interval"), where) or 1,
        until=_day(repeat.get("until")),
    )
    return rule, f"{every} from {starts}"


def _int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(where, f"{value!r} is not a whole number")
    return value


# --- Loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadSummary:
    campaign: Campaign
    added: int
    updated: int
    removed: int
    waiting: int  # anchored entries whose stage has no official date yet
    passed: int  # entries with nothing left to send (their time is before the load)


def load_file(session: Session, path: Path, *, actor: str, now: datetime) -> LoadSummary:
    elections = stages.by_code(all_elections(session))
    spec = parse(session, read_file(path), path.name, elections)
    return load(session, spec, actor=actor, now=now, source=str(path))


def load(
    session: Session, spec: CampaignSpec, *, actor: str, now: datetime, source: str | None = None
) -> LoadSummary:
    """Creates or updates the campaign named in `spec`, all or nothing."""
    checked = [entries.check(session, entry) for entry in spec.entries]
    context = CalendarContext.load(session)
    campaign = session.scalar(select(Campaign).where(Campaign.name == spec.name))
    if campaign is not None and campaign.state == CampaignState.CANCELLED.value:
        raise CalendarError("campaign_cancelled", name=spec.name)
    if campaign is None:
        campaign = Campaign(name=spec.name, created_by=actor[:100], created_at=now)
        session.add(campaign)
    campaign.title, campaign.description, campaign.source = spec.title, spec.description, source
    campaign.updated_at = now
    session.flush()
    existing = {
        entry.slug: entry
        for entry in session.scalars(
            select(CalendarEntry).where(
                CalendarEntry.campaign_id == campaign.id,
                CalendarEntry.cancelled_at.is_(None),
                CalendarEntry.slug.is_not(None),  # entries added by the CLI are not the file's
            )
        )
    }
    added = updated = 0
    for item in checked:
        entry = existing.pop(item.spec.slug, None)
        if entry is None:
            entry = entries.new_entry(item, actor=actor, now=now, campaign=campaign)
            session.add(entry)
            added += 1
        else:
            _update(session, entry, item, now)
            updated += 1
        session.flush()
        _retarget(session, entry, item, now, context)
    for gone in existing.values():
        entries.cancel_entry(session, gone.id, actor=actor, now=now)
    audit.record(
        session,
        actor,
        "campaign_loaded",
        "campaign",
        campaign.id,
        now,
        added=added,
        updated=updated,
    )
    waiting = sum(1 for item in checked if _waits(context, item))
    passed = _passed(session, campaign) - waiting
    return LoadSummary(campaign, added, updated, len(existing), waiting, passed)


def _passed(session: Session, campaign: Campaign) -> int:
    """Live entries of the campaign none of whose targets has anything due any more."""
    live = select(CalendarEntry.id).where(
        CalendarEntry.campaign_id == campaign.id, CalendarEntry.cancelled_at.is_(None)
    )
    pending = select(CalendarTarget.entry_id).where(CalendarTarget.next_due_at.is_not(None))
    return len(session.scalars(live.where(CalendarEntry.id.not_in(pending))).all())


def _update(
    session: Session, entry: CalendarEntry, item: entries.CheckedSpec, now: datetime
) -> None:
    before = _when(entry)
    entries.update_entry(entry, item, now)
    if _when(entry) != before:
        # A new time counts from now: an edit never sends something already in the past.
        for target in entry.targets:
            target.not_before = now


def _when(entry: CalendarEntry) -> tuple[object, ...]:
    """Everything that decides when an entry falls."""
    return (
        entry.rule,
        entry.local_time,
        entry.starts_on,
        entry.rrule,
        entry.anchor_election,
        entry.anchor_stage,
        entry.anchor_day,
        entry.offset_days,
    )


def _retarget(
    session: Session,
    entry: CalendarEntry,
    item: entries.CheckedSpec,
    now: datetime,
    context: CalendarContext,
) -> None:
    wanted = {group.id for group in item.groups}
    for target in list(entry.targets):
        if target.group_id not in wanted:
            entry.targets.remove(target)
    session.flush()
    targets.recompute(session, list(entry.targets), now, context)
    targets.attach(session, entry, sorted(wanted), now, context)


def _waits(context: CalendarContext, item: entries.CheckedSpec) -> bool:
    rule = item.spec.rule
    if not isinstance(rule, Anchored):
        return False
    return rule.local_datetime(context.span(rule.election, rule.stage)) is None


def create(
    session: Session,
    name: str,
    title: str,
    *,
    description: str | None = None,
    actor: str,
    now: datetime,
) -> Campaign:
    """An empty campaign, for entries added one by one (`calendar add --campaign`)."""
    name = name.strip().lower()
    if not _NAME.match(name) or len(name) > 64:
        raise CalendarError("bad_campaign_name", name=name[:80], limit=64)
    title = " ".join(title.split())
    if not title or len(title) > 200:
        raise CalendarError("bad_campaign_title", limit=200)
    if session.scalar(select(Campaign.id).where(Campaign.name == name)) is not None:
        raise CalendarError("campaign_exists", name=name)
    campaign = Campaign(
        name=name, title=title, description=description, created_by=actor[:100], created_at=now
    )
    session.add(campaign)
    session.flush()
    audit.record(session, actor, "campaign_created", "campaign", campaign.id, now)
    return campaign


# --- Pause, resume, cancel -------------------------------------------------------------------


def campaign_named(session: Session, name: str) -> Campaign:
    found = session.scalar(select(Campaign).where(Campaign.name == name.strip().lower()))
    if found is None:
        raise CalendarError("unknown_campaign", name=name.strip())
    return found


def open_campaign(session: Session, name: str) -> Campaign:
    """A campaign entries may still be added to: not cancelled."""
    campaign = campaign_named(session, name)
    if campaign.state == CampaignState.CANCELLED.value:
        raise CalendarError("campaign_cancelled", name=campaign.name)
    return campaign


def _campaign_targets(session: Session, campaign: Campaign) -> list[CalendarTarget]:
    return list(
        session.scalars(
            select(CalendarTarget)
            .join(CalendarEntry, CalendarEntry.id == CalendarTarget.entry_id)
            .where(CalendarEntry.campaign_id == campaign.id, CalendarEntry.cancelled_at.is_(None))
        )
    )


def pause(session: Session, name: str, *, actor: str, now: datetime) -> Campaign:
    campaign = campaign_named(session, name)
    _require(campaign, CampaignState.ACTIVE)
    campaign.state, campaign.updated_at = CampaignState.PAUSED.value, now
    targets.recompute(session, _campaign_targets(session, campaign), now)
    audit.record(session, actor, "campaign_paused", "campaign", campaign.id, now)
    return campaign


def resume(session: Session, name: str, *, actor: str, now: datetime) -> Campaign:
    """Sends from now on: what fell due while paused is not sent late."""
    campaign = campaign_named(session, name)
    _require(campaign, CampaignState.PAUSED)
    campaign.state, campaign.updated_at = CampaignState.ACTIVE.value, now
    found = _campaign_targets(session, campaign)
    for target in found:
        target.not_before = now
    targets.recompute(session, found, now)
    audit.record(session, actor, "campaign_resumed", "campaign", campaign.id, now)
    return campaign


def cancel(session: Session, name: str, *, actor: str, now: datetime) -> tuple[Campaign, int]:
    """Stops the campaign for good, with its broadcasts not yet finished; returns how many."""
    campaign = campaign_named(session, name)
    if campaign.state == CampaignState.CANCELLED.value:
        raise CalendarError("campaign_already_cancelled", name=campaign.name)
    campaign.state, campaign.updated_at = CampaignState.CANCELLED.value, now
    for target in _campaign_targets(session, campaign):
        target.next_due_at, target.next_key = None, None
    open_states = [BroadcastState.PENDING, BroadcastState.APPROVED, BroadcastState.SENDING]
    open_ids = session.scalars(
        select(Broadcast.id)
        .join(CalendarOccurrence, CalendarOccurrence.broadcast_id == Broadcast.id)
        .join(CalendarEntry, CalendarEntry.id == CalendarOccurrence.entry_id)
        .where(
            CalendarEntry.campaign_id == campaign.id,
            Broadcast.state.in_([s.value for s in open_states]),
        )
    ).all()
    for broadcast_id in open_ids:
        try:
            editorial.cancel(session, broadcast_id, actor=actor, member=None, now=now)
        except EditorialError:
            continue  # it finished in the meantime
    audit.record(
        session, actor, "campaign_cancelled", "campaign", campaign.id, now, broadcasts=len(open_ids)
    )
    return campaign, len(open_ids)


def _require(campaign: Campaign, state: CampaignState) -> None:
    if campaign.state != state.value:
        raise CalendarError(f"campaign_{campaign.state}", name=campaign.name)
