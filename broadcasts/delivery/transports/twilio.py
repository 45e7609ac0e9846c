"""Sending through Twilio's REST API with the official client.

twilio-python's `Client` shares one `requests.Session`, which is not safe across threads, so
each sending thread gets its own client. `TWILIO_API_BASE_URL` replaces the API's (and the
Content API's) base URL, so tests and benchmarks can point the real client at a local fake.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from broadcasts.delivery.transports.base import (
    Gate,
    Outgoing,
    RemoteTemplate,
    SendResult,
    SentMessage,
    classify,
)
from config.settings import Settings

DEFAULT_API_BASE_URL = "https://api.twilio.com"
# Seconds to wait for Twilio before the outcome counts as unknown (then it is reconciled).
REQUEST_TIMEOUT = 10.0
# Reconciliation reads at most this many recent messages per recipient.
LOOKUP_LIMIT = 100

# The client logs every request at INFO; at hundreds of messages a second that drowns the log.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


class _RememberingHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Keeps the last response's `Retry-After`, which the client's exceptions drop."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=REQUEST_TIMEOUT)
        self.retry_after: float | None = None
        self.gate: Gate | None = None  # called once, by the next request, before it leaves
        # requests reads proxy and CA-bundle variables from the environment on every request,
        # a real share of the CPU per message at hundreds a second; read them once instead.
        resolved = self.session.merge_environment_settings(base_url, {}, None, None, None)
        self.proxy = dict(resolved.get("proxies") or {})
        self.session.verify = resolved.get("verify", True)
        self.session.trust_env = False

    def request(self, *args: Any, **kwargs: Any) -> Response:
        self.retry_after = None
        gate, self.gate = self.gate, None
        if gate is not None:
            gate()
        response: Response = super().request(*args, **kwargs)
        raw = (response.headers or {}).get("Retry-After")
        if raw is not None:
            try:
                self.retry_after = max(0.0, float(raw))
            except ValueError:
                self.retry_after = None
        return response


class TwilioTransport:
    name = "twilio"

    def __init__(self, settings: Settings) -> None:
        if not settings.twilio_account_sid or not settings.twilio_auth_token:
            raise ValueError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required")
        self._account_sid = settings.twilio_account_sid
        self._auth_token = settings.twilio_auth_token
        self._sender = settings.twilio_whatsapp_from
        self._messaging_service_sid = settings.twilio_messaging_service_sid
        self._base_url = settings.twilio_api_base_url.rstrip("/")
        self._local = threading.local()

    def client(self) -> Client:
        """This thread's own client (created on first use)."""
        found: Client | None = getattr(self._local, "client", None)
        if found is None:
            found = Client(
                self._account_sid,
                self._auth_token,
                http_client=_RememberingHttpClient(self._base_url),
            )
            if self._base_url != DEFAULT_API_BASE_URL:
                # Every domain the bot uses goes to the configured base (a proxy or a fake).
                found.api.base_url = self._base_url
                found.content.base_url = self._base_url
            self._local.client = found
        return found

    def _sender_fields(self) -> dict[str, str]:
        if self._messaging_service_sid:
            return {"messaging_service_sid": self._messaging_service_sid}
        if self._sender:
            sender = self._sender
            return {"from_": sender if sender.startswith("whatsapp:") else f"whatsapp:{sender}"}
        raise ValueError("set TWILIO_WHATSAPP_FROM or TWILIO_MESSAGING_SERVICE_SID")

    def send(self, message: Outgoing, gate: Gate | None = None) -> SendResult:
        fields: dict[str, Any] = {"to": message.to, **self._sender_fields()}
        if message.status_callback:
            fields["status_callback"] = message.status_callback
        if message.content_sid:
            fields["content_sid"] = message.content_sid
            if message.content_variables:
                fields["content_variables"] = json.dumps(message.content_variables)
        else:
            fields["body"] = message.body or ""
            if message.media_url:
                fields["media_url"] = [message.media_url]
        client = self.client()
        client.http_client.gate = gate
        try:
            created = client.messages.create(**fields)
        except TwilioRestException as error:
            retry_after = client.http_client.retry_after
            raise classify(error.status, error.code, error.msg, retry_after) from error
        except TwilioServiceException as error:
            retry_after = client.http_client.retry_after
            raise classify(error.status, error.code, error.title, retry_after) from error
        except requests.RequestException as error:
            # No answer: Twilio may or may not have created the message.
            raise classify(None, None, type(error).__name__) from error
        finally:
            client.http_client.gate = None
        return SendResult(str(created.sid), str(created.status or "queued"))

    def sent_to(self, to: str, since: datetime) -> list[SentMessage]:
        found = self.client().messages.list(to=to, date_sent_after=since, limit=LOOKUP_LIMIT)
        return [
            SentMessage(
                sid=str(m.sid),
                to=str(m.to),
                body=str(m.body or ""),
                status=str(m.status or ""),
                created_at=m.date_created,
            )
            for m in found
        ]

    def templates(self) -> list[RemoteTemplate]:
        found = []
        for item in self.client().content.v1.content_and_approvals.list():
            approval: dict[str, Any] = dict(item.approval_requests or {})
            category = approval.get("category")
            found.append(
                RemoteTemplate(
                    content_sid=str(item.sid),
                    friendly_name=str(item.friendly_name or item.sid),
                    language=str(item.language or ""),
                    category=str(category).lower() if category else None,
                    approval_status=str(approval.get("status") or "unsubmitted").lower(),
                    variables=dict(item.variables or {}),
                )
            )
        return found
