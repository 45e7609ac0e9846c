"""Scoring a reply to one labelled question: right, wrong (a date or an election that is not
the one asked about) or unhelpful. Judged from the reply's text, as the member reads it."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.dates import format_date

from broadcasts.elections.calendar import Election

_MONTHS = {
    "id": "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember",
    "en": "January February March April May June July August September October November December",
}
_MONTH_NUMBER = {
    name.casefold(): number
    for names in _MONTHS.values()
    for number, name in enumerate(names.split(), 1)
}
_DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(_MONTH_NUMBER) + r") (\d{4})\b", re.IGNORECASE)

# What each kind of answer says, by language.
MARKERS = {
    "not-set": {"id": "belum ditetapkan", "en": "been set yet"},
    "greeting": {"id": "Kami layanan informasi pemilu", "en": "We are an election information"},
    "thanks": {"id": "Sama-sama", "en": "You're welcome"},
    "dont-know": {"id": "belum bisa menjawab", "en": "cannot answer"},
    "unknown-election": {"id": "tidak ada di kalender", "en": "not in our election calendar"},
}


def dates_in(text: str) -> set[date]:
    found = set()
    for day, month, year in _DATE.findall(text):
        try:
            found.add(date(int(year), _MONTH_NUMBER[month.casefold()], int(day)))
        except ValueError:
            continue
    return found


def spoken(day: date, language: str) -> str:
    return format_date(day, "d MMMM y", locale="id" if language == "id" else "en")


@dataclass
class Score:
    right: int = 0
    wrong: int = 0
    unhelpful: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    right_by_kind: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.right + self.wrong + self.unhelpful

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0

    def summary(self) -> str:
        kinds = ", ".join(
            f"{kind} {self.right_by_kind[kind]}/{count}"
            for kind, count in sorted(self.by_kind.items())
        )
        return (
            f"{self.right}/{self.total} right ({self.accuracy:.1%}), {self.wrong} wrong, "
            f"{self.unhelpful} unhelpful [{kinds}]"
        )


SCORES: dict[str, Score] = {}


def judge(
    item: dict[str, Any], reply: str, elections: dict[str, Election], faq: dict[str, Any]
) -> tuple[str, str]:
    """("right" | "wrong" | "unhelpful", why)."""
    language = item.get("lang", "id")
    expect = item["expect"]
    codes = item.get("election", [])
    codes = [codes] if isinstance(codes, str) else list(codes)
    asked = [elections[c] for c in codes]
    allowed = _allowed_dates(item, asked, elections, faq, language)
    stray = dates_in(reply) - allowed
    if stray:
        return "wrong", "dates not of what was asked: " + ", ".join(map(str, sorted(stray)))
    if expect == "date":
        for election in asked:
            if _name(election, language) not in reply:
                return "unhelpful", f"does not name {election.code}"
            for stage_id in item["stages"]:
                stage = next(s for s in election.stages if s.id == stage_id)
                assert stage.start and stage.end
                for day in {stage.start, stage.end}:
                    if spoken(day, language) not in reply:
                        return "unhelpful", f"lacks {stage_id} ({day}) of {election.code}"
        return "right", ""
    if expect == "faq":
        title = faq[item["faq"]]["title"][language]
        return ("right", "") if title in reply else ("unhelpful", f"not the FAQ {item['faq']}")
    marker = MARKERS[expect][language]
    if marker not in reply:
        return "unhelpful", f"no {expect!r} answer in {language}"
    if expect == "not-set" and not any(_name(e, language) in reply for e in asked):
        return "unhelpful", f"does not name {codes}"
    return "right", ""


def _name(election: Election, language: str) -> str:
    return election.name.in_language(language)


def _allowed_dates(
    item: dict[str, Any],
    asked: list[Election],
    elections: dict[str, Election],
    faq: dict[str, Any],
    language: str,
) -> set[date]:
    if item["expect"] == "date":
        stages = [s for e in asked for s in e.stages]
    elif item["expect"] == "not-set":
        # When the same kind of stage was last held may be told; nothing else.
        kind = item.get("kind", "voting")
        stages = [s for e in elections.values() for s in e.stages if s.is_a(kind)]
    else:
        stages = []
    allowed = {d for s in stages for d in (s.start, s.end) if d is not None}
    # Facts the notes and the FAQ cite (the day of a court ruling) are not answers to a question.
    for election in elections.values():
        notes = [election.note, *(s.note for s in election.stages)]
        allowed |= {d for n in notes if n is not None for d in dates_in(n.in_language(language))}
    for entry in faq.values():
        allowed |= dates_in(str(entry.get("answer", {}).get(language, "")))
    return allowed
