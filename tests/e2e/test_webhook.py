"""The inbound webhook, through signed HTTP requests as Twilio sends them."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from broadcasts.db.database import Database
from broadcasts.db.models import InboundMessage, Member
from tests.signing import SignedClient, new_message_sid, twiml_text

PHONE = "+6281234567890"


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_signed_message_is_answered_in_twiml_and_recorded(
    twilio: SignedClient, database: Database
) -> None:
    reply = twilio.say(PHONE, "MENU", ProfileName="Sari", WaId="6281234567890")
    assert "MENU" in reply and "DAFTAR" in reply
    with database.transaction() as session:
        member = session.scalars(select(Member)).one()
        inbound = session.scalars(select(InboundMessage)).one()
    assert member.phone == PHONE and member.name == "Sari" and member.wa_id == "6281234567890"
    assert member.last_inbound_at is not None
    assert inbound.body == "MENU" and inbound.command == "MENU" and inbound.reply == reply


def test_a_wrong_signature_is_refused_and_nothing_is_stored(
    client: FlaskClient, twilio: SignedClient, database: Database
) -> None:
    form = {"MessageSid": new_message_sid(), "From": f"whatsapp:{PHONE}", "Body": "MENU"}
    assert client.post("/twilio/whatsapp", data=form).status_code == 403
    bad = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
    assert client.post("/twilio/whatsapp", data=form, headers=bad).status_code == 403
    # Signed for other content: the body was changed on the way.
    signature = twilio.validator.compute_signature(
        twilio.public_base_url + "/twilio/whatsapp", {**form, "Body": "BERHENTI"}
    )
    tampered = client.post("/twilio/whatsapp", data=form, headers={"X-Twilio-Signature": signature})
    assert tampered.status_code == 403
    assert count(database, InboundMessage) == 0 and count(database, Member) == 0


def test_the_signature_is_checked_against_the_public_url_not_the_one_flask_sees(
    client: FlaskClient, twilio: SignedClient
) -> None:
    form = {"MessageSid": new_message_sid(), "From": f"whatsapp:{PHONE}", "Body": "MENU"}
    as_flask_sees_it = twilio.validator.compute_signature("http://localhost/twilio/whatsapp", form)
    response = client.post(
        "/twilio/whatsapp", data=form, headers={"X-Twilio-Signature": as_flask_sees_it}
    )
    assert response.status_code == 403


def test_a_replayed_message_sid_gets_the_same_reply_and_changes_nothing(
    twilio: SignedClient, database: Database
) -> None:
    sid = new_message_sid()
    first = twiml_text(twilio.message(PHONE, "BERHENTI", message_sid=sid))
    second = twiml_text(twilio.message(PHONE, "BERHENTI", message_sid=sid))
    assert first == second and "tidak akan menerima siaran" in first
    assert count(database, InboundMessage) == 1
    # A new message is a new answer: already stopped.
    assert "sudah dihentikan" in twilio.say(PHONE, "BERHENTI")


def test_missing_from_or_message_sid_is_a_clean_400(
    twilio: SignedClient, database: Database
) -> None:
    assert twilio.post("/twilio/whatsapp", {"MessageSid": new_message_sid()}).status_code == 400
    assert twilio.post("/twilio/whatsapp", {"From": f"whatsapp:{PHONE}"}).status_code == 400
    assert twilio.post("/twilio/whatsapp", {}).status_code == 400
    assert count(database, InboundMessage) == 0


def test_a_sender_that_is_not_a_phone_number_gets_a_reply_not_a_500(
    twilio: SignedClient, database: Database
) -> None:
    reply = twilio.say("whatsapp:nobody", "MENU")
    assert "tidak dikenali" in reply
    assert count(database, Member) == 0


def test_empty_emoji_and_very_long_bodies_get_useful_replies(twilio: SignedClient) -> None:
    assert "Ada yang bisa kami bantu?" in twilio.say(PHONE, "")
    assert "Ada yang bisa kami bantu?" in twilio.say(PHONE, "   \n ")
    assert "MENU" in twilio.say(PHONE, "🗳️🇮🇩🙏")
    assert "MENU" in twilio.say(PHONE, "x" * 5000)
    assert "kode undangan" in twilio.say(PHONE, "DAFTAR " + "A" * 5000).lower()


def test_a_get_or_a_json_body_is_refused_cleanly(client: FlaskClient) -> None:
    assert client.get("/twilio/whatsapp").status_code == 405
    assert client.post("/twilio/whatsapp", json={"Body": "MENU"}).status_code == 403


def test_healthz(client: FlaskClient) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json is not None
    assert health.json == {"status": "ok", "database": "ok", "transport": "console"}


def metric(client: FlaskClient, name: str, **labels: str) -> float:
    """One sample's value as /metrics serves it (0 when the sample is not there yet)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def test_metrics_count_answered_messages_and_refused_requests_by_reason(
    client: FlaskClient, twilio: SignedClient
) -> None:
    """Each counter moves by exactly what happened (the counters are the process's, so the
    test reads them before and after). A counter whose `inc()` is deleted fails this test; its
    name alone would still be served."""
    answered = "humasbot_inbound_messages_total"
    refused = "humasbot_webhook_rejected_total"

    def counts() -> tuple[float, float, float, float]:
        return (
            metric(client, answered),
            metric(client, refused, reason="signature"),
            metric(client, refused, reason="fields"),
            metric(client, refused, reason="sender"),
        )

    before = counts()
    twilio.say(PHONE, "MENU")
    twilio.say(PHONE, "JADWAL")
    assert counts() == (before[0] + 2, *before[1:])

    before = counts()
    form = {"MessageSid": new_message_sid(), "From": f"whatsapp:{PHONE}", "Body": "MENU"}
    assert client.post("/twilio/whatsapp", data=form).status_code == 403  # not signed
    assert twilio.post("/twilio/whatsapp", {"Body": "MENU"}).status_code == 400  # no sender
    assert "tidak dikenali" in twilio.say("whatsapp:nobody", "MENU")  # not a phone number
    assert counts() == (before[0], before[1] + 1, before[2] + 1, before[3] + 1)
