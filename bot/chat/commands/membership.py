"""Joining and leaving groups, stopping and restarting broadcasts, the reply language."""

from __future__ import annotations

from bot.chat.conversation import Conversation
from bot.chat.registry import Reply, chat_commands, one_word, refused
from broadcasts.db.models import Role
from broadcasts.errors import MembershipError
from broadcasts.people import membership
from config.settings import SUPPORTED_LANGUAGES


# DAFTAR is the contract's word; GABUNG says the same without reading as voter registration.
@chat_commands.command(
    "DAFTAR", english=("JOIN",), aliases=("GABUNG",), help="help_daftar", takes=one_word
)
def join(conversation: Conversation, args: str) -> Reply:
    code = args.split()[0] if args.split() else ""
    if not code:
        return Reply("usage", {"usage": "usage_daftar"})
    try:
        group, new = membership.join(
            conversation.session,
            conversation.member,
            code,
            message_sid=conversation.message_sid,
            now=conversation.now,
        )
    except MembershipError as error:
        return refused(error)
    return Reply(
        "joined" if new else "already_joined",
        {
            "group": group.name,
            "code": group.code,
            "opted_out": conversation.member.opted_out,
            "site": conversation.settings.public_base_url,
        },
    )


@chat_commands.command(
    "KELUAR", english=("LEAVE",), role=Role.MEMBER, help="help_keluar", takes=one_word
)
def leave(conversation: Conversation, args: str) -> Reply:
    code = args.split()[0] if args.split() else ""
    if not code:
        groups = membership.groups_of(conversation.session, conversation.member)
        return Reply("usage", {"usage": "usage_keluar", "groups": [g.code for g, _ in groups]})
    try:
        group = membership.leave(conversation.session, conversation.member, code)
    except MembershipError as error:
        return refused(error)
    return Reply("left", {"group": group.name, "code": group.code})


@chat_commands.command(
    "BERHENTI", english=("STOP", "UNSUBSCRIBE"), help="help_berhenti", confirm=True
)
def stop(conversation: Conversation, args: str) -> Reply:
    changed = membership.opt_out(conversation.member, conversation.now)
    return Reply("stopped" if changed else "already_stopped")


@chat_commands.command("MULAI", english=("START",), help="help_mulai", confirm=True)
def start(conversation: Conversation, args: str) -> Reply:
    changed = membership.opt_in(conversation.member)
    return Reply("started" if changed else "already_started")


@chat_commands.command("BAHASA", english=("LANGUAGE",), help="help_bahasa", takes=one_word)
def language(conversation: Conversation, args: str) -> Reply:
    choice = args.strip().lower()[:2]
    if choice not in SUPPORTED_LANGUAGES:
        return Reply("usage", {"usage": "usage_bahasa"})
    conversation.member.language = choice
    return Reply("language_set", {"language": choice}, language=choice)
