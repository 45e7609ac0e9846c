"""A broadcast's amplification: which offices (groups) it reached confirmed a repost on their own
channels, by platform, and which still have to — what REKAP tells a coordinator in chat
(`broadcasts.amplification.coverage`), for every office."""

from __future__ import annotations

from flask import abort
from flask.typing import ResponseReturnValue

from bot.web.dashboard.access import requires
from bot.web.dashboard.site import blueprint, page, t
from bot.web.runtime import runtime
from broadcasts.amplification import coverage as amplification
from broadcasts.db.models import AccountRole
from broadcasts.errors import AmplificationError

LINKS_SHOWN = 200


@blueprint.get("/broadcasts/<int:broadcast_id>/coverage")
@requires(AccountRole.VIEWER)
def broadcast_coverage(broadcast_id: int) -> ResponseReturnValue:
    with runtime().database.transaction() as db:
        try:
            found = amplification.coverage(db, broadcast_id, None)  # an account sees every office
        except AmplificationError:
            abort(404)
        offices = {office.id: office for office in found.reached}
        links = amplification.latest_links(db, broadcast_id, LINKS_SHOWN)
        reached = len(found.reached)
        return page(
            "amplification.html",
            coverage=found,
            broadcast=found.broadcast,
            offices=offices,
            links=[link for link in links if link.group_id in offices],
            reached=reached,
            percent=round(100 * found.confirmed_count / reached) if reached else 0,
            platform_words=platform_words,
        )


def platform_words(platform: str) -> str:
    return t(f"amplification.platform_{platform}")
