"""A repost's link, as an officer sends it: an http(s) URL, its platform told by its host.

Links are kept exactly as given and never fetched; `key` is what two ways of writing the same
link share (scheme and host in lower case, no `www.`/`m.`, no fragment, no trailing slash), so
the same post confirmed twice counts once.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_LINK = 1000
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", re.ASCII)


class Platform(enum.StrEnum):
    """In the order REKAP lists them."""

    INSTAGRAM = "instagram"
    FACEBOOK = "facebook"
    X = "x"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    WEBSITE = "website"  # anything else: the office's own website


_HOSTS: dict[str, Platform] = {
    "instagram.com": Platform.INSTAGRAM,
    "instagr.am": Platform.INSTAGRAM,
    "facebook.com": Platform.FACEBOOK,
    "fb.com": Platform.FACEBOOK,
    "fb.watch": Platform.FACEBOOK,
    "x.com": Platform.X,
    "twitter.com": Platform.X,
    "t.co": Platform.X,
    "tiktok.com": Platform.TIKTOK,
    "youtube.com": Platform.YOUTUBE,
    "youtu.be": Platform.YOUTUBE,
}


@dataclass(frozen=True)
class Link:
    url: str  # as given
    host: str
    platform: Platform
    key: str  # sha256 of the normalised link, hex


def platform_of(host: str) -> Platform:
    host = host.lower().rstrip(".")
    for known, platform in _HOSTS.items():
        if host == known or host.endswith("." + known):
            return platform
    return Platform.WEBSITE


def _normalised_host(host: str) -> str:
    for prefix in ("www.", "m.", "mobile."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def read_link(text: str) -> Link | None:
    """The link in `text` (one word), or None if it is not an http(s) URL with a real host."""
    url = text.strip()
    if not url or len(url) > MAX_LINK or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - a bad port raises
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not _HOST.match(host):
        return None
    if parts.username or parts.password:
        return None
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    normal = f"{_normalised_host(host)}{path}{query}"
    return Link(url, host, platform_of(host), hashlib.sha256(normal.encode()).hexdigest())
