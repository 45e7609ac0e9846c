"""The overview: groups, what waits for approval, the latest broadcasts with their progress."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from bot.web.dashboard.access import requires
from bot.web.dashboard.site import blueprint, page
from bot.web.runtime import runtime
from broadcasts.db.models import AccountRole, BroadcastState, Group, Membership
from broadcasts.delivery import outbox
from broadcasts.editorial import workflow as editorial

RECENT = 30  # broadcasts on the overview


@blueprint.get("/")
@requires(AccountRole.VIEWER)
def overview() -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        members = func.count(Membership.id)
        groups = db.execute(
            select(Group, members)
            .outerjoin(Membership, Membership.group_id == Group.id)
            .group_by(Group.id)
            .order_by(Group.code)
        ).all()
        waiting = editorial.recent_broadcasts(db, state=BroadcastState.PENDING.value)
        recent = editorial.recent_broadcasts(db, limit=RECENT)
        counts = outbox.counts_of(db, [broadcast.id for broadcast in recent])
        return page(
            "overview.html",
            groups=groups,
            waiting=waiting,
            recent=[(broadcast, counts[broadcast.id]) for broadcast in recent],
        )
