"""Claims as LAPOR keeps them, on both databases: a process remembers every claim's terms to
group reports fast, and must never trust that memory over the database — not when a report's
transaction is rolled back, not when the database is emptied or restored behind its back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import HoaxClaim, HoaxReport
from broadcasts.hoaxes import reports
from broadcasts.people import membership
from tests.conftest import _empty

HOAX = "Pencoblosan diundur ke Maret karena logistik belum siap, sebarkan ke grup lain!"
VARIANT = "Info dari grup sebelah: pencoblosan DIUNDUR ke Maret karena logistik belum siap!!"
OTHER = "Tinta pemilu mengandung lemak babi, jangan mau jari dicelup di TPS"


class Rollback(Exception):
    pass


def report(database: Database, clock: FixedClock, phone: str, text: str) -> tuple[int, int]:
    """(report id, claim id) of a report filed by `phone`."""
    with database.transaction() as session:
        member = membership.get_or_create_member(session, phone)
        filed = reports.report(session, member, text, now=clock.now())
        assert filed.claim is not None
        return filed.report.id, filed.claim.id


def claims_of(database: Database) -> list[tuple[int, int]]:
    with database.transaction() as session:
        rows = session.execute(select(HoaxClaim.id, HoaxClaim.report_count).order_by(HoaxClaim.id))
        return [(claim_id, count) for claim_id, count in rows]


def test_variants_join_one_claim_that_counts_them_and_knows_the_first_and_latest(
    database: Database, clock: FixedClock
) -> None:
    _, first = report(database, clock, "+6281200000001", HOAX)
    clock.advance(timedelta(minutes=3))
    latest_report, second = report(database, clock, "+6281200000002", VARIANT)
    _, other = report(database, clock, "+6281200000003", OTHER)
    assert first == second != other
    with database.transaction() as session:
        claim = session.get_one(HoaxClaim, first)
        assert (claim.report_count, claim.latest_report_id) == (2, latest_report)
        assert claim.latest_report_at - claim.first_report_at == timedelta(minutes=3)


def test_a_rolled_back_report_leaves_no_claim_behind(database: Database, clock: FixedClock) -> None:
    with pytest.raises(Rollback), database.transaction() as session:
        member = membership.get_or_create_member(session, "+6281200000001")
        reports.report(session, member, HOAX, now=clock.now())
        raise Rollback
    assert claims_of(database) == []
    _, claim = report(database, clock, "+6281200000002", VARIANT)
    assert claims_of(database) == [(claim, 1)]
    with database.transaction() as session:
        assert session.scalars(select(HoaxReport.claim_id)).all() == [claim]


def test_a_database_emptied_behind_the_process_back_is_read_afresh(
    database: Database, clock: FixedClock
) -> None:
    for n, text in enumerate((HOAX, OTHER, "Surat suara tercoblos ditemukan di gudang")):
        report(database, clock, f"+628120000001{n}", text)
    _empty(database)  # as a restore, or another test, would leave it
    _, claim = report(database, clock, "+6281200000001", OTHER)
    _, again = report(database, clock, "+6281200000002", VARIANT)
    assert claim != again
    assert claims_of(database) == [(claim, 1), (again, 1)]
