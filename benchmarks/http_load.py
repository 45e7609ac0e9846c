"""A load generator for the signed webhook, run as its own process by `benchmarks.webhook`.

Raw HTTP/1.1 over asyncio streams to 127.0.0.1 only. Every request is built and signed before
the clock starts: a unique MessageSid each, senders drawn from a pool of phone numbers. First a
warm-up in which every sender writes once (so the run measures members who have written before,
as most do), then the measured run; with `--new-senders F` a share F of its requests come
instead from numbers that never wrote before (each once: a new member every time). Two modes:

- open loop: requests start on a fixed schedule (`--rate` per second) whatever the server does,
  and latency counts from the scheduled start, so a server that falls behind is charged for the
  wait (no coordinated omission);
- closed loop: `--connections` clients each send the next request as soon as the last answered,
  which finds the most the server sustains.

Prints one JSON object: counts, the sustained rate, latency percentiles, errors by kind, and the
first reply received (so a reader can see what was measured).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

HOST = "127.0.0.1"  # load goes to this machine only
PATH = "/twilio/whatsapp"
TIMEOUT = 10.0  # seconds before a request counts as an error
MAX_IN_FLIGHT = 2000  # open loop: past this the server has fallen over; stop adding load
WARMUP_LIMIT = 120.0  # seconds the warm-up may take at most


def signed_requests(
    count: int,
    *,
    port: int,
    token: str,
    public_base_url: str,
    run_id: str,
    senders: int,
    bodies: list[str],
    new_share: float = 0.0,
) -> list[bytes]:
    """`count` complete HTTP requests, as Twilio would send them for WhatsApp messages; the
    message texts are `bodies` in turn."""
    validator = RequestValidator(token)
    url = public_base_url.rstrip("/") + PATH
    pool = random.Random(run_id)
    numbers = [f"62812{n:08d}" for n in pool.sample(range(10**8), senders)]
    newcomers = (f"62813{n:08d}" for n in itertools.count())  # never in the warm-up
    # Every sender once (the warm-up), then senders at random, or someone new.
    order = numbers + [
        next(newcomers) if pool.random() < new_share else numbers[pool.randrange(senders)]
        for _ in range(count - senders)
    ]
    built = []
    for index, number in enumerate(order):
        form = {
            "SmsMessageSid": f"SM{run_id}{index:024x}",
            "NumMedia": "0",
            "ProfileName": f"Peserta {number[-4:]}",
            "MessageType": "text",
            "SmsSid": f"SM{run_id}{index:024x}",
            "WaId": number,
            "SmsStatus": "received",
            "Body": bodies[index % len(bodies)],
            "To": "whatsapp:+14155238886",
            "NumSegments": "1",
            "ReferralNumMedia": "0",
            "MessageSid": f"SM{run_id}{index:024x}",
            "AccountSid": "AC" + "0" * 32,
            "From": f"whatsapp:+{number}",
            "ApiVersion": "2010-04-01",
        }
        payload = urlencode(form).encode()
        signature = validator.compute_signature(url, form)
        head = (
            f"POST {PATH} HTTP/1.1\r\n"
            f"Host: {HOST}:{port}\r\n"
            "User-Agent: TwilioProxy/1.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(payload)}\r\n"
            f"X-Twilio-Signature: {signature}\r\n"
            "\r\n"
        )
        built.append(head.encode() + payload)
    return built


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: Counter[str] = field(default_factory=Counter)
    first_reply: str | None = None
    last_done: float = 0.0


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection, parsed by hand: a Protocol costs the load generator far less
    CPU per request than asyncio streams, and the CPU it uses is the server's to lose."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.open = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.open = True

    def connection_lost(self, error: Exception | None) -> None:
        self.open = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionResetError("server closed the connection"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = self.buffer[:end].decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        length = int(headers.get("content-length", "0"))
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        status = int(lines[0].split(" ", 2)[1])
        keep_alive = headers.get("connection") != "close" and lines[0].startswith("HTTP/1.1")
        self.waiter.set_result((status, body, keep_alive))

    def exchange(self, request: bytes) -> asyncio.Future[tuple[int, bytes, bool]]:
        """Sends one request; resolves to the status, the body and whether the connection
        stays open."""
        assert self.transport is not None
        self.buffer.clear()
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Connections:
    """Keep-alive connections to the server, reused when the server keeps them open."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[Connection] = []

    async def take(self) -> tuple[Connection, bool]:
        """A connection, and whether it was used before (kept alive)."""
        while self.idle:
            connection = self.idle.pop()
            if connection.open:
                return connection, True
        _, connection = await asyncio.get_running_loop().create_connection(
            Connection, HOST, self.port
        )
        return connection, False

    def give_back(self, connection: Connection) -> None:
        self.idle.append(connection)

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


async def attempt(connection: Connection, request: bytes) -> tuple[int, bytes, bool]:
    try:
        return await asyncio.wait_for(connection.exchange(request), TIMEOUT)
    except BaseException:
        connection.close()
        raise


async def exchange(
    connections: Connections, request: bytes
) -> tuple[Connection, tuple[int, bytes, bool]]:
    connection, reused = await connections.take()
    try:
        return connection, await attempt(connection, request)
    except ConnectionResetError:
        if not reused:
            raise
    # The server closed a kept-alive connection as this request went out; as any HTTP client
    # would, send it again on another (the server answers a MessageSid only once).
    connection, _ = await connections.take()
    return connection, await attempt(connection, request)


async def send(connections: Connections, request: bytes, started: float, tally: Tally) -> None:
    try:
        connection, (status, body, keep_alive) = await exchange(connections, request)
    except (TimeoutError, OSError, ValueError) as error:
        tally.errors[type(error).__name__] += 1
        return
    done = time.perf_counter()
    tally.last_done = max(tally.last_done, done)
    if keep_alive:
        connections.give_back(connection)
    else:
        connection.close()
    if status != 200 or b"<Message>" not in body:
        tally.errors[f"HTTP {status}"] += 1
        return
    if tally.first_reply is None:
        tally.first_reply = body.decode("utf-8", "replace")
    tally.latencies.append(done - started)


async def open_loop(port: int, requests: Iterator[bytes], rate: float, count: int) -> Tally:
    """`count` requests started at `rate` per second on a fixed schedule."""
    tally, connections = Tally(), Connections(port)
    in_flight: set[asyncio.Task[None]] = set()
    start = time.perf_counter() + 0.05
    for index in range(count):
        due = start + index / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        if len(in_flight) >= MAX_IN_FLIGHT:
            tally.errors["overloaded"] += count - index
            break
        task = asyncio.create_task(send(connections, next(requests), due, tally))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.wait(in_flight)
    connections.close()
    tally.last_done = tally.last_done or start
    tally.latencies.sort()
    return tally


async def closed_loop(
    port: int, requests: Iterator[bytes], clients: int, duration: float
) -> tuple[Tally, float]:
    """`clients` clients back to back for `duration` seconds; returns the tally and the span."""
    tally, connections = Tally(), Connections(port)
    start = time.perf_counter()
    stop = start + duration

    async def client() -> None:
        for request in requests:
            if time.perf_counter() >= stop:
                return
            await send(connections, request, time.perf_counter(), tally)

    await asyncio.gather(*(client() for _ in range(clients)))
    connections.close()
    tally.latencies.sort()
    return tally, time.perf_counter() - start


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(tally: Tally, span: float, offered: int, warmup: Tally) -> dict[str, object]:
    latencies = tally.latencies
    return {
        "warmup_ok": len(warmup.latencies),
        "warmup_errors": sum(warmup.errors.values()),
        "offered": offered,
        "ok": len(latencies),
        "errors": sum(tally.errors.values()),
        "errors_by_kind": dict(tally.errors),
        "seconds": round(span, 3),
        "rate": round(len(latencies) / span, 1) if span > 0 else 0.0,
        "p50_ms": round(1000 * statistics.median(latencies), 2) if latencies else None,
        "p90_ms": round(1000 * percentile(latencies, 0.90), 2),
        "p99_ms": round(1000 * percentile(latencies, 0.99), 2),
        "max_ms": round(1000 * latencies[-1], 2) if latencies else None,
        "first_reply": tally.first_reply,
    }


async def run(arguments: argparse.Namespace) -> dict[str, object]:
    rate, duration, warmup = arguments.rate, arguments.duration, arguments.senders
    if arguments.mode == "open":
        measured = int(rate * duration)
    else:
        measured = int(arguments.closed_cap * duration)
    requests = iter(
        signed_requests(
            warmup + measured,
            port=arguments.port,
            token=arguments.token,
            public_base_url=arguments.public_base_url,
            run_id=arguments.run_id,
            senders=arguments.senders,
            bodies=bodies_of(arguments),
            new_share=arguments.new_senders,
        )
    )
    warm_up = itertools.islice(requests, warmup)
    warmed, _ = await closed_loop(arguments.port, warm_up, arguments.connections, WARMUP_LIMIT)
    if arguments.mode == "open":
        begun = time.perf_counter()
        tally = await open_loop(arguments.port, requests, rate, measured)
        return summary(tally, tally.last_done - begun, measured, warmed)
    tally, span = await closed_loop(arguments.port, requests, arguments.connections, duration)
    return summary(tally, span, len(tally.latencies) + sum(tally.errors.values()), warmed)


def bodies_of(arguments: argparse.Namespace) -> list[str]:
    if arguments.bodies is None:
        return [arguments.body]
    lines = arguments.bodies.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()] or [arguments.body]


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["open", "closed"], required=True)
    parser.add_argument("--rate", type=float, default=500.0, help="open loop: requests/s")
    parser.add_argument("--connections", type=int, default=16, help="closed loop: clients")
    parser.add_argument(
        "--closed-cap",
        type=int,
        default=2500,
        help="closed loop: requests/s prepared for (the run ends early past it)",
    )
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--senders", type=int, default=3000, help="phone numbers, each warmed up")
    parser.add_argument("--body", default="JADWAL")
    parser.add_argument("--bodies", type=Path, help="a file of message texts, one a line, in turn")
    parser.add_argument(
        "--new-senders",
        type=float,
        default=0.0,
        help="share of measured requests from numbers that never wrote before",
    )
    parser.add_argument("--token", required=True)
    parser.add_argument("--public-base-url", required=True)
    parser.add_argument("--run-id", required=True, help="hex; makes MessageSids unique per run")
    arguments = parser.parse_args(argv)
    if not 0 < arguments.duration <= 3600 or not 0 < arguments.rate <= 20000:
        parser.error("--duration must be in (0, 3600] and --rate in (0, 20000]")
    if not 0 <= arguments.new_senders <= 1:
        parser.error("--new-senders must be in [0, 1]")
    return arguments


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    print(json.dumps(asyncio.run(run(arguments))))


if __name__ == "__main__":
    main()
