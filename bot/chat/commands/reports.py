"""LAPOR: a suspected hoax goes to the coordinators above the sender. CEK: what the library's
approved clarifications say about some words."""

from __future__ import annotations

from bot.chat.commands.broadcasts import refused, usage
from bot.chat.commands.elections import question
from bot.chat.conversation import Conversation
from bot.chat.registry import Reply, anything, chat_commands
from broadcasts.editorial import library
from broadcasts.editorial.workflow import EditorialError, preview
from broadcasts.elections import stored as calendars
from broadcasts.elections.questions import asks
from broadcasts.hoaxes import reports as hoax_reports

# Three answers of this length keep the reply inside one WhatsApp message.
ANSWER_LENGTH = 400
_SHORT_QUESTION = 5  # words: a report is longer than "hoaks gimana caranya"


def _report_text(conversation: Conversation, args: str) -> bool:
    """LAPOR takes the text of a suspected hoax; "lapor hoaks gimana caranya?" is a question."""
    short = len(args.split()) <= _SHORT_QUESTION
    elections = calendars.snapshot(conversation.session).elections
    return bool(args.strip()) and not (short and asks(args, elections))


@chat_commands.command(
    "LAPOR", english=("REPORT",), help="help_lapor", free_text=True, takes=_report_text
)
def report(conversation: Conversation, args: str) -> Reply:
    if not args.strip():
        return usage("lapor")
    try:
        stored, coordinators = hoax_reports.report(
            conversation.session,
            conversation.member,
            args,
            now=conversation.now,
            default_language=conversation.settings.bot_language,
        )
    except EditorialError as error:
        return refused(error)
    return Reply(
        "report_received",
        {"id": stored.id, "in_group": bool(conversation.roles), **coordinators.data()},
    )


@chat_commands.command("CEK", english=("CHECK",), help="help_cek", takes=anything)
def check(conversation: Conversation, args: str) -> Reply:
    """The approved clarifications about some words; with none, the answer to them as a
    question ("cek dpt", "cek dpt sampai kapan?"), when there is one."""
    if not library.search_words(args):
        return usage("cek")
    found = library.search_clarifications(
        conversation.session, args, language=conversation.language
    )
    if not found:
        word = "check" if conversation.language == "en" else "cek"
        answered = question(conversation, f"{word} {args}")
        if answered is not None and answered.answers:
            return answered
    answers = [
        {"title": c.title, "body": preview(c.body, ANSWER_LENGTH), "media_url": c.media_url}
        for c in found
    ]
    return Reply("check_results", {"query": preview(args, 60), "answers": answers})
