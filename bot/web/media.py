"""GET /media/timeline/<kode>.png: an election's timeline as a picture, the one JADWAL carries.
GET /media/uploads/<sha256>.<png|jpg>: an image uploaded with library content (a broadcast's
MediaUrl); its name is its hash, so what it shows never changes and it may be cached for a year.

Twilio fetches a reply's media from PUBLIC_BASE_URL with no login, so none is asked. The picture
is drawn for today in the bot's time zone and redrawn when the day turns or a calendar is loaded.

JADWAL hands out the URL with `v`, a token of the calendars' version, the day and the zone:
what such a URL shows never changes, so it may be cached for a year. Without `v` (the media of a
broadcast, sent some other day) or with an old one, it is today's picture, cached briefly and
revalidated by its ETag.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, request, send_file

from bot.web.election_feed import requested_language
from bot.web.runtime import runtime
from broadcasts.editorial import images
from broadcasts.elections import stored as calendars
from broadcasts.elections import timeline_picture
from broadcasts.elections.calendar import find_election
from broadcasts.phrasebook import zone_name
from config.settings import Settings

blueprint = Blueprint("media", __name__, url_prefix="/media")

A_YEAR = 365 * 24 * 3600  # seconds: a versioned picture never changes
BRIEFLY = 300  # seconds: today's picture may change with a calendar load or at midnight


def timeline_media(
    settings: Settings, snapshot: calendars.Snapshot, code: str, now: datetime
) -> Callable[[str], str]:
    """The URL of the election's picture as drawn at `now`, given a language."""
    local = now.astimezone(settings.timezone)
    version = timeline_version(snapshot, code, local.date(), zone_name(local))
    return partial(timeline_url, settings.public_base_url, code, version)


def timeline_url(base_url: str, code: str, version: str, language: str) -> str:
    """The picture's public URL, as a reply carries it."""
    query = {"lang": language, "v": version} if language != "id" else {"v": version}
    return f"{base_url}/media/timeline/{code}.png?{urlencode(query)}"


def timeline_version(snapshot: calendars.Snapshot, code: str, today: date, zone: str) -> str:
    """Changes whenever the picture may: a calendar loaded (any: the load time only moves
    forward), another day, another zone. The same in every process."""
    loaded = snapshot.loaded_at.isoformat() if snapshot.loaded_at else ""
    stamp = f"{code}|{loaded}|{today.isoformat()}|{zone}"
    return hashlib.blake2s(stamp.encode(), digest_size=6).hexdigest()


@blueprint.get("/timeline/<code>.png")
def timeline(code: str) -> Response:
    language = requested_language()
    app_runtime = runtime()
    with app_runtime.database.transaction() as session:
        snapshot = calendars.snapshot(session)
    election = find_election(snapshot.elections, code)
    if election is None:
        abort(404, description="no election calendar has this code")
    now = app_runtime.clock.now().astimezone(app_runtime.settings.timezone)
    zone = zone_name(now)
    drawn = timeline_picture.picture(election, now.date(), language, zone)
    response = Response(drawn.png, mimetype="image/png")
    response.set_etag(drawn.etag)
    response.cache_control.public = True
    if request.args.get("v") == timeline_version(snapshot, election.code, now.date(), zone):
        response.cache_control.max_age = A_YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.max_age = BRIEFLY
    response.make_conditional(request)  # 304 when the client holds this picture already
    return response


@blueprint.get("/uploads/<name>")
def upload(name: str) -> Response:
    """Public, as Twilio fetches it: only a kept picture's own name opens anything."""
    directory = images.upload_directory(runtime().settings.upload_dir)
    path = images.kept(directory, name)
    if path is None:
        abort(404, description="no such image")
    response = send_file(
        path,
        mimetype=images.MEDIA_TYPES[path.suffix.lstrip(".")],
        max_age=A_YEAR,
        conditional=True,
        etag=name.split(".")[0],
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
