"""Phone numbers as people write them, and what is not one."""

from __future__ import annotations

import pytest

from broadcasts.people.phones import PhoneError, normalise_phone


@pytest.mark.parametrize(
    "written",
    ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "(0812) 3456.7890",
     "whatsapp:+6281234567890", " 081234567890 "],
)  # fmt: skip
def test_a_number_written_any_usual_way(written: str) -> None:
    assert normalise_phone(written) == "+6281234567890"


@pytest.mark.parametrize(
    "written", ["08129000666X", "0812 1111 1111x", "0812-ABCD-7890", "12345", "", "📱0812345678"]
)
def test_letters_or_too_few_digits_are_not_a_number(written: str) -> None:
    with pytest.raises(PhoneError):
        normalise_phone(written)
