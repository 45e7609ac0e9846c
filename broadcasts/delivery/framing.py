"""What a member receives of a broadcast sent free-form: the name of the group that sends it
(bold) first, the approved text, and how to stop broadcasts last, in the member's language
(`templates/messages/<language>/broadcast_frame.txt`).

Authors write at most `MAX_BODY`, which leaves room for the frame within WhatsApp's limit. Should
a longer text ever come (a group renamed to a very long name), the frame gives way, the group's
name first, then the last line; the approved text itself is never cut. A broadcast that
carries a share kit (`amplification.kit`) has it after its text, in the same message; the kit
gives way before the frame does.
"""

from __future__ import annotations

from functools import lru_cache

from broadcasts.amplification.kit import ShareKit, share_kit
from broadcasts.db.models import Broadcast
from broadcasts.editorial.workflow import MAX_MESSAGE
from broadcasts.phrasebook import language_or_default, render

# With and without the group's name, with and without the last line: in this order of choice.
_FRAMES = ((True, True), (False, True), (False, False))


def framed(body: str, broadcast: Broadcast | None, language: str | None) -> str:
    """The text a member reads: a broadcast's `body` framed; a notice's (no broadcast) as is."""
    if broadcast is None:
        return body
    chosen = language_or_default(language)
    kit = share_kit(broadcast)
    return frame(body, broadcast.group.name, chosen, _kit_text(kit, chosen) if kit else "")


@lru_cache(maxsize=256)
def _kit_text(kit: ShareKit, language: str) -> str:
    return kit.render(language)


@lru_cache(maxsize=256)  # the same broadcast goes to many members in few languages
def frame(body: str, group: str, language: str, kit: str = "") -> str:
    text = body.strip()
    name = " ".join(group.replace("*", "").split())
    if kit:
        for header, footer in _FRAMES[:2]:
            whole = render(
                "broadcast_frame",
                language,
                body=f"{text}\n\n{kit.strip()}",
                group=name,
                header=header,
                footer=footer,
            )
            if len(whole) <= MAX_MESSAGE:
                return whole
    for header, footer in _FRAMES:
        whole = render(
            "broadcast_frame", language, body=text, group=name, header=header, footer=footer
        )
        if len(whole) <= MAX_MESSAGE:
            return whole
    return text
