"""The TwiML reply: as twilio's MessagingResponse writes it, and well-formed whatever the text."""

from __future__ import annotations

from xml.etree import ElementTree

from hypothesis import given
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from bot.web.twilio import twiml_document

# Characters XML allows; the reply builder drops the others.
XML_TEXT = st.text(
    st.characters(exclude_categories=["Cs"]).filter(
        lambda c: c in "\t\n\r" or (c >= " " and c not in "\ufffe\uffff")
    )
)


def twilio_writes(text: str) -> str:
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)


@given(XML_TEXT)
def test_the_reply_is_what_twilios_messaging_response_writes(text: str) -> None:
    assert twiml_document(text) == twilio_writes(text)


@given(st.text(st.characters(exclude_categories=["Cs"])))
def test_any_text_makes_a_well_formed_reply_carrying_it(text: str) -> None:
    root = ElementTree.fromstring(twiml_document(text).encode())
    kept = "".join(c for c in text if c in "\t\n\r" or (c >= " " and c not in "\ufffe\uffff"))
    message = root.find("Message")
    if not kept:
        assert message is None
        return
    assert message is not None
    # An XML parser reads any line break as "\n".
    assert message.text == kept.replace("\r\n", "\n").replace("\r", "\n")


# The bot's own picture links (a reply never carries one a member typed).
MEDIA_URL = st.from_regex(
    r"https://[a-z.]{1,20}/media/timeline/[a-z0-9]{3,12}\.png\?v=[0-9a-f]{12}(&lang=en)?",
    fullmatch=True,
)


@given(XML_TEXT, MEDIA_URL)
def test_a_reply_with_a_picture_is_what_twilios_messaging_response_writes(
    text: str, media_url: str
) -> None:
    response = MessagingResponse()
    message = response.message()
    if text:
        message.body(text)
    message.media(media_url)
    assert twiml_document(text, media_url) == str(response)
