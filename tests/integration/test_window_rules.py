"""WhatsApp's 24-hour window at its edge, and which approved template carries a message outside
it, on SQLite and PostgreSQL. Written against the mutants of the window rule that
`make mutate` found surviving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from broadcasts.db.database import Database
from broadcasts.db.models import Broadcast, Member, WhatsAppTemplate
from broadcasts.delivery.window import (
    approved_templates,
    base_language,
    in_window,
    template_key,
    window_start,
)

NOW = datetime(2024, 2, 4, 2, 0, tzinfo=UTC)


def wrote(ago: timedelta | None) -> Member:
    return Member(phone="+6281200000001", last_inbound_at=None if ago is None else NOW - ago)


def test_the_window_closes_five_minutes_early_and_its_edge_is_inside() -> None:
    """Free-form must land inside the 24 hours: a member who wrote 23 h 55 min ago is at the
    edge (still inside); a moment earlier, or 23 h 56 min ago, is outside."""
    edge = timedelta(hours=23, minutes=55)
    assert window_start(NOW) == NOW - edge
    assert in_window(wrote(edge), NOW)
    assert not in_window(wrote(edge + timedelta(microseconds=1)), NOW)
    assert not in_window(wrote(timedelta(hours=23, minutes=56)), NOW)
    assert in_window(wrote(timedelta(hours=23, minutes=54)), NOW)
    assert in_window(wrote(timedelta(0)), NOW)
    assert not in_window(wrote(None), NOW)  # never wrote


def test_a_template_is_chosen_by_the_broadcasts_kind_and_language_in_its_base_form() -> None:
    assert [base_language(x) for x in ("en-US", "EN_gb", "id", "Id-ID", None, "")] == [
        "en",
        "en",
        "id",
        "id",
        "",
        "",
    ]
    english = Broadcast(kind="clarification", language="en-US")
    # The broadcast's own language decides, not the member's; a notice follows the member's.
    assert template_key(english, "id", "id") == ("clarification", "en")
    assert template_key(None, "EN-au", "id") == ("notice", "en")
    assert template_key(None, None, "ID") == ("notice", "id")


def test_the_newest_synced_approved_template_of_a_kind_wins_and_unmapped_ones_carry_nothing(
    database: Database,
) -> None:
    def template(sid: str, kind: str | None, synced: datetime, status: str = "approved") -> None:
        with database.transaction() as session:
            session.add(
                WhatsAppTemplate(
                    content_sid=sid,
                    friendly_name=sid,
                    language="id_ID",
                    category="utility",
                    approval_status=status,
                    kind=kind,
                    variables={"1": "contoh"},
                    synced_at=synced,
                )
            )

    # Added in the other order: the newer sync, not the later row, decides.
    template("HXnewer", "literacy", NOW - timedelta(days=1))
    template("HXolder", "literacy", NOW - timedelta(days=2))
    template("HXpending", "literacy", NOW, status="pending")
    template("HXunmapped", None, NOW)
    with database.transaction() as session:
        found = {key: t.content_sid for key, t in approved_templates(session).items()}
    assert found == {("literacy", "id"): "HXnewer"}
