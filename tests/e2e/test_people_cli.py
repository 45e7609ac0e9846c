"""`humasbot group list|show` and `humasbot member list|remove|role`: the groups as a tree and
their members, through click's runner, on SQLite and PostgreSQL. A refused change ends with
exit 1, a clear message, and nothing changed (not even an audit event)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, func, select

from bot.cli import main
from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import AdminUser, AuditEvent, Group, Member, Membership, Role
from broadcasts.editorial.audit import events_for
from broadcasts.people import membership
from broadcasts.runtime import Runtime
from config.settings import Settings

Invoke = Callable[..., Result]
LOCAL_TIME = r"[A-Z][a-z]{2} \d{4}-\d{2}-\d{2} \d{2}:\d{2}"  # "Sun 2024-02-04 09:00"
SITI = "+6281300000001"  # editor of JATIM, the top group
BUDI = "+6281300000002"  # coordinator of SURABAYA, below JATIM
CICI = "+6281200000003"  # member of SURABAYA
DEDI = "+6281200000004"  # editor of PAPUA, on its own
EKO = "+6281200000005"  # editor of JAYAPURA, below PAPUA


@pytest.fixture
def cli(settings: Settings, database: Database, clock: FixedClock) -> Invoke:
    with database.transaction() as session:
        membership.create_group(session, "JATIM", "Diskominfo Jawa Timur")
        membership.create_group(session, "SURABAYA", "Kota Surabaya", parent_code="JATIM")
        membership.create_group(session, "KALTIM", "Bakohumas Kaltim", timezone="Asia/Makassar")
        membership.create_group(session, "PAPUA", "Diskominfo Papua", timezone="Asia/Jayapura")
        membership.create_group(session, "JAYAPURA", "Kota Jayapura", parent_code="PAPUA")
        membership.add_member(session, SITI, "JATIM", role=Role.EDITOR, name="Siti")
        membership.add_member(session, BUDI, "SURABAYA", role=Role.COORDINATOR, name="Budi")
        membership.add_member(session, CICI, "SURABAYA")
        membership.add_member(session, SITI, "SURABAYA")  # one person in two groups
        membership.add_member(session, DEDI, "PAPUA", role=Role.EDITOR)
        membership.add_member(session, EKO, "JAYAPURA", role=Role.EDITOR)
        session.add(AdminUser(username="admin", password_hash="-"))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        context = Runtime(
            settings, database, clock
        )  # the command line's own, given this test's settings and clock
        return runner.invoke(main, list(args), obj=context, catch_exceptions=False)

    return invoke


def refused(result: Result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


def roles(database: Database) -> set[tuple[str, str, str]]:
    with database.transaction() as session:
        rows = session.execute(
            select(Member.phone, Group.code, Membership.role)
            .join(Membership, Membership.member_id == Member.id)
            .join(Group, Group.id == Membership.group_id)
        )
        return {(str(phone), code, role) for phone, code, role in rows}


def audit_count(database: Database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_group_list_is_a_tree_with_zones_and_member_counts(cli: Invoke) -> None:
    result = cli("group", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["GROUP", "NAME", "TIME", "ZONE", "MEMBERS"]
    assert [line.split()[0] for line in lines[1:]] == [
        "JATIM",
        "SURABAYA",
        "KALTIM",
        "PAPUA",
        "JAYAPURA",
    ]
    jatim, surabaya, kaltim, papua, jayapura = lines[1:]
    assert surabaya.startswith("  SURABAYA") and jayapura.startswith("  JAYAPURA")
    assert "WIB (Asia/Jakarta)" in jatim and "1 member, 3 with sub-groups" in jatim
    assert "3 members" in surabaya and "with sub-groups" not in surabaya
    assert "WITA (Asia/Makassar)" in kaltim and "0 members" in kaltim
    assert "WIT (Asia/Jayapura)" in papua and "1 member, 2 with sub-groups" in papua
    # Nobody can approve what KALTIM's coordinators propose: the operator should know.
    assert "no editor" in kaltim
    assert not any("no editor" in line for line in (jatim, surabaya, papua, jayapura))


def test_group_list_with_no_groups(cli: Invoke, database: Database) -> None:
    with database.transaction() as session:
        session.execute(delete(Membership))
        session.execute(delete(Group).where(Group.parent_id.is_not(None)))
        session.execute(delete(Group))
    assert "no groups yet" in cli("group", "list").output


def test_group_show_gives_the_group_and_its_members_with_masked_numbers(
    cli: Invoke, database: Database
) -> None:
    with database.transaction() as session:
        join_code = membership.group_by_code(session, "SURABAYA").join_code
    result = cli("group", "show", "surabaya")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("SURABAYA  Kota Surabaya\n")
    assert "parent group: JATIM (Diskominfo Jawa Timur)" in out
    assert "sub-groups:   —" in out
    assert "time zone:    WIB (Asia/Jakarta)" in out
    assert f"join code:    {join_code}" in out
    assert re.search(rf"created:      {LOCAL_TIME} WIB\n", out)
    assert "members:      3 members" in out
    assert "approval:     by the editors of the groups above" in out
    members = out.split("\n\n", 1)[1].splitlines()
    assert [line.split()[0] for line in members] == ["coordinator", "member", "member"]
    assert "Budi" in members[0] and "0813-****-0002" in members[0]
    assert re.search(rf"joined {LOCAL_TIME} WIB$", members[0])
    assert "0813-****-0001" in out and "0812-****-0003" in out
    assert "+62" not in out  # nobody's full number unless asked

    full = cli("group", "show", "SURABAYA", "--full-numbers").output
    assert BUDI in full and CICI in full

    top = cli("group", "show", "PAPUA").output
    assert "parent group: — (top level)" in top and "sub-groups:   JAYAPURA (Kota Jayapura)" in top
    assert "WIT (Asia/Jayapura)" in top and "1 editor here" in top
    assert re.search(rf"joined {LOCAL_TIME} WIT", top)  # each group's own clock
    lonely = cli("group", "show", "KALTIM").output
    assert "no members yet" in lonely and "nobody can approve its broadcasts" in lonely
    refused(cli("group", "show", "NOWHERE"), "Group NOWHERE was not found")


def test_member_list_shows_editors_first(cli: Invoke) -> None:
    result = cli("member", "list", "--group", "JATIM")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "JATIM (Diskominfo Jawa Timur): 1 member" and len(lines) == 2
    assert re.fullmatch(rf"editor  Siti  0813-\*\*\*\*-0001  joined {LOCAL_TIME} WIB", lines[1])
    listed = cli("member", "list", "--group", "SURABAYA", "--full-numbers").output
    assert listed.splitlines()[1].split()[:3] == ["coordinator", "Budi", BUDI]
    refused(cli("member", "list", "--group", "NOWHERE"), "NOWHERE")


def test_a_role_change_is_made_and_audited(cli: Invoke, database: Database) -> None:
    changed = cli("member", "role", "0812 0000 0003", "--group", "surabaya", "coordinator",
                  "--by", "admin")  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert "0812-****-0003 is now coordinator of SURABAYA (was member)" in changed.output
    assert (CICI, "SURABAYA", "coordinator") in roles(database)
    same = cli("member", "role", CICI, "--group", "SURABAYA", "coordinator")
    assert same.exit_code == 0 and "already coordinator of SURABAYA; nothing changed" in same.output
    with database.transaction() as session:
        group = membership.group_by_code(session, "SURABAYA")
        member = membership.find_member(session, phone=CICI)
        assert member is not None
        events = [(e.actor, e.action, e.detail) for e in events_for(session, "group", group.id)]
    assert events == [
        (
            "admin:admin",
            "role_changed",
            {"member": member.id, "before": "member", "after": "coordinator"},
        )
    ]


def test_a_removal_is_made_and_audited_and_leaves_the_other_groups(
    cli: Invoke, database: Database
) -> None:
    removed = cli("member", "remove", "whatsapp:" + SITI, "--group", "SURABAYA")
    assert removed.exit_code == 0, removed.output
    assert "Siti (0813-****-0001) removed from SURABAYA (was member)" in removed.output
    after = roles(database)
    assert (SITI, "SURABAYA", "member") not in after and (SITI, "JATIM", "editor") in after
    with database.transaction() as session:
        group = membership.group_by_code(session, "SURABAYA")
        events = [(e.actor, e.action) for e in events_for(session, "group", group.id)]
    assert events == [("system:cli", "member_removed")]  # no --by: the operator at the terminal
    refused(
        cli("member", "remove", SITI, "--group", "SURABAYA"),
        "0813-****-0001 is not a member of group SURABAYA",
        "Nothing was changed",
    )


def test_the_last_editor_stays_unless_a_group_above_has_one(
    cli: Invoke, database: Database
) -> None:
    before = roles(database)
    # JATIM's only editor, and no group above it: nobody could approve JATIM's broadcasts.
    for args in (
        ("member", "remove", SITI, "--group", "JATIM"),
        ("member", "role", SITI, "--group", "JATIM", "coordinator"),
        ("member", "add", SITI, "--group", "JATIM"),  # add re-roles an existing member
    ):
        refused(cli(*args), "0813-****-0001 is the last editor of group JATIM", "editor")
    refused(cli("member", "remove", DEDI, "--group", "PAPUA"), "last editor of group PAPUA")
    assert roles(database) == before
    assert audit_count(database) == 0

    # JAYAPURA's own editor may go: PAPUA's editor approves there too.
    assert cli("member", "remove", EKO, "--group", "JAYAPURA").exit_code == 0
    assert roles(database) == before - {(EKO, "JAYAPURA", "editor")}
    # With a second editor, JATIM's first may step down.
    refused(cli("member", "role", BUDI, "--group", "JATIM", "editor"), "not a member of group")
    assert cli("member", "add", BUDI, "--group", "JATIM", "--role", "editor").exit_code == 0
    stepped = cli("member", "role", SITI, "--group", "JATIM", "member")
    assert stepped.exit_code == 0, stepped.output
    refused(cli("member", "remove", BUDI, "--group", "JATIM"), "last editor of group JATIM")
    assert roles(database) == before - {
        (EKO, "JAYAPURA", "editor"),
        (SITI, "JATIM", "editor"),
    } | {(SITI, "JATIM", "member"), (BUDI, "JATIM", "editor")}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("member", "remove", "0813", "--group", "JATIM"), "'0813' is not a phone number"),
        (("member", "role", "abc", "--group", "JATIM", "editor"), "'abc' is not a phone number"),
        (("member", "remove", CICI, "--group", "NOWHERE"), "Group NOWHERE was not found"),
        (("member", "remove", "081299999999", "--group", "JATIM"), "not a member of group JATIM"),
        (("member", "role", CICI, "--group", "JATIM", "member"), "not a member of group JATIM"),
        (("member", "remove", CICI, "--group", "SURABAYA", "--by", "nobody"), "neither"),
        (("member", "role", CICI, "--group", "SURABAYA", "editor", "--by", "nobody"), "neither"),
        (
            ("member", "role", CICI, "--group", "SURABAYA", "editor", "--by", SITI),
            "member Siti (0813-****-0001) may not change roles",
        ),
        (("member", "remove", CICI, "--group", "SURABAYA", "--by", BUDI), "may not remove"),
    ],
)
def test_bad_member_changes_are_refused_and_change_nothing(
    cli: Invoke, database: Database, args: tuple[str, ...], message: str
) -> None:
    before = roles(database)
    refused(cli(*args), message)
    assert roles(database) == before
    assert audit_count(database) == 0


def test_a_bad_role_is_refused_by_the_command_line(cli: Invoke) -> None:
    result = cli("member", "role", CICI, "--group", "SURABAYA", "boss")
    assert result.exit_code == 2 and "'boss' is not one of" in result.output
