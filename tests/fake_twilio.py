"""A fake Twilio REST API over real HTTP, for the e2e tests and the benchmarks.

It speaks the subset the bot uses, as twilio-python calls it: create and list Messages (with
`To` and `DateSent>` filters), Content API templates with their approval, basic auth; and the
media of inbound messages (`MediaUrl0…`), behind basic auth and a redirect, as Twilio serves
them. Faults are injected per test: latency, 429 with `Retry-After`, a 500 after the message was
created, error codes per recipient. It counts the messages each recipient got (the ground truth
the exactly-once tests compare with) and can POST status callbacks back, signed as Twilio signs
them.

Run alone (for benchmarks that want it in another process):
    python -m tests.fake_twilio --latency 0.1      # prints its URL, serves until stdin closes
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import queue
import re
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "f" * 32
AUTH_TOKEN = "fake-twilio-token"
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
# A message's medium, as the inbound webhook's MediaUrlN names it.
_MEDIA = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages/(?P<message>[^/]+)/Media/(?P<media>[^/]+)$"
)
_MEDIA_FILE = "/_fake/media-files/"


def _rfc2822(at: datetime) -> str:
    return format_datetime(at)


@dataclass
class FakeMessage:
    sid: str
    to: str
    sender: str
    body: str
    status: str
    created_at: datetime
    status_callback: str | None
    content_sid: str | None = None
    media_urls: list[str] = field(default_factory=list)
    error_code: int | None = None

    def resource(self, account_sid: str) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "account_sid": account_sid,
            "to": self.to,
            "from": self.sender,
            "body": self.body,
            "status": self.status,
            "direction": "outbound-api",
            "num_segments": "1",
            "num_media": str(len(self.media_urls)),
            "error_code": self.error_code,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "api_version": "2010-04-01",
            "date_created": _rfc2822(self.created_at),
            "date_updated": _rfc2822(self.created_at),
            "date_sent": _rfc2822(self.created_at),
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{self.sid}.json",
            "subresource_uris": {},
        }


@dataclass
class FakeTemplate:
    sid: str
    friendly_name: str
    language: str
    body: str
    status: str = "approved"
    category: str = "UTILITY"
    variables: dict[str, str] = field(default_factory=dict)

    def resource(self, account_sid: str) -> dict[str, Any]:
        now = _rfc2822(datetime.now(UTC))
        return {
            "sid": self.sid,
            "account_sid": account_sid,
            "friendly_name": self.friendly_name,
            "language": self.language,
            "variables": self.variables,
            "types": {"twilio/text": {"body": self.body}},
            "approval_requests": {
                "name": self.friendly_name,
                "category": self.category,
                "status": self.status,
                "rejection_reason": "",
                "allow_category_change": True,
            },
            "date_created": now,
            "date_updated": now,
        }

    def render(self, variables: dict[str, str]) -> str:
        text = self.body
        for key, value in variables.items():
            text = text.replace("{{" + key + "}}", value)
        return text


class FakeTwilio:
    """Start with `with FakeTwilio() as fake:`; point TWILIO_API_BASE_URL at `fake.url`."""

    def __init__(
        self,
        *,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        latency: float = 0.0,
        callbacks: bool = False,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.latency = latency
        self.callbacks = callbacks
        # Injected faults, each consumed or looked up by the create endpoint.
        self.errors: dict[str, int] = {}  # to → error code answered at create (nothing created)
        self.async_errors: dict[str, int] = {}  # to → created, then a `failed` callback
        self.throttle_next = 0  # that many creates answered 429
        self.retry_after = 1.0
        self.fail_after_create_next = 0  # that many creates created, then answered 500
        self.templates: dict[str, FakeTemplate] = {}
        # Inbound media: media sid → (content type, bytes); an int instead answers that status.
        self.media: dict[str, tuple[str, bytes] | int] = {}
        self._media_sids = itertools.count(1)
        self.messages: list[FakeMessage] = []
        self.counts: Counter[str] = Counter()  # messages created per recipient
        self.arrivals: list[float] = []  # monotonic time of every create request
        self.wall_arrivals: list[float] = []  # the same arrivals by the wall clock (time.time)
        self.requests: Counter[str] = Counter()  # "POST create", "GET list", … for assertions
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._callback_queue: queue.Queue[tuple[str, dict[str, str]] | None] = queue.Queue()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeTwilio:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        serving = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        posting = threading.Thread(target=self._post_callbacks, daemon=True)
        self._threads = [serving, posting]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._callback_queue.put(None)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def environment(self, sender: str = "whatsapp:+14155238886") -> dict[str, str]:
        """The settings that point the bot at this fake."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_WHATSAPP_FROM": sender,
            "TWILIO_API_BASE_URL": self.url,
        }

    # --- what tests set up and read ------------------------------------------------------------

    def add_template(
        self,
        sid: str,
        body: str,
        *,
        name: str | None = None,
        language: str = "id",
        status: str = "approved",
        category: str = "UTILITY",
        variables: dict[str, str] | None = None,
    ) -> FakeTemplate:
        template = FakeTemplate(
            sid,
            name or sid,
            language,
            body,
            status,
            category,
            variables if variables is not None else {"1": "contoh"},
        )
        with self._lock:
            self.templates[sid] = template
        return template

    def add_media(self, content_type: str, data: bytes | int) -> str:
        """A medium of an inbound message, as its `MediaUrl0` (`data` an HTTP status: the
        fetch fails with it). Fetching it needs the account's credentials and is answered, as
        Twilio does, by a redirect to the file."""
        media_sid = f"ME{next(self._media_sids):032x}"
        with self._lock:
            self.media[media_sid] = data if isinstance(data, int) else (content_type, data)
        message = f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages/MM{0:032x}"
        return f"{message}/Media/{media_sid}"

    def sent_to(self, to: str) -> list[FakeMessage]:
        with self._lock:
            return [m for m in self.messages if m.to == to]

    def total(self) -> int:
        with self._lock:
            return len(self.messages)

    def busiest_second(self) -> int:
        """The most create requests that arrived within any one-second window."""
        with self._lock:
            times = sorted(self.arrivals)
        return busiest_second(times)

    def per_wall_second(self) -> Counter[int]:
        """Create requests counted per second of the wall clock (whole Unix seconds)."""
        with self._lock:
            return Counter(int(at) for at in self.wall_arrivals)

    def send_status(self, sid: str, status: str, error_code: int | None = None) -> None:
        """Queues a signed status callback for one message (as Twilio would post it)."""
        with self._lock:
            message = next(m for m in self.messages if m.sid == sid)
        self._queue_callback(message, status, error_code)

    def wait_for_callbacks(self, timeout: float = 10.0) -> None:
        """Returns once every queued callback has been posted."""
        deadline = time.monotonic() + timeout
        while self._callback_queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    # --- the endpoints -------------------------------------------------------------------------

    def create(
        self,
        form: dict[str, list[str]],
        arrived: float | None = None,
        wall_arrived: float | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        arrived = time.monotonic() if arrived is None else arrived
        wall_arrived = time.time() if wall_arrived is None else wall_arrived
        to = _one(form, "To")
        with self._lock:
            self.arrivals.append(arrived)
            self.wall_arrivals.append(wall_arrived)
            self.requests["POST create"] += 1
            if self.throttle_next > 0:
                self.throttle_next -= 1
                headers = {"Retry-After": f"{self.retry_after:g}"}
                return 429, _error(20429, "Too Many Requests", 429), headers
        sender = _one(form, "From") or _one(form, "MessagingServiceSid")
        if not to or not sender:
            return 400, _error(21604, "'To' and 'From' or 'MessagingServiceSid' required"), {}
        body = _one(form, "Body")
        media = form.get("MediaUrl", [])
        content_sid = _one(form, "ContentSid")
        if content_sid:
            template = self.templates.get(content_sid)
            if template is None or template.status != "approved":
                return 400, _error(63027, "Template does not exist for this language"), {}
            variables = json.loads(_one(form, "ContentVariables") or "{}")
            if set(variables) != set(template.variables):
                return 400, _error(63028, "Number of parameters does not match"), {}
            body = template.render(variables)
        elif not body and not media:
            return 400, _error(21602, "Message body is required"), {}
        code = self.errors.get(to)
        if code is not None:
            return 400, _error(code, f"Error {code} for this recipient"), {}
        with self._lock:
            message = FakeMessage(
                sid=f"SM{next(self._sids):032x}",
                to=to,
                sender=sender,
                body=body,
                status="queued",
                created_at=datetime.now(UTC),
                status_callback=_one(form, "StatusCallback") or None,
                content_sid=content_sid or None,
                media_urls=list(media),
            )
            self.messages.append(message)
            self.counts[to] += 1
            fail_after = self.fail_after_create_next > 0
            if fail_after:
                self.fail_after_create_next -= 1
        self._after_create(message)
        if fail_after:
            return 500, _error(20500, "Internal Server Error", 500), {}
        return 201, message.resource(self.account_sid), {}

    def _after_create(self, message: FakeMessage) -> None:
        if not self.callbacks or not message.status_callback:
            return
        self._queue_callback(message, "sent")
        code = self.async_errors.get(message.to)
        if code is not None:
            self._queue_callback(message, "failed", code)
        else:
            self._queue_callback(message, "delivered")

    def list_messages(self, query: dict[str, list[str]], path: str) -> dict[str, Any]:
        self.requests["GET list"] += 1
        to = _one(query, "To")
        after_text = _one(query, "DateSent>")
        after = datetime.fromisoformat(after_text) if after_text else None
        if after is not None and after.tzinfo is None:
            after = after.replace(tzinfo=UTC)
        with self._lock:
            found = [
                m
                for m in reversed(self.messages)
                if (not to or m.to == to) and (after is None or m.created_at >= after)
            ]
        size = int(_one(query, "PageSize") or 50)
        page = int(_one(query, "Page") or 0)
        chunk = found[page * size : (page + 1) * size]
        more = len(found) > (page + 1) * size
        base = f"{path}?PageSize={size}" + (f"&To={to}" if to else "")
        return {
            "messages": [m.resource(self.account_sid) for m in chunk],
            "page": page,
            "page_size": size,
            "first_page_uri": f"{base}&Page=0",
            "previous_page_uri": None,
            "next_page_uri": f"{base}&Page={page + 1}" if more else None,
            "uri": f"{base}&Page={page}",
            "start": page * size,
            "end": page * size + len(chunk),
        }

    def list_templates(self) -> dict[str, Any]:
        self.requests["GET templates"] += 1
        with self._lock:
            items = [t.resource(self.account_sid) for t in self.templates.values()]
        return {
            "contents": items,
            "meta": {
                "page": 0,
                "page_size": 50,
                "first_page_url": f"{self.url}/v1/ContentAndApprovals?PageSize=50&Page=0",
                "previous_page_url": None,
                "url": f"{self.url}/v1/ContentAndApprovals?PageSize=50&Page=0",
                "next_page_url": None,
                "key": "contents",
            },
        }

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": len(self.messages),
                "counts": dict(self.counts),
                "arrivals": list(self.arrivals),
            }

    # --- status callbacks ----------------------------------------------------------------------

    def _queue_callback(
        self, message: FakeMessage, status: str, error_code: int | None = None
    ) -> None:
        if not message.status_callback:
            return
        form = {
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "AccountSid": self.account_sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": message.to,
            "From": message.sender,
            "ApiVersion": "2010-04-01",
        }
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
        self._callback_queue.put((message.status_callback, form))

    def _post_callbacks(self) -> None:
        validator = RequestValidator(self.auth_token)
        while True:
            item = self._callback_queue.get()
            try:
                if item is None:
                    return
                url, form = item
                data = urlencode(form).encode()
                request = urllib.request.Request(url, data=data, method="POST")
                request.add_header("X-Twilio-Signature", validator.compute_signature(url, form))
                request.add_header("Content-Type", "application/x-www-form-urlencoded")
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        response.read()
                except OSError:
                    pass  # Twilio does not retry a failed callback either
            finally:
                self._callback_queue.task_done()


def busiest_second(times: list[float]) -> int:
    """The largest number of sorted times within any half-open one-second window."""
    best = 0
    start = 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def _one(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[0] if values else ""


def _error(code: int, message: str, status: int = 400) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A killed client leaves a reset connection behind; that is the point of some tests.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API
    disable_nagle_algorithm = True  # headers and body leave at once, no delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def parse_request(self) -> bool:
        # The request line has just been read: the closest this side gets to its arrival.
        self.arrived = time.monotonic()
        self.wall_arrived = time.time()
        return super().parse_request()

    def _authorised(self) -> bool:
        expected = base64.b64encode(
            f"{self.fake.account_sid}:{self.fake.auth_token}".encode()
        ).decode()
        return self.headers.get("Authorization", "") == f"Basic {expected}"

    def _media(self, account: str, media_sid: str) -> None:
        """Authorised: a redirect to the file, as Twilio answers (the file needs no auth)."""
        with self.fake._lock:
            self.fake.requests["GET media"] += 1
            known = media_sid in self.fake.media
        if account != self.fake.account_sid or not known:
            self._answer(404, _error(20404, "The requested resource was not found", 404))
            return
        self.send_response(307)
        self.send_header("Location", f"{self.fake.url}{_MEDIA_FILE}{media_sid}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _media_file(self, media_sid: str) -> None:
        with self.fake._lock:
            stored = self.fake.media.get(media_sid, 404)
        if isinstance(stored, int):
            self._answer(stored, {"status": stored})
            return
        content_type, data = stored
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _route(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        if parts.path == "/_fake/stats":
            self._answer(200, self.fake.stats())
            return
        if parts.path.startswith(_MEDIA_FILE) and method == "GET":
            self._media_file(parts.path.removeprefix(_MEDIA_FILE))
            return
        if not self._authorised():
            self._answer(401, _error(20003, "Authenticate", 401))
            return
        match = _MESSAGES.match(parts.path)
        if match and match["account"] != self.fake.account_sid:
            self._answer(404, _error(20404, "The requested resource was not found", 404))
            return
        if match and method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            status, payload, headers = self.fake.create(form, self.arrived, self.wall_arrived)
            if self.fake.latency:
                time.sleep(self.fake.latency)
            self._answer(status, payload, headers)
        elif (medium := _MEDIA.match(parts.path)) and method == "GET":
            self._media(medium["account"], medium["media"])
        elif match and method == "GET":
            self._answer(200, self.fake.list_messages(query, parts.path))
        elif parts.path in ("/v1/ContentAndApprovals", "/v1/Content") and method == "GET":
            self._answer(200, self.fake.list_templates())
        else:
            self._answer(404, _error(20404, "The requested resource was not found", 404))

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency", type=float, default=0.0)
    arguments = parser.parse_args()
    fake = FakeTwilio(latency=arguments.latency).start()
    print(fake.url, flush=True)
    sys.stdin.read()  # serves until the parent closes our stdin
    fake.stop()


if __name__ == "__main__":
    main()
