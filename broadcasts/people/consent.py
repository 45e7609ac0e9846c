"""The record of consent: how, when and by whom each member came to receive a group's broadcasts.

A row is written with every new membership, in the same transaction: by chat (`DAFTAR` with
the invitation code, its MessageSid kept as evidence), or by an operator (`humasbot member add
--by WHO`), and later by the dashboard or an import. Leaving the group or erasing one's data
withdraws it; the row stays, so the office can show what was agreed and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from broadcasts.db.models import Consent, ConsentSource, utcnow


def record(
    session: Session,
    member_id: int,
    group_id: int,
    source: ConsentSource,
    *,
    at: datetime | None = None,
    message_sid: str | None = None,
    given_by: str | None = None,
) -> Consent:
    consent = Consent(
        member_id=member_id,
        group_id=group_id,
        source=source.value,
        message_sid=message_sid[:64] if message_sid else None,
        given_by=given_by[:100] if given_by else None,
        given_at=at or utcnow(),
    )
    session.add(consent)
    return consent


def withdraw(
    session: Session, member_id: int, group_id: int | None = None, *, at: datetime | None = None
) -> int:
    """Withdraws the member's consents (for one group, or all); returns how many."""
    which = [Consent.member_id == member_id, Consent.withdrawn_at.is_(None)]
    if group_id is not None:
        which.append(Consent.group_id == group_id)
    result = session.execute(
        update(Consent)
        .where(*which)
        .values(withdrawn_at=at or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def current(session: Session, member_id: int) -> dict[int, Consent]:
    """The member's consent in force for each group they are in, by group id (the latest)."""
    rows = session.scalars(
        select(Consent)
        .where(Consent.member_id == member_id, Consent.withdrawn_at.is_(None))
        .order_by(Consent.given_at, Consent.id)
    )
    return {row.group_id: row for row in rows if row.group_id is not None}
