"""Random payloads at the signed webhook: always TwiML or a clean 4xx, never a 500.

Each test runs on SQLite and on PostgreSQL. The database keeps what earlier examples stored, so
"nothing stored" is checked as "nothing changed" around each request.
"""

from __future__ import annotations

from urllib.parse import quote_from_bytes, urlencode
from xml.etree import ElementTree

from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from bot.chat.commands import chat_commands
from broadcasts.db.database import Database
from broadcasts.db.models import InboundMessage, Member
from tests.signing import SignedClient

PATH = "/twilio/whatsapp"
PER_DATABASE = settings(
    max_examples=60,
    deadline=None,  # PostgreSQL round trips vary; speed is the benchmark's business
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Anything a form can carry: every Unicode category but lone surrogates (UTF-8 cannot encode
# them), so control characters, NUL, emoji, right-to-left marks and combining marks included.
CHARACTERS = st.characters(exclude_categories=["Cs"])
TEXT = st.text(CHARACTERS, max_size=60)
LONG_TEXT = st.builds(lambda piece, times: piece * times, TEXT, st.integers(80, 120))
VALID_SENDER = st.builds(
    lambda prefix, digits: f"{prefix}812{digits:08d}",
    st.sampled_from(["whatsapp:+62", "+62", "62", "0", "whatsapp: +62"]),
    st.integers(0, 99_999_999),
)
SENDER = st.one_of(
    VALID_SENDER,
    VALID_SENDER.map(lambda phone: phone + "\x00"),
    st.just("whatsapp:"),
    st.sampled_from(["whatsapp:+14155238886", "whatsapp:+447700900123", "whatsapp:+1"]),
    TEXT,
)
WORDS = [word for command in chat_commands.commands for word in command.words]
COMMAND_TEXT = st.builds(
    lambda lead, word, rest, trail: f"{lead}{word} {rest}{trail}",
    st.sampled_from(["", "/", "#", "  "]),
    st.sampled_from(WORDS) | st.sampled_from(WORDS).map(str.lower),
    TEXT,
    st.sampled_from(["", "?", "!!", " .", "\x00"]),
)
# Commands whose replies repeat what was typed (a code, an election), typed with control bytes.
ECHOED = st.builds(
    lambda word, argument: f"{word} {argument}",
    st.sampled_from(["DAFTAR", "KELUAR", "JADWAL", "TAHAPAN", "BAHASA"]),
    st.text(st.characters(max_codepoint=0x1F) | CHARACTERS, min_size=1, max_size=12),
)
BODY = st.one_of(
    TEXT, COMMAND_TEXT, ECHOED, LONG_TEXT, st.sampled_from(["", " ", "\n", "\x00", "🗳️🇮🇩"])
)
MESSAGE_SID = st.one_of(
    st.uuids().map(lambda u: f"SM{u.hex}"), TEXT, LONG_TEXT, st.sampled_from(["", " ", "\x00"])
)
KNOWN_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "MessageSid": MESSAGE_SID,
        "From": SENDER,
        "Body": BODY,
        "ProfileName": TEXT | LONG_TEXT,
        "WaId": TEXT | LONG_TEXT | st.integers(0, 10**15).map(str),
        "NumMedia": TEXT,
        "To": TEXT,
    },
)
OTHER_FIELDS = st.dictionaries(st.text(CHARACTERS, min_size=1, max_size=20), TEXT, max_size=4)
FORM = st.builds(lambda known, other: {**other, **known}, KNOWN_FIELDS, OTHER_FIELDS)
# Twilio's usual fields are all there; sender, id and text are random.
MESSAGE = st.builds(
    lambda sid, sender, body: {
        "MessageSid": sid,
        "From": sender,
        "Body": body,
        "To": "whatsapp:+14155238886",
        "NumMedia": "0",
    },
    MESSAGE_SID,
    SENDER,
    BODY,
)


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def stored(database: Database) -> tuple[int, int]:
    return count(database, InboundMessage), count(database, Member)


def assert_twiml(response: TestResponse) -> None:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == "Response"


@PER_DATABASE
@given(form=FORM | MESSAGE)
def test_any_signed_form_gets_twiml_or_a_clean_400_and_a_replay_changes_nothing(
    twilio: SignedClient, database: Database, form: dict[str, str]
) -> None:
    before = stored(database)
    response = twilio.post(PATH, form)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 400:
        assert response.is_json and stored(database) == before
        return
    assert_twiml(response)
    after = stored(database)
    replay = twilio.post(PATH, form)
    assert_twiml(replay)
    assert replay.get_data() == response.get_data()
    assert stored(database) == after


@PER_DATABASE
@given(sender=VALID_SENDER, body=ECHOED)
def test_a_reply_that_repeats_control_characters_is_still_well_formed_twiml(
    twilio: SignedClient, sender: str, body: str
) -> None:
    assert_twiml(twilio.message(sender, body))


SIGNATURE_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@st.composite
def wrongly_signed(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str]]:
    """A message and headers whose signature is missing, random, or made for something else."""
    form = draw(MESSAGE)
    other_validator = RequestValidator("not-the-auth-token")
    how = draw(
        st.sampled_from(["missing", "random", "other_token", "other_url", "tampered", "empty"])
    )
    if how == "missing":
        return form, {}
    if how == "random":
        return form, {"X-Twilio-Signature": draw(SIGNATURE_TEXT)}
    if how == "empty":
        return form, {"X-Twilio-Signature": ""}
    url, signed_form = "https://humasbot.example.go.id" + PATH, form
    validator = RequestValidator("test-auth-token")
    if how == "other_token":
        validator = other_validator
    elif how == "other_url":
        url = draw(st.sampled_from(["http://localhost" + PATH, url + "?x=1", url + "/"]))
    else:
        signed_form = {**form, "Body": form["Body"] + draw(st.text(CHARACTERS, min_size=1))}
    return form, {"X-Twilio-Signature": validator.compute_signature(url, signed_form)}


@PER_DATABASE
@given(wrong=wrongly_signed())
def test_a_wrong_signature_is_always_403_and_stores_nothing(
    client: FlaskClient, database: Database, wrong: tuple[dict[str, str], dict[str, str]]
) -> None:
    form, headers = wrong
    before = stored(database)
    response = client.post(PATH, data=form, headers=headers)
    assert response.status_code == 403
    assert stored(database) == before


ODD_CONTENT_TYPE = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "text/plain",
            "text/xml",
            "application/octet-stream",
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded-not",
            "",
        ]
    ),
    st.from_regex(r"[a-z]{1,8}/[a-z0-9.+-]{1,16}", fullmatch=True).filter(
        lambda kind: kind not in ("application/x-www-form-urlencoded", "multipart/form-data")
    ),
)


@PER_DATABASE
@given(form=MESSAGE, content_type=ODD_CONTENT_TYPE, sign_empty=st.booleans())
def test_a_body_that_is_not_a_form_is_a_clean_4xx_and_stores_nothing(
    twilio: SignedClient,
    client: FlaskClient,
    database: Database,
    form: dict[str, str],
    content_type: str,
    sign_empty: bool,
) -> None:
    # Signed over the fields in the body, or over no fields at all (which is what Flask sees).
    signed = {} if sign_empty else form
    signature = twilio.validator.compute_signature(twilio.public_base_url + PATH, signed)
    before = stored(database)
    response = client.post(
        PATH,
        data=urlencode(form).encode(),
        headers={"X-Twilio-Signature": signature, "Content-Type": content_type},
    )
    # Flask reads no form from such a body: signed over no fields, the signature holds and the
    # missing MessageSid and From are a 400; signed over the fields, it does not hold: a 403.
    assert response.status_code == (400 if sign_empty else 403), response.get_data(as_text=True)
    assert stored(database) == before


# A message whose Body is raw bytes, often not UTF-8 at all, or bytes and nothing else.
RAW_FORM = st.one_of(
    st.builds(
        lambda form, body: f"{urlencode(form)}&Body={quote_from_bytes(body)}".encode(),
        MESSAGE.map(lambda form: {k: v for k, v in form.items() if k != "Body"}),
        st.binary(max_size=200),
    ),
    st.binary(max_size=400),
)


@PER_DATABASE
@given(raw=RAW_FORM)
def test_random_bytes_as_a_form_body_are_twiml_or_a_clean_4xx(
    twilio: SignedClient, client: FlaskClient, raw: bytes
) -> None:
    # Signed over what the bytes decode to, so the request gets past the signature check.
    with twilio.client.application.test_request_context(
        PATH, method="POST", data=raw, content_type="application/x-www-form-urlencoded"
    ) as context:
        fields = context.request.form.to_dict(flat=True)
    signature = twilio.validator.compute_signature(twilio.public_base_url + PATH, fields)
    response = client.post(
        PATH,
        data=raw,
        headers={
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    event(f"status {response.status_code}")
    # A reply exactly when the bytes carry a MessageSid and a sender (NUL characters dropped,
    # as the webhook drops them); a 400 otherwise.
    required = [fields.get(name, "").replace("\x00", "").strip() for name in ("MessageSid", "From")]
    if all(required):
        assert_twiml(response)
    else:
        assert response.status_code == 400, response.get_data(as_text=True)
        assert response.is_json


def test_a_body_over_the_size_limit_is_413_and_stores_nothing(
    twilio: SignedClient, database: Database
) -> None:
    form = {"MessageSid": "SM" + "1" * 32, "From": "whatsapp:+6281234567890"}
    response = twilio.post(PATH, {**form, "Body": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert stored(database) == (0, 0)
