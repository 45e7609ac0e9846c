"""The share kit: what an office needs to repost a broadcast on its own channels, derived from
the approved broadcast itself (so nothing unapproved is ever offered for posting).

A group broadcast with a link or tags carries one: a caption that fits X (280 characters, where
every link counts as 23), the tags as hashtags, the source link, and the words to confirm the
repost. The approved text itself is the Instagram and Facebook caption (it fits their 2,200).
It is rendered into the broadcast's frame (`delivery.framing`), so it travels in the same
message as the broadcast, through the same exactly-once delivery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from broadcasts.db.models import Broadcast, ContentKind
from broadcasts.phrasebook import render

X_LIMIT = 280
X_LINK = 23  # X counts every link as this long (t.co)
INSTAGRAM_LIMIT = 2200
_LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_LINK_END = ".,;:!?)]}'\""
_TAG = re.compile(r"[^0-9A-Za-z_]+")


@dataclass(frozen=True)
class ShareKit:
    broadcast_id: int
    x_caption: str
    hashtags: tuple[str, ...]
    link: str | None
    has_image: bool
    fits_x: bool  # the whole text fits X as it is

    def render(self, language: str) -> str:
        return render(
            "share_kit",
            language,
            id=self.broadcast_id,
            x=self.x_caption,
            hashtags=" ".join(self.hashtags),
            link=self.link,
            image=self.has_image,
            fits_x=self.fits_x,
        )


def links_in(text: str) -> list[str]:
    return [found.group(0).rstrip(_LINK_END) for found in _LINK.finditer(text)]


def hashtag(tag: str) -> str | None:
    word = "".join(part[:1].upper() + part[1:] for part in _TAG.split(tag) if part)
    return f"#{word}" if word and not word.isdigit() else None


def _x_length(text: str) -> int:
    return len(_LINK.sub("x" * X_LINK, text))


def _cut(text: str, room: int) -> str:
    """`text` cut at a word to fit `room` characters (with an ellipsis when cut)."""
    if len(text) <= room:
        return text
    cut = text[: max(0, room - 1)]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,.;:-–—") + "…"


def x_caption(body: str, hashtags: tuple[str, ...], link: str | None) -> tuple[str, bool]:
    """A caption within X's 280: the text (its links taken out), the hashtags, the link."""
    text = " ".join(_LINK.sub("", body).split())
    tail = " ".join(hashtags)
    tail_length = len(tail) + (1 + X_LINK if link else 0)
    whole = " ".join(part for part in (text, tail, link or "") if part)
    if _x_length(whole) <= X_LIMIT:
        return whole, True
    room = X_LIMIT - tail_length - 1
    while hashtags and room < 40:  # keep room for words: drop hashtags first
        hashtags = hashtags[:-1]
        tail = " ".join(hashtags)
        tail_length = len(tail) + (1 + X_LINK if link else 0)
        room = X_LIMIT - tail_length - 1
    caption = " ".join(part for part in (_cut(text, room), tail, link or "") if part)
    return caption, False


def share_kit(broadcast: Broadcast) -> ShareKit | None:
    """The kit of a broadcast to groups that has a link or tags; None for others (a hoax
    clarification to the people who reported it, a notice, plain words)."""
    if broadcast.claim_id is not None or broadcast.kind == ContentKind.NOTICE.value:
        return None
    links = links_in(broadcast.body)
    tags = tuple(dict.fromkeys(t for t in (hashtag(tag) for tag in broadcast.tags or []) if t))
    if not links and not tags:
        return None
    link = links[0] if links else None
    caption, fits = x_caption(broadcast.body, tags, link)
    return ShareKit(broadcast.id, caption, tags, link, bool(broadcast.media_url), fits)
