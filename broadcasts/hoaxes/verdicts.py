"""VERIFIKASI: a coordinator's verdict on a claim, proposed as its clarification.

The clarification is two things written together: a library item (the claim as its title, the
verdict, the summary, the source link found in it) that CEK finds and that can be broadcast to
groups like any content, and a broadcast to everyone who reported the claim. The broadcast goes
through the four-eyes workflow as any other (`editorial.workflow`): an editor other than its
author approves it with SETUJUI, which approves the library item too, and the delivery engine
sends it within the 24-hour rules (free-form inside the window, the approved `clarification`
template outside it).
"""

from __future__ import annotations

import enum
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    Content,
    ContentKind,
    Group,
    HoaxClaim,
    HoaxVerdict,
    Member,
)
from broadcasts.editorial import audit, library, workflow
from broadcasts.errors import HoaxError
from broadcasts.hoaxes import claims, scope
from broadcasts.hoaxes.texts import cleaned, excerpt
from broadcasts.phrasebook import render

MAX_SUMMARY = 1000
TITLE = 120
CLAIM_QUOTE = 200
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


class Verdict(enum.StrEnum):
    HOAX = "hoax"
    TRUE = "true"
    UNPROVEN = "unproven"
    # Library items may say more precisely why a hoax is false (`humasbot content add`).
    DISINFORMATION = "disinformation"
    MISLEADING = "misleading"


# How a verdict is written in VERIFIKASI / VERDICT.
WORDS = {
    "HOAKS": Verdict.HOAX,
    "HOAX": Verdict.HOAX,
    "FALSE": Verdict.HOAX,
    "BENAR": Verdict.TRUE,
    "FAKTA": Verdict.TRUE,
    "TRUE": Verdict.TRUE,
    "BELUM-PASTI": Verdict.UNPROVEN,
    "BELUM PASTI": Verdict.UNPROVEN,
    "BELUMPASTI": Verdict.UNPROVEN,
    "UNPROVEN": Verdict.UNPROVEN,
}


def read_verdict(words: str) -> tuple[Verdict | None, str, str]:
    """The verdict a text starts with (one word, or "BELUM PASTI"), the word(s) as written, and
    the rest; (None, first word, rest) when it names none."""
    parts = words.split(maxsplit=2)
    if not parts:
        return None, "", ""
    if len(parts) >= 2:
        pair = f"{parts[0]} {parts[1]}".upper()
        if pair in WORDS:
            return WORDS[pair], pair, parts[2] if len(parts) > 2 else ""
    first, _, rest = words.strip().partition(" ")
    return WORDS.get(first.upper().rstrip(".,:;")), first, rest.strip()


def label(verdict: str, language: str) -> str:
    """HOAKS, FAKTA, BELUM PASTI… in `language`."""
    return render("verdict_label", language, verdict=verdict)


def source_in(summary: str) -> str | None:
    """The first web address in a summary: the clarification's source."""
    found = _URL.search(summary)
    if found is None:
        return None
    url = found.group().rstrip(".,;:!?)")
    return url if len(url) <= 1000 else None


def _summary(text: str) -> str:
    summary = " ".join(cleaned(text).split())
    if not summary:
        raise HoaxError("empty_summary")
    if len(summary) > MAX_SUMMARY:
        raise HoaxError("summary_too_long", limit=MAX_SUMMARY, length=len(summary))
    return summary


def without_source(summary: str, source: str | None) -> str:
    """The summary without a closing "Sumber: <link>" (the source is shown on its own); a link
    inside a sentence stays."""
    if source is None:
        return summary
    pattern = rf"\s*\(?\s*(?:sumber|source)?\s*:?\s*{re.escape(source)}[).,;:!?]*\s*$"
    shorter = re.sub(pattern, "", summary, flags=re.IGNORECASE)
    if not shorter:
        return summary
    return shorter + "." if shorter[-1].isalnum() and summary[-1] in ".!?" else shorter


def pending_broadcast(session: Session, claim: HoaxClaim) -> Broadcast | None:
    """The clarification of the claim still waiting for an editor, if any."""
    return session.scalar(
        select(Broadcast)
        .join(HoaxVerdict, HoaxVerdict.broadcast_id == Broadcast.id)
        .where(HoaxVerdict.claim_id == claim.id, Broadcast.state == BroadcastState.PENDING.value)
        .order_by(Broadcast.id.desc())
        .limit(1)
    )


def approved_clarification(session: Session, claim: HoaxClaim) -> Content | None:
    """The claim's latest clarification an editor approved."""
    return session.scalar(
        select(Content)
        .join(HoaxVerdict, HoaxVerdict.content_id == Content.id)
        .where(HoaxVerdict.claim_id == claim.id, Content.approved_at.is_not(None))
        .order_by(HoaxVerdict.id.desc())
        .limit(1)
    )


def propose(
    session: Session,
    claim_id: int,
    verdict: Verdict,
    summary: str,
    *,
    member: Member,
    language: str,
    now: datetime,
) -> HoaxVerdict:
    """Records the verdict and proposes the clarification (see the module's docstring). A
    later verdict on the same claim supersedes an approved one; one waiting for approval must
    be decided (or cancelled) first."""
    claim = claims.get_claim(session, claim_id)
    group = scope.deciding_group(session, member, claim)
    return _write(
        session,
        claim,
        group,
        verdict,
        summary,
        actor=workflow.member_actor(member),
        member=member,
        language=language,
        now=now,
    )


def propose_as_account(
    session: Session,
    claim_id: int,
    verdict: Verdict,
    summary: str,
    *,
    actor: str,
    linked: Member | None,
    group_id: int | None,
    language: str,
    now: datetime,
) -> HoaxVerdict:
    """`propose` from the dashboard: `actor` is the account (`admin:<name>`), `linked` the
    member it is linked to (what the account proposes is that member's own too: they may not
    approve it by chat either). The clarification is proposed in `group_id`, one of the groups
    the claim was reported in (None: the one with the most reports of it)."""
    claim = claims.get_claim(session, claim_id)
    reported = [group for group, _ in scope.reported_groups(session, claim)]
    chosen = next((g for g in reported if group_id is None or g.id == group_id), None)
    if chosen is None:
        raise HoaxError("not_your_claim", id=claim.id)
    return _write(
        session,
        claim,
        chosen,
        verdict,
        summary,
        actor=actor,
        member=None,
        linked=linked,
        language=language,
        now=now,
    )


def _write(
    session: Session,
    claim: HoaxClaim,
    group: Group,
    verdict: Verdict,
    summary: str,
    *,
    actor: str,
    member: Member | None,
    linked: Member | None = None,
    language: str,
    now: datetime,
) -> HoaxVerdict:
    waiting = pending_broadcast(session, claim)
    if waiting is not None:
        raise HoaxError("verdict_pending", id=claim.id, broadcast=waiting.id)
    written = _summary(summary)
    source = source_in(written)
    text = without_source(written, source)
    first = claims.first_report(session, claim)
    said = first.text if first is not None else ""
    content = library.add_content(
        session,
        title=excerpt(said, TITLE) or render("claim_title", language, id=claim.id),
        body=text,
        kind=ContentKind.CLARIFICATION,
        language=language,
        verdict=verdict.value,
        source_url=source,
        created_by=actor,
        now=now,
    )
    message = render(
        "clarification",
        language,
        claim=excerpt(said, CLAIM_QUOTE),
        label=label(verdict, language),
        summary=text,
        source=source,
    )
    broadcast = workflow.propose(
        session,
        group=group,
        author=actor,
        author_member=member,
        body=message,
        kind=ContentKind.CLARIFICATION,
        language=language,
        content=content,
        content_is_draft=True,
        claim_id=claim.id,
        now=now,
    )
    if linked is not None:
        broadcast.author_id = linked.id  # four eyes across chat and web (`workflow.approve`)
    decided = HoaxVerdict(
        claim_id=claim.id,
        verdict=verdict.value,
        summary=text,
        source_url=source,
        content_id=content.id,
        broadcast_id=broadcast.id,
        created_at=now,
    )
    session.add(decided)
    session.flush()
    audit.record(
        session,
        actor,
        "verdict",
        "claim",
        claim.id,
        now,
        verdict=verdict.value,
        broadcast=broadcast.id,
    )
    return decided
