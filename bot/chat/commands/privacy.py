"""DATA SAYA: what the bot keeps about the sender. HAPUS DATA, then YA HAPUS within ten minutes:
the sender's personal data erased (`broadcasts.people.erasure`)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.chat.conversation import Conversation
from bot.chat.registry import Reply, chat_commands
from broadcasts.people import erasure, privacy
from broadcasts.people.phones import national_format

MINUTES = int(erasure.CONFIRM_WITHIN.total_seconds() // 60)


@chat_commands.command("DATA SAYA", english=("MY DATA",), help="help_data_saya")
def my_data(conversation: Conversation, args: str) -> Reply:
    kept = privacy.kept_about(conversation.session, conversation.member)
    groups = [
        {
            "name": group.name,
            "code": group.code,
            "role": group.role.value,
            "joined": group.joined_at.astimezone(ZoneInfo(group.timezone))
            if group.joined_at
            else None,
            "source": group.source.value if group.source else None,
        }
        for group in kept.groups
    ]
    return Reply(
        "my_data",
        {
            "phone": national_format(kept.phone) if kept.phone else None,
            "name": kept.name,
            "language": kept.language,
            "opted_out": kept.opted_out_at is not None,
            "first_seen": kept.first_seen.astimezone(conversation.timezone),
            "groups": groups,
            "messages": kept.messages + 1,  # this one is kept too
            "reports": kept.reports,
            "broadcasts": kept.broadcasts,
            "days": conversation.settings.inbound_retention_days,
            "site": conversation.settings.public_base_url,
        },
    )


def _own_words(conversation: Conversation, args: str) -> bool:
    """HAPUS DATA, or "hapus data saya": anything more is not a request to erase."""
    return args.strip().lower() in ("", "saya")


@chat_commands.command(
    "HAPUS DATA",
    english=("DELETE MY DATA",),
    help="help_hapus_data",
    takes=_own_words,
    confirm=True,
)
def ask_to_erase(conversation: Conversation, args: str) -> Reply:
    kept = privacy.kept_about(conversation.session, conversation.member)
    erasure.request(conversation.member, conversation.now)
    return Reply(
        "erase_confirm",
        {
            "known": kept.anything_else,
            "minutes": MINUTES,
            "days": conversation.settings.inbound_retention_days,
        },
    )


@chat_commands.command(
    "YA HAPUS", english=("YES DELETE",), help="help_ya_hapus", confirm=True, listed=False
)
def erase(conversation: Conversation, args: str) -> Reply:
    member = conversation.member
    if not erasure.pending(member, conversation.now):
        expired = member.erasure_requested_at is not None
        return Reply("erase_not_pending", {"expired": expired, "minutes": MINUTES})
    erasure.erase(
        conversation.session,
        member,
        conversation.now,
        via="chat",
        default_language=conversation.settings.bot_language,
    )
    return Reply("erased")
