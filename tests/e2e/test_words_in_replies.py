"""Every reply the bot gives keeps to the style guide (`../shared/reference/words.md`), as
people meet it: a scripted conversation through the signed webhook, in both languages, from a
citizen in no group, a member, a coordinator and editors, with ugly inputs (greetings, "ok",
"siap", a sticker, an emoji, an empty message, commands without their arguments, wrong ids),
and the notices the bot sends staff meanwhile. Each reply is checked by the rules of
`tests/words.py`, the ones every template is checked by in `tests/unit/test_words.py`: no
`<…>` placeholders, no UTC or ISO times, no time without its zone, none of the glossary's "not"
words, no internal words, at most six lines (lists asked for excepted). And a citizen is never
offered an editor's command, nor an English one in Indonesian; a nod is never an error."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.chat.commands import chat_commands
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Member, OutboundMessage, Role
from broadcasts.elections import faq
from broadcasts.elections.stored import load_bundled
from broadcasts.hoaxes import digests
from broadcasts.people import membership
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.signing import SignedClient
from tests.words import reply_problems

EDITOR = "+6281300000001"  # edits KALBAR (and so PONTIANAK below it)
SECOND_EDITOR = "+6281300000002"  # edits KALBAR too: approves what the first proposes
COORDINATOR = "+6281300000003"  # coordinates PONTIANAK
MEMBER = "+6281300000004"  # in PONTIANAK
STOPPED = "+6281300000005"  # stops broadcasts, then joins
CITIZEN = "+6281300000009"  # in no group
STICKER = {"NumMedia": "1", "MediaUrl0": "https://example.com/s", "MediaContentType0": "image/webp"}
PICTURE = {"NumMedia": "1", "MediaUrl0": "https://example.com/p", "MediaContentType0": "image/jpeg"}
HOAX = "Pencoblosan diundur ke Maret karena logistik belum siap, sebarkan ke grup lain!"
VERDICT = (
    "VERIFIKASI 1 HOAKS KPU memastikan pemungutan suara tetap Rabu, 14 Februari 2024."
    " Sumber: https://www.kpu.go.id/berita/baca/12345"
)
# Nods and thanks: a short friendly reply, never an error.
NODS: tuple[str, ...] = ("halo", "Halo min", "assalamualaikum", "selamat pagi", "terima kasih")
NODS += ("makasih min", "ok", "oke", "siap", "siap min", "👍", "🙏🙏")
ERROR_WORDS = re.compile(r"\bmaaf\b|\bsorry\b|tidak dikenal|belum memahami|not understand", re.I)


@dataclass
class Said:
    sender: str
    sent: str
    reply: str
    language: str
    long: bool


@dataclass
class Script:
    chat: SignedClient
    said: list[Said] = field(default_factory=list)

    def say(
        self,
        sender: str,
        text: str,
        *,
        language: str = "id",
        long: bool = False,
        form: dict[str, str] | None = None,
    ) -> str:
        reply = self.chat.say(sender, text, **(form or {}))
        self.said.append(Said(sender, text, reply, language, long))
        return reply


@pytest.fixture
def codes(database: Database, clock: FixedClock) -> dict[str, str]:
    with database.transaction() as session:
        load_bundled(session, clock.now())
        faq.load_bundled(session, clock.now())
        kalbar = membership.create_group(
            session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak"
        )
        kota = membership.create_group(session, "PONTIANAK", "Kota Pontianak", parent_code="KALBAR")
        membership.add_member(session, EDITOR, "KALBAR", role=Role.EDITOR, name="Eka")
        membership.add_member(session, SECOND_EDITOR, "KALBAR", role=Role.EDITOR, name="Sari")
        membership.add_member(session, COORDINATOR, "PONTIANAK", role=Role.COORDINATOR)
        membership.add_member(session, MEMBER, "PONTIANAK")
        return {"KALBAR": kalbar.join_code, "PONTIANAK": kota.join_code}


def citizen(script: Script, code: str) -> None:
    """Someone in no group: small talk, questions, every command a citizen may try."""
    for nod in NODS:
        script.say(CITIZEN, nod)
    script.say(CITIZEN, "", form=STICKER)
    script.say(CITIZEN, "", form=PICTURE)  # a picture with no LAPOR: how to report it
    script.say(CITIZEN, "")
    for text in ("asdf", "xyz abc def", "???", "berhenti dulu ya min", "BAHASA"):
        script.say(CITIZEN, text)
    for text in ("MENU", "JADWAL", "JADWAL pemilu2024", "JADWAL pemilu2029", "JADWAL pemilu lokal"):
        script.say(CITIZEN, text, long=True)
    for text in ("TAHAPAN", "TAHAPAN pemilu2029", "kapan pencoblosan?", "kapan pelantikan?"):
        script.say(CITIZEN, text, long=True)
    for text in ("kapan masa tenang pemilu 2024?", "kapan pencoblosan pemilu lokal?"):
        script.say(CITIZEN, text, long=True)
    for text in ("apa itu DPT?", "kapan pelantikan bupati Puncak Jaya?", "kapan pemilu 2099?"):
        script.say(CITIZEN, text, long=True)
    for text in ("DAFTAR", "DAFTAR ZZZZZZ", "CEK", "CEK pencoblosan diundur"):
        script.say(CITIZEN, text)
    for text in ("ANTRIAN", "SETUJUI 1", "STATUS 1", "JADWALKAN", "SUDAH 1", "KELUAR KALBAR"):
        script.say(CITIZEN, text)
    script.say(CITIZEN, "DATA SAYA", long=True)
    for text in ("HAPUS DATA", "BERHENTI", "BERHENTI", "MULAI", "MULAI"):
        script.say(CITIZEN, text)
    english(script)
    script.say(CITIZEN, "BAHASA ID")
    script.say(CITIZEN, "LAPOR")  # asks for the forward: the next long message is the report
    script.say(CITIZEN, f"GABUNG {code}")  # a member from now on


def english(script: Script) -> None:
    for text in ("hi", "thanks", "ok", "BAHASA EN", "CHECK", "JOIN", "QUEUE", "STOP"):
        script.say(CITIZEN, text, language="en")
    for text in ("START", "when is voting day?", "CHECK voting postponed"):
        script.say(CITIZEN, text, language="en", long=True)
    for text in ("HELP", "DATES", "DATES pemilu2029", "STAGE", "MY DATA"):
        script.say(CITIZEN, text, language="en", long=True)
    script.say(CITIZEN, "", language="en", form=STICKER)
    script.say(CITIZEN, "REPORT", language="en")


def stopped_then_joined(script: Script, code: str) -> None:
    """Stopped broadcasts, then joined: told once how to start them again, nothing contrary."""
    script.say(STOPPED, "BERHENTI")
    joined = script.say(STOPPED, f"DAFTAR {code}")
    assert "*MULAI*" in joined and "BERHENTI" not in joined, joined
    script.say(STOPPED, "MULAI")
    script.say(STOPPED, "KELUAR PONTIANAK")


def broadcasts(script: Script) -> None:
    """A coordinator proposes; editors decide; the coordinator follows it."""
    for staff in (EDITOR, SECOND_EDITOR, COORDINATOR):
        script.say(staff, "halo")  # all wrote today: notices reach them at once
    script.say(COORDINATOR, "MENU", long=True)
    for text in ("SIARKAN", "SIARKAN PONTIANAK", "SIARKAN NOWHERE Datang ke TPS"):
        script.say(COORDINATOR, text)
    script.say(COORDINATOR, "SIARKAN PONTIANAK Cek nama Anda di DPT: cekdptonline.kpu.go.id")
    pending = script.say(COORDINATOR, "STATUS 1")
    assert pending.count(": 0") < 2, pending  # a pending broadcast is no table of zeros
    for text in ("JADWALKAN", "JADWALKAN 1", "JADWALKAN 1 besok 08.00", "JADWALKAN 1 besok 23.00"):
        script.say(COORDINATOR, text)
    for text in ("JADWALKAN 1 kemarin 08.00", "JADWALKAN 1 2024-13-45 99:99", "SETUJUI 1"):
        script.say(COORDINATOR, text)
    for text in ("STATUS 99", "BATAL 99", "REKAP 1", "INGATKAN 1", "STATUS"):
        script.say(COORDINATOR, text)
    script.say(COORDINATOR, "SIARAN SAYA", long=True)
    for text in ("ANTRIAN", "ANTREAN"):
        script.say(EDITOR, text, long=True)
    for text in ("SETUJUI", "TOLAK 1", "SETUJUI 99"):
        script.say(EDITOR, text)
    approved = script.say(EDITOR, "SETUJUI 1")
    assert re.search(r"pukul \d{2}\.\d{2} WIB", approved), approved
    script.say(EDITOR, "SETUJUI 1")
    script.say(COORDINATOR, "STATUS 1", long=True)
    script.say(EDITOR, "SIARKAN KALBAR Hari ini hari terakhir pindah memilih.")
    script.say(EDITOR, "SETUJUI 2")  # their own: four eyes
    script.say(SECOND_EDITOR, "SETUJUI 2")  # no time set: it goes at once
    script.say(EDITOR, "STATUS 2", long=True)
    script.say(EDITOR, "SIARKAN KALBAR Uji coba")
    script.say(SECOND_EDITOR, "TOLAK 3 belum perlu")
    script.say(EDITOR, "BATAL 2")
    script.say(MEMBER, "SUDAH 2 https://www.instagram.com/p/C3xYz12Ab/")
    for text in ("SUDAH 2", "SUDAH 2 bukan-tautan", "SUDAH 99 https://x.com/a/status/1"):
        script.say(MEMBER, text)
    script.say(EDITOR, "REKAP 2", long=True)
    script.say(EDITOR, "INGATKAN 2")


def hoaxes(script: Script, clock: FixedClock) -> None:
    """A member reports, more follow; the coordinator records a verdict; an editor approves."""
    script.say(MEMBER, f"LAPOR {HOAX}")
    script.say(MEMBER, f"LAPOR {HOAX}")  # the same again
    script.say(CITIZEN, f"LAPOR {HOAX} Benarkah?")
    script.say(MEMBER, "LAPOR")
    script.say(MEMBER, "Tinta pemilu mengandung lemak babi, jangan mau jari dicelup di TPS")
    clock.advance(timedelta(minutes=6))
    claims = script.say(COORDINATOR, "LAPORAN", long=True)
    claim = re.search(r"\*#(\d+)\* — [^\n]+\n+\"Pencoblosan diundur", claims)
    assert claim, claims
    for text in ("VERIFIKASI", "VERIFIKASI 1", "VERIFIKASI 1 ASAL kata", "VERIFIKASI 99 HOAKS x"):
        script.say(COORDINATOR, text)
    verdict = VERDICT.replace("VERIFIKASI 1", f"VERIFIKASI {claim.group(1)}")
    proposed = script.say(COORDINATOR, verdict)
    clarification = re.search(r"siaran \*#(\d+)\*", proposed)
    assert clarification, proposed
    script.say(COORDINATOR, verdict)  # waiting for approval already
    script.say(EDITOR, "ANTREAN", long=True)
    script.say(EDITOR, f"SETUJUI {clarification.group(1)}")
    script.say(MEMBER, "CEK pencoblosan diundur", long=True)
    script.say(MEMBER, f"LAPOR {HOAX}", long=True)  # the clarification exists now: shown


def notices(database: Database) -> list[Said]:
    """Every notice the bot planned for staff and members, as its reader would get it."""
    with database.transaction() as session:
        rows = session.execute(
            select(OutboundMessage.body, Member.language)
            .join(Member, Member.id == OutboundMessage.member_id)
            .where(OutboundMessage.body.is_not(None))
        ).all()
    return [Said("", "", body or "", language or "id", False) for body, language in rows]


def offered_beyond(reply: str, sent: str, language: str) -> list[str]:
    """Commands a citizen is shown that are an editor's or coordinator's, or English ones in
    an Indonesian reply (the command they typed themselves aside)."""
    staff = {w for c in chat_commands.commands if c.role is not None for w in c.words}
    indonesian = {w for c in chat_commands.commands for w in (c.name, *c.aliases)}
    english = {w for c in chat_commands.commands for w in c.english} - indonesian
    barred = staff | (english if language == "id" else set())
    typed = sent.split(maxsplit=1)[0].upper() if sent.strip() else ""
    found = []
    for bold in re.findall(r"\*([^*\n]+)\*", reply):
        words = bold.upper().split()
        for size in (3, 2, 1):
            phrase = " ".join(words[:size])
            if phrase in barred and phrase != typed:
                found.append(phrase)
    return found


def test_every_reply_keeps_to_the_style_guide(
    twilio: SignedClient,
    codes: dict[str, str],
    settings: Settings,
    database: Database,
    clock: FixedClock,
) -> None:
    script = Script(twilio)
    citizen(script, codes["KALBAR"])
    stopped_then_joined(script, codes["PONTIANAK"])
    broadcasts(script)
    hoaxes(script, clock)
    digests.digest_job(Runtime(settings, database, clock))
    sent = notices(database)
    assert len(script.said) > 120 and len(sent) >= 5, (len(script.said), len(sent))

    problems = []
    for said in [*script.said, *sent]:
        found = reply_problems(said.reply, said.language, sent=said.sent, long=said.long)
        if said.sender == CITIZEN:
            found += [f"offers {w}" for w in offered_beyond(said.reply, said.sent, said.language)]
        if said.sent in NODS or (said.sender == CITIZEN and not said.sent):
            found += [f"a nod answered as an error: {w!r}" for w in ERROR_WORDS.findall(said.reply)]
        if found:
            problems.append(f"{said.sender} {said.sent!r} →\n{said.reply}\n  ✗ {found}")
    assert not problems, "\n\n".join(problems)
