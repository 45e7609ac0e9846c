"""Hoax claims for coordinators: the open ones in their groups (LAPORAN), and a verdict on one
proposed as its clarification (VERIFIKASI). The rules live in `broadcasts.hoaxes`."""

from __future__ import annotations

from datetime import date

from bot.chat.commands.broadcasts import parse_id, starts_with_id, usage
from bot.chat.conversation import Conversation
from bot.chat.registry import Reply, chat_commands, refused
from broadcasts.db.models import Role
from broadcasts.delivery import planning
from broadcasts.editorial import workflow
from broadcasts.errors import EditorialError, HoaxError
from broadcasts.hoaxes import scope, verdicts
from broadcasts.hoaxes.texts import excerpt

SHOWN = 10
LINE_EXCERPT = 100


@chat_commands.command("LAPORAN", english=("REPORTS",), role=Role.COORDINATOR, help="help_laporan")
def open_claims(conversation: Conversation, args: str) -> Reply:
    found = scope.open_claims(conversation.session, conversation.member)
    zone = conversation.timezone

    def day(claim: scope.OpenClaim) -> date:
        return claim.latest_at.astimezone(zone).date()

    # Newest and biggest first: today's claims before yesterday's, the most reported first.
    ordered = sorted(found, key=lambda c: (day(c), c.count, c.latest_at), reverse=True)
    lines = [
        {
            "id": c.claim.id,
            "count": c.count,
            "first": c.first_at.astimezone(zone),
            "latest": c.latest_at.astimezone(zone),
            "text": excerpt(c.text, LINE_EXCERPT),
            "pending": c.pending,
        }
        for c in ordered[:SHOWN]
    ]
    return Reply("claims_open", {"claims": lines, "more": max(0, len(found) - SHOWN)})


@chat_commands.command(
    "VERIFIKASI",
    english=("VERDICT",),
    role=Role.COORDINATOR,
    help="help_verifikasi",
    free_text=True,
    takes=starts_with_id,  # "verifikasi berkas cakada kapan?" is a question
)
def verdict(conversation: Conversation, args: str) -> Reply:
    parts = args.split(maxsplit=1)
    claim_id = parse_id(parts[0]) if parts else None
    if claim_id is None or len(parts) < 2:
        return usage("verifikasi")
    found, word, summary = verdicts.read_verdict(parts[1])
    if found is None:
        return refused(HoaxError("unknown_verdict", word=word[:30]))
    if not summary.strip():
        return usage("verifikasi")
    session, member = conversation.session, conversation.member
    try:
        decided = verdicts.propose(
            session,
            claim_id,
            found,
            summary,
            member=member,
            language=conversation.language,
            now=conversation.now,
        )
        broadcast = workflow.get_broadcast(session, decided.broadcast_id)
    except (HoaxError, EditorialError) as error:
        return refused(error)
    editors = workflow.review_notices(session, broadcast, author_member=member)
    return Reply(
        "verdict_proposed",
        {
            "claim": claim_id,
            "id": broadcast.id,
            "label": verdicts.label(found, conversation.language),
            "source": decided.source_url,
            "reporters": planning.reporters_count(session, claim_id),
            "editors": editors.told + editors.waiting + editors.not_reached,
            **editors.data(),
        },
    )
