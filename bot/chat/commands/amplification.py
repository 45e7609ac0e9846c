"""Amplification by chat: an officer confirms their office reposted a broadcast (SUDAH), and
coordinators see which offices under them did (REKAP) and remind those that did not (INGATKAN).
The rules live in `broadcasts.amplification`."""

from __future__ import annotations

from urllib.parse import quote

from bot.chat.commands.broadcasts import parse_id, starts_with_id
from bot.chat.conversation import Conversation
from bot.chat.registry import Reply, chat_commands, refused
from broadcasts.amplification import confirmations, coverage, reminders
from broadcasts.amplification.links import Platform
from broadcasts.db.models import Role
from broadcasts.errors import AmplificationError
from broadcasts.phrasebook import render

MISSING_SHOWN = 15
_MARKS = "*_~`"  # WhatsApp's formatting marks


def shown_link(url: str) -> str:
    """A link as given, made safe to show in a WhatsApp message: the formatting marks and any
    control or space character percent-encoded (the same link to a browser), nothing fetched."""
    return "".join(
        quote(c, safe="") if c in _MARKS or not c.isprintable() or c.isspace() else c for c in url
    )


def platform_name(platform: Platform, language: str) -> str:
    return render("amplify_platform", language, platform=platform.value)


def _id_and_rest(args: str) -> tuple[int | None, str]:
    parts = args.split(maxsplit=1)
    if not parts:
        return None, ""
    return parse_id(parts[0]), parts[1] if len(parts) > 1 else ""


def _repost(conversation: Conversation, args: str) -> bool:
    """SUDAH + a number or a link; otherwise "sudah …" starts a sentence ("sudah mulai
    kampanye?"), read as a question."""
    words = args.split(maxsplit=1)
    link = bool(words) and words[0].lower().startswith(("http://", "https://"))
    return starts_with_id(conversation, args) or link


@chat_commands.command(
    "SUDAH",
    english=("DONE",),
    role=Role.MEMBER,
    help="help_sudah",
    takes=_repost,
    explains_refusal=True,
)
def confirm(conversation: Conversation, args: str) -> Reply:
    broadcast_id, link = _id_and_rest(args)
    if broadcast_id is None:
        return refused(AmplificationError("usage_sudah"))
    try:
        done = confirmations.confirm(
            conversation.session, broadcast_id, conversation.member, link, conversation.now
        )
    except AmplificationError as error:
        return refused(error)
    offices = ", ".join(f"{g.name} ({g.code})" for g in done.groups)
    return Reply(
        "amplify_confirmed",
        {
            "id": done.broadcast.id,
            "new": done.new,
            "platform": platform_name(done.platform, conversation.language),
            "offices": offices,
            "link": shown_link(done.link.url),
        },
    )


@chat_commands.command(
    "REKAP", english=("COVERAGE",), role=Role.COORDINATOR, help="help_rekap", takes=starts_with_id
)
def rekap(conversation: Conversation, args: str) -> Reply:
    broadcast_id, _ = _id_and_rest(args)
    if broadcast_id is None:
        return refused(AmplificationError("usage_rekap"))
    try:
        found = coverage.coverage(conversation.session, broadcast_id, conversation.member)
    except AmplificationError as error:
        return refused(error)
    language = conversation.language
    missing = found.missing
    scoped = not coverage.sees_all(conversation.session, found.broadcast, conversation.member)
    return Reply(
        "amplify_coverage",
        {
            "id": found.broadcast.id,
            "code": found.broadcast.group.code,
            "now": conversation.now.astimezone(conversation.timezone),
            "reached": len(found.reached),
            "confirmed": found.confirmed_count,
            "scoped": scoped,
            "platforms": [
                {"name": platform_name(p, language), "offices": offices, "links": links}
                for p, offices, links in found.by_platform()
            ],
            "missing": [{"code": o.code, "name": o.name} for o in missing[:MISSING_SHOWN]],
            "missing_count": len(missing),
            "more": max(0, len(missing) - MISSING_SHOWN),
        },
    )


@chat_commands.command(
    "INGATKAN",
    english=("REMIND",),
    role=Role.COORDINATOR,
    help="help_ingatkan",
    takes=starts_with_id,
)
def remind(conversation: Conversation, args: str) -> Reply:
    broadcast_id, _ = _id_and_rest(args)
    if broadcast_id is None:
        return refused(AmplificationError("usage_ingatkan"))
    try:
        done = reminders.remind(
            conversation.session,
            broadcast_id,
            conversation.member,
            conversation.now,
            default_language=conversation.settings.bot_language,
        )
    except AmplificationError as error:
        return refused(error)
    return Reply(
        "amplify_reminded",
        {
            "id": done.coverage.broadcast.id,
            "missing": len(done.coverage.missing),
            "offices": len(done.offices),
            "earlier": len(done.earlier),
            **done.notices.data(),
        },
    )
