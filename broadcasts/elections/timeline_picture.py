"""An election's timeline as a picture: its key stages as bars on a time axis, for a phone.

Pure domain: an `Election`, the day, a language and the zone's name in, PNG bytes out. Dates
come only from the calendar: a stage without them is drawn as undecided, never placed. Every
word comes from templates/messages/<language>/timeline_*.txt.

Drawn with matplotlib's Agg backend in the DejaVu fonts matplotlib ships, so it looks the same on
every machine and fetches nothing. The picture is portrait and 1080 pixels wide with large type:
WhatsApp shows it across the width of a phone screen.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from broadcasts.elections.calendar import Election, Stage, StageTiming, Timing, sources_of, timings
from broadcasts.phrasebook import render

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

WIDTH = 1080  # pixels
MIN_HEIGHT = 1350  # 4:5 portrait; more stages make it taller
DPI = 72  # one point is one pixel: sizes below are pixels
MARGIN = 60
CHART_LEFT, CHART_RIGHT = MARGIN, WIDTH - MARGIN
_CHART_WIDTH = CHART_RIGHT - CHART_LEFT
BAR_HEIGHT = 30
MIN_BAR = 16  # a one-day stage is still visible
MIN_TICK_GAP = 85  # pixels between month labels
HINTING = 1.02  # Agg's hinted glyphs come out up to 2 % wider than their outlines measure

# Sizes in pixels (DPI 72): phones shrink the picture to about a third, so 30 px reads as 10 px.
TITLE, SUBTITLE, NAME, DETAIL, AXIS, FOOTER = 46, 30, 34, 29, 26, 25

INK, MUTED, PAPER = "#1b1f24", "#5c6370", "#ffffff"
PAST, UPCOMING, CURRENT, TODAY = "#98a2b3", "#1f5fad", "#e8590c", "#c92a2a"
CURRENT_BAND, UNDECIDED_FILL, GRID = "#fff0e5", "#eef0f3", "#e3e6ea"
_COLOURS = {
    Timing.PAST: PAST,
    Timing.UPCOMING: UPCOMING,
    Timing.IN_PROGRESS: CURRENT,
    Timing.TODAY: CURRENT,
}
_NOW = (Timing.IN_PROGRESS, Timing.TODAY)


@dataclass(frozen=True)
class Picture:
    png: bytes
    etag: str  # a digest of the bytes: the same picture has the same tag in every process


# Drawn pictures by what they show. A new day or calendar makes new keys; the oldest go first.
_PICTURES: dict[tuple[Election, date, str, str], Picture] = {}
_KEEP = 32
# matplotlib shares its fonts between figures and is not thread-safe: one drawing at a time.
_DRAWING = threading.Lock()


def picture(election: Election, today: date, language: str, zone: str) -> Picture:
    """The timeline of `election` on `today`, drawn once per calendar, day, language and zone."""
    key = (election, today, language, zone)
    found = _PICTURES.get(key)
    if found is not None:
        return found
    with _DRAWING:
        found = _PICTURES.get(key)  # another thread may have drawn it meanwhile
        if found is None:
            png = draw(election, today, language, zone)
            found = _PICTURES[key] = Picture(png, hashlib.sha256(png).hexdigest()[:32])
            if len(_PICTURES) > _KEEP:
                del _PICTURES[next(iter(_PICTURES))]
    return found


def draw(election: Election, today: date, language: str, zone: str) -> bytes:
    """The PNG: title and day, one row per key stage, the time axis with today, the sources."""
    sheet = _Sheet()
    axis = _axis(election.key_stages, today)
    y = sheet.lines(render("timeline_title", language, election=election), MARGIN, TITLE, bold=True)
    y = sheet.lines(render("timeline_today", language, today=today, zone=zone), y + 8, SUBTITLE)
    chart_top = y + 24
    y = chart_top + (AXIS * 2.6 if axis else 0)  # room for the month labels
    for timing in timings(election.key_stages, today):
        y = _row(sheet, axis, timing, language, y)
    chart_bottom = y
    if axis is not None:
        _month_labels(sheet, axis, chart_top, chart_bottom, language)
        y = _today_mark(sheet, axis, today, chart_top, chart_bottom, language)
    if not election.decided:
        y = sheet.lines(render("timeline_not_set", language), y + 24, DETAIL, colour=MUTED)
        if election.note is not None:
            y = sheet.lines(election.note.in_language(language), y + 12, FOOTER, colour=MUTED)
    footer = render("timeline_footer", language, sources=_sources(election))
    footer_height = sheet.height_of(footer, FOOTER)
    height = max(MIN_HEIGHT, round(y + 40 + footer_height + MARGIN))
    sheet.lines(footer, height - MARGIN - footer_height, FOOTER, colour=MUTED)
    return sheet.png(height)


def _sources(election: Election) -> list[str]:
    """What the picture cites: the stages' sources, and the election's while it is undecided."""
    found = sources_of(election, election.key_stages)
    return found if election.decided else list(dict.fromkeys([election.source, *found]))


# --- The time axis -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Axis:
    """Whole months from `first` to `last` (exclusive) across the chart's width."""

    first: date
    last: date

    def x(self, day: date) -> float:
        share = (day - self.first).days / (self.last - self.first).days
        return CHART_LEFT + share * _CHART_WIDTH

    def months(self) -> list[date]:
        found, month = [], self.first
        while month < self.last:
            found.append(month)
            month = _next_month(month)
        return found


def _axis(stages: Sequence[Stage], today: date) -> _Axis | None:
    """The months the dated stages span; today too when it is near. None when none is dated."""
    spans = [span for span in map(_days, stages) if span is not None]
    if not spans:
        return None
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    near = (last - first) / 2
    if first - near <= today < last + near:
        first, last = min(first, today), max(last, today + timedelta(days=1))
    end_month = _next_month(last - timedelta(days=1))
    return _Axis(first.replace(day=1), end_month)


def _days(stage: Stage) -> tuple[date, date] | None:
    """The days a stage covers (end exclusive), or its expected month; None without dates."""
    if stage.start is not None and stage.end is not None:
        return stage.start, stage.end + timedelta(days=1)
    if stage.expected_month is not None:
        return stage.expected_month, _next_month(stage.expected_month)
    return None


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_labels(sheet: _Sheet, axis: _Axis, top: float, bottom: float, language: str) -> None:
    """A gridline at each month, labelled as often as the width allows; the year where it
    starts and where a year turns."""
    months = axis.months()
    every = next(
        (n for n in (1, 2, 3, 4, 6, 12) if _CHART_WIDTH * n / len(months) >= MIN_TICK_GAP), 12
    )
    labelled = [m for m in months if (m.month - 1) % every == 0] or months[:1]
    for month in months:
        sheet.vline(axis.x(month), top, bottom, GRID, width=2)
    for n, month in enumerate(labelled):
        with_year = n == 0 or month.month == 1
        text = render("timeline_month", language, month=month, with_year=with_year)
        sheet.lines(text, top, AXIS, x=axis.x(month) + 8, colour=MUTED)


def _today_mark(
    sheet: _Sheet, axis: _Axis, today: date, top: float, bottom: float, language: str
) -> float:
    """Today's line across the chart, labelled under it; an arrow at the edge when today is off
    the axis. Returns where the label ends."""
    if today < axis.first:
        side, x = "before", float(CHART_LEFT)
    elif today >= axis.last:
        side, x = "after", float(CHART_RIGHT)
    else:
        side, x = "on", axis.x(today) + (axis.x(today + timedelta(days=1)) - axis.x(today)) / 2
        sheet.vline(x, top, bottom + 8, TODAY, width=4)
    label = render("timeline_today_mark", language, side=side)
    width = _width(label, AXIS, True)
    left = min(max(x - width / 2, CHART_LEFT), CHART_RIGHT - width)
    return sheet.lines(label, bottom + 14, AXIS, x=left, colour=TODAY, bold=True)


# --- One stage -----------------------------------------------------------------------------


def _row(sheet: _Sheet, axis: _Axis | None, timing: StageTiming, language: str, y: float) -> float:
    """The stage's name, its bar and a line with its dates and standing; returns the row's end."""
    stage, now = timing.stage, timing.timing in _NOW
    colour = CURRENT if now else (MUTED if timing.timing is Timing.PAST else INK)
    top, background = y, CURRENT_BAND if now else PAPER
    name = stage.name.in_language(language)
    y = sheet.lines(name, y + 14, NAME, bold=now, colour=colour, background=background)
    _bar(sheet, axis, timing, y + 8)
    detail = render("timeline_stage", language, t=timing)
    y = sheet.lines(
        detail, y + BAR_HEIGHT + 20, DETAIL, bold=now, colour=colour, background=background
    )
    if now:  # highlighted: the row on a band of its own colour
        sheet.band(top, y + 14)
    return y + 22


def _bar(sheet: _Sheet, axis: _Axis | None, timing: StageTiming, y: float) -> None:
    stage = timing.stage
    days = _days(stage) if axis is not None else None
    if days is None or axis is None:
        # Undecided: a dashed outline across the chart, placed nowhere in time.
        sheet.bar(CHART_LEFT, CHART_RIGHT, y, UNDECIDED_FILL, edge=PAST, dashed=True)
        return
    left, right = axis.x(days[0]), axis.x(days[1])
    if right - left < MIN_BAR:
        middle = (left + right) / 2
        left, right = middle - MIN_BAR / 2, middle + MIN_BAR / 2
    if stage.provisional or not stage.held:
        sheet.bar(left, right, y, PAPER, edge=UPCOMING if stage.held else PAST, hatch="///")
        return
    sheet.bar(left, right, y, _COLOURS.get(timing.timing, UPCOMING))


# --- Drawing -------------------------------------------------------------------------------


class _Sheet:
    """A figure whose units are pixels from the top left, with text that wraps to the chart."""

    def __init__(self) -> None:
        # matplotlib takes most of a second to import: only a process that draws pays for it.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure: Figure = Figure(figsize=(WIDTH / DPI, MIN_HEIGHT / DPI), dpi=DPI)
        self.figure.patch.set_facecolor(PAPER)
        FigureCanvasAgg(self.figure)
        self.axes: Axes = self.figure.add_axes((0, 0, 1, 1))
        self.axes.set_axis_off()
        self.axes.set_xlim(0, WIDTH)
        self.axes.set_ylim(MIN_HEIGHT, 0)

    def lines(
        self,
        text: str,
        y: float,
        size: int,
        *,
        x: float = CHART_LEFT,
        bold: bool = False,
        colour: str = INK,
        background: str = PAPER,
    ) -> float:
        """Writes `text` from (x, y) down, wrapped to the chart's right edge; returns its end.
        Each line is on its own `background`, so the lines of the chart pass behind it."""
        box = {"boxstyle": "square,pad=0.05", "facecolor": background, "linewidth": 0}
        for line in self.wrapped(text, size, bold, CHART_RIGHT - x):
            font = _font(size, bold)
            self.axes.text(x, y, line, fontproperties=font, color=colour, va="top", bbox=box)
            y += size * 1.3
        return y

    def height_of(self, text: str, size: int) -> float:
        return len(self.wrapped(text, size, False, CHART_RIGHT - CHART_LEFT)) * size * 1.3

    def wrapped(self, text: str, size: int, bold: bool, width: float) -> list[str]:
        """Lines no wider than `width`, broken between words (a word longer stays whole)."""
        space = _width(" ", size, bold)
        found: list[str] = []
        for paragraph in text.splitlines():
            line, used = "", 0.0
            for word in paragraph.split():
                extra = _width(word, size, bold) + (space if line else 0)
                if line and used + extra > width:
                    found.append(line)
                    line, used = "", 0.0
                    extra -= space
                line, used = f"{line} {word}" if line else word, used + extra
            found.append(line)
        return found

    def bar(
        self,
        left: float,
        right: float,
        y: float,
        fill: str,
        *,
        edge: str | None = None,
        dashed: bool = False,
        hatch: str | None = None,
    ) -> None:
        from matplotlib.patches import Rectangle

        self.axes.add_patch(
            Rectangle(
                (left, y),
                right - left,
                BAR_HEIGHT,
                facecolor=fill,
                edgecolor=edge or fill,
                linewidth=2.5 if edge else 0,
                linestyle="--" if dashed else "-",
                hatch=hatch,
                zorder=2,
            )
        )

    def band(self, top: float, bottom: float) -> None:
        """A band across the picture, behind everything drawn there."""
        from matplotlib.patches import Rectangle

        corner, width, height = (MARGIN / 2, top), WIDTH - MARGIN, bottom - top
        band = Rectangle(corner, width, height, facecolor=CURRENT_BAND, linewidth=0, zorder=0)
        self.axes.add_patch(band)

    def vline(self, x: float, top: float, bottom: float, colour: str, *, width: float) -> None:
        self.axes.plot([x, x], [top, bottom], color=colour, linewidth=width, zorder=1)

    def png(self, height: int) -> bytes:
        self.figure.set_size_inches(WIDTH / DPI, height / DPI)
        self.axes.set_ylim(height, 0)
        out = io.BytesIO()
        # No "Software" entry: the bytes (and so the ETag) do not name matplotlib's version.
        # zlib's level 3, not 6: the encoding takes a third less time for a tenth more bytes.
        self.figure.savefig(
            out,
            format="png",
            dpi=DPI,
            metadata={"Software": None},
            pil_kwargs={"compress_level": 3},
        )
        return out.getvalue()


@cache
def _font(size: int, bold: bool) -> FontProperties:
    """DejaVu Sans from matplotlib's own files, never a system font that differs by machine."""
    import matplotlib
    from matplotlib.font_manager import FontProperties

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return FontProperties(fname=Path(matplotlib.get_data_path(), "fonts", "ttf", name), size=size)


@lru_cache(maxsize=4096)
def _width(text: str, size: int, bold: bool) -> float:
    """How wide `text` is drawn, in pixels. Measuring is most of the cost of wrapping, and the
    same words come back in every picture: each is measured once per process."""
    from matplotlib.textpath import text_to_path

    width, _, _ = text_to_path.get_text_width_height_descent(text, _font(size, bold), ismath=False)
    return width * HINTING
