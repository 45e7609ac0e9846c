"""The timeline picture: a PNG of the expected size, guarded by golden images, and drawn again
when what it shows changes.

The golden images under tests/golden/ were drawn for fixed calendars and days. After a change
to the layout that is meant, look at the new pictures and write them again with
`HUMASBOT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_timeline_picture.py`.
"""

from __future__ import annotations

import io
import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from broadcasts.elections.calendar import Election
from broadcasts.elections.stored import bundled_files, read_calendar_file
from broadcasts.elections.timeline_picture import WIDTH, draw, picture

GOLDEN = Path(__file__).parent.parent / "golden"
CAMPAIGN_DAY = date(2024, 2, 4)  # Pemilu 2024's campaign, ten days before voting
# A picture matches another when it looks the same: seen in grey on a grid of 4x4-pixel cells,
# at most this many cells differ by more than STRONG grey levels (of 255). That forgives what
# another font renderer does to antialiasing, or a picture moved by a pixel (no such cell),
# but not a bar moved (about 180) or a word changed.
STRONG, MAX_CHANGED_CELLS = 96, 20


@pytest.fixture(scope="module")
def bundled() -> dict[str, Election]:
    return {e.code: e for e in map(read_calendar_file, bundled_files())}


def decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()  # fails on a broken file
    assert image.format == "PNG"
    return image


def difference(png: bytes, other: bytes) -> int:
    """How many 4x4-pixel cells of two pictures differ clearly in grey (every cell when their
    sizes differ)."""
    first, second = decoded(png), decoded(other)
    cells = (first.width // 4, first.height // 4)
    if first.size != second.size:
        return cells[0] * cells[1]
    grey = [
        np.asarray(image.convert("L").resize(cells, Image.Resampling.BOX), dtype=float)
        for image in (first, second)
    ]
    return int((np.abs(grey[0] - grey[1]) > STRONG).sum())


def golden(name: str, png: bytes) -> bytes:
    path = GOLDEN / name
    if os.environ.get("HUMASBOT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(png)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("code", "day", "language", "name", "size"),
    [
        ("pemilu2024", CAMPAIGN_DAY, "id", "timeline-pemilu2024-id.png", (WIDTH, 1684)),
        ("pemilu2029", date(2026, 3, 15), "en", "timeline-pemilu2029-en.png", (WIDTH, 1350)),
    ],
)
def test_the_picture_is_a_portrait_png_that_matches_its_golden_image(
    bundled: dict[str, Election],
    code: str,
    day: date,
    language: str,
    name: str,
    size: tuple[int, int],
) -> None:
    png = draw(bundled[code], day, language, "WIB")
    image = decoded(png)
    assert image.size == size and image.height >= image.width
    assert difference(png, golden(name, png)) <= MAX_CHANGED_CELLS


def test_the_golden_comparison_sees_a_picture_of_another_day(
    bundled: dict[str, Election],
) -> None:
    # Two weeks on: today's line moves and the countdowns change, nothing else.
    later = draw(bundled["pemilu2024"], date(2024, 2, 18), "id", "WIB")
    assert difference(later, (GOLDEN / "timeline-pemilu2024-id.png").read_bytes()) > (
        MAX_CHANGED_CELLS
    )


def test_a_calendar_change_draws_a_different_picture(bundled: dict[str, Election]) -> None:
    pemilu = bundled["pemilu2024"]
    moved = replace(
        pemilu,
        stages=tuple(
            replace(s, start=date(2024, 3, 14), end=date(2024, 3, 14))
            if s.id == "pemungutan-suara"
            else s
            for s in pemilu.stages
        ),
    )
    before = picture(pemilu, CAMPAIGN_DAY, "id", "WIB")
    after = picture(moved, CAMPAIGN_DAY, "id", "WIB")
    assert after.etag != before.etag
    assert difference(after.png, before.png) > MAX_CHANGED_CELLS


def test_a_picture_is_drawn_once_per_calendar_day_and_language(
    bundled: dict[str, Election],
) -> None:
    pilkada = bundled["pilkada2024"]
    first = picture(pilkada, CAMPAIGN_DAY, "id", "WIB")
    assert picture(pilkada, CAMPAIGN_DAY, "id", "WIB") is first
    english = picture(pilkada, CAMPAIGN_DAY, "en", "WIB")
    tomorrow = picture(pilkada, date(2024, 2, 5), "id", "WIB")
    assert len({first.etag, english.etag, tomorrow.etag}) == 3
    # The same picture drawn again, as another process would, has the same bytes and tag.
    assert draw(pilkada, CAMPAIGN_DAY, "id", "WIB") == first.png
