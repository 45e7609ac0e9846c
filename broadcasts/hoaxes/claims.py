"""One claim, not a thousand rows: reports of the same hoax grouped as they arrive.

A hoax comes back hundreds of times with small changes: a greeting added, a word changed, "Info
dari grup sebelah" in front. Each report is read as its terms (the words CEK compares, roots with
Sastrawi, see `search`; forwarded media count as a term each, by digest) and compared, with
rapidfuzz's `token_set_ratio`, to the few claims that share the most of its rarest terms; it
joins the most similar at or above `SIMILAR`, else starts a claim of its own.

Which claims share terms with a report is known from a `ClaimIndex` in memory (the terms of
every claim, by term): comparing is then a matter of microseconds, not of a query per report. A
process keeps one per database and tops it up before each use with the claims others made;
should the database hold other claims than it remembers (restored, emptied), it starts over.
Two processes that see a new hoax at the same instant may each start a claim for it: rare, and
only a count split in two.
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from rapidfuzz import fuzz
from sqlalchemy import Connection, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from broadcasts.db.database import MAX_ID
from broadcasts.db.models import HoaxClaim, HoaxReport
from broadcasts.errors import HoaxError
from broadcasts.hoaxes import search

SIMILAR = 90.0  # token_set_ratio, 0–100
# Unless their terms are the same, a report and a claim share at least this many: "pemilu
# curang" is in many claims, and is none of them.
MIN_SHARED = 3
LOOKUP_TERMS = 8  # a report's rarest terms find its candidates
CANDIDATES = 8  # compared with rapidfuzz
MAX_INDEXED = 50_000  # the newest claims; an older hoax coming back starts a new one
_REREAD = 20  # the newest ids read again each time: a claim committed after a later one
_MEDIA_TERM = "media"


def terms_of(text: str, media_digests: Iterable[str] = ()) -> list[str]:
    """What a report is compared by: its terms, then one for each medium it carries."""
    terms = dict.fromkeys(found for _, found in search.words_and_terms(text))
    for digest in media_digests:
        terms[f"{_MEDIA_TERM}{digest[:32]}"] = None
    return list(terms)


def similar(report_terms: Sequence[str], claim_terms: Sequence[str]) -> float:
    """How alike a report is to a claim (0–100); 0 when they share too few terms to say."""
    mine, theirs = set(report_terms), set(claim_terms)
    if mine != theirs and len(mine & theirs) < MIN_SHARED:
        return 0.0
    return float(
        fuzz.token_set_ratio(" ".join(report_terms), " ".join(claim_terms), score_cutoff=SIMILAR)
    )


class ClaimIndex:
    """Every claim's terms, and the claims holding each term."""

    def __init__(self) -> None:
        self.terms: dict[int, list[str]] = {}
        self.holders: dict[str, set[int]] = {}
        # Most forwards are the same words again: found at once, with nothing to compare.
        self.same: dict[frozenset[str], int] = {}

    @property
    def highest(self) -> int:
        return max(self.terms, default=0)

    def add(self, claim_id: int, terms: list[str]) -> None:
        self.terms[claim_id] = terms
        self.same.setdefault(frozenset(terms), claim_id)
        for found in set(terms):
            self.holders.setdefault(found, set()).add(claim_id)

    def rename(self, provisional: int, claim_id: int) -> None:
        """A claim added before it had its id in the database gets it."""
        terms = self.terms[provisional]
        self.forget(provisional)
        self.add(claim_id, terms)

    def forget(self, claim_id: int) -> None:
        terms = self.terms.pop(claim_id)
        if self.same.get(frozenset(terms)) == claim_id:
            del self.same[frozenset(terms)]
        for found in set(terms):
            holders = self.holders[found]
            holders.discard(claim_id)
            if not holders:
                del self.holders[found]

    def match(self, terms: list[str]) -> int | None:
        """The claim most like a report with these terms, if one is alike enough."""
        same = self.same.get(frozenset(terms))
        if same is not None and terms:
            return same
        known = [t for t in set(terms) if t in self.holders]
        lookup = sorted(known, key=lambda t: (len(self.holders[t]), t))[:LOOKUP_TERMS]
        shared = Counter(claim for found in lookup for claim in self.holders[found])
        need = min(MIN_SHARED, len(set(terms)))
        likely = heapq.nlargest(CANDIDATES, ((n, c) for c, n in shared.items() if n >= need))
        scored = [(similar(terms, self.terms[claim]), claim) for _, claim in likely]
        best = max(scored, default=(0.0, 0))
        return best[1] if best[0] >= SIMILAR else None

    def top_up(self, session: Session | Connection) -> bool:
        """Adds the claims made since it last looked; False (nothing added) when the database
        holds claims other than it remembers."""
        highest = self.highest
        if (session.scalar(select(func.max(HoaxClaim.id))) or 0) < highest:
            return False
        rows = session.execute(
            select(HoaxClaim.id, HoaxClaim.match_key)
            .where(HoaxClaim.id > highest - _REREAD)
            .order_by(HoaxClaim.id)
        )
        for claim_id, key in rows:
            terms = key.split()
            remembered = self.terms.get(claim_id)
            if remembered is not None and remembered != terms:
                return False
            if remembered is None:
                self.add(claim_id, terms)
        for oldest in sorted(self.terms)[: max(0, len(self.terms) - MAX_INDEXED)]:
            self.forget(oldest)
        return True


_indexes: dict[str, ClaimIndex] = {}
# A web process may answer on several threads. Held for a whole `attach` (a claim it adds is
# provisional until stored); a report's transaction attaches once, so it never waits on itself.
_lock = threading.Lock()


def _index_for(session: Session) -> ClaimIndex:
    bind = session.get_bind()
    key = bind.engine.url.render_as_string(hide_password=True)
    index = _indexes.get(key)
    if index is None or not index.top_up(session):
        index = _indexes[key] = ClaimIndex()
        index.top_up(session)
    return index


@dataclass(frozen=True)
class Incoming:
    """A stored report to be put in a claim."""

    report_id: int
    terms: list[str]
    at: datetime


def attach(
    session: Session | Connection,
    reports: Sequence[Incoming],
    *,
    index: ClaimIndex | None = None,
) -> list[int]:
    """Puts stored reports in their claims (a new one for reports like none), counts them
    there, and returns each report's claim id; a few statements however many reports. `index`:
    one made for this call (a migration grouping many reports); by default this process's."""
    with _lock:
        claims = index if index is not None else _index_for(cast(Session, session))
        grouped = _grouped(claims, reports)
        joined = {c: group for c, group in grouped.items() if c > 0}
        new = sorted((c for c in grouped if c < 0), reverse=True)  # -1, -2…: in their order
        stored = _start(session, [grouped[c] for c in new])
        for provisional, claim_id in zip(new, stored, strict=True):
            claims.rename(provisional, claim_id)
            grouped[claim_id] = grouped.pop(provisional)
        for gone in _count(session, claims, joined):
            # No longer in the database as remembered (emptied, restored): they start afresh.
            _indexes.clear()
            group = grouped.pop(gone)
            (claim_id,) = _start(session, [group])
            grouped[claim_id] = group
        claim_of = {r.report_id: c for c, group in grouped.items() for r in group}
    chosen = [claim_of[r.report_id] for r in reports]
    _link(session, reports, chosen)
    return chosen


def _grouped(claims: ClaimIndex, reports: Sequence[Incoming]) -> dict[int, list[Incoming]]:
    """The reports by the claim each joins; a report like none starts one (a negative id until
    it is stored), which the next ones may join."""
    grouped: dict[int, list[Incoming]] = {}
    started = 0
    for report in reports:
        claim_id = claims.match(report.terms)
        if claim_id is None:
            started += 1
            claim_id = -started
            claims.add(claim_id, report.terms)
        grouped.setdefault(claim_id, []).append(report)
    return grouped


def _latest(reports: list[Incoming]) -> Incoming:
    return max(reports, key=lambda r: (r.at, r.report_id))


def _start(session: Session | Connection, groups: list[list[Incoming]]) -> list[int]:
    """New claims, one for each group of reports (the first of each its claim's text), in one
    statement; their ids in the same order."""
    if not groups:
        return []
    rows = [
        {
            "match_key": " ".join(group[0].terms),
            "first_report_id": group[0].report_id,
            "latest_report_id": _latest(group).report_id,
            "report_count": len(group),
            "first_report_at": group[0].at,
            "latest_report_at": _latest(group).at,
        }
        for group in groups
    ]
    table = cast("Table", HoaxClaim.__table__)
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(statement, rows).scalars())


def _count(
    session: Session | Connection, claims: ClaimIndex, joined: dict[int, list[Incoming]]
) -> list[int]:
    """Counts reports in the claims they joined, in one statement (so reports arriving at once
    all count); returns the claims the database no longer holds as remembered."""
    rows: list[dict[str, Any]] = [
        {
            "claim": claim_id,
            "key": " ".join(claims.terms[claim_id]),
            "more": len(group),
            "latest": _latest(group).report_id,
            "at": _latest(group).at,
        }
        for claim_id, group in joined.items()
    ]
    if not rows:
        return []
    table = cast("Table", HoaxClaim.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("claim"), table.c.match_key == bindparam("key"))
        .values(
            report_count=table.c.report_count + bindparam("more"),
            latest_report_id=bindparam("latest"),
            latest_report_at=bindparam("at"),
        )
    )
    if getattr(session.execute(statement, rows), "rowcount", 0) == len(rows):
        return []
    held = set(
        session.execute(
            select(table.c.id, table.c.match_key).where(table.c.id.in_([r["claim"] for r in rows]))
        ).tuples()
    )
    return [r["claim"] for r in rows if (r["claim"], r["key"]) not in held]


def _link(session: Session | Connection, reports: Sequence[Incoming], chosen: list[int]) -> None:
    rows = [{"report": r.report_id, "claim": c} for r, c in zip(reports, chosen, strict=True)]
    if rows:
        table = cast("Table", HoaxReport.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("report"))
            .values(claim_id=bindparam("claim"))
        )
        session.execute(statement, rows)


def get_claim(session: Session, claim_id: int) -> HoaxClaim:
    found = session.get(HoaxClaim, claim_id) if 0 < claim_id <= MAX_ID else None
    if found is None:
        raise HoaxError("unknown_claim", id=claim_id)
    return found


def first_report(session: Session, claim: HoaxClaim) -> HoaxReport | None:
    return session.get(HoaxReport, claim.first_report_id)
