"""Questions as members type them, through the real chat path (signed webhook requests), judged
against labels: the suite fails on any wrong date or wrong election, and below 95 % right.

The corpus (`corpus.yaml`) was written from how people ask, not from the bot's vocabulary.
"I don't know" is unhelpful, never wrong; a date of something not asked is wrong.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.elections import faq
from broadcasts.elections import stored as calendars
from config.settings import FAQ_DIR
from tests.questions.scoring import SCORES, Score, judge
from tests.signing import SignedClient

HERE = Path(__file__).parent
# corpus.yaml: the questions the reader was built against; holdout.yaml: written separately,
# by someone who never saw the reader's vocabulary, to show whether it generalises.
CORPORA = {
    name: yaml.safe_load((HERE / f"{name}.yaml").read_text("utf-8"))
    for name in ("corpus", "holdout")
}
CORPUS = CORPORA["corpus"]
TODAY = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday morning in WIB
TARGET = 0.95
MEMBER = "+6281299990000"
SHOWN_FAILURES = 40


def test_the_corpus_is_large_and_labelled() -> None:
    assert len(CORPUS) >= 300
    kinds = {item["expect"] for item in CORPUS}
    assert kinds >= {"date", "not-set", "faq", "dont-know", "unknown-election", "greeting"}
    assert sum(item.get("lang") == "en" for item in CORPUS) >= 30


def _faq_documents() -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for path in sorted(FAQ_DIR.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]:
            entries[entry["id"]] = entry
    return entries


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_members_questions_are_answered_right_and_never_with_a_wrong_date(
    database: Database, twilio: SignedClient, clock: FixedClock, corpus: str
) -> None:
    clock.set(TODAY)
    with database.transaction() as session:
        calendars.load_bundled(session, clock.now())
        faq.load_bundled(session, clock.now())
        elections = {e.code: e for e in calendars.snapshot(session).elections}
    documents = _faq_documents()
    score = Score()
    wrong: list[str] = []
    for item in CORPORA[corpus]:
        reply = twilio.say(MEMBER, item["q"])
        verdict, why = judge(item, reply, elections, documents)
        score.by_kind[item["expect"]] += 1
        if verdict == "right":
            score.right += 1
            score.right_by_kind[item["expect"]] += 1
            continue
        line = f"{verdict.upper()}: {item['q']!r} ({item['expect']}): {why}\n    {reply!r}"
        if verdict == "wrong":
            score.wrong += 1
            wrong.append(line)
        else:
            score.unhelpful += 1
        score.failures.append(line)
    SCORES[f"{corpus}.yaml on {database.engine.dialect.name}"] = score
    if os.environ.get("HUMASBOT_CORPUS_REPORT"):
        report_file = Path(os.environ["HUMASBOT_CORPUS_REPORT"] + f".{corpus}")
        report_file.write_text("\n".join(score.failures) + "\n")
    report = "\n".join(score.failures[:SHOWN_FAILURES])
    assert not wrong, f"{score.summary()}\n" + "\n".join(wrong)
    assert score.accuracy >= TARGET, f"{score.summary()}\n{report}"


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_reply_speaks_the_language_asked_in(
    database: Database, twilio: SignedClient, clock: FixedClock, language: str
) -> None:
    clock.set(TODAY)
    with database.transaction() as session:
        calendars.load_bundled(session, clock.now())
    asked = [i for i in CORPUS if i.get("lang", "id") == language and i["expect"] == "date"][:5]
    for item in asked:
        reply = twilio.say(MEMBER, item["q"])
        assert ("Sumber:" if language == "id" else "Source:") in reply, (item["q"], reply)
