"""What a member receives of a broadcast sent free-form: the name of the group that sends it
(bold) first, the approved text, and how to stop broadcasts last, in the member's language
(`templates/messages/<language>/broadcast_frame.txt`).

The frame never costs the text: should the whole pass WhatsApp's limit, the group's name is
left out first, then the last line; the approved text itself is never cut.
"""

from __future__ import annotations

from functools import lru_cache

from broadcasts.db.models import Broadcast
from broadcasts.editorial.workflow import MAX_BODY
from broadcasts.phrasebook import language_or_default, render

# With and without the group's name, with and without the last line: in this order of choice.
_FRAMES = ((True, True), (False, True), (False, False))


def framed(body: str, broadcast: Broadcast | None, language: str | None) -> str:
    """The text a member reads: a broadcast's `body` framed; a notice's (no broadcast) as is."""
    if broadcast is None:
        return body
    return frame(body, broadcast.group.name, language_or_default(language))


@lru_cache(maxsize=256)  # the same broadcast goes to many members in few languages
def frame(body: str, group: str, language: str) -> str:
    text = body.strip()
    name = " ".join(group.replace("*", "").split())
    for header, footer in _FRAMES:
        whole = render(
            "broadcast_frame", language, body=text, group=name, header=header, footer=footer
        )
        if len(whole) <= MAX_BODY:
            return whole
    return text
