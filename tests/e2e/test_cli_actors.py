"""`--by` on the command line, through click's runner, on SQLite and PostgreSQL: it names a real
dashboard account or a member's phone (anything else: exit 1, nothing changed), the four-eyes
rule holds as in chat, and every time printed is on the group's clock with its zone's name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import AdminUser, Base, Broadcast, BroadcastState, Role
from broadcasts.editorial.audit import events_for
from broadcasts.people import membership
from broadcasts.people.actors import OPERATOR_KEY, ActorError, resolve_by
from broadcasts.runtime import Runtime
from config.settings import PROJECT_ROOT, Settings

Invoke = Callable[..., Result]
EDITOR = "+6281300000001"  # editor of KALBAR, and so of PONTIANAK below it
COORDINATOR = "+6281300000002"  # coordinator of PONTIANAK
MEMBER = "+6281200000003"  # member of PONTIANAK
KALTIM_EDITOR = "+6281300000004"  # editor of KALTIM, another branch
CAMPAIGN = PROJECT_ROOT / "config" / "campaigns" / "literasi-pemilu-2029.yaml"


@pytest.fixture
def cli(settings: Settings, database: Database, clock: FixedClock) -> Invoke:
    with database.transaction() as session:
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.create_group(session, "PONTIANAK", "Kota Pontianak", parent_code="KALBAR")
        membership.create_group(session, "KALTIM", "Bakohumas Kaltim", timezone="Asia/Makassar")
        membership.add_member(session, EDITOR, "KALBAR", role=Role.EDITOR, name="Siti")
        membership.add_member(session, COORDINATOR, "PONTIANAK", role=Role.COORDINATOR)
        membership.add_member(session, MEMBER, "PONTIANAK")
        membership.add_member(session, KALTIM_EDITOR, "KALTIM", role=Role.EDITOR)
        session.add_all(AdminUser(username=name, password_hash="-") for name in ("ani", "budi"))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        context = Runtime(
            settings, database, clock
        )  # the command line's own, given this test's settings and clock
        return runner.invoke(main, list(args), obj=context, catch_exceptions=False)

    return invoke


def words(command: str) -> tuple[str, ...]:
    return tuple(command.split())


def created(result: Result) -> int:
    assert result.exit_code == 0, result.output
    return int(result.output.split("#", 1)[1].split()[0])


def refused(result: Result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


def everything(database: Database) -> dict[str, list[Any]]:
    """Every row of every table: what "nothing changed" is checked against."""
    with database.transaction() as session:
        return {
            table.name: sorted(map(repr, session.execute(select(table)).all()))
            for table in Base.metadata.sorted_tables
        }


# --- resolve_by ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written", ["081300000001", "+62 813-0000-0001", "6281300000001", "whatsapp:+6281300000001"]
)
def test_a_member_is_named_by_their_phone_in_any_common_form(
    cli: Invoke, database: Database, written: str
) -> None:
    with database.transaction() as session:
        actor = resolve_by(session, written)
        assert actor.key == f"member:{EDITOR}"  # as chat writes it in the audit log
        assert actor.member is not None and actor.member.phone == EDITOR
        assert actor.label == "member Siti (0813-****-0001)"


def test_an_account_is_named_by_its_username(cli: Invoke, database: Database) -> None:
    with database.transaction() as session:
        actor = resolve_by(session, " budi ")
    assert actor.key == "admin:budi" and actor.member is None and actor.is_account


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("siti", "--by 'siti' is neither a dashboard account nor a phone number"),
        ("Budi", "neither a dashboard account"),  # usernames are exact
        ("081299999999", "--by 0812-****-9999 is not a member's phone"),
        ("  ", "--by is empty"),
        ("cli", "neither a dashboard account"),  # the old default names nobody
        ("admin:ani", "neither a dashboard account"),  # the audit key is not a name
    ],
)
def test_anything_else_is_refused(
    cli: Invoke, database: Database, written: str, message: str
) -> None:
    with database.transaction() as session, pytest.raises(ActorError) as raised:
        resolve_by(session, written)
    assert message in str(raised.value)


def test_a_name_that_is_both_an_account_and_a_phone_is_refused(
    cli: Invoke, database: Database
) -> None:
    with database.transaction() as session:
        session.add(AdminUser(username="081300000001", password_hash="-"))
    with database.transaction() as session, pytest.raises(ActorError, match="both"):
        resolve_by(session, "081300000001")
    with database.transaction() as session:
        assert resolve_by(session, EDITOR).member is not None  # written another way: the member


# --- Unknown --by: exit 1, nothing changed ------------------------------------------------


@pytest.fixture
def things(cli: Invoke) -> dict[str, str]:
    """One of each thing a --by command acts on, made by the account ani."""
    content = created(cli("content", "add", "--title", "T", "--body", "Isi", "--by", "ani"))
    broadcast = created(
        cli("broadcast", "create", "--group", "PONTIANAK", "--body", "Ayo", "--by", "ani")
    )
    entry = created(
        cli(*words("calendar add --group KALBAR --on 2024-02-10 --time 09:00 --body Cek --by ani"))
    )
    assert cli("campaign", "create", "seri", "--title", "Seri", "--by", "ani").exit_code == 0
    blackout = created(
        cli(
            *words("blackout add Tenang --tags kampanye --from 2024-02-11 --to 2024-02-13 --by ani")
        )
    )
    return {
        "content": str(content),
        "broadcast": str(broadcast),
        "entry": str(entry),
        "blackout": str(blackout),
    }


BY_COMMANDS: list[tuple[str, ...]] = [
    ("content", "add", "--title", "T", "--body", "B"),
    ("content", "approve", "{content}"),
    ("broadcast", "create", "--group", "KALBAR", "--body", "B"),
    ("broadcast", "approve", "{broadcast}"),
    ("broadcast", "reject", "{broadcast}", "--reason", "salah"),
    ("broadcast", "cancel", "{broadcast}"),
    ("broadcast", "schedule", "{broadcast}", "2024-02-10", "09:00"),
    words("calendar add --group KALBAR --on 2024-02-10 --time 10:00 --body B"),
    ("calendar", "cancel", "{entry}"),
    ("campaign", "load", str(CAMPAIGN)),
    ("campaign", "create", "lain", "--title", "Lain"),
    ("campaign", "pause", "seri"),
    ("campaign", "resume", "seri"),
    ("campaign", "cancel", "seri"),
    ("blackout", "add", "B", "--tags", "x", "--from", "2024-02-11", "--to", "2024-02-12"),
    ("blackout", "remove", "{blackout}"),
    ("group", "timezone", "KALBAR", "Asia/Jakarta"),
    ("group", "quiet-hours", "KALBAR", "22:00", "05:00"),
    ("member", "remove", MEMBER, "--group", "PONTIANAK"),
    ("member", "role", MEMBER, "--group", "PONTIANAK", "editor"),
]


@pytest.mark.parametrize("command", BY_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_an_unknown_by_is_refused_and_changes_nothing(
    cli: Invoke, database: Database, things: dict[str, str], command: tuple[str, ...]
) -> None:
    before = everything(database)
    for by, message in (("nobody", "--by 'nobody' is neither"), ("081299999999", "0812-****-9999")):
        result = cli(*(part.format(**things) for part in command), "--by", by)
        refused(result, message, "Nothing was changed")
    assert everything(database) == before


def test_every_by_is_the_shared_option() -> None:
    """One `--by` for every command, from bot/cli/base.py: the same name, help and checks."""
    found: list[str] = []

    def walk(command: Any, path: str) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())
        for param in getattr(command, "params", []):
            if "--by" in getattr(param, "opts", []):
                assert param.name == "by" and param.metavar == "WHO", path
                assert "dashboard account" in (param.help or ""), path
                found.append(path)

    walk(main, "")
    tested = {" ".join(part for part in c[:2]) for c in BY_COMMANDS}
    assert tested <= set(found)


# --- Four eyes, as in chat -----------------------------------------------------------------


def test_a_member_approves_on_the_command_line_only_as_in_chat(
    cli: Invoke, database: Database
) -> None:
    number = created(
        cli(
            "broadcast",
            "create",
            "--group",
            "PONTIANAK",
            "--body",
            "Ayo ke TPS",
            "--by",
            "0813-0000-0002",
        )
    )
    for by, words in (
        (COORDINATOR, "not an editor of group PONTIANAK"),  # a coordinator only proposes
        (MEMBER, "not an editor of group PONTIANAK"),
        (KALTIM_EDITOR, "not an editor of group PONTIANAK"),  # an editor elsewhere
    ):
        refused(cli("broadcast", "approve", str(number), "--by", by), words)
        refused(cli("broadcast", "reject", str(number), "--reason", "x", "--by", by), "editor")
    approved = cli("broadcast", "approve", str(number), "--by", "whatsapp:" + EDITOR)
    assert approved.exit_code == 0, approved.output
    with database.transaction() as session:
        stored = session.get_one(Broadcast, number)
        editor = membership.find_member(session, phone=EDITOR)
        assert editor is not None and stored.approved_by_id == editor.id
        actions = [(e.action, e.actor) for e in events_for(session, "broadcast", number)]
    assert actions[:2] == [("proposed", f"member:{COORDINATOR}"), ("approved", f"member:{EDITOR}")]


def test_an_editor_may_not_approve_their_own_broadcast(cli: Invoke, database: Database) -> None:
    number = created(
        cli("broadcast", "create", "--group", "PONTIANAK", "--body", "Ayo", "--by", EDITOR)
    )
    refused(cli("broadcast", "approve", str(number), "--by", "081300000001"), "another editor")
    own = created(cli("broadcast", "create", "--group", "KALBAR", "--body", "B", "--by", "ani"))
    refused(cli("broadcast", "approve", str(own), "--by", "ani"), "another editor")
    with database.transaction() as session:
        states = set(session.scalars(select(Broadcast.state)))
    assert states == {BroadcastState.PENDING.value}
    # Another editor (an account, or a member who edits the group) approves: it goes out.
    for broadcast, by, actor in ((number, "budi", "admin:budi"), (own, EDITOR, f"member:{EDITOR}")):
        approved = cli("broadcast", "approve", str(broadcast), "--by", by)
        assert approved.exit_code == 0, approved.output
        with database.transaction() as session:
            stored = session.get_one(Broadcast, broadcast)
            actions = [(e.action, e.actor) for e in events_for(session, "broadcast", broadcast)]
        assert stored.state == BroadcastState.SENDING.value
        assert actions[-2:] == [("approved", actor), ("planned", "system:planner")]


def test_only_coordinators_propose_schedule_and_cancel_as_members(
    cli: Invoke, database: Database
) -> None:
    refused(
        cli("broadcast", "create", "--group", "PONTIANAK", "--body", "B", "--by", MEMBER),
        "do not coordinate group PONTIANAK",
    )
    number = created(
        cli("broadcast", "create", "--group", "PONTIANAK", "--body", "B", "--by", "ani")
    )
    refused(
        cli("broadcast", "schedule", str(number), "2024-02-10", "09:00", "--by", MEMBER),
        "PONTIANAK",
    )
    refused(cli("broadcast", "cancel", str(number), "--by", MEMBER), "do not coordinate")
    scheduled = cli(
        "broadcast", "schedule", str(number), "2024-02-10", "09:00", "--by", COORDINATOR
    )
    assert scheduled.exit_code == 0, scheduled.output
    cancelled = cli("broadcast", "cancel", str(number), "--by", COORDINATOR)
    assert cancelled.exit_code == 0, cancelled.output
    with database.transaction() as session:
        stored = session.get_one(Broadcast, number)
        actions = [(e.action, e.actor) for e in events_for(session, "broadcast", number)]
    assert stored.state == BroadcastState.CANCELLED.value
    assert stored.scheduled_at is not None and stored.scheduled_at.isoformat().startswith(
        "2024-02-10T0"
    )
    assert actions[-2:] == [
        ("scheduled", f"member:{COORDINATOR}"),
        ("cancelled", f"member:{COORDINATOR}"),
    ]


@pytest.mark.parametrize(
    ("command", "doing"),
    [
        (("content", "add", "--title", "T", "--body", "B"), "add to the content library"),
        (
            words("calendar add --group KALBAR --on 2024-02-10 --time 09:00 --body B"),
            "add calendar entries",
        ),
        (("campaign", "create", "seri", "--title", "Seri"), "create campaigns"),
        (("group", "timezone", "KALBAR", "Asia/Jakarta"), "move groups"),
        (("group", "quiet-hours", "KALBAR", "--off"), "set quiet hours"),
        (("member", "role", MEMBER, "--group", "PONTIANAK", "coordinator"), "change roles"),
    ],
)
def test_administration_is_for_dashboard_accounts(
    cli: Invoke, database: Database, command: tuple[str, ...], doing: str
) -> None:
    before = everything(database)
    refused(cli(*command, "--by", EDITOR), f"member Siti (0813-****-0001) may not {doing}")
    assert everything(database) == before


def test_library_content_is_approved_by_another_account(cli: Invoke) -> None:
    number = created(cli("content", "add", "--title", "T", "--body", "Isi", "--by", "ani"))
    refused(cli("content", "approve", str(number), "--by", "ani"), "someone other than its author")
    refused(cli("content", "approve", str(number), "--by", EDITOR), "may not approve library")
    approved = cli("content", "approve", str(number), "--by", "budi")
    assert approved.exit_code == 0 and "approved by admin:budi" in approved.output


def test_an_approval_needs_a_named_approver(cli: Invoke) -> None:
    number = created(cli("broadcast", "create", "--group", "KALBAR", "--body", "B", "--by", "ani"))
    missing = cli("broadcast", "approve", str(number))
    assert missing.exit_code == 2 and "Missing option '--by'" in missing.output


def test_without_by_the_operator_acts_and_is_audited_as_such(
    cli: Invoke, database: Database
) -> None:
    number = created(cli("broadcast", "create", "--group", "KALBAR", "--body", "B", "--by", "ani"))
    assert cli("broadcast", "cancel", str(number)).exit_code == 0
    with database.transaction() as session:
        state = session.get_one(Broadcast, number).state
        actions = [(e.action, e.actor) for e in events_for(session, "broadcast", number)]
    assert state == BroadcastState.CANCELLED.value and actions[-1] == ("cancelled", OPERATOR_KEY)


# --- Times on the group's clock -------------------------------------------------------------


def test_times_are_shown_on_the_groups_clock_with_the_zones_name(
    cli: Invoke, database: Database, tmp_path: Path
) -> None:
    number = created(cli("broadcast", "create", "--group", "KALTIM", "--body", "B", "--by", "ani"))
    outputs = [
        cli("broadcast", "schedule", str(number), "2024-02-10", "09:00", "--by", "ani"),
        cli("broadcast", "approve", str(number), "--by", "budi"),
        cli("broadcast", "status", str(number)),
        cli("broadcast", "list"),
        cli("calendar", "list"),
        cli("group", "quiet-hours", "KALTIM"),
        cli("group", "timezone", "KALTIM"),
        cli("group", "show", "KALTIM"),
        cli("group", "list"),
        cli("member", "list", "--group", "KALTIM"),
        cli("election", "list"),
    ]
    assert "scheduled for Sat 2024-02-10 09:00 WITA" in outputs[0].output
    assert "approved; sends at Sat 2024-02-10 09:00 WITA" in outputs[1].output
    assert "scheduled at Sat 2024-02-10 09:00 WITA" in outputs[2].output
    assert "Sat 2024-02-10 09:00 WITA" in outputs[4].output
    assert "quiet hours 21:00–06:00 WITA (Asia/Makassar)" in outputs[5].output
    assert "time zone WITA (Asia/Makassar)" in outputs[6].output
    assert "WIB (Asia/Pontianak)" in outputs[8].output
    # The deployment's own times (when a calendar was loaded) are in BOT_TIMEZONE.
    assert "loaded Sun 2024-02-04 09:00 WIB" in outputs[10].output
    for result in outputs:
        assert result.exit_code == 0, result.output
        assert "UTC" not in result.output and "+00:00" not in result.output, result.output
