"""The console transport's durable record: unique ids, recorded before printed, found again by a
restarted or another process, bounded memory, and torn or half-written lines."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from broadcasts.clock import FixedClock
from broadcasts.db.models import OutboundMessage
from broadcasts.delivery.transports import transport_for
from broadcasts.delivery.transports.base import Outgoing
from broadcasts.delivery.transports.console import OUTBOX_NAME, ConsoleTransport, outbox_path
from config.settings import Settings

START = datetime(2024, 2, 4, 2, 0, tzinfo=UTC)
TO = "whatsapp:+6281200000001"


def message(to: str = TO, body: str = "Cek DPT Anda!", delivery_id: int = 1) -> Outgoing:
    return Outgoing(delivery_id=delivery_id, to=to, body=body)


def console(path: Path | None, clock: FixedClock | None = None, **options: int) -> ConsoleTransport:
    return ConsoleTransport(io.StringIO(), clock or FixedClock(START), path=path, **options)


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "instance" / OUTBOX_NAME


def test_ids_are_unique_across_restarts_and_fit_the_sid_column(outbox: Path) -> None:
    width = OutboundMessage.__table__.c.twilio_sid.type.length
    sids = []
    for _ in range(3):  # three lives of the process
        transport = console(outbox)
        sids += [transport.send(message(delivery_id=n)).sid for n in range(50)]
        transport.close()
    assert len(set(sids)) == len(sids)
    assert all(sid.startswith("CONSOLE") and len(sid) <= width for sid in sids)


def test_the_message_is_durable_before_it_is_printed(outbox: Path) -> None:
    seen_at_print: list[str] = []

    class Watching(io.StringIO):
        def write(self, text: str) -> int:
            seen_at_print.append(outbox.read_text())
            return super().write(text)

    transport = ConsoleTransport(Watching(), FixedClock(START), path=outbox)
    sid = transport.send(message(body="Ayo ke TPS!")).sid
    transport.close()
    assert seen_at_print and all(sid in record for record in seen_at_print)
    [line] = outbox.read_text().splitlines()
    entry = json.loads(line)
    assert entry["sid"] == sid and entry["to"] == TO and entry["text"] == "Ayo ke TPS!"
    assert entry["at"] == START.isoformat() and entry["pid"] == os.getpid()


def test_a_restarted_process_finds_what_the_last_one_sent(outbox: Path) -> None:
    before = console(outbox)
    sid = before.send(message()).sid
    other = before.send(message(to="whatsapp:+6281200000002")).sid
    del before  # killed: nothing closed, nothing flushed beyond what `send` did

    after = console(outbox)
    [found] = after.sent_to(TO, START - timedelta(minutes=2))
    assert (found.sid, found.to, found.body, found.created_at) == (sid, TO, "Cek DPT Anda!", START)
    assert after.sent_to(TO, START + timedelta(seconds=1)) == []
    assert [m.sid for m in after.sent_to("whatsapp:+6281200000002", START)] == [other]
    after.close()


def test_processes_sharing_the_outbox_see_each_others_sends(outbox: Path) -> None:
    web, worker = console(outbox), console(outbox)
    assert worker.sent_to(TO, START) == []
    first = web.send(message()).sid
    second = worker.send(message(body="again")).sid
    assert [m.sid for m in worker.sent_to(TO, START)] == [second, first]  # newest first
    assert [m.sid for m in web.sent_to(TO, START)] == [second, first]
    web.close()
    worker.close()


def test_two_real_processes_append_whole_lines(outbox: Path) -> None:
    script = (
        "import io, sys\nfrom pathlib import Path\n"
        "from broadcasts.delivery.transports.base import Outgoing\n"
        "from broadcasts.delivery.transports.console import ConsoleTransport\n"
        "t = ConsoleTransport(io.StringIO(), path=Path(sys.argv[1]))\n"
        "for n in range(300):\n"
        "    t.send(Outgoing(n, f'whatsapp:+62812{sys.argv[2]}{n:05d}', body='x' * (n * 7)))\n"
    )
    root = Path(__file__).resolve().parents[2]
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(outbox), str(k)], cwd=root)
        for k in (1, 2)
    ]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0]
    lines = outbox.read_text().splitlines()
    assert len(lines) == 600 and len({json.loads(line)["sid"] for line in lines}) == 600
    reader = console(outbox)
    since = datetime.now(UTC) - timedelta(minutes=5)
    assert len(reader.sent_to("whatsapp:+628121" + "00299", since)) == 1
    assert len(reader.sent_to("whatsapp:+628122" + "00000", since)) == 1
    reader.close()


def test_memory_is_bounded_and_older_sends_are_read_from_the_file(outbox: Path) -> None:
    clock = FixedClock(START)
    writer = console(outbox, clock)
    sids = []
    for n in range(40):
        sids.append(writer.send(message(to=f"whatsapp:+62812000000{n:02d}")).sid)
        clock.advance(timedelta(seconds=1))
    assert len(writer.sent) == 40
    reader = console(outbox, clock, kept=5)
    assert reader.outbox is not None
    reader.sent_to(TO, START)
    assert len(reader.outbox._recent) == 5
    [oldest] = reader.sent_to("whatsapp:+6281200000000", START)
    assert oldest.sid == sids[0]
    assert reader.sent_to("whatsapp:+6281200000000", START + timedelta(seconds=1)) == []
    [newest] = reader.sent_to("whatsapp:+6281200000039", START)
    assert newest.sid == sids[-1]
    assert len(reader.outbox._recent) == 5
    writer.close()
    reader.close()


def test_a_line_still_being_written_is_read_once_it_is_whole(outbox: Path) -> None:
    reader = console(outbox)
    writer = console(outbox)
    sid = writer.send(message()).sid
    whole = outbox.read_bytes()
    outbox.write_bytes(whole[:-20])  # what another process's write shows halfway
    reader.sent_to(TO, START)  # reads nothing from it yet
    with outbox.open("ab") as file:
        file.write(whole[-20:])
    assert [m.sid for m in reader.sent_to(TO, START)] == [sid]
    writer.close()
    reader.close()


def test_a_torn_line_is_skipped_and_the_next_one_glued_to_it_is_kept(outbox: Path) -> None:
    outbox.parent.mkdir(parents=True)
    outbox.write_bytes(b'garbage\n{"sid":"CONSOLEcut","at":"2024-02-04T02:00:00+00:00","to":"wh')
    transport = console(outbox)
    sid = transport.send(message()).sid
    assert [m.sid for m in console(outbox).sent_to(TO, START)] == [sid]
    transport.close()


def test_if_the_record_cannot_be_written_nothing_is_printed(tmp_path: Path) -> None:
    (tmp_path / OUTBOX_NAME).mkdir()  # not a file: every append fails
    stream = io.StringIO()
    transport = ConsoleTransport(stream, FixedClock(START), path=tmp_path / OUTBOX_NAME)
    with pytest.raises(OSError):
        transport.send(message())  # the dispatcher: outcome unknown, for reconciliation
    assert stream.getvalue() == "" and not transport.sent
    with pytest.raises(OSError):
        transport.sent_to(TO, START)  # reconciliation: a lookup error, tried again later


def test_a_replaced_outbox_is_written_and_read_anew(outbox: Path) -> None:
    transport = console(outbox)
    transport.send(message())
    outbox.unlink()
    sid = transport.send(message(body="after")).sid
    assert [m.sid for m in transport.sent_to(TO, START)] == [sid]
    assert json.loads(outbox.read_text())["sid"] == sid
    transport.close()


def test_without_a_path_the_record_is_in_memory_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    transport = ConsoleTransport(io.StringIO(), FixedClock(START))
    sid = transport.send(message()).sid
    assert [m.sid for m in transport.sent_to(TO, START)] == [sid]
    assert list(tmp_path.iterdir()) == []


def test_the_outbox_lives_beside_the_sqlite_database_else_in_instance(tmp_path: Path) -> None:
    assert outbox_path("sqlite:///instance/humasbot.db", tmp_path) == (
        tmp_path / "instance" / OUTBOX_NAME
    )
    assert outbox_path(f"sqlite:///{tmp_path}/data/bot.db", Path("/elsewhere")) == (
        tmp_path / "data" / OUTBOX_NAME
    )
    for url in ("postgresql://bot@127.0.0.1:5432/humasbot", "sqlite://", "sqlite:///:memory:"):
        assert outbox_path(url, tmp_path) == tmp_path / "instance" / OUTBOX_NAME


def test_transport_for_keeps_the_console_record_beside_the_database(tmp_path: Path) -> None:
    transport = transport_for(Settings(database_url=f"sqlite:///{tmp_path}/db/humasbot.db"))
    assert isinstance(transport, ConsoleTransport) and transport.outbox is not None
    assert transport.outbox.path == tmp_path / "db" / OUTBOX_NAME
    transport.close()
