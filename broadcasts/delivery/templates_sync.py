"""WhatsApp templates: the account's Content API templates and their approval, kept locally.

`sync` copies what Twilio lists into `whatsapp_templates` (keeping which kind of content each
is mapped to); `map_kind` says which template carries which kind of content outside the
24-hour window. A Humasbot template has at most one variable, `{{1}}`: the text it carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import ContentKind, WhatsAppTemplate
from broadcasts.delivery.transports.base import RemoteTemplate

# Marks a template the account no longer lists; it is never used to send.
GONE = "deleted"


class TemplateError(ValueError):
    """A template cannot be used as asked; the message says why."""


@dataclass(frozen=True)
class SyncReport:
    added: int
    updated: int
    gone: int


def sync(session: Session, remote: list[RemoteTemplate], now: datetime) -> SyncReport:
    """Upserts the remote templates; ones no longer listed are marked deleted, kept for history."""
    local = {t.content_sid: t for t in session.scalars(select(WhatsAppTemplate))}
    added = updated = gone = 0
    listed = set()
    for item in remote:
        listed.add(item.content_sid)
        template = local.get(item.content_sid)
        if template is None:
            template = WhatsAppTemplate(content_sid=item.content_sid)
            session.add(template)
            added += 1
        else:
            updated += 1
        template.friendly_name = item.friendly_name[:200]
        template.language = item.language[:16]
        template.category = item.category[:32] if item.category else None
        template.approval_status = item.approval_status[:32]
        template.variables = dict(item.variables)
        template.synced_at = now
    for sid, template in local.items():
        if sid not in listed and template.approval_status != GONE:
            template.approval_status = GONE
            template.synced_at = now
            gone += 1
    return SyncReport(added, updated, gone)


def listing(session: Session) -> list[WhatsAppTemplate]:
    return list(
        session.scalars(
            select(WhatsAppTemplate).order_by(WhatsAppTemplate.kind, WhatsAppTemplate.friendly_name)
        )
    )


def map_kind(session: Session, content_sid: str, kind: str) -> WhatsAppTemplate:
    """Makes `content_sid` the template for `kind`; raises `TemplateError` if it cannot be."""
    if kind not in {k.value for k in ContentKind}:
        raise TemplateError(f"unknown kind {kind!r}: use literacy, clarification or notice")
    template = session.scalar(
        select(WhatsAppTemplate).where(WhatsAppTemplate.content_sid == content_sid)
    )
    if template is None:
        raise TemplateError(f"no template {content_sid}: run `humasbot templates sync` first")
    if template.approval_status == GONE:
        raise TemplateError(f"template {content_sid} no longer exists at Twilio")
    if set(template.variables) - {"1"}:
        names = ", ".join("{{" + str(k) + "}}" for k in sorted(template.variables))
        raise TemplateError(
            f"template {content_sid} has variables {names}: Humasbot fills only {{{{1}}}}"
            " (the text), so use a template with that one variable or none"
        )
    template.kind = kind
    return template
