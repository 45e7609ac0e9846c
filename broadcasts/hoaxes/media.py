"""Media forwarded with a report (Twilio's `MediaUrl0…`), fetched with the account's credentials.

Twilio keeps a message's media at an address under its REST API that needs the account's SID
and auth token (and answers with a redirect to the file itself). The bot fetches it only from
there — the API address it is configured with — so the credentials go nowhere else, and keeps the
bytes with the report: Twilio's copy can be deleted later. Each fetch is bounded in time and size,
and what cannot be kept is said plainly: an unsupported type, too large, or the fetch failed.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from config.settings import Settings

log = logging.getLogger(__name__)

# What WhatsApp forwards and a coordinator can open: pictures, videos, voice notes, documents.
SUPPORTED = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "video/mp4",
        "video/3gpp",
        "audio/ogg",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/amr",
        "application/pdf",
    }
)
MAX_BYTES = 16 * 1024 * 1024  # WhatsApp's own limit for video and audio
MAX_MEDIA = 5  # per message; WhatsApp sends one medium a message
TIMEOUT = (3.05, 5.0)  # connect, read: inside Twilio's 15-second webhook timeout
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class MediaLink:
    """A medium as the webhook names it: `MediaUrlN` and `MediaContentTypeN`."""

    url: str
    content_type: str


class Problem(enum.StrEnum):
    UNSUPPORTED = "unsupported"
    TOO_LARGE = "too_large"
    FAILED = "failed"


@dataclass(frozen=True)
class Fetched:
    content_type: str
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Unusable:
    content_type: str
    problem: Problem


Attachment = Fetched | Unusable


def base_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def fetch(link: MediaLink, settings: Settings) -> Attachment:
    """The medium's bytes, or why it cannot be kept."""
    declared = base_type(link.content_type)
    if declared not in SUPPORTED:
        return Unusable(declared, Problem.UNSUPPORTED)
    if _origin(link.url) != _origin(settings.twilio_api_base_url):
        log.warning("media not fetched: not at the Twilio API (%s)", urlsplit(link.url).netloc)
        return Unusable(declared, Problem.FAILED)
    auth = (
        (settings.twilio_account_sid or "", settings.twilio_auth_token or "")
        if settings.twilio_enabled
        else None
    )
    try:
        with requests.get(link.url, auth=auth, timeout=TIMEOUT, stream=True) as response:
            if response.status_code != 200:
                log.warning("media fetch answered %s", response.status_code)
                return Unusable(declared, Problem.FAILED)
            actual = base_type(response.headers.get("Content-Type", declared))
            if actual not in SUPPORTED:
                return Unusable(actual, Problem.UNSUPPORTED)
            return _read(response, actual)
    except requests.RequestException as error:
        log.warning("media fetch failed: %s", type(error).__name__)
        return Unusable(declared, Problem.FAILED)


def _read(response: requests.Response, content_type: str) -> Attachment:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        return Unusable(content_type, Problem.TOO_LARGE)
    data = bytearray()
    for chunk in response.iter_content(_CHUNK):
        data.extend(chunk)
        if len(data) > MAX_BYTES:
            return Unusable(content_type, Problem.TOO_LARGE)
    if not data:
        return Unusable(content_type, Problem.FAILED)
    return Fetched(content_type, bytes(data))


def fetch_all(links: tuple[MediaLink, ...], settings: Settings) -> tuple[Attachment, ...]:
    return tuple(fetch(link, settings) for link in links[:MAX_MEDIA])
