"""One inbound chat message in, one reply out: recorded once per MessageSid, whatever the path."""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from bot.chat.commands import chat_commands
from bot.chat.commands.reports import report_attachments
from bot.chat.conversation import Conversation
from bot.chat.registry import Parsed, Reply
from broadcasts.clock import Clock
from broadcasts.db.database import Database
from broadcasts.db.models import InboundMessage, Member
from broadcasts.hoaxes.media import Attachment, MediaLink
from broadcasts.people import membership
from broadcasts.people.phones import normalise_phone
from broadcasts.phrasebook import render
from config.settings import Settings

# WhatsApp's own limit; longer bodies are kept whole in the log but parsed no further.
MAX_BODY = 4096
# How Twilio names a WhatsApp sticker's type.
STICKER = "image/webp"

# Built once: every message runs them, and building a statement costs about as much as running it.
_PREVIOUS_REPLY = select(InboundMessage.reply).where(
    InboundMessage.message_sid == bindparam("message_sid")
)
_RECORD = insert(InboundMessage.metadata.tables[InboundMessage.__tablename__])

# The same numbers write again and again, and parsing one costs about as much as a query.
# Only numbers that parse are kept: one that does not raises again each time.
_phone = lru_cache(maxsize=65536)(normalise_phone)


@dataclass(frozen=True)
class Inbound:
    message_sid: str
    sender: str  # Twilio's From, e.g. "whatsapp:+62812…"
    body: str
    profile_name: str | None = None
    wa_id: str | None = None
    media: tuple[MediaLink, ...] = ()  # MediaUrl0… with their content types


@dataclass(frozen=True)
class Said:
    """The bot's reply to one message: its text, and a picture to send with it."""

    text: str
    media_url: str | None = None
    language: str | None = None  # None for a MessageSid answered before


# A transaction that lost a race on a unique key, or its connection, is tried again this often.
RETRIES = 2


def answer(database: Database, settings: Settings, clock: Clock, inbound: Inbound) -> Said:
    """The reply to `inbound`. A MessageSid seen before gets its first reply's text (not its
    picture, which only illustrates it) and changes nothing.

    Raises `PhoneError` when the sender is not a phone number.
    """
    phone = _phone(inbound.sender)
    # Fetched before the message's transaction opens: a slow download must not hold it.
    attachments = report_attachments(
        database, settings, clock.now(), phone, inbound.body, inbound.media
    )
    # Nearly every MessageSid is new, so the first attempt does not look for an earlier reply:
    # a repeated one fails the final INSERT on its unique key, which rolls back all the
    # attempt did, and the next attempt looks first.
    look_first = False
    for _ in range(RETRIES):
        try:
            return _answer_once(database, settings, clock, inbound, phone, look_first, attachments)
        except IntegrityError:
            # A MessageSid answered before (Twilio's retry, or the same one racing in on
            # another connection), whose reply the next attempt returns; or a new number's
            # first two messages at once, where the next attempt finds the member.
            look_first = True
        except DBAPIError as error:
            # The server dropped the connection (a restart, a failover): the pool has let it go
            # and the next attempt takes a fresh one. Had the commit gone through, the
            # MessageSid is found and its reply returned, so nothing happens twice.
            if not error.connection_invalidated:
                raise
            look_first = True
    return _answer_once(database, settings, clock, inbound, phone, True, attachments)


def _answer_once(
    database: Database,
    settings: Settings,
    clock: Clock,
    inbound: Inbound,
    phone: str,
    look_first: bool,
    attachments: tuple[Attachment, ...] = (),
) -> Said:
    with database.transaction() as session:
        if look_first:
            previous = _previous_reply(session, inbound.message_sid)
            if previous is not None:
                return Said(previous)
        return _answer_new(session, settings, clock.now(), inbound, phone, attachments)


def _previous_reply(session: Session, message_sid: str) -> str | None:
    return session.scalar(_PREVIOUS_REPLY, {"message_sid": message_sid})


def _answer_new(
    session: Session,
    settings: Settings,
    now: datetime,
    inbound: Inbound,
    phone: str,
    attachments: tuple[Attachment, ...],
) -> Said:
    member = membership.member_writing(
        session, phone, now, wa_id=inbound.wa_id, name=inbound.profile_name
    )
    command_word, said = respond(
        session,
        settings,
        now,
        member,
        inbound.body,
        message_sid=inbound.message_sid,
        # A sticker alone is a nod, like "ok": it gets the friendly short reply, not media's.
        has_media=any(m.content_type != STICKER for m in inbound.media),
        attachments=attachments,
    )
    # YA HAPUS erased the sender just now: their last message is kept as the others are, by
    # its MessageSid alone.
    erased = member.erased_at is not None
    # A plain INSERT, not a unit-of-work flush of a new object: nothing reads the row back.
    # A MessageSid recorded meanwhile by another connection fails here, and `answer` retries.
    session.execute(
        _RECORD,
        {
            "message_sid": inbound.message_sid,
            "member_id": None if erased else member.id,
            "sender": "" if erased else inbound.sender[:64],
            "body": "" if erased else inbound.body,
            "command": command_word,
            "reply": said.text,
            "received_at": now,
        },
    )
    return said


def respond(
    session: Session,
    settings: Settings,
    now: datetime,
    member: Member,
    body: str,
    *,
    message_sid: str | None = None,
    has_media: bool = False,
    attachments: tuple[Attachment, ...] = (),
) -> tuple[str | None, Said]:
    """Parses and runs one message; returns the command word used (if any) and the reply."""
    body = body.strip()[:MAX_BODY]
    parsed = chat_commands.parse(body)
    language = member.language or parsed.language or settings.bot_language
    conversation = Conversation(
        session, member, settings, now, language, message_sid, has_media, attachments
    )
    reply = _reply_to(conversation, parsed, body)
    final_language = member.language or reply.language or language
    conversation.language = final_language
    word = parsed.command.name if parsed.command else None
    media = reply.media(final_language) if reply.media else None
    return word, Said(text_of(reply, final_language), media, final_language)


# Texts of replies that read the same for many members (`Reply.same_for`), by template,
# language and key. Emptied when full: the keys change with the day, so old ones go stale.
_RENDERED: dict[tuple[str, str, Hashable], str] = {}
_RENDERED_MAX = 4096


def text_of(reply: Reply, language: str) -> str:
    if reply.same_for is None:
        return render(reply.template, language, **reply.data)
    key = (reply.template, language, reply.same_for)
    text = _RENDERED.get(key)
    if text is None:
        if len(_RENDERED) >= _RENDERED_MAX:
            _RENDERED.clear()
        text = _RENDERED[key] = render(reply.template, language, **reply.data)
    return text


def _reply_to(conversation: Conversation, parsed: Parsed, body: str) -> Reply:
    if not body and not conversation.has_media:
        return Reply("empty")
    command = parsed.command
    if command is not None and command.takes(conversation, parsed.args):
        return _run(conversation, parsed)
    for awaited in chat_commands.awaited():
        reply = awaited(conversation, body)
        if reply is not None:
            return reply
    if not body:
        return Reply("empty")
    if _a_nod(body):
        return Reply("ack")
    # A question in words, or a sentence that starts with a command word ("status dpt saya
    # gimana", "berhenti kampanye kapan?").
    for fallback in chat_commands.fallbacks():
        reply = fallback(conversation, body)
        if reply is not None:
            return reply
    if command is not None and command.confirm:
        # "Berhenti dulu ya min": to stop broadcasts takes the word alone.
        return Reply("confirm_command", {"command": parsed.word})
    if command is not None:
        return _run(conversation, parsed)
    if len(body.split()) > 1 or not any(c.isalpha() for c in body):
        return Reply("not_understood")
    words = chat_commands.words_for(conversation)
    return Reply("unknown", {"suggestion": chat_commands.suggest(parsed.word, words)})


# Emoji and what joins them: skin tones (Sk), variation selectors (Mn), the zero-width joiner (Cf).
_EMOJI_PARTS = frozenset({"So", "Sk", "Mn", "Cf"})


def _a_nod(body: str) -> bool:
    """Emoji alone ("👍", "🙏🙏"): a nod, like "ok", answered as one."""
    kinds = {unicodedata.category(c) for c in body if not c.isspace()}
    return "So" in kinds and kinds <= _EMOJI_PARTS


def _run(conversation: Conversation, parsed: Parsed) -> Reply:
    assert parsed.command is not None
    if not chat_commands.allowed(parsed.command, conversation):
        return Reply("not_allowed", {"command": parsed.word})
    return parsed.command.handler(conversation, parsed.args)
