"""GET /calendar/<group>.ics?token=…: a group's editorial calendar for phone calendars, over the
app's HTTP interface; the link's token is what `humasbot calendar link` prints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from bot.web.app import create_app
from bot.web.editorial_feed import feed_token
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import CalendarEntry, Role
from broadcasts.editorial.workflow import member_actor
from broadcasts.editorial_calendar import approval, entries, scan
from broadcasts.editorial_calendar.approval import Approver
from broadcasts.elections.stored import load_bundled
from broadcasts.people import membership
from config.settings import Settings


@pytest.fixture
def calendar(database: Database, clock: FixedClock) -> None:
    with database.transaction() as session:
        load_bundled(session, clock.now())
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.create_group(session, "KALTIM", "Bakohumas Kaltim", timezone="Asia/Makassar")
        membership.add_member(session, "+6281600000001", "KALBAR", role=Role.COORDINATOR)
        for title, rule in (
            ("Cek DPT", entries.once("2024-02-05", "09:00")),
            ("Malam", entries.once("2024-02-05", "22:00")),
            ("Mingguan", entries.recurring("10:00", starts_on="2024-02-01", frequency="weekly")),
        ):
            spec = entries.EntrySpec(title, rule, ["KALBAR"], body=f"Isi {title}")
            entries.add_entry(session, spec, actor="admin:t", now=clock.now())


def events(client: FlaskClient, path: str) -> dict[str, dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/calendar"
    parsed = Calendar.from_ical(response.get_data())
    return {
        str(event["summary"]): {
            "start": event.decoded("dtstart").astimezone(UTC).isoformat(),
            "description": str(event.get("description", "")),
            "status": str(event.get("status", "")),
            "uid": str(event["uid"]),
        }
        for event in parsed.walk("VEVENT")
    }


@pytest.mark.usefixtures("calendar")
def test_a_group_calendar_lists_its_coming_sends_with_the_reasons(
    client: FlaskClient, settings: Settings
) -> None:
    token = feed_token(settings, "KALBAR")
    found = events(client, f"/calendar/KALBAR.ics?token={token}")
    assert found["Cek DPT"]["start"] == "2024-02-05T02:00:00+00:00"
    # Not approved ahead of time: it will wait for an editor, so it is not certain yet.
    assert found["Cek DPT"]["status"] == "TENTATIVE"
    assert "menunggu persetujuan editor" in found["Cek DPT"]["description"]
    assert found["Malam"]["start"] == "2024-02-05T23:00:00+00:00"  # 06:00 WIB, after quiet hours
    assert "jam senyap 21:00–06:00" in found["Malam"]["description"]
    english = events(client, f"/calendar/KALBAR.ics?token={token}&lang=en")
    assert "quiet hours 21:00–06:00" in english["Malam"]["description"]


@pytest.mark.usefixtures("calendar")
def test_an_entry_approved_ahead_of_time_is_confirmed(
    client: FlaskClient, settings: Settings, database: Database, clock: FixedClock
) -> None:
    with database.transaction() as session:
        editor = membership.add_member(session, "+6281600000009", "KALBAR", role=Role.EDITOR).member
        entry = session.scalars(select(CalendarEntry).where(CalendarEntry.title == "Cek DPT")).one()
        approval.approve_entry(
            session, entry.id, Approver(member_actor(editor), editor), clock.now()
        )
    found = events(client, f"/calendar/KALBAR.ics?token={feed_token(settings, 'KALBAR')}")
    assert found["Cek DPT"]["status"] == "CONFIRMED"
    assert found["Malam"]["status"] == "TENTATIVE"


@pytest.mark.usefixtures("calendar")
def test_what_went_out_stays_in_the_calendar_under_the_same_uid(
    client: FlaskClient, settings: Settings, database: Database, clock: FixedClock
) -> None:
    path = f"/calendar/KALBAR.ics?token={feed_token(settings, 'KALBAR')}"
    before = events(client, path)["Cek DPT"]["uid"]
    clock.set(datetime(2024, 2, 5, 2, 1, tzinfo=UTC))
    with database.transaction() as session:
        assert scan.scan(session, clock.now(), timedelta(hours=6)).proposed
    after = events(client, path)["Cek DPT"]
    assert after["uid"] == before and "Diajukan" in after["description"]


@pytest.mark.usefixtures("calendar")
@pytest.mark.parametrize(
    "query",
    ["", "?token=", "?token=not-a-token", "?token={other}", "?token={mine}x"],
)
def test_a_missing_or_wrong_token_is_refused(
    client: FlaskClient, settings: Settings, query: str
) -> None:
    path = "/calendar/KALBAR.ics" + query.format(
        other=feed_token(settings, "KALTIM"), mine=feed_token(settings, "KALBAR")
    )
    response = client.get(path)
    assert response.status_code == 403
    assert "BEGIN:VCALENDAR" not in response.get_data(as_text=True)


@pytest.mark.usefixtures("calendar")
def test_a_token_made_with_another_secret_key_is_refused(
    client: FlaskClient, settings: Settings
) -> None:
    foreign = feed_token(settings.replace(secret_key="another-deployment"), "KALBAR")
    assert client.get(f"/calendar/KALBAR.ics?token={foreign}").status_code == 403


@pytest.mark.usefixtures("calendar")
@pytest.mark.parametrize("query", ["", "?token=guess", "?token={valid}"])
def test_an_unknown_group_is_answered_as_a_known_one_without_its_token(
    client: FlaskClient, settings: Settings, query: str
) -> None:
    """Otherwise 404 against 403 tells which group codes exist."""
    unknown = client.get(
        "/calendar/NOWHERE.ics" + query.format(valid=feed_token(settings, "NOWHERE"))
    )
    known = client.get("/calendar/KALBAR.ics?token=guess")
    assert (unknown.status_code, unknown.get_json()) == (known.status_code, known.get_json())
    assert known.status_code == 403


@pytest.mark.usefixtures("calendar")
def test_without_a_secret_key_the_feed_is_refused(
    settings: Settings, database: Database, clock: FixedClock
) -> None:
    """A token signed with the public development key would open every group's calendar."""
    unsafe = settings.replace(secret_key=None)
    client = create_app(unsafe, database=database, clock=clock).test_client()
    response = client.get(f"/calendar/KALBAR.ics?token={feed_token(unsafe, 'KALBAR')}")
    assert response.status_code == 503
    assert "BEGIN:VCALENDAR" not in response.get_data(as_text=True)


@pytest.mark.usefixtures("calendar")
def test_a_group_below_sees_the_sends_that_reach_it_from_above(
    client: FlaskClient, settings: Settings, database: Database, clock: FixedClock
) -> None:
    with database.transaction() as session:
        membership.create_group(session, "PONTIANAK", "Kota Pontianak", parent_code="KALBAR")
        spec = entries.EntrySpec(
            "Kota", entries.once("2024-02-06", "08:00"), ["PONTIANAK"], body="x"
        )
        entries.add_entry(session, spec, actor="admin:t", now=clock.now())
    city = events(client, f"/calendar/PONTIANAK.ics?token={feed_token(settings, 'PONTIANAK')}")
    assert {"Kota", "Cek DPT", "Malam", "Mingguan"} <= set(city)
    province = events(client, f"/calendar/KALBAR.ics?token={feed_token(settings, 'KALBAR')}")
    assert "Kota" not in province
