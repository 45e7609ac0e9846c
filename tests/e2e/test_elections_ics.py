"""GET /elections.ics: the calendars as iCalendar, read back with the icalendar package."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.elections.calendar import parse_election
from broadcasts.elections.stored import load_bundled, load_calendar

LOADED = datetime(2024, 1, 10, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def calendars(database: Database) -> None:
    with database.transaction() as session:
        load_bundled(session, LOADED)


def events(client: FlaskClient, query: str = "") -> dict[str, Any]:
    response = client.get("/elections.ics" + query)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.mimetype_params.get("charset") == "utf-8"
    calendar = Calendar.from_ical(response.data)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_every_dated_stage_is_an_all_day_event_with_its_source(client: FlaskClient) -> None:
    found = events(client)
    # 28 + 18 dated stages; Pemilu 2029 and the local elections have no dates yet.
    assert len(found) == 46
    voting = found["pemilu2024.pemungutan-suara@elections.humasbot"]
    assert voting.decoded("dtstart") == date(2024, 2, 14)
    assert voting.decoded("dtend") == date(2024, 2, 15)  # the day after: all-day events end so
    assert str(voting["summary"]) == "Pemilu 2024: Pemungutan suara"
    assert "Sumber: PKPU 3/2022" in str(voting["description"])
    assert str(voting["status"]) == "CONFIRMED"
    quiet = found["pilkada2024.masa-tenang@elections.humasbot"]
    assert (quiet.decoded("dtstart"), quiet.decoded("dtend")) == (
        date(2024, 11, 24),
        date(2024, 11, 27),
    )
    inauguration = found["pilkada2024.pelantikan-serentak@elections.humasbot"]
    assert "Sumber: Perpres 13/2025" in str(inauguration["description"])
    assert not any(uid.startswith(("pemilu2029.", "pemilulokal.")) for uid in found)
    # The second round that was not needed is in the feed as what it was: cancelled.
    runoff = found["pemilu2024.putaran-kedua@elections.humasbot"]
    assert str(runoff["status"]) == "CANCELLED"


def test_english_names_on_request_and_a_bad_language_is_refused(client: FlaskClient) -> None:
    found = events(client, "?lang=en")
    voting = found["pemilu2024.pemungutan-suara@elections.humasbot"]
    assert str(voting["summary"]) == "2024 General Election: Voting day"
    assert "Source: PKPU 3/2022" in str(voting["description"])
    assert client.get("/elections.ics?lang=xx").status_code == 400


def test_the_feed_is_stable_and_names_itself(client: FlaskClient, clock: FixedClock) -> None:
    first = client.get("/elections.ics")
    clock.set(datetime(2024, 5, 1, tzinfo=UTC))
    assert client.get("/elections.ics").data == first.data  # same calendars, same bytes
    assert first.headers["Content-Disposition"] == 'inline; filename="elections.ics"'
    assert first.last_modified == LOADED
    calendar = Calendar.from_ical(first.data)
    assert str(calendar["x-wr-calname"]) == "Kalender Pemilu (Humasbot)"
    assert str(calendar["version"]) == "2.0"


def test_provisional_dates_are_tentative_and_say_so(
    client: FlaskClient, database: Database
) -> None:
    document = {
        "code": "pemilu2029",
        "family": "pemilu",
        "year": 2029,
        "status": "not-yet-set",
        "name": {"id": "Pemilu 2029", "en": "2029 General Election"},
        "source": "Putusan MK 135/PUU-XXII/2024",
        "stages": [
            {
                "id": "pemungutan-suara",
                "kind": "voting",
                "provisional": True,
                "name": {"id": "Pemungutan suara", "en": "Voting day"},
                "start": "2029-02-14",
                "end": "2029-02-14",
                "source": "Rancangan PKPU (uji)",
            }
        ],
    }
    with database.transaction() as session:
        load_calendar(session, parse_election(document), LOADED)
    voting = events(client)["pemilu2029.pemungutan-suara@elections.humasbot"]
    assert str(voting["status"]) == "TENTATIVE"
    assert str(voting["summary"]) == "Pemilu 2029: Pemungutan suara (perkiraan)"
    assert "Perkiraan, belum ditetapkan KPU." in str(voting["description"])


def test_no_calendars_is_an_empty_calendar_not_an_error(
    client: FlaskClient, database: Database
) -> None:
    from sqlalchemy import delete

    from broadcasts.db.models import Election as ElectionRow

    with database.transaction() as session:
        session.execute(delete(ElectionRow))
    assert events(client) == {}
