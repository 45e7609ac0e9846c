"""The editorial calendar against a real database (SQLite and PostgreSQL), the clock moved by
hand: anchored entries that follow new official dates, the worker down over a due time, quiet
hours, blackouts, campaigns, and exactly one broadcast per occurrence however the scan runs."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from broadcasts.db.database import Database
from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    CalendarEntry,
    CalendarOccurrence,
    CalendarTarget,
    Campaign,
    OccurrenceState,
    OutboundMessage,
    Role,
)
from broadcasts.delivery.notices import NoticeCounts
from broadcasts.editorial import library
from broadcasts.editorial_calendar import (
    agenda,
    blackouts,
    campaigns,
    entries,
    quiet_hours,
    scan,
    stages,
)
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.rules import Rule
from broadcasts.elections.calendar import Election, parse_election
from broadcasts.elections.stored import all_elections, load_bundled, load_calendar
from broadcasts.errors import CalendarError
from broadcasts.people import membership

GRACE = timedelta(hours=6)
NOW = datetime(2028, 11, 1, 1, 0, tzinfo=UTC)  # 08:00 WIB, 09:00 WITA
WIB, WITA = timedelta(hours=7), timedelta(hours=8)
COORDINATOR = "+6281200000001"
MEMBER = "+6281200000002"
ADMIN = "admin:test"


def official_2029(voting: date) -> Election:
    """Pemilu 2029 as an admin would load it once KPU decrees it (an example, not a fact)."""
    quiet_start = voting - timedelta(days=3)

    def stage(stage_id: str, kind: str, start: date, end: date) -> dict[str, Any]:
        return {
            "id": stage_id,
            "kind": kind,
            "name": {"id": stage_id.replace("-", " ").title(), "en": kind.title()},
            "start": start.isoformat(),
            "end": end.isoformat(),
            "source": "PKPU (example)",
        }

    return parse_election(
        {
            "code": "pemilu2029",
            "family": "pemilu",
            "year": 2029,
            "status": "set",
            "name": {"id": "Pemilu 2029", "en": "2029 General Election"},
            "source": "PKPU (example)",
            "stages": [
                stage("masa-tenang", "quiet", quiet_start, voting - timedelta(days=1)),
                stage("pemungutan-suara", "voting", voting, voting),
            ],
        }
    )


@pytest.fixture
def world(database: Database) -> Database:
    """Two groups in different zones, a coordinator and a member, the bundled calendars."""
    with database.transaction() as session:
        load_bundled(session, NOW)
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.create_group(session, "KALTIM", "Bakohumas Kaltim", timezone="Asia/Makassar")
        membership.add_member(session, COORDINATOR, "KALBAR", role=Role.COORDINATOR)
        membership.add_member(session, MEMBER, "KALBAR")
        membership.add_member(session, MEMBER, "KALTIM")
    return database


def elections(session: Session) -> dict[str, Election]:
    return stages.by_code(all_elections(session))


def add(
    database: Database, rule: Rule | str, groups: list[str], now: datetime = NOW, **kw: Any
) -> int:
    with database.transaction() as session:
        if isinstance(rule, str):
            rule = entries.anchored(rule, elections(session))
        spec = entries.EntrySpec(
            title=kw.pop("title", "Literasi"),
            rule=rule,
            groups=groups,
            body=kw.pop("body", "Ayo cek DPT"),
            **kw,
        )
        return entries.add_entry(session, spec, actor=ADMIN, now=now).id


def tick(database: Database, now: datetime) -> scan.ScanResult:
    """What the worker's job runs each time the scheduler wakes it."""
    return scan.tick(database, now, GRACE)


def occurrences(database: Database) -> list[CalendarOccurrence]:
    with database.transaction() as session:
        return list(session.scalars(select(CalendarOccurrence).order_by(CalendarOccurrence.due_at)))


def broadcasts(database: Database) -> list[Broadcast]:
    with database.transaction() as session:
        return list(session.scalars(select(Broadcast).order_by(Broadcast.id)))


def next_due(database: Database, entry_id: int) -> dict[int, datetime | None]:
    with database.transaction() as session:
        rows = session.execute(
            select(CalendarTarget.group_id, CalendarTarget.next_due_at).where(
                CalendarTarget.entry_id == entry_id
            )
        )
        return {group_id: due for group_id, due in rows}


# --- Election-anchored entries --------------------------------------------------------------


def test_an_anchor_waits_for_official_dates_and_moves_when_new_ones_are_loaded(
    world: Database,
) -> None:
    entry = add(world, "H-7 pemungutan suara pemilu2029, 09:00", ["KALBAR", "KALTIM"])
    assert set(next_due(world, entry).values()) == {None}  # KPU has not set the date yet
    with world.transaction() as session:
        waiting = agenda.coming(session, NOW)
        assert {item.waiting for item in waiting} == {"stage_undated"}

    with world.transaction() as session:
        load_calendar(session, official_2029(date(2029, 2, 14)), NOW)
    tick(world, NOW)  # the worker notices the new calendar; nothing is due yet
    due = sorted(d for d in next_due(world, entry).values() if d)
    # 09:00 on 7 February in WITA (01:00 UTC) and in WIB (02:00 UTC).
    assert due == [datetime(2029, 2, 7, 1, tzinfo=UTC), datetime(2029, 2, 7, 2, tzinfo=UTC)]

    with world.transaction() as session:  # KPU moves voting day a week later
        load_calendar(session, official_2029(date(2029, 2, 21)), NOW + timedelta(days=1))
    tick(world, NOW + timedelta(days=1))
    assert sorted(d for d in next_due(world, entry).values() if d)[0] == datetime(
        2029, 2, 14, 1, tzinfo=UTC
    )
    assert tick(world, datetime(2029, 2, 7, 3, tzinfo=UTC)).proposed == []  # the old date
    sent = tick(world, datetime(2029, 2, 14, 2, 1, tzinfo=UTC))
    assert len(sent.proposed) == 2
    assert [b.scheduled_at for b in broadcasts(world)] == [
        datetime(2029, 2, 14, 1, tzinfo=UTC),
        datetime(2029, 2, 14, 2, tzinfo=UTC),
    ]


def test_first_day_of_a_stage_not_yet_listed_waits_then_follows_the_official_calendar(
    world: Database,
) -> None:
    entry = add(world, "first day of masa tenang pemilu2029, 07:00", ["KALBAR"])
    with world.transaction() as session:
        assert session.get_one(CalendarEntry, entry).anchor_stage == "kind:quiet"
        [item] = agenda.coming(session, NOW)
        assert item.waiting == "stage_missing"
        # Named as people know it (another calendar's name for it), never the kind "quiet".
        [why] = agenda.explain(item, "en", CalendarContext.load(session))
        assert why == "waiting: pemilu2029 does not list Quiet period yet"
        load_calendar(session, official_2029(date(2029, 2, 14)), NOW)
    tick(world, NOW)
    assert list(next_due(world, entry).values()) == [datetime(2029, 2, 11, 0, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("anchor", "key"),
    [("H-7 pemungutan suarra pemilu2024, 09:00", "unknown_stage"), ("H-7 voting x", "no_election")],
)
def test_an_anchor_to_a_stage_that_does_not_exist_is_refused(
    world: Database, anchor: str, key: str
) -> None:
    with pytest.raises(CalendarError) as error:
        add(world, anchor, ["KALBAR"])
    assert error.value.key == key
    with world.transaction() as session:
        assert session.scalar(select(func.count(CalendarEntry.id))) == 0


# --- Misfires: the worker down over a due time ----------------------------------------------


def test_a_send_missed_by_less_than_the_grace_goes_out_on_restart(world: Database) -> None:
    entry = add(world, entries.once("2028-11-02", "09:00"), ["KALBAR"])
    due = datetime(2028, 11, 2, 2, tzinfo=UTC)
    restart = due + GRACE - timedelta(minutes=1)
    assert tick(world, restart).proposed
    [occurrence] = occurrences(world)
    assert (occurrence.entry_id, occurrence.state) == (entry, OccurrenceState.PROPOSED.value)
    [broadcast] = broadcasts(world)
    assert broadcast.state == BroadcastState.PENDING.value  # free text: an editor approves it


def test_a_send_missed_by_more_than_the_grace_is_marked_missed_and_coordinators_told(
    world: Database,
) -> None:
    add(world, entries.once("2028-11-02", "09:00"), ["KALBAR"], title="Ayo cek DPT")
    result = tick(world, datetime(2028, 11, 2, 2, tzinfo=UTC) + GRACE)
    assert (result.proposed, result.missed) == ([], 1)
    # The coordinator has never written to the bot and no notice template is mapped: the notice
    # waits for them to write, and the scan says so rather than claiming they were told.
    assert result.missed_notices == NoticeCounts(told=0, waiting=1, not_reached=0)
    assert broadcasts(world) == []
    [occurrence] = occurrences(world)
    assert occurrence.state == OccurrenceState.MISSED.value
    with world.transaction() as session:
        notices = session.scalars(
            select(OutboundMessage).where(OutboundMessage.broadcast_id.is_(None))
        ).all()
        assert len(notices) == 1  # the coordinator, not the member
        assert "Ayo cek DPT" in (notices[0].body or "") and "tidak terkirim" in (
            notices[0].body or ""
        )
        assert notices[0].state == "queued" and notices[0].next_attempt_at is None


def test_a_week_down_sends_only_what_is_within_the_grace_and_tells_once(world: Database) -> None:
    daily = entries.recurring("09:00", starts_on="2028-11-01", frequency="daily")
    add(world, daily, ["KALBAR"])
    result = tick(world, datetime(2028, 11, 8, 3, tzinfo=UTC))  # 10:00 WIB, a week on
    assert result.missed == 7 and len(result.proposed) == 1  # today's 09:00 is an hour late
    with world.transaction() as session:
        notices = session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.broadcast_id.is_(None))
        ).all()
        assert len(notices) == 1 and "7 kiriman" in (notices[0] or "")
    assert tick(world, datetime(2028, 11, 8, 3, tzinfo=UTC)).proposed == []


# --- Guards ---------------------------------------------------------------------------------


def test_quiet_hours_hold_an_evening_send_until_morning_unless_the_entry_says_so(
    world: Database,
) -> None:
    add(world, entries.once("2028-11-02", "22:00"), ["KALBAR"], title="Malam")
    add(
        world,
        entries.once("2028-11-02", "22:00"),
        ["KALBAR"],
        title="Darurat",
        during_quiet_hours=True,
    )
    evening = datetime(2028, 11, 2, 15, 5, tzinfo=UTC)  # 22:05 WIB
    assert len(tick(world, evening).proposed) == 1
    assert len(tick(world, datetime(2028, 11, 2, 22, 59, tzinfo=UTC)).proposed) == 0  # 05:59
    assert len(tick(world, datetime(2028, 11, 2, 23, 0, tzinfo=UTC)).proposed) == 1  # 06:00
    with world.transaction() as session:
        titles = session.scalars(
            select(CalendarEntry.title)
            .join(CalendarOccurrence, CalendarOccurrence.entry_id == CalendarEntry.id)
            .order_by(CalendarOccurrence.due_at)
        ).all()
    assert titles == ["Darurat", "Malam"]


def test_a_groups_own_quiet_hours_move_its_coming_sends_at_once(world: Database) -> None:
    entry = add(world, entries.once("2028-11-02", "20:30"), ["KALBAR"])
    assert list(next_due(world, entry).values()) == [datetime(2028, 11, 2, 13, 30, tzinfo=UTC)]
    with world.transaction() as session:
        quiet_hours.set_quiet_hours(
            session, "KALBAR", *map(entries.parse_time, ("20:00", "07:00")), actor=ADMIN, now=NOW
        )
    assert list(next_due(world, entry).values()) == [datetime(2028, 11, 3, 0, 0, tzinfo=UTC)]
    with world.transaction() as session:
        [item] = agenda.coming(session, NOW)
        assert item.status == agenda.MOVED and item.reasons[0].quiet_hours == "20:00–07:00"


def test_a_blackout_holds_tagged_content_and_lets_the_rest_through(world: Database) -> None:
    tagged = add(world, entries.once("2028-11-10", "09:00"), ["KALBAR"], tags=["kampanye"])
    plain = add(world, entries.once("2028-11-10", "10:00"), ["KALBAR"])
    with world.transaction() as session:
        blackouts.add_blackout(
            session,
            "Masa tenang",
            ["kampanye"],
            first="2028-11-09",
            last="2028-11-11",
            actor=ADMIN,
            now=NOW,
        )
        items = {item.entry_id: item for item in agenda.coming(session, NOW)}
    assert items[tagged].when == datetime(2028, 11, 12, 6, tzinfo=UTC) - WIB  # 06:00 after
    assert [r.kind for r in items[tagged].reasons] == ["blackout", "quiet_hours"]
    assert items[plain].when == datetime(2028, 11, 10, 10, tzinfo=UTC) - WIB
    assert len(tick(world, datetime(2028, 11, 10, 4, tzinfo=UTC)).proposed) == 1
    assert len(tick(world, datetime(2028, 11, 11, 23, 1, tzinfo=UTC)).proposed) == 1


def test_a_blackout_over_a_stage_follows_the_stage(world: Database) -> None:
    daily = entries.recurring(
        "09:00", starts_on="2029-02-01", frequency="daily", until="2029-02-20"
    )
    entry = add(world, daily, ["KALTIM"], tags=["kampanye"])
    with world.transaction() as session:
        load_calendar(session, official_2029(date(2029, 2, 14)), NOW)
        blackouts.add_blackout(
            session,
            "Masa tenang",
            ["kampanye"],
            stage="masa tenang",
            election="pemilu2029",
            actor=ADMIN,
            now=NOW,
        )
        items = [
            i
            for i in agenda.coming(session, datetime(2029, 2, 10, tzinfo=UTC), days=5)
            if i.entry_id == entry
        ]
    assert [(i.when.astimezone(UTC) + WITA).day for i in items if i.when] == [10, 11, 12, 13, 14]
    assert [i.status for i in items] == ["scheduled", "skipped", "skipped", "skipped", "scheduled"]


# --- Exactly one broadcast per occurrence ---------------------------------------------------


def test_scanning_again_or_after_a_lost_cursor_never_makes_a_second_broadcast(
    world: Database,
) -> None:
    add(world, entries.once("2028-11-02", "09:00"), ["KALBAR", "KALTIM"])
    at = datetime(2028, 11, 2, 3, tzinfo=UTC)
    assert len(tick(world, at).proposed) == 2
    assert tick(world, at).proposed == []
    with world.transaction() as session:  # as if the targets had never been advanced
        session.execute(
            update(CalendarTarget).values(cursor_key=None, next_due_at=at - timedelta(hours=1))
        )
    assert tick(world, at).proposed == []
    assert len(broadcasts(world)) == 2


def test_two_scanners_at_once_still_make_one_broadcast_per_occurrence(world: Database) -> None:
    for n in range(15):  # 30 targets: more than one transaction's batch per tick
        add(world, entries.once("2028-11-02", f"09:{n:02d}"), ["KALBAR", "KALTIM"], title=f"E{n}")
    at = datetime(2028, 11, 2, 3, tzinfo=UTC)
    start = threading.Barrier(2)
    results: list[scan.ScanResult] = []
    errors: list[BaseException] = []

    def scanner() -> None:
        try:
            start.wait()
            for _ in range(3):
                results.append(tick(world, at))
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=scanner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [thread.is_alive() for thread in threads] == [False, False]
    assert errors == [] and len(results) == 6  # two scanners, three ticks each
    made = [b.id for b in broadcasts(world)]
    assert len(made) == 30 and sorted(i for r in results for i in r.proposed) == made
    assert len(occurrences(world)) == 30


# --- Content and approval -------------------------------------------------------------------


def library_item(database: Database, *, approved: bool) -> int:
    with database.transaction() as session:
        content = library.add_content(
            session,
            title="Hoaks pemilu diundur",
            body="Kabar pemilu diundur adalah hoaks.",
            created_by=ADMIN,
            tags=["hoaks"],
            kind="clarification",
            language="en",
            media_url="https://kpu.example.go.id/klarifikasi.png",
            now=NOW,
        )
        if approved:
            library.approve_content(session, content.id, actor="admin:editor", now=NOW)
        return content.id


def test_approved_library_content_is_approved_by_the_system_and_goes_out(world: Database) -> None:
    content_id = library_item(world, approved=True)
    add(world, entries.once("2028-11-02", "09:00"), ["KALBAR"], body=None, content_id=content_id)
    tick(world, datetime(2028, 11, 2, 2, 1, tzinfo=UTC))
    [broadcast] = broadcasts(world)
    assert broadcast.state == BroadcastState.SENDING.value  # planned at once
    assert broadcast.approved_by == scan.SYSTEM_ACTOR and broadcast.content_id == content_id
    # Sent as the library has it: its media, kind, language and tags.
    assert broadcast.media_url == "https://kpu.example.go.id/klarifikasi.png"
    assert (broadcast.kind, broadcast.language, broadcast.tags) == (
        "clarification",
        "en",
        ["hoaks"],
    )


def test_library_content_not_yet_approved_waits_for_an_editor(world: Database) -> None:
    content_id = library_item(world, approved=False)
    add(world, entries.once("2028-11-02", "09:00"), ["KALBAR"], body=None, content_id=content_id)
    tick(world, datetime(2028, 11, 2, 2, 1, tzinfo=UTC))
    [broadcast] = broadcasts(world)
    assert broadcast.state == BroadcastState.PENDING.value and broadcast.approved_by is None
    assert broadcast.body == "Kabar pemilu diundur adalah hoaks."


@pytest.mark.parametrize("content_id", [424242, 2**40])
def test_an_entry_for_library_content_that_does_not_exist_is_refused(
    world: Database, content_id: int
) -> None:
    with pytest.raises(CalendarError) as error:
        add(
            world, entries.once("2028-11-02", "09:00"), ["KALBAR"], body=None, content_id=content_id
        )
    assert error.value.key == "unknown_content"


# --- Campaigns ------------------------------------------------------------------------------

CAMPAIGN = """
name: uji-coba
title: Uji coba
groups: [KALBAR]
time: "09:00"
entries:
  - key: satu
    date: 2028-11-02
    body: Pertama
  - key: dua
    date: 2028-11-04
    body: Kedua
  - key: tiga
    date: 2028-11-06
    body: Ketiga
"""


def load_campaign(database: Database, tmp_path: Path, text: str, now: datetime = NOW) -> Any:
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    with database.transaction() as session:
        return campaigns.load_file(session, path, actor=ADMIN, now=now)


def test_a_paused_campaign_sends_nothing_and_resumes_from_then_on(
    world: Database, tmp_path: Path
) -> None:
    load_campaign(world, tmp_path, CAMPAIGN)
    with world.transaction() as session:
        campaigns.pause(session, "uji-coba", actor=ADMIN, now=NOW)
    assert tick(world, datetime(2028, 11, 2, 3, tzinfo=UTC)).proposed == []
    with world.transaction() as session:
        campaigns.resume(session, "uji-coba", actor=ADMIN, now=datetime(2028, 11, 3, tzinfo=UTC))
        [first, *_] = agenda.coming(session, datetime(2028, 11, 3, tzinfo=UTC))
    assert first.title == "Kedua"  # the send that fell due while paused is not sent late
    assert len(tick(world, datetime(2028, 11, 4, 3, tzinfo=UTC)).proposed) == 1
    assert [b.body for b in broadcasts(world)] == ["Kedua"]


def test_cancelling_a_campaign_cancels_its_broadcasts_not_yet_out(
    world: Database, tmp_path: Path
) -> None:
    load_campaign(world, tmp_path, CAMPAIGN)
    tick(world, datetime(2028, 11, 2, 3, tzinfo=UTC))
    with world.transaction() as session:
        _, stopped = campaigns.cancel(session, "uji-coba", actor=ADMIN, now=NOW)
    assert stopped == 1
    assert [b.state for b in broadcasts(world)] == [BroadcastState.CANCELLED.value]
    assert tick(world, datetime(2028, 11, 7, tzinfo=UTC)).proposed == []


def test_reloading_a_campaign_updates_it_in_place_and_never_resends(
    world: Database, tmp_path: Path
) -> None:
    load_campaign(world, tmp_path, CAMPAIGN)
    tick(world, datetime(2028, 11, 2, 3, tzinfo=UTC))
    edited = CAMPAIGN.replace("Kedua", "Kedua (baru)").replace(
        "  - key: tiga\n    date: 2028-11-06\n    body: Ketiga\n", ""
    )
    summary = load_campaign(world, tmp_path, edited, now=datetime(2028, 11, 2, 4, tzinfo=UTC))
    assert (summary.added, summary.updated, summary.removed) == (0, 2, 1)
    for day in (4, 6):
        tick(world, datetime(2028, 11, day, 3, tzinfo=UTC))
    assert [b.body for b in broadcasts(world)] == ["Pertama", "Kedua (baru)"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: x\ntitle: [unclosed", "not valid YAML"),
        (CAMPAIGN.replace("key: dua\n", "key: dua\n    colour: red\n"), "unknown field 'colour'"),
        (CAMPAIGN.replace("date: 2028-11-04", "date: 2028-02-30"), "bad_date"),
        (
            CAMPAIGN.replace(
                "    date: 2028-11-06\n", "    rrule: FREQ=SOMETIMES\n    from: 2028-11-06\n"
            ),
            "bad_rrule",
        ),
        (
            CAMPAIGN.replace("    date: 2028-11-06\n", "    anchor: H-1 hari libur pemilu2024\n"),
            "unknown_stage",
        ),
        (CAMPAIGN.replace("[KALBAR]", "[KALBAR, NOWHERE]"), "unknown_group"),
        (CAMPAIGN.replace("key: tiga", "key: dua"), "two entries"),
    ],
)
def test_a_malformed_campaign_file_is_refused_whole(
    world: Database, tmp_path: Path, text: str, words: str
) -> None:
    with pytest.raises(CalendarError) as error:
        load_campaign(world, tmp_path, text)
    assert words in f"{error.value.key} {error.value.data}"
    with world.transaction() as session:
        assert session.scalar(select(func.count(Campaign.id))) == 0
        assert session.scalar(select(func.count(CalendarEntry.id))) == 0


def test_the_bundled_campaign_loads_and_waits_for_the_2029_dates(world: Database) -> None:
    path = (
        Path(__file__).resolve().parents[2] / "config" / "campaigns" / "literasi-pemilu-2029.yaml"
    )
    with world.transaction() as session:
        summary = campaigns.load_file(session, path, actor=ADMIN, now=NOW)
        assert (summary.added, summary.waiting) == (6, 6)
        load_calendar(session, official_2029(date(2029, 2, 14)), NOW)
    tick(world, NOW)
    with world.transaction() as session:
        campaign = campaigns.campaign_named(session, "literasi-pemilu-2029")
        coming = agenda.coming(session, NOW, days=200, campaign_id=campaign.id)
    kalbar = [i for i in coming if i.group.code == "KALBAR"]
    assert [i.local.date() for i in kalbar if i.local] == [
        date(2029, 1, 15),
        date(2029, 1, 24),
        date(2029, 1, 31),
        date(2029, 2, 7),
        date(2029, 2, 11),
        date(2029, 2, 13),
    ]
