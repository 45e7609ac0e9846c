"""Webhook requests signed with twilio's own RequestValidator, as Twilio would send them."""

from __future__ import annotations

import itertools
from typing import Any
from xml.etree import ElementTree

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

_sids = itertools.count(1)


def new_message_sid() -> str:
    return f"SM{next(_sids):032x}"


def twiml_text(response: TestResponse) -> str:
    """The message text in a TwiML reply ('' when the reply has no message)."""
    root = ElementTree.fromstring(response.get_data(as_text=True))
    return "\n".join(body.text or "" for body in root.iter("Body")) or "".join(
        message.text or "" for message in root.iter("Message")
    )


class SignedClient:
    def __init__(self, client: FlaskClient, auth_token: str, public_base_url: str) -> None:
        self.client = client
        self.validator = RequestValidator(auth_token)
        self.public_base_url = public_base_url

    def post(self, path: str, form: dict[str, str], **kwargs: Any) -> TestResponse:
        signature = self.validator.compute_signature(self.public_base_url + path, form)
        headers = {"X-Twilio-Signature": signature, **kwargs.pop("headers", {})}
        return self.client.post(path, data=form, headers=headers, **kwargs)

    def message(
        self, sender: str, body: str, *, message_sid: str | None = None, **extra: str
    ) -> TestResponse:
        form = {
            "MessageSid": message_sid or new_message_sid(),
            "AccountSid": "AC" + "0" * 32,
            "From": sender if sender.startswith("whatsapp:") else f"whatsapp:{sender}",
            "To": "whatsapp:+14155238886",
            "Body": body,
            "NumMedia": "0",
            **extra,
        }
        return self.post("/twilio/whatsapp", form)

    def say(self, sender: str, body: str, **extra: str) -> str:
        """The reply text to one message; fails the test unless the webhook answered 200."""
        response = self.message(sender, body, **extra)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        return twiml_text(response)
