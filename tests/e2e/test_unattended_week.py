"""An unattended weekend, end to end: "a campaign set up on Friday goes out on Monday with nobody
touching it, every staff member who must act is actually told, and every reply tells the truth."

Friday afternoon an admin loads a weekly campaign (Monday 09:00) for KALBAR (WIB) and KALTIM
(WITA) through the CLI and an editor approves it ahead of time; an admin then adds a second,
unapproved entry. The worker's own registered jobs then run on an injected clock, every 15
minutes from Friday 16:00 WIB to Monday 10:00 WIB, sending over real HTTP to the fake Twilio;
chat goes through the signed webhook on the same clock. Whatever the fake received is tagged
with the simulated time of the job run that sent it, so "when" below is the worker's time.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from broadcasts import worker
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    AdminUser,
    Broadcast,
    BroadcastState,
    CalendarEntry,
    CalendarOccurrence,
    DeliveryState,
    Group,
    Member,
    OutboundMessage,
    Role,
)
from broadcasts.delivery import dispatch, outbox
from broadcasts.people import membership
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.fake_twilio import FakeMessage, FakeTwilio
from tests.signing import SignedClient

WIB = ZoneInfo("Asia/Pontianak")
WITA = ZoneInfo("Asia/Makassar")
FRIDAY, SATURDAY, SUNDAY, MONDAY = (date(2027, 3, d) for d in (5, 6, 7, 8))
STEP = timedelta(minutes=15)

AUTHOR = "siti"  # a dashboard account: the campaign's author
EDITOR = "+6281300000001"  # Eka, editor of KALIMANTAN: of both provinces below it
COORDINATOR = "+6281300000002"  # Cici, coordinator of KALBAR (so also one of its members)
KALBAR_MEMBERS = ("+6281220000001", "+6281220000002", "+6281220000003")
KALTIM_MEMBERS = ("+6281230000001", "+6281230000002", "+6281230000003")
# These two write to the bot on Monday morning, so their post goes free-form.
EARLY_READERS = (KALBAR_MEMBERS[0], KALTIM_MEMBERS[0])
NAMES = {"KALBAR": "Bakohumas Kalbar", "KALTIM": "Bakohumas Kaltim"}
RECIPIENTS = {"KALBAR": (*KALBAR_MEMBERS, COORDINATOR), "KALTIM": KALTIM_MEMBERS}
ZONES = {"KALBAR": WIB, "KALTIM": WITA}

NOTICE_SID = "HX" + "a" * 32
LITERACY_SID = "HX" + "b" * 32
NOTICE_PREFIX = "Pemberitahuan Humasbot: "
LITERACY_PREFIX = "Info pemilu: "
FOOTER = "_Ketik BERHENTI untuk berhenti menerima siaran._"

CAMPAIGN = "literasi-senin"
WEEKLY_TITLE = "Senin: saring sebelum sebar"
WEEKLY_BODY = (
    "🗳️ *Literasi Senin.*\n\n"
    "Saring sebelum sebar: cek sumbernya, cek tanggalnya, dan cari klarifikasi resmi."
)
UNAPPROVED_TITLE = "Senin: cek DPT"
CAMPAIGN_FILE = f"""\
name: {CAMPAIGN}
title: Literasi Senin
groups: [KALBAR, KALTIM]
time: "09:00"
kind: literacy
language: id
tags: [literasi]
entries:
  - key: senin
    title: "{WEEKLY_TITLE}"
    repeat:
      every: weekly
      days: [senin]
      from: "{FRIDAY.isoformat()}"
    body: |-
      🗳️ *Literasi Senin.*

      Saring sebelum sebar: cek sumbernya, cek tanggalnya, dan cari klarifikasi resmi.
"""
# The order one 15-minute step runs the worker's jobs in: what is due is proposed, editors are
# reminded, held notices whose reader wrote are released, approved broadcasts are planned, all
# of it is sent, and anything in doubt is reconciled. (The scheduler runs each job many times in
# 15 minutes, so within a step they see one another's work in this order.)
ORDER = (
    "calendar_scan",
    "calendar_reminders",
    "hoax_digests",
    "release_waiting_notices",
    "plan_due_broadcasts",
    "dispatch",
    "reconcile",
    "privacy_retention",
)


def local(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone`, as the UTC instant the clock is set to."""
    return datetime.combine(day, time(hour, minute), zone).astimezone(UTC)


def to(phone: str) -> str:
    return f"whatsapp:{phone}"


# --- The world, the CLI and the worker -------------------------------------------------------


@pytest.fixture
def fake(settings: Settings) -> Iterator[FakeTwilio]:
    with FakeTwilio(auth_token=settings.twilio_auth_token or "") as running:
        running.add_template(NOTICE_SID, NOTICE_PREFIX + "{{1}}", name="pemberitahuan")
        running.add_template(LITERACY_SID, LITERACY_PREFIX + "{{1}}", name="literasi")
        yield running


@pytest.fixture
def worker_settings(settings: Settings, fake: FakeTwilio) -> Settings:
    """The worker's settings: this test's database, sending to the fake (TWILIO_API_BASE_URL)."""
    return settings.replace(
        twilio_account_sid=fake.account_sid,
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_api_base_url=fake.url,
    )


Invoke = Callable[..., str]


@pytest.fixture
def cli(worker_settings: Settings, database: Database, clock: FixedClock) -> Invoke:
    """`humasbot …` as the operator runs it, on this test's settings, database and clock;
    returns its output and fails the test unless it exits 0."""
    runner = CliRunner()

    def invoke(*args: str) -> str:
        context = Runtime(worker_settings, database, clock)
        result = runner.invoke(main, list(args), obj=context, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


@pytest.fixture
def world(database: Database, clock: FixedClock, twilio: SignedClient) -> None:
    """KALIMANTAN ⊃ KALBAR (WIB), KALTIM (WITA). Eka edits both provinces from above, Cici
    coordinates KALBAR; both last wrote to the bot on Tuesday, days outside the 24-hour window.
    None of the members has ever written."""
    with database.transaction() as session:
        session.add(AdminUser(username=AUTHOR, password_hash="-"))
        membership.create_group(
            session, "KALIMANTAN", "Bakohumas Kalimantan", timezone="Asia/Pontianak"
        )
        for code, zone in (("KALBAR", "Asia/Pontianak"), ("KALTIM", "Asia/Makassar")):
            membership.create_group(
                session, code, NAMES[code], parent_code="KALIMANTAN", timezone=zone
            )
        membership.add_member(session, EDITOR, "KALIMANTAN", role=Role.EDITOR, name="Eka")
        membership.add_member(session, COORDINATOR, "KALBAR", role=Role.COORDINATOR, name="Cici")
        for phone in KALBAR_MEMBERS:
            membership.add_member(session, phone, "KALBAR")
        for phone in KALTIM_MEMBERS:
            membership.add_member(session, phone, "KALTIM")
    clock.set(local(FRIDAY - timedelta(days=3), 10, 0, WIB))  # Tuesday
    assert "Tidak ada siaran" in twilio.say(EDITOR, "ANTRIAN")
    twilio.say(COORDINATOR, "MENU")
    clock.set(local(FRIDAY, 16, 0, WIB))


Received = tuple[datetime, FakeMessage]


@dataclass
class Worker:
    """The worker's registered jobs, run by hand on the test's clock; `received` is everything
    the fake Twilio got, each with the (simulated) time of the run that sent it."""

    services: Runtime
    fake: FakeTwilio
    clock: FixedClock
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        jobs = {job.id: job for job in worker.JOBS}
        # A job added to the worker must be placed in ORDER, or this simulation would skip it.
        assert sorted(jobs) == sorted(ORDER), sorted(jobs)
        self.jobs = [jobs[job_id] for job_id in ORDER]

    def run(self) -> list[FakeMessage]:
        """One round of every job at the clock's time; returns what the fake got in it."""
        for job in self.jobs:
            job.run(self.services)
        new = self.fake.messages[len(self.received) :]
        self.received.extend((self.clock.now(), message) for message in new)
        return list(new)

    def until(self, end: datetime, chat: dict[datetime, Callable[[], None]] | None = None) -> None:
        """Steps the clock to `end`, running the jobs at every step; `chat` happens at its step,
        before that step's jobs."""
        chat = dict(chat or {})
        while self.clock.now() < end:
            self.clock.advance(STEP)
            happening = chat.pop(self.clock.now(), None)
            if happening is not None:
                happening()
            self.run()
        assert not chat, f"chat not on a step: {sorted(chat)}"

    def to(self, phone: str) -> list[Received]:
        return [(at, message) for at, message in self.received if message.to == to(phone)]


@pytest.fixture
def run(
    worker_settings: Settings, database: Database, clock: FixedClock, fake: FakeTwilio
) -> Iterator[Worker]:
    services = Runtime(worker_settings, database, clock)
    yield Worker(services, fake, clock)
    # The dispatch job keeps one dispatcher per services object, for the process's life: close
    # ours, so a later test's services (perhaps at the same id) never reuse it.
    made = dispatch._dispatchers.pop(id(services), None)
    if made is not None:
        made.close()
    gc.unfreeze()  # the dispatcher freezes what exists for the sending process; not for pytest


def map_templates(cli: Invoke, *, notice: bool) -> None:
    assert "2 templates at Twilio: 2 new" in cli("templates", "sync")
    assert "now carries literacy" in cli("templates", "map", LITERACY_SID, "--kind", "literacy")
    if notice:
        assert "now carries notice" in cli("templates", "map", NOTICE_SID, "--kind", "notice")


# --- What the database says ----------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    group: str
    broadcast_id: int
    state: str
    approved_by: str | None
    due_at: datetime


def broadcasts_of(database: Database, title: str) -> dict[str, Sent]:
    """The broadcasts the calendar entry `title` made, by group code."""
    with database.transaction() as session:
        rows = session.execute(
            select(Group.code, Broadcast, CalendarOccurrence.due_at)
            .join(CalendarOccurrence, CalendarOccurrence.broadcast_id == Broadcast.id)
            .join(CalendarEntry, CalendarEntry.id == CalendarOccurrence.entry_id)
            .join(Group, Group.id == Broadcast.group_id)
            .where(CalendarEntry.title == title)
        ).all()
        return {
            code: Sent(code, b.id, b.state, b.approved_by, due.astimezone(UTC))
            for code, b, due in rows
        }


def deliveries(database: Database, broadcast_id: int) -> dict[str, int]:
    with database.transaction() as session:
        counts = outbox.counts(session, broadcast_id)
    return {state: n for state, n in counts.items() if n}


def notices_to(database: Database, phone: str) -> list[OutboundMessage]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(OutboundMessage)
                .join(Member, Member.id == OutboundMessage.member_id)
                .where(Member.phone == phone, OutboundMessage.broadcast_id.is_(None))
                .order_by(OutboundMessage.id)
            )
        )


def unsent(database: Database) -> list[tuple[str | None, str, str | None]]:
    """Rows skipped, failed, held or otherwise not sent: (dedupe key, state, reason)."""
    with database.transaction() as session:
        return [
            (row.dedupe_key, row.state, row.reason)
            for row in session.scalars(
                select(OutboundMessage).where(OutboundMessage.state != DeliveryState.SENT.value)
            )
        ]


def assert_replied(reply: str) -> None:
    assert reply.strip(), "the bot did not answer"


def broadcast_number(reply: str) -> int:
    marker = reply.split("*#", 1)[1]
    return int(marker.split("*", 1)[0])


# --- The weekend ------------------------------------------------------------------------------


def test_a_campaign_approved_on_friday_goes_out_on_monday_and_only_the_unapproved_post_nags(
    cli: Invoke,
    world: None,
    run: Worker,
    fake: FakeTwilio,
    database: Database,
    clock: FixedClock,
    twilio: SignedClient,
    tmp_path: Path,
) -> None:
    # Friday 16:00 WIB: the admin maps the templates, loads the campaign, an editor approves it.
    map_templates(cli, notice=True)
    campaign_file = tmp_path / f"{CAMPAIGN}.yaml"
    campaign_file.write_text(CAMPAIGN_FILE, encoding="utf-8")
    assert "1 entries added" in cli("campaign", "load", str(campaign_file), "--by", AUTHOR)
    approved = cli("campaign", "approve", CAMPAIGN, "--by", EDITOR)
    assert "1 entries approved" in approved
    assert f"Mon 2027-03-08 09:00 WIB  KALBAR  {WEEKLY_TITLE}" in approved
    assert f"Mon 2027-03-08 09:00 WITA  KALTIM  {WEEKLY_TITLE}" in approved
    # Added after the approval, so not covered by it: it must wait for an editor, and nag.
    added = cli(
        "calendar",
        "add",
        "--group",
        "KALBAR",
        "--group",
        "KALTIM",
        "--on",
        MONDAY.isoformat(),
        "--time",
        "09:30",
        "--title",
        UNAPPROVED_TITLE,
        "--body",
        "Cek nama Anda di DPT lewat cekdptonline.kpu.go.id.",
        "--campaign",
        CAMPAIGN,
        "--by",
        AUTHOR,
    )
    assert "KALTIM: next send Mon 2027-03-08 09:30 WITA" in added
    listed = cli("calendar", "list", "--days", "4")
    assert "needs approval" in listed and UNAPPROVED_TITLE in listed

    # Nobody touches anything until Monday; two members happen to write at 07:30 their time.
    def writes(phone: str) -> Callable[[], None]:
        return lambda: assert_replied(twilio.say(phone, "MENU"))

    run.run()
    run.until(
        local(MONDAY, 10, 0, WIB),
        {
            local(MONDAY, 7, 30, WIB): writes(EARLY_READERS[0]),
            local(MONDAY, 7, 30, WITA): writes(EARLY_READERS[1]),
        },
    )

    # The approved post: exactly once to every member of each group, at 09:00 on the group's
    # own clock (KALTIM an hour earlier in UTC than KALBAR), and nothing of it before.
    weekly = broadcasts_of(database, WEEKLY_TITLE)
    assert sorted(weekly) == ["KALBAR", "KALTIM"]
    assert local(MONDAY, 9, 0, WITA) == local(MONDAY, 9, 0, WIB) - timedelta(hours=1)
    for code, phones in RECIPIENTS.items():
        nine = local(MONDAY, 9, 0, ZONES[code])
        sent = weekly[code]
        assert (sent.due_at, sent.state) == (nine, BroadcastState.DONE.value)
        assert sent.approved_by == f"member:{EDITOR}"  # approved ahead, in the editor's name
        assert deliveries(database, sent.broadcast_id) == {"sent": len(phones)}
        flat = " ".join(WEEKLY_BODY.split())
        for phone in phones:
            [(at, message)] = run.to(phone)  # and nothing else, ever: one message in all
            assert at == nine, (phone, at)
            if phone in EARLY_READERS:  # wrote at 07:30: free-form, framed
                assert message.content_sid is None
                assert message.body.startswith(f"*{NAMES[code]}*\n"), message.body
                assert WEEKLY_BODY in message.body
                assert message.body.rstrip().endswith(FOOTER), message.body
            else:  # outside the window: the literacy template carries the text
                assert message.content_sid == LITERACY_SID, phone
                assert message.body == LITERACY_PREFIX + flat
    assert fake.counts[to(EDITOR)] == len(run.to(EDITOR))

    # The unapproved post waits for an editor and sent nothing; the editor heard of it, by the
    # notice template (silent since Tuesday): a day before, an hour before, and at its time.
    pending = broadcasts_of(database, UNAPPROVED_TITLE)
    assert {code: b.state for code, b in pending.items()} == {
        "KALBAR": BroadcastState.PENDING.value,
        "KALTIM": BroadcastState.PENDING.value,
    }
    assert all(deliveries(database, b.broadcast_id) == {} for b in pending.values())
    told = run.to(EDITOR)
    assert all(m.content_sid == NOTICE_SID and m.body.startswith(NOTICE_PREFIX) for _, m in told)
    # Nothing about the approved post: no reminder, and no request to review what is going out.
    assert all(WEEKLY_TITLE not in m.body for _, m in told), "reminded of the approved post"
    for sent in weekly.values():
        assert all(f"#{sent.broadcast_id}*" not in m.body for _, m in told), "asked to review it"
    expected = [
        (local(SUNDAY, 9, 30, WITA), "besok", "pukul 09.30 WITA"),
        (local(SUNDAY, 9, 30, WIB), "besok", "pukul 09.30 WIB"),
        (local(MONDAY, 8, 30, WITA), "satu jam lagi", "pukul 09.30 WITA"),
        (local(MONDAY, 8, 30, WIB), "satu jam lagi", "pukul 09.30 WIB"),
    ]
    reminders = [(at, m.body) for at, m in told if "belum disetujui" in m.body]
    assert len(reminders) == len(expected), [body for _, body in reminders]
    for (at, body), (when, soon, clock_text) in zip(reminders, expected, strict=True):
        assert at == when and UNAPPROVED_TITLE in body and soon in body, (at, body)
        assert clock_text in body and "Senin, 8 Maret 2027" in body, body
    reviews = [(at, m.body) for at, m in told if "Siaran baru" in m.body]
    assert len(reviews) == 2, reviews
    for (at, body), code in zip(reviews, ("KALTIM", "KALBAR"), strict=True):
        assert at == local(MONDAY, 9, 30, ZONES[code]), (at, body)
        assert f"SETUJUI {pending[code].broadcast_id}" in body and f"({code})" in body, body
    assert len(told) == len(reminders) + len(reviews)
    assert [row.mode for row in notices_to(database, EDITOR)] == ["template"] * len(told)
    assert notices_to(database, COORDINATOR) == []  # nothing for Cici to act on
    assert unsent(database) == []  # nothing skipped, failed or still held
    assert fake.total() == len(run.received) == 7 + len(told)

    # The replies tell the truth: the editor's queue holds the two posts; STATUS counts.
    queue = twilio.say(EDITOR, "ANTRIAN")
    assert all(f"#{b.broadcast_id}*" in queue for b in pending.values()), queue
    assert all(f"#{b.broadcast_id}*" not in queue for b in weekly.values()), queue
    status = twilio.say(COORDINATOR, f"STATUS {weekly['KALBAR'].broadcast_id}")
    assert "_selesai dikirim_" in status, status
    assert "Dikirim Senin, 8 Maret 2027 pukul 09.00 WIB ke 4 penerima" in status, status
    assert "• terkirim: 4" in status and "tidak dikirim" not in status, status


# --- SIARKAN on a Friday -----------------------------------------------------------------------


@pytest.mark.parametrize("notice_template", [True, False], ids=["notice-template", "no-template"])
def test_a_friday_siarkan_says_truly_whether_the_silent_editor_was_told(
    notice_template: bool,
    cli: Invoke,
    world: None,
    run: Worker,
    database: Database,
    clock: FixedClock,
    twilio: SignedClient,
) -> None:
    map_templates(cli, notice=notice_template)
    text = "Rapat koordinasi relawan demokrasi Senin pukul 10.00 WIB di aula kantor gubernur."
    proposed = twilio.say(COORDINATOR, f"SIARKAN KALBAR {text}")
    number = broadcast_number(proposed)
    assert "Penerima: *4* anggota" in proposed, proposed
    run.run()
    if notice_template:
        assert "1 editor sudah diberi tahu." in proposed, proposed
        assert "menulis lagi" not in proposed and "Belum ada editor" not in proposed
        [(at, review)] = run.to(EDITOR)  # told at once, by the notice template
        assert at == local(FRIDAY, 16, 0, WIB) and review.content_sid == NOTICE_SID
    else:
        assert "Belum ada editor yang menerimanya: 1 editor" in proposed, proposed
        assert "ANTREAN" in proposed and "sudah diberi tahu" not in proposed
        assert run.to(EDITOR) == []
        [held] = notices_to(database, EDITOR)
        assert (held.state, held.next_attempt_at) == (DeliveryState.QUEUED.value, None)
        # Nothing reaches Eka overnight; she writes on Saturday morning and gets it next run.
        saturday = local(SATURDAY, 10, 0, WIB)
        run.until(saturday - STEP)
        assert run.to(EDITOR) == []
        queue: list[str] = []
        run.until(saturday, {saturday: lambda: queue.append(twilio.say(EDITOR, "ANTRIAN"))})
        assert f"*#{number}* KALBAR — dari Cici" in queue[0], queue
        [(at, review)] = run.to(EDITOR)
        assert at == saturday and review.content_sid is None
    assert f"SETUJUI {number}" in review.body and "Cici" in review.body, review.body
    [row] = notices_to(database, EDITOR)
    assert (row.state, row.mode) == (
        DeliveryState.SENT.value,
        "template" if notice_template else "freeform",
    )

    # Eka approves; the reply's count is what the members then get.
    clock.advance(STEP)
    answer = twilio.say(EDITOR, f"SETUJUI {number}")
    assert f"Sedang dikirim ke 4 penerima. Ketik *STATUS {number}*" in answer, answer
    run.run()
    for phone in KALBAR_MEMBERS:  # silent all week: by the literacy template
        [(at, message)] = run.to(phone)
        assert (at, message.content_sid) == (clock.now(), LITERACY_SID)
        assert message.body == LITERACY_PREFIX + text
    # Cici wrote the SIARKAN, so she is inside her window: her copy goes free-form, framed,
    # and she is told (truly) that it was approved and is going out.
    got = run.to(COORDINATOR)  # sent side by side, so in either order
    assert [at for at, _ in got] == [clock.now()] * 2
    [post] = [m for _, m in got if text in m.body]
    [approved] = [m for _, m in got if text not in m.body]
    assert post.content_sid is None and approved.content_sid is None
    assert post.body.startswith("*Bakohumas Kalbar*\n") and text in post.body
    assert post.body.rstrip().endswith(FOOTER), post.body
    assert approved.body.startswith(f"Siaran Anda *#{number}* untuk KALBAR disetujui.")
    assert "Sedang dikirim" in approved.body, approved.body
    assert deliveries(database, number) == {"sent": 4}
    assert unsent(database) == []
