"""Hoax reports to clarifications, the whole loop as members and coordinators live it: signed
webhooks in, TwiML out; media fetched from the fake Twilio with the account's credentials; the
worker's digest job and dispatcher sending to the fake over real HTTP.

A member reports (text, or LAPOR and then a forwarded picture); similar reports make one claim;
coordinators get one notice, then a digest; a coordinator records a verdict (VERIFIKASI); an
editor other than its author approves it; everyone who reported the claim receives it (free-form
inside the 24-hour window, the clarification template outside it) and CEK finds it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.web.app import create_app
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    Broadcast,
    Content,
    HoaxClaim,
    HoaxDigestItem,
    HoaxReport,
    HoaxReportMedia,
    Member,
    OutboundMessage,
    Role,
)
from broadcasts.delivery import notices
from broadcasts.delivery.dispatch import Dispatcher
from broadcasts.editorial import library
from broadcasts.editorial import workflow as editorial
from broadcasts.elections import stored as calendars
from broadcasts.hoaxes import digests
from broadcasts.people import membership
from broadcasts.phrasebook import render
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.delivery_fixtures import add_template
from tests.fake_twilio import FakeMessage, FakeTwilio
from tests.signing import SignedClient

PROVINCE_EDITOR = "+6281300000001"  # edits KALBAR: approves for Pontianak
COORDINATOR = "+6281300000002"  # coordinates PONTIANAK
OUTSIDER = "+6281300000009"  # coordinates KALTIM
MEMBERS = [f"+628122{n:07d}" for n in range(1, 9)]
PICTURE = b"\x89PNG\r\n\x1a\n" + b"tangkapan layar pesan berantai" * 40

HOAX = "Pencoblosan diundur ke Maret karena logistik belum siap, sebarkan ke grup lain!"
VARIANT = (
    "Info penting dari grup sebelah: pencoblosan pemilu diundur ke bulan Maret karena logistik"
    " belum siap. Sebarkan ke grup lain!!"
)
OTHER_HOAX = "Tinta pemilu mengandung lemak babi, jangan mau jari dicelup di TPS"
SUMMARY = (
    "KPU memastikan pemungutan suara tetap Rabu, 14 Februari 2024; tidak ada pengunduran."
    " Sumber: https://www.kpu.go.id/berita/baca/12345"
)


@pytest.fixture
def groups(database: Database) -> None:
    with database.transaction() as session:
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.create_group(session, "PONTIANAK", "Kota Pontianak", parent_code="KALBAR")
        membership.create_group(session, "KALTIM", "Bakohumas Kaltim", timezone="Asia/Makassar")
        membership.add_member(session, PROVINCE_EDITOR, "KALBAR", role=Role.EDITOR, name="Eka")
        membership.add_member(session, COORDINATOR, "PONTIANAK", role=Role.COORDINATOR, name="Cici")
        membership.add_member(session, OUTSIDER, "KALTIM", role=Role.COORDINATOR)
        for number in MEMBERS:
            membership.add_member(session, number, "PONTIANAK")


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(auth_token=AUTH_TOKEN) as running:
        yield running


@pytest.fixture
def worker(settings: Settings, fake: FakeTwilio, database: Database, clock: FixedClock) -> Runtime:
    """The web app's and the worker's settings: Twilio is the fake (media are fetched there)."""
    configured = settings.replace(
        twilio_account_sid=fake.account_sid,
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_api_base_url=fake.url,
    )
    return Runtime(configured, database, clock)


@pytest.fixture
def chat(worker: Runtime) -> SignedClient:
    app = create_app(worker.settings, database=worker.database, clock=worker.clock)
    return SignedClient(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL)


@pytest.fixture
def dispatcher(worker: Runtime) -> Iterator[Dispatcher]:
    running = Dispatcher(worker.settings, worker.database, worker.clock, owner="e2e-hoaxes")
    yield running
    running.close()


def run_worker(worker: Runtime, dispatcher: Dispatcher) -> None:
    """The worker's jobs that concern reports: digests, then sending."""
    digests.digest_job(worker)
    dispatcher.drain()


def to(phone: str) -> str:
    return f"whatsapp:{phone}"


def number_in(reply: str, after: str = "#") -> int:
    found = re.search(re.escape(after) + r"(\d+)", reply)
    assert found, reply
    return int(found.group(1))


def media_form(url: str, content_type: str = "image/png") -> dict[str, str]:
    return {"NumMedia": "1", "MediaUrl0": url, "MediaContentType0": content_type}


def report_notices(fake: FakeTwilio, phone: str) -> list[FakeMessage]:
    return [m for m in fake.sent_to(to(phone)) if "laporan" in m.body.lower()]


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.usefixtures("groups")
def test_reports_become_one_claim_and_its_approved_clarification_reaches_every_reporter(
    chat: SignedClient,
    worker: Runtime,
    dispatcher: Dispatcher,
    fake: FakeTwilio,
    database: Database,
    clock: FixedClock,
) -> None:
    for staff in (PROVINCE_EDITOR, COORDINATOR):
        chat.say(staff, "halo")  # both wrote today: notices reach them free-form

    # The first report reaches both coordinators at once; the second joins its claim and waits
    # for their digest.
    first = chat.say(MEMBERS[0], f"LAPOR {HOAX}")
    assert "laporan Anda tercatat dengan nomor *#1*" in first
    assert "Sudah diteruskan ke 2 koordinator." in first
    second = chat.say(MEMBERS[1], f"lapor {VARIANT}")
    assert "ringkasan laporan berikutnya untuk 2 koordinator, paling lambat 5 menit lagi" in second

    # LAPOR alone, then the forward: a picture, fetched with the account's credentials.
    asked = chat.say(MEMBERS[2], "LAPOR")
    assert "teruskan (forward) ke sini" in asked and "10 menit" in asked
    assert "tercatat" not in chat.say(MEMBERS[2], "ok siap")  # a reply, not the forward
    picture = fake.add_media("image/png", PICTURE)
    forwarded = chat.say(MEMBERS[2], "", **media_form(picture))
    assert "tercatat dengan nomor *#3*" in forwarded and "Lampiran yang tersimpan: 1." in forwarded
    assert fake.requests["GET media"] == 1
    # The same picture forwarded by another member joins that picture's claim.
    chat.say(MEMBERS[3], "LAPOR")
    chat.say(MEMBERS[3], "", **media_form(fake.add_media("image/png", PICTURE)))
    chat.say(MEMBERS[4], f"LAPOR {OTHER_HOAX}")

    with database.transaction() as session:
        claims = list(session.scalars(select(HoaxClaim).order_by(HoaxClaim.id)))
        assert [c.report_count for c in claims] == [2, 2, 1]
        grouped = session.scalars(select(HoaxReport.claim_id).order_by(HoaxReport.id)).all()
        assert grouped == [claims[0].id, claims[0].id, claims[1].id, claims[1].id, claims[2].id]
        kept = session.scalars(select(HoaxReportMedia)).all()
        assert [(m.content_type, m.data) for m in kept] == [("image/png", PICTURE)] * 2
    hoax_claim = claims[0].id

    # Coordinators are told, not flooded: the first report at once, the rest in one digest
    # once five minutes have passed since.
    run_worker(worker, dispatcher)
    for lead in (PROVINCE_EDITOR, COORDINATOR):
        (told,) = report_notices(fake, lead)
        assert "Laporan dugaan hoaks *#1*" in told.body and HOAX in told.body
        assert "0812-****-0001" in told.body and MEMBERS[0] not in told.body
    clock.advance(timedelta(minutes=4))
    run_worker(worker, dispatcher)
    assert len(report_notices(fake, COORDINATOR)) == 1
    clock.advance(timedelta(minutes=1))
    run_worker(worker, dispatcher)
    for lead in (PROVINCE_EDITOR, COORDINATOR):
        _, digest = report_notices(fake, lead)
        assert digest.body.startswith("Ringkasan laporan dugaan hoaks: 4 laporan baru tentang 3")
        assert f"*#{hoax_claim}* — 1 baru, 2 seluruhnya" in digest.body
        assert "(lampiran tanpa teks)" in digest.body
    assert count(database, HoaxDigestItem) == 0

    # LAPORAN: the open claims in the coordinator's groups, with their counts.
    listed = chat.say(COORDINATOR, "LAPORAN")
    assert f"*#{hoax_claim}* — 2 laporan, pertama" in listed and HOAX[:60] in listed
    assert "Klaim terbuka" in listed
    assert "There are no open claims" in chat.say(OUTSIDER, "REPORTS")
    assert "tidak dilaporkan di grup yang Anda koordinasikan" in chat.say(
        OUTSIDER, f"VERIFIKASI {hoax_claim} HOAKS {SUMMARY}"
    )
    assert chat.say(MEMBERS[0], "LAPORAN") == render("not_allowed", "id", command="LAPORAN")

    # The verdict, proposed as a clarification; CEK does not find it before approval.
    clock.advance(timedelta(hours=20))
    chat.say(MEMBERS[0], "halo")  # MEMBERS[0] wrote recently; MEMBERS[1] did not (25 h ago)
    proposed = chat.say(COORDINATOR, f"VERIFIKASI #{hoax_claim} HOAKS {SUMMARY}")
    assert f"Klarifikasi klaim *#{hoax_claim}* (*HOAKS*) diajukan sebagai siaran" in proposed
    assert "dikirim ke 2 pelapor" in proposed and "1 editor sudah diberi tahu." in proposed
    broadcast = number_in(proposed, "siaran *#")
    assert "Belum ada klarifikasi resmi" in chat.say(MEMBERS[5], "CEK pencoblosan diundur")
    again = chat.say(COORDINATOR, f"VERIFIKASI {hoax_claim} BENAR ternyata benar")
    assert f"menunggu persetujuan (siaran #{broadcast})" in again
    refused = chat.say(COORDINATOR, f"SETUJUI {broadcast}")  # a coordinator, not an editor
    assert refused == render("not_allowed", "id", command="SETUJUI")

    # Outside the window, the approved clarification template carries it.
    clock.advance(timedelta(hours=5))
    chat.say(MEMBERS[0], "halo")
    fake.add_template("HX" + "c" * 32, "Klarifikasi resmi: {{1}}")
    add_template(database, "HX" + "c" * 32, kind="clarification", language="id")
    approved = chat.say(PROVINCE_EDITOR, f"SETUJUI {broadcast}")
    assert "disetujui" in approved and "Sedang dikirim ke 2 penerima" in approved
    run_worker(worker, dispatcher)
    (inside,) = [m for m in fake.sent_to(to(MEMBERS[0])) if "Klarifikasi" in m.body]
    assert inside.content_sid is None
    assert inside.body.startswith("*Kota Pontianak*")
    assert "Hasil pemeriksaan: *HOAKS*" in inside.body and HOAX in inside.body
    assert "https://www.kpu.go.id/berita/baca/12345" in inside.body
    (outside,) = [m for m in fake.sent_to(to(MEMBERS[1])) if "Klarifikasi" in m.body]
    assert outside.content_sid == "HX" + "c" * 32 and "tetap Rabu, 14 Februari 2024" in outside.body
    for not_reporter in (MEMBERS[2], MEMBERS[5], COORDINATOR):
        assert not [m for m in fake.sent_to(to(not_reporter)) if "Hasil pemeriksaan" in m.body]

    # CEK finds it, however the words are written, with its verdict, date and source.
    for query in (
        "CEK pencoblosan diundur",
        "cek dicoblos",
        "CEK pengunduran pencoblsan",  # a typo
        "cek hoax coblos maret",
    ):
        found = chat.say(MEMBERS[6], query)
        assert HOAX[:50] in found, (query, found)
        assert "*HOAKS* · 5 Feb 2024 · Sumber: https://www.kpu.go.id/berita/baca/12345\n" in found
    english = chat.say(MEMBERS[6], "CHECK pencoblosan diundur")
    assert "*FALSE* · 5 Feb 2024 · Source:" in english
    # The clarified claim is no longer open; a new report of it gets the clarification at once.
    assert f"*#{hoax_claim}*" not in chat.say(COORDINATOR, "LAPORAN")
    late = chat.say(MEMBERS[7], f"LAPOR {HOAX} (dapat dari grup RT)")
    assert "Kabar ini sudah kami periksa: *HOAKS*" in late and "tidak ada pengunduran" in late

    # The library item can go to groups like any other approved content.
    with database.transaction() as session:
        item = session.scalars(select(Content).where(Content.verdict == "hoax")).one()
        assert item.approved_by == f"member:{PROVINCE_EDITOR}" and item.kind == "clarification"
        group = membership.group_by_code(session, "KALBAR")
        again_broadcast = editorial.propose(
            session,
            group=group,
            author="admin:siti",
            author_member=None,
            content=item,
            now=clock.now(),
            **library.broadcast_fields(item),
        )
        assert again_broadcast.claim_id is None


@pytest.mark.usefixtures("groups")
def test_bad_reports_get_a_clear_reply_and_nothing_is_stored_twice(
    chat: SignedClient, fake: FakeTwilio, database: Database, clock: FixedClock
) -> None:
    member = MEMBERS[0]
    assert "belum berisi kata-kata" in chat.say(member, "LAPOR 😱😱😱 !!!")
    # Media not from Twilio, a fetch that fails, an unsupported type: said, nothing stored.
    elsewhere = media_form("https://example.com/hoaks.png")
    assert "gagal kami ambil" in chat.say(member, "LAPOR", **elsewhere)
    assert "gagal kami ambil" in chat.say(member, "LAPOR", **media_form(fake.add_media("", 500)))
    contact = media_form(fake.add_media("text/vcard", b"BEGIN:VCARD"), "text/vcard")
    assert "jenis berkasnya belum bisa kami terima" in chat.say(member, "LAPOR", **contact)
    huge = fake.add_media("image/jpeg", b"\xff" * (16 * 1024 * 1024 + 1))
    assert "terlalu besar" in chat.say(member, "LAPOR", **media_form(huge, "image/jpeg"))
    assert count(database, HoaxReport) == 0
    # Media sent on their own are not fetched: the member is told how to report them.
    hint = chat.say(MEMBERS[1], "", **media_form(fake.add_media("image/png", PICTURE)))
    assert "ketik *LAPOR*, lalu teruskan lagi" in hint
    # Fetched: the failing one and the huge one; a type known to be unsupported is not.
    assert fake.requests["GET media"] == 2
    # A count of media that is no number, and a medium with no address, mean none.
    assert "Ketik *MENU*" in chat.say(member, "halo", NumMedia="x", MediaUrl0="whatever")

    # Text with a picture that cannot be kept: the text is the report, and the reply says so.
    with_text = chat.say(member, f"LAPOR {HOAX}", **contact)
    assert (
        "tercatat dengan nomor *#1*" in with_text and "Satu lampiran tidak tersimpan" in with_text
    )
    # The same text again is the same report.
    assert "sudah Anda kirim sebelumnya dengan nomor *#1*" in chat.say(member, f"lapor  {HOAX} ")
    # A 10,000-character forward is kept to its first 2,000 characters, once.
    long = "Pesan berantai panjang soal TPS dipindah. " * 250
    kept = chat.say(member, f"LAPOR {long}")
    assert "kami menyimpan 2.000 karakter pertamanya" in kept
    # Control characters never reach anyone: a right-to-left override, zero-width joiners.
    tricky = chat.say(member, "LAPOR Link resmi KPU: \u202egpj.exe\u202c daftar\u200b ulang DPT")
    assert "tercatat" in tricky
    # Five an hour: the sixth is refused politely, not stored, not passed on.
    chat.say(member, f"LAPOR {OTHER_HOAX}")
    chat.say(member, "LAPOR Surat suara sudah dicoblos ditemukan di gudang kecamatan")
    refused = chat.say(member, "LAPOR Petugas KPPS minta uang untuk daftar ulang")
    assert "sudah mengirim 5 laporan dalam satu jam terakhir" in refused and "60 menit" in refused
    clock.advance(timedelta(minutes=30))
    assert "sekitar 30 menit lagi" in chat.say(member, "LAPOR Petugas KPPS minta uang lagi")
    clock.advance(timedelta(minutes=31))
    assert "tercatat" in chat.say(member, "LAPOR Petugas KPPS minta uang untuk daftar ulang")
    # Twilio sending a message again changes nothing.
    sid = "SM" + "e" * 32
    first = chat.say(MEMBERS[2], f"LAPOR {HOAX}", MessageSid=sid)
    assert chat.say(MEMBERS[2], f"LAPOR {HOAX}", MessageSid=sid) == first

    with database.transaction() as session:
        texts = session.scalars(select(HoaxReport.text).order_by(HoaxReport.id)).all()
        assert len(texts) == 7
        assert len(texts[1]) == 2000
        assert texts[2] == "Link resmi KPU: gpj.exe daftar ulang DPT"
        bodies = session.scalars(
            select(OutboundMessage.body).join(Member, Member.id == OutboundMessage.member_id)
        ).all()
    assert bodies and not any("\u202e" in (b or "") or "\u200b" in (b or "") for b in bodies)
    listed = chat.say(COORDINATOR, "LAPORAN")
    assert "gpj.exe daftar ulang" in listed and "\u202e" not in listed


@pytest.mark.usefixtures("groups")
def test_a_verdict_needs_a_claim_a_known_word_and_a_summary(
    chat: SignedClient, database: Database
) -> None:
    chat.say(MEMBERS[0], f"LAPOR {HOAX}")
    assert "Klaim #999 tidak ditemukan" in chat.say(COORDINATOR, "VERIFIKASI 999 HOAKS salah")
    assert "Klaim #0 tidak ditemukan" in chat.say(COORDINATOR, "VERIFIKASI 0 HOAKS salah")
    assert 'Hasil pemeriksaan "PALSU" tidak dikenal' in chat.say(
        COORDINATOR, "VERIFIKASI 1 PALSU KPU membantah"
    )
    assert 'The verdict "FAKE" is not known' in chat.say(COORDINATOR, "VERDICT 1 FAKE no")
    for incomplete in (
        "VERIFIKASI",
        "VERIFIKASI 1",
        "VERIFIKASI satu HOAKS x",
        "VERIFIKASI 1 HOAKS",
    ):
        assert "nomor klaim, hasil pemeriksaan" in chat.say(COORDINATOR, incomplete), incomplete
    too_long = chat.say(COORDINATOR, "VERIFIKASI 1 HOAKS " + "panjang " * 200)
    assert "Ringkasan terlalu panjang" in too_long
    unproven = chat.say(COORDINATOR, "verifikasi 1 belum pasti Masih diperiksa Bawaslu.")
    assert "(*BELUM PASTI*)" in unproven and "belum memuat tautan sumber" in unproven
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Broadcast)) == 1
    # Not proven yet: approved, and the claim stays open for a final verdict.
    assert "disetujui" in chat.say(PROVINCE_EDITOR, f"SETUJUI {number_in(unproven, 'siaran *#')}")
    assert "*#1* — 1 laporan" in chat.say(COORDINATOR, "LAPORAN")
    final = chat.say(COORDINATOR, "VERIFIKASI 1 HOAKS Bawaslu: tidak benar.")
    assert "disetujui" in chat.say(PROVINCE_EDITOR, f"SETUJUI {number_in(final, 'siaran *#')}")
    assert "Belum ada klaim terbuka" in chat.say(COORDINATOR, "LAPORAN")


def hoax_notices(database: Database, phone: str) -> list[OutboundMessage]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(OutboundMessage)
                .join(Member, Member.id == OutboundMessage.member_id)
                .where(Member.phone == phone, OutboundMessage.dedupe_key.startswith("hoax:"))
                .order_by(OutboundMessage.id)
            )
        )


@pytest.mark.usefixtures("groups")
def test_a_burst_of_reports_gives_each_coordinator_one_notice_in_five_minutes(
    chat: SignedClient,
    worker: Runtime,
    dispatcher: Dispatcher,
    fake: FakeTwilio,
    database: Database,
    clock: FixedClock,
) -> None:
    reporters = [f"+628133{n:07d}" for n in range(40)]
    with database.transaction() as session:
        for number in reporters:
            membership.add_member(session, number, "PONTIANAK")
    chat.say(PROVINCE_EDITOR, "halo")  # inside the window; the coordinator has not written
    variants = [HOAX, VARIANT, OTHER_HOAX, "Surat suara sudah dicoblos ditemukan di gudang"]
    # Forty reports over ten minutes, one every 15 s; the worker runs every 30 s.
    for n, number in enumerate(reporters):
        assert "tercatat" in chat.say(number, f"LAPOR {variants[n % 4]} ({n})")
        clock.advance(timedelta(seconds=15))
        if n % 2:
            run_worker(worker, dispatcher)
    clock.advance(timedelta(minutes=5))
    run_worker(worker, dispatcher)

    told = hoax_notices(database, PROVINCE_EDITOR)
    sent_at = [row.attempted_at for row in told]
    assert len(told) == 3 and all(at is not None for at in sent_at)  # at 0, 5 and 10 minutes
    gaps = [b - a for a, b in itertools.pairwise(at for at in sent_at if at is not None)]
    assert all(gap >= digests.INTERVAL for gap in gaps)
    covered = [int(n) for row in told for n in re.findall(r"(\d+) baru", row.body or "")]
    assert 1 + sum(covered) == 40  # the first report, then every other one in a digest
    assert len(fake.sent_to(to(PROVINCE_EDITOR))) == 3
    # The coordinator outside the window: one notice, held until she writes; no pile behind it.
    (held,) = hoax_notices(database, COORDINATOR)
    assert held.next_attempt_at is None and fake.sent_to(to(COORDINATOR)) == []
    chat.say(COORDINATOR, "halo")
    notices.release_job(worker)
    run_worker(worker, dispatcher)
    assert len(fake.sent_to(to(COORDINATOR))) == 1  # the held one; the digest waits its turn
    clock.advance(timedelta(minutes=5))
    run_worker(worker, dispatcher)
    first, digest = fake.sent_to(to(COORDINATOR))
    assert "Laporan dugaan hoaks *#1*" in first.body
    # The two wordings of the first hoax are one claim: three claims in all.
    assert "39 laporan baru tentang 3 klaim" in digest.body


def test_a_short_claim_after_lapor_is_reported_and_a_how_question_is_answered(
    chat: SignedClient, database: Database
) -> None:
    # "diundur" makes "pencoblosan diundur?" a date question; after LAPOR it is the claim itself.
    reported = chat.say(MEMBERS[0], "LAPOR katanya pencoblosan diundur ke Maret")
    assert "laporan Anda tercatat dengan nomor *#1*" in reported
    assert count(database, HoaxReport) == 1
    how = chat.say(MEMBERS[1], "lapor hoaks gimana caranya")  # read as a question, not filed
    assert "tercatat" not in how
    assert count(database, HoaxReport) == 1


def test_a_question_after_lapor_alone_is_answered_and_the_forward_after_it_is_filed(
    chat: SignedClient, database: Database
) -> None:
    assert "teruskan" in chat.say(MEMBERS[0], "LAPOR")
    question = chat.say(MEMBERS[0], "kapan pemungutan suara pilkada 2024?")
    assert "tercatat" not in question  # answered as a question (here: no calendar loaded)
    assert count(database, HoaxReport) == 0
    forwarded = chat.say(MEMBERS[0], "Pencoblosan diundur ke Maret? Sebarkan ke grup lain")
    assert "tercatat" in forwarded
    assert count(database, HoaxReport) == 1


def test_cek_of_a_rumour_with_no_clarification_says_so_and_gives_no_date(
    chat: SignedClient, database: Database, clock: FixedClock
) -> None:
    with database.transaction() as session:
        calendars.load_bundled(session, clock.now())
    rumour = chat.say(MEMBERS[0], "CEK pencoblosan diundur")
    assert rumour.startswith('Belum ada klarifikasi resmi untuk "pencoblosan diundur"'), rumour
    assert "pemungutan suara" not in rumour  # no date answer beside an unchecked rumour
    question = chat.say(MEMBERS[0], "cek dpt sampai kapan?")  # a question: answered as one
    assert "klarifikasi" not in question


@pytest.mark.usefixtures("groups")
def test_a_claim_clarified_while_its_reports_wait_is_left_out_of_the_digest(
    chat: SignedClient,
    database: Database,
    clock: FixedClock,
    worker: Runtime,
    dispatcher: Dispatcher,
) -> None:
    chat.say(PROVINCE_EDITOR, "halo")  # inside the window: told at once, then digests
    first = chat.say(MEMBERS[0], f"LAPOR {HOAX}")
    claim = number_in(first)
    run_worker(worker, dispatcher)  # the first report: a notice at once
    chat.say(MEMBERS[1], f"LAPOR {HOAX} (dari grup lain)")  # the same claim: waits for a digest
    chat.say(MEMBERS[2], f"LAPOR {OTHER_HOAX}")  # another claim: waits too
    proposed = chat.say(COORDINATOR, f"VERIFIKASI {claim} HOAKS {SUMMARY}")
    approved = chat.say(PROVINCE_EDITOR, f"SETUJUI {number_in(proposed, 'siaran *#')}")
    assert "disetujui" in approved
    clock.advance(timedelta(minutes=5))
    run_worker(worker, dispatcher)
    told = hoax_notices(database, PROVINCE_EDITOR)
    assert len(told) == 2, [row.body for row in told]
    later = told[-1].body or ""
    assert OTHER_HOAX[:40] in later and HOAX[:40] not in later  # only the claim still open
