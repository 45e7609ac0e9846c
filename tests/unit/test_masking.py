"""Numbers and tokens masked in log lines; and erasure knows every column that names an actor."""

from __future__ import annotations

import pytest
from sqlalchemy import String

from broadcasts.db.models import Base
from broadcasts.people.erasure import ACTOR_COLUMNS, WrittenNumber
from broadcasts.people.masking import mask_phone, mask_text


def test_a_number_keeps_enough_to_tell_it_apart() -> None:
    assert mask_phone("+6281234567890") == "+62812****7890"
    assert mask_phone("081234567890") == "0812****7890"
    assert mask_phone("+447700900123") == "+4477****0123"


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("to whatsapp:+6281234567890 sent", "to whatsapp:+62812****7890 sent"),
        ("WaId=6281234567890&Body=halo", "WaId=62812****7890&Body=halo"),
        ("dari 0812-3456-7890.", "dari 0812****7890."),
        ("dari +62 812 3456 7890", "dari +62812****7890"),
        ("[parameters: ('+6281234567890', 3)]", "[parameters: ('+62812****7890', 3)]"),
        ('"GET /calendar/KALBAR.ics?token=eyJhbGc.abc HTTP/1.1" 200', None),
    ],
)
def test_log_text_is_masked(line: str, masked: str | None) -> None:
    result = mask_text(line)
    if masked is not None:
        assert result == masked
    assert "81234567890" not in result and "eyJhbGc" not in result


@pytest.mark.parametrize(
    "line",
    [
        "sent SM0123456789abcdef0123456789abcdef",
        "at 2024-02-04 09:00:00+07:00",
        "broadcast #12 planned: 1600 deliveries",
        "CONSOLE3f2a9b1c0d4e5f60718293a4b5c6d7e8",
    ],
)
def test_what_is_not_a_number_is_left_alone(line: str) -> None:
    assert mask_text(line) == line


def test_a_number_is_found_however_it_is_written() -> None:
    number = WrittenNumber.of("+6281234567890")
    for written in (
        "0812 3456 7890",
        "+62 812-3456-7890",
        "6281234567890",
        "whatsapp:+6281234567890",
    ):
        assert number.replaced(f"hubungi {written} ya", "X") == "hubungi X ya"
    assert number.replaced("0812-****-7890 dan 08129999", "X") == "0812-****-7890 dan 08129999"


def test_erasure_knows_every_column_that_names_who_acted() -> None:
    # An actor column added to a table later must be added to ACTOR_COLUMNS, or an erased
    # member's number would stay there.
    known = {(column.class_.__tablename__, column.key) for column in ACTOR_COLUMNS}
    named = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, String)
        and (column.name in ("author", "actor") or column.name.endswith("_by"))
    }
    assert named == known
