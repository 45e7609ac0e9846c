"""`humasbot content …` and `humasbot broadcast …`: the admin's editorial workflow on the
command line, through click's runner, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import AdminUser, Broadcast, BroadcastState, OutboundMessage, Role
from broadcasts.editorial.audit import events_for
from broadcasts.people import membership
from broadcasts.runtime import Runtime
from config.settings import Settings

Invoke = Callable[..., Result]
ACCOUNTS = ("ani", "budi", "cici")
CLARIFICATION = "Kabar bahwa pemungutan suara diundur adalah hoaks. KPU tetap pada 14 Februari."


@pytest.fixture
def humasbot(settings: Settings, database: Database, clock: FixedClock) -> CliRunner:
    with database.transaction() as session:
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.create_group(session, "PONTIANAK", "Kota Pontianak", parent_code="KALBAR")
        membership.add_member(session, "+6281300000001", "KALBAR", role=Role.EDITOR)
        for n in range(1, 4):
            membership.add_member(session, f"+628122{n:07d}", "PONTIANAK")
        # Every --by names a real dashboard account (or a member's phone).
        session.add_all(AdminUser(username=name, password_hash="-") for name in ACCOUNTS)
    return CliRunner()


def run(
    runner: CliRunner, settings: Settings, database: Database, clock: FixedClock, *args: str
) -> Result:
    # The command line's own Runtime, given this test's settings, database and clock.
    context = Runtime(settings, database, clock)
    return runner.invoke(main, list(args), obj=context, catch_exceptions=False)


@pytest.fixture
def cli(humasbot: CliRunner, settings: Settings, database: Database, clock: FixedClock) -> Invoke:
    def invoke(*args: str) -> Result:
        return run(humasbot, settings, database, clock, *args)

    return invoke


def last_number(output: str) -> int:
    return int(output.split("#", 1)[1].split()[0])


def test_content_is_added_listed_shown_and_approved_by_someone_else(
    cli: Invoke, database: Database
) -> None:
    added = cli(
        "content",
        "add",
        "--title",
        "Pemilu tidak diundur",
        "--body",
        CLARIFICATION,
        "--tags",
        "diundur, Hoaks",
        "--kind",
        "clarification",
        "--media-url",
        "https://kpu.example.go.id/k.jpg",
        "--by",
        "ani",
    )
    assert added.exit_code == 0, added.output
    number = last_number(added.output)
    listed = cli("content", "list", "--pending")
    assert f"#{number}" in listed.output and "clarification" in listed.output
    shown = cli("content", "show", str(number))
    assert CLARIFICATION in shown.output and "diundur, hoaks" in shown.output
    assert "k.jpg" in shown.output and "waiting for approval" in shown.output

    own = cli("content", "approve", str(number), "--by", "ani")
    assert own.exit_code == 1 and "someone other than its author" in own.output
    approved = cli("content", "approve", str(number), "--by", "budi")
    assert approved.exit_code == 0 and "approved by admin:budi" in approved.output
    again = cli("content", "approve", str(number), "--by", "cici")
    assert again.exit_code == 1 and "already approved by admin:budi" in again.output
    assert f"#{number}" in cli("content", "list", "--approved").output
    assert "no content" in cli("content", "list", "--pending").output
    with database.transaction() as session:
        actions = [(e.action, e.actor) for e in events_for(session, "content", number)]
    assert actions == [("created", "admin:ani"), ("approved", "admin:budi")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--title", "T", "--body", "  "), "has no text"),
        (("--title", "T", "--body", "x" * 1501), "At most 1,500 characters"),
        (("--title", " ", "--body", "x"), "no title"),
        (
            ("--title", "T", "--body", "x", "--media-url", "file:///etc/passwd"),
            "Not a valid media link",
        ),
        (("--title", "T", "--body", "x", "--by", " "), "--by is empty"),
        (("--title", "T", "--body", "x", "--by", "dodi"), "neither a dashboard account"),
    ],
)
def test_bad_content_is_refused_with_exit_code_1(
    cli: Invoke, args: tuple[str, ...], message: str
) -> None:
    result = cli("content", "add", *args)
    assert result.exit_code == 1 and message in result.output
    assert "no content" in cli("content", "list").output


def test_a_broadcast_from_library_content_is_approved_planned_and_cancelled(
    cli: Invoke, database: Database
) -> None:
    number = last_number(
        cli("content", "add", "--title", "T", "--body", CLARIFICATION, "--by", "ani").output
    )
    unapproved = cli(
        "broadcast", "create", "--group", "KALBAR", "--content", str(number), "--by", "ani"
    )
    assert unapproved.exit_code == 1 and "not approved yet" in unapproved.output
    content_approved = cli("content", "approve", str(number), "--by", "budi")
    assert content_approved.exit_code == 0, content_approved.output
    assert "approved by admin:budi" in content_approved.output

    created = cli(
        "broadcast", "create", "--group", "kalbar", "--content", str(number), "--by", "ani"
    )
    assert created.exit_code == 0, created.output
    assert "waiting for approval" in created.output and "audience: 4 members" in created.output
    broadcast = last_number(created.output)
    assert "pending" in cli("broadcast", "list", "--state", "pending").output

    own = cli("broadcast", "approve", str(broadcast), "--by", "ani")
    assert own.exit_code == 1 and "another editor must approve" in own.output
    approved = cli("broadcast", "approve", str(broadcast), "--by", "budi")
    assert approved.exit_code == 0 and "4 deliveries planned" in approved.output
    status = cli("broadcast", "status", str(broadcast))
    assert "sending" in status.output and "queued     4" in status.output

    cancelled = cli("broadcast", "cancel", str(broadcast), "--by", "cici")
    assert cancelled.exit_code == 0 and "skipped    4" in cancelled.output
    again = cli("broadcast", "cancel", str(broadcast))
    assert again.exit_code == 1 and "already cancelled" in again.output
    with database.transaction() as session:
        stored = session.get(Broadcast, broadcast)
        assert stored is not None and stored.state == BroadcastState.CANCELLED.value
        assert stored.body == CLARIFICATION and stored.content_id == number
        reasons = set(
            session.scalars(
                select(OutboundMessage.reason).where(OutboundMessage.broadcast_id == broadcast)
            )
        )
        actions = [(e.action, e.actor) for e in events_for(session, "broadcast", broadcast)]
    assert reasons == {"broadcast cancelled"}
    assert actions == [
        ("proposed", "admin:ani"),
        ("approved", "admin:budi"),
        ("planned", "system:planner"),
        ("cancelled", "admin:cici"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("broadcast", "create", "--group", "KALBAR", "--by", "ani"),
            "either --content ID or --body TEXT",
        ),
        (
            (
                "broadcast",
                "create",
                "--group",
                "KALBAR",
                "--body",
                "x",
                "--content",
                "1",
                "--by",
                "a",
            ),
            "either",
        ),
        (("broadcast", "create", "--group", "NOWHERE", "--body", "x", "--by", "ani"), "NOWHERE"),
        (
            ("broadcast", "create", "--group", "KALBAR", "--content", "404", "--by", "ani"),
            "Content #404 does not exist",
        ),
        (("broadcast", "approve", "404", "--by", "budi"), "Broadcast #404 does not exist"),
        (("broadcast", "status", "99999999999"), "does not exist"),
        (("broadcast", "cancel", "404"), "does not exist"),
        (("content", "show", "404"), "does not exist"),
        (("content", "approve", "404", "--by", "budi"), "does not exist"),
    ],
)
def test_unknown_things_get_a_clear_error(cli: Invoke, args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 1 and message in result.output, result.output


def test_a_body_broadcast_and_the_list(cli: Invoke) -> None:
    assert "no broadcasts" in cli("broadcast", "list").output
    created = cli(
        "broadcast", "create", "--group", "PONTIANAK", "--body", "Datang ke TPS", "--by", "ani"
    )
    assert created.exit_code == 0 and "audience: 3 members" in created.output
    listed = cli("broadcast", "list")
    assert (
        "PONTIANAK" in listed.output
        and "admin:ani" in listed.output
        and "Datang ke TPS" in listed.output
    )
