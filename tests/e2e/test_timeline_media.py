"""The election timeline as a picture: JADWAL replies carry it as TwiML <Media>, and
GET /media/timeline/<kode>.png serves it with no login, cached, to Twilio and anyone else.

The clock stands at 2024-02-04 02:00 UTC: the campaign of Pemilu 2024, ten days before voting.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import TestResponse

from bot.cli import main
from bot.web.media import A_YEAR, BRIEFLY
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import AdminUser, Broadcast, BroadcastState, Role
from broadcasts.delivery.dispatch import Dispatcher
from broadcasts.elections.calendar import election_document, parse_election
from broadcasts.elections.stored import all_elections, load_bundled, load_calendar
from broadcasts.people import membership
from broadcasts.runtime import Runtime
from config.settings import Settings
from tests.conftest import PUBLIC_BASE_URL
from tests.fake_twilio import FakeTwilio
from tests.signing import SignedClient, new_message_sid

MEMBER = "+6281234567890"


@pytest.fixture(autouse=True)
def calendars(database: Database, clock: FixedClock) -> None:
    with database.transaction() as session:
        load_bundled(session, clock.now())


def reply_to(twilio: SignedClient, text: str) -> tuple[str, str | None]:
    """The text and the media URL of the TwiML reply to one message."""
    response = twilio.message(MEMBER, text)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    message = ElementTree.fromstring(response.get_data(as_text=True)).find("Message")
    assert message is not None
    body, media = message.find("Body"), message.find("Media")
    if media is None:
        return message.text or "", None
    assert body is not None
    return body.text or "", media.text


def fetch(client: FlaskClient, url: str, **headers: str) -> TestResponse:
    """What Twilio gets when it fetches a media URL the bot gave it."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_BASE_URL
    return client.get(parts.path, query_string=parts.query, headers=headers)


def picture_in(response: TestResponse) -> Image.Image:
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    image.load()
    assert image.width == 1080 and image.height >= image.width  # portrait, phone-wide
    return image


def test_a_jadwal_reply_carries_the_text_and_the_timeline_picture(
    twilio: SignedClient, client: FlaskClient
) -> None:
    text, media = reply_to(twilio, "JADWAL")
    assert "*Jadwal Pemilu 2024*" in text and "Sumber: PKPU 3/2022" in text
    assert media is not None and media.startswith(
        f"{PUBLIC_BASE_URL}/media/timeline/pemilu2024.png?v="
    )
    picture_in(fetch(client, media))
    named_text, named = reply_to(twilio, "jadwal pilkada 2024")
    assert "*Jadwal Pilkada Serentak 2024*" in named_text
    assert named is not None and "/media/timeline/pilkada2024.png?" in named
    english_text, english = reply_to(twilio, "DATES")
    assert "*2024 General Election: key dates*" in english_text
    assert english is not None and parse_qs(urlsplit(english).query)["lang"] == ["en"]
    assert fetch(client, english).data != fetch(client, media).data


def test_an_election_not_yet_set_has_its_picture_and_other_replies_have_none(
    twilio: SignedClient, client: FlaskClient
) -> None:
    text, media = reply_to(twilio, "JADWAL pemilu2029")
    assert "jadwalnya belum ditetapkan" in text
    assert media is not None and "/media/timeline/pemilu2029.png?" in media
    picture_in(fetch(client, media))
    for other in ("TAHAPAN", "kapan pencoblosan?", "JADWAL pemilu2034", "MENU"):
        assert reply_to(twilio, other)[1] is None, other


def test_a_replayed_message_sid_gets_the_same_text_again(twilio: SignedClient) -> None:
    sid = new_message_sid()
    first = twilio.message(MEMBER, "JADWAL", message_sid=sid)
    again = twilio.message(MEMBER, "JADWAL", message_sid=sid)
    assert b"<Media>" in first.data
    [text] = [m.text for m in ElementTree.fromstring(first.data).iter("Body")]
    assert ElementTree.fromstring(again.data).findtext("Message") == text


def test_the_picture_needs_no_login_and_is_cached_with_an_etag(
    twilio: SignedClient, client: FlaskClient
) -> None:
    _, media = reply_to(twilio, "JADWAL")
    assert media is not None
    versioned = fetch(client, media)
    picture_in(versioned)
    assert versioned.headers["Cache-Control"] == f"public, max-age={A_YEAR}, immutable"
    etag = versioned.headers["ETag"]
    # The same picture without the version (a broadcast's media): the same tag, a short cache.
    plain = client.get("/media/timeline/pemilu2024.png")
    assert plain.headers["ETag"] == etag and plain.data == versioned.data
    assert plain.headers["Cache-Control"] == f"public, max-age={BRIEFLY}"
    # A client that holds it is told so, without the picture.
    unchanged = client.get("/media/timeline/pemilu2024.png", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and not unchanged.data


def test_the_picture_is_drawn_again_when_the_day_or_the_calendar_changes(
    twilio: SignedClient, client: FlaskClient, database: Database, clock: FixedClock
) -> None:
    _, first = reply_to(twilio, "JADWAL")
    before = client.get("/media/timeline/pemilu2024.png")
    clock.set(datetime(2024, 2, 5, 2, 0, tzinfo=UTC))  # the next day
    _, next_day = reply_to(twilio, "JADWAL")
    after_a_day = client.get("/media/timeline/pemilu2024.png")
    assert next_day != first and after_a_day.headers["ETag"] != before.headers["ETag"]
    # The URL handed out yesterday still answers, with today's picture, briefly cached.
    old = fetch(client, first or "")
    assert old.data == after_a_day.data and "immutable" not in old.headers["Cache-Control"]

    with database.transaction() as session:
        pemilu = next(e for e in all_elections(session) if e.code == "pemilu2024")
        document = election_document(pemilu)
        for stage in document["stages"]:
            if stage["id"] == "pemungutan-suara":
                stage["start"] = stage["end"] = "2024-02-21"
        load_calendar(session, parse_election(document), clock.now())
    text, moved = reply_to(twilio, "JADWAL")
    assert "Rabu, 21 Februari 2024" in text and moved != next_day
    changed = fetch(client, moved or "")
    assert changed.headers["ETag"] != after_a_day.headers["ETag"]
    assert changed.data != after_a_day.data


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/media/timeline/pemilu2034.png", 404),
        ("/media/timeline/..%2F..%2Fetc%2Fpasswd.png", 404),
        ("/media/timeline/" + "x" * 500 + ".png", 404),
        ("/media/timeline/pemilu2024.jpg", 404),
        ("/media/timeline/pemilu2024.png?lang=xx", 400),
        ("/media/timeline/pemilu2024.png?lang=", 400),
    ],
)
def test_bad_requests_get_a_clean_404_or_400(client: FlaskClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.is_json and "error" in (response.get_json() or {})


def test_humasbot_chat_says_where_the_picture_is(
    settings: Settings, database: Database, clock: FixedClock, client: FlaskClient
) -> None:
    runner = CliRunner()
    context = Runtime(settings, database, clock)
    result = runner.invoke(
        main, ["chat", "--from", "081234567890", "--message", "JADWAL"], obj=context
    )
    assert result.exit_code == 0, result.output
    assert "*Jadwal Pemilu 2024*" in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("Gambar: ")]
    picture_in(fetch(client, line.removeprefix("Gambar: ")))


# --- The picture as a broadcast's media ----------------------------------------------------

TIMELINE = f"{PUBLIC_BASE_URL}/media/timeline/pemilu2024.png"
EDITOR = "+6281300000009"


@pytest.fixture
def fake(settings: Settings) -> Iterator[FakeTwilio]:
    with FakeTwilio(auth_token=settings.twilio_auth_token or "") as running:
        yield running


@pytest.fixture
def cli(settings: Settings, database: Database, clock: FixedClock) -> Callable[..., str]:
    """`humasbot …` as an admin types it; fails the test unless it succeeds."""
    with database.transaction() as session:
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.add_member(session, MEMBER, "KALBAR")
        membership.add_member(session, EDITOR, "KALBAR", role=Role.EDITOR)
        session.add_all(AdminUser(username=name, password_hash="-") for name in ("ani", "budi"))
    runner = CliRunner()

    def invoke(*args: str) -> str:
        context = Runtime(settings, database, clock)
        result = runner.invoke(main, list(args), obj=context, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def test_a_broadcast_carries_the_timeline_once_approved_and_twilio_can_fetch_it(
    cli: Callable[..., str],
    twilio: SignedClient,
    client: FlaskClient,
    fake: FakeTwilio,
    settings: Settings,
    database: Database,
    clock: FixedClock,
) -> None:
    twilio.say(MEMBER, "MENU")  # the member wrote today: a free-form message may reach them
    added = cli(
        "content", "add", "--title", "Linimasa Pemilu 2024", "--body", "Tahapan Pemilu 2024",
        "--media-url", TIMELINE, "--by", "ani",
    )  # fmt: skip
    content = added.split("#", 1)[1].split()[0]
    cli("content", "approve", content, "--by", "budi")
    created = cli("broadcast", "create", "--group", "KALBAR", "--content", content, "--by", "ani")
    number = created.split("#", 1)[1].split()[0]
    assert "deliveries planned" in cli("broadcast", "approve", number, "--by", "budi")
    configured = settings.replace(
        twilio_account_sid=fake.account_sid,
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_api_base_url=fake.url,
    )
    dispatcher = Dispatcher(configured, database, clock, owner="timeline")
    try:
        dispatcher.drain()
    finally:
        dispatcher.close()
    [sent] = fake.sent_to(f"whatsapp:{MEMBER}")
    assert "Tahapan Pemilu 2024" in sent.body and sent.media_urls == [TIMELINE]
    picture_in(fetch(client, TIMELINE))


def test_a_calendar_entry_with_the_timeline_proposes_a_broadcast_carrying_it(
    cli: Callable[..., str], database: Database, clock: FixedClock
) -> None:
    cli(
        "calendar", "add", "--group", "KALBAR", "--on", "2024-02-06", "--time", "09:00",
        "--title", "Linimasa", "--body", "Linimasa Pemilu 2024", "--media-url", TIMELINE,
        "--by", "ani",
    )  # fmt: skip
    cli("calendar", "approve", "1", "--by", "budi")
    clock.set(datetime(2024, 2, 6, 2, 1, tzinfo=UTC))  # 09:01 WIB
    assert "broadcasts proposed: #1" in cli("calendar", "tick")
    with database.transaction() as session:
        broadcast = session.get_one(Broadcast, 1)
        assert broadcast.media_url == TIMELINE
        assert broadcast.state != BroadcastState.PENDING.value  # approved ahead: no second step
