"""LAPOR: a suspected hoax (text, or a forwarded picture, video, voice note or document) goes to
the coordinators above the sender; LAPOR alone asks for the forward. CEK: what the approved
clarifications say about some words. The rules live in `broadcasts.hoaxes`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.chat.commands.broadcasts import usage
from bot.chat.commands.elections import question
from bot.chat.conversation import Conversation
from bot.chat.registry import Reply, anything, chat_commands, refused
from broadcasts.db.database import Database
from broadcasts.db.models import Content
from broadcasts.editorial.workflow import preview
from broadcasts.elections import stored as calendars
from broadcasts.elections.questions import asks
from broadcasts.errors import HoaxError
from broadcasts.hoaxes import media as hoax_media
from broadcasts.hoaxes import reports as hoax_reports
from broadcasts.hoaxes import search, verdicts
from broadcasts.hoaxes.media import Attachment, Fetched, MediaLink, Unusable
from broadcasts.people import membership
from config.settings import Settings

ANSWER_LENGTH = 200
_SHORT_QUESTION = 5  # words: a report is longer than "hoaks gimana caranya"
_FORWARD_WORDS = 3  # a forwarded text is longer than "ok siap"
_REQUEST_MINUTES = int(hoax_reports.REQUEST_WITHIN.total_seconds() // 60)


def _report_text(conversation: Conversation, args: str) -> bool:
    """LAPOR takes the text of a suspected hoax, media, or nothing (then asks for a forward);
    "lapor hoaks gimana caranya?" is a question."""
    if conversation.has_media or not args.strip():
        return True
    short = len(args.split()) <= _SHORT_QUESTION
    elections = calendars.snapshot(conversation.session).elections
    # Only "how" words count here: "diundur" is a "when" word in a question, but after LAPOR
    # "katanya pencoblosan diundur ke Maret" is the claim being reported.
    return not (short and asks(args, elections, cues=("other",)))


def report_attachments(
    database: Database,
    settings: Settings,
    now: datetime,
    phone: str,
    body: str,
    links: tuple[MediaLink, ...],
) -> tuple[Attachment, ...]:
    """The media of a message that files a report (LAPOR with media, or media forwarded after
    LAPOR alone), fetched with the account's credentials; () for any other message."""
    if not links:
        return ()
    parsed = chat_commands.parse(body.strip())
    if parsed.command is None or parsed.command.handler is not report:
        with database.transaction() as session:
            member = membership.find_member(session, phone=phone)
            if member is None or not hoax_reports.awaiting_forward(member, now):
                return ()
    return hoax_media.fetch_all(links, settings)


@chat_commands.command(
    "LAPOR", english=("REPORT",), help="help_lapor", free_text=True, takes=_report_text
)
def report(conversation: Conversation, args: str) -> Reply:
    if not args.strip() and not conversation.attachments:
        hoax_reports.ask_for_forward(conversation.member, conversation.now)
        return Reply("report_forward", {"minutes": _REQUEST_MINUTES})
    return _file(conversation, args)


@chat_commands.awaits
def forwarded(conversation: Conversation, body: str) -> Reply | None:
    """After LAPOR alone, the next forward is the report (media, or a text of a few words: "ok"
    or "sebentar" is no forward); media sent on their own otherwise get how to report them."""
    forward = conversation.has_media or (
        len(body.split()) >= _FORWARD_WORDS and not _short_question(conversation, body)
    )
    if forward and hoax_reports.awaiting_forward(conversation.member, conversation.now):
        return _file(conversation, body)
    if conversation.has_media and not body:
        return Reply("report_media_hint", {"minutes": _REQUEST_MINUTES})
    return None


def _short_question(conversation: Conversation, body: str) -> bool:
    """ "when is voting day?" sent after LAPOR alone is the member's question, not the forward:
    a few words with a question word and a question mark (a claim rarely ends with one)."""
    if "?" not in body or len(body.split()) > _SHORT_QUESTION:
        return False
    elections = calendars.snapshot(conversation.session).elections
    return asks(body.replace("?", " "), elections)


def _file(conversation: Conversation, text: str) -> Reply:
    settings = conversation.settings
    try:
        filed = hoax_reports.report(
            conversation.session,
            conversation.member,
            text,
            media=conversation.attachments,
            now=conversation.now,
            default_language=settings.bot_language,
            default_zone=settings.timezone,
        )
    except HoaxError as error:
        return refused(error)
    clarification = _clarification(conversation, filed.clarification)
    if filed.repeated:
        return Reply("report_repeated", {"id": filed.report.id, "clarification": clarification})
    return Reply(
        "report_received",
        {
            "id": filed.report.id,
            "in_group": bool(conversation.roles),
            "shortened": filed.shortened,
            "limit": hoax_reports.MAX_REPORT,
            "media": sum(isinstance(a, Fetched) for a in conversation.attachments),
            "dropped": [m.problem.value for m in filed.dropped if isinstance(m, Unusable)],
            "clarification": clarification,
            **filed.told.data(),
        },
    )


def _clarification(conversation: Conversation, content: Content | None) -> dict[str, Any] | None:
    """A clarification as a reply shows it: title, verdict, date, source, a short text."""
    if content is None:
        return None
    approved = content.approved_at or content.created_at
    return {
        "title": content.title,
        "label": verdicts.label(content.verdict, conversation.language)
        if content.verdict
        else None,
        "date": approved.astimezone(conversation.timezone).date(),
        "source": content.source_url,
        "body": preview(content.body, ANSWER_LENGTH),
        "media_url": content.media_url,
    }


# "When" words of a question ("kapan diundur?") that, after CEK, are the rumour being checked.
_RUMOUR_WORDS = frozenset(
    {"diundur", "ditunda", "mundur", "dimajukan", "dibatalkan", "postponed", "delayed"}
)


def _asked(conversation: Conversation, args: str) -> bool:
    """ "cek dpt sampai kapan", "cek dpt online di mana", "cek dpt": a question or a single
    topic, which the FAQ or the calendars may answer; "cek pencoblosan diundur" is a rumour
    being checked, which only a clarification answers (a date beside it would read as the
    office's word on the rumour)."""
    if len(args.split()) == 1:
        return True
    elections = calendars.snapshot(conversation.session).elections
    if asks(args, elections, cues=("other",)):
        return True
    rumour = not _RUMOUR_WORDS.isdisjoint(args.casefold().split())
    return not rumour and asks(args, elections, cues=("when",))


@chat_commands.command("CEK", english=("CHECK",), help="help_cek", takes=anything)
def check(conversation: Conversation, args: str) -> Reply:
    """The approved clarifications about some words; with none, the answer to them as a
    question ("cek dpt", "cek dpt sampai kapan?"), when there is one."""
    if not search.has_terms(args):
        return usage("cek")
    found = search.clarifications(conversation.session, args, language=conversation.language)
    if not found and _asked(conversation, args):
        word = "check" if conversation.language == "en" else "cek"
        answered = question(conversation, f"{word} {args}")
        if answered is not None and answered.answers:
            return answered
    answers = [_clarification(conversation, c) for c in found]
    return Reply("check_results", {"query": preview(args, 60), "answers": answers})
