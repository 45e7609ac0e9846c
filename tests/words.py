"""The style guide's rules (`../shared/reference/words.md`) as checks, shared by the test of
every template (`tests/unit/test_words.py`) and the test of every rendered reply
(`tests/e2e/test_words_in_replies.py`)."""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"<[^<>\n]{1,40}>")
ISO_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}:\d{2}\b|\+00:00")
ZONE_LESS = re.compile(r"waktu setempat|local time", re.IGNORECASE)
INTERNAL = re.compile(
    r"\bTwilio\b|\bworker\b|member:|\+62\d|\b(?:pemilu|pilkada|pemilulokal)\d{4}\b"
    r"|\b[a-z]+_[a-z_]+\b",  # an error key or a state value (`content_not_approved`, `opted_out`)
)
# The glossary's "not" column (words.md): the word each thing is never called. A series of posts
# is no *kampanye*; the election's *masa kampanye* (campaign period) is one.
NOT_ID = re.compile(
    r"\bbroadcast\b|pesan massal|\bredaksi\b|grup di atasnya|kode gabung|berhenti berlangganan"
    r"|perkiraan sementara|(?<!masa )\bkampanye\b|jam tenang|masa tahan\b|\bdilewati\b|\bterbaca\b"
    r"|\bantrian\b|(?<![.\w/])id\b(?![.\w])|\bsaya\b(?! *\*)",
    re.IGNORECASE,
)
NOT_EN = re.compile(
    r"\bcampaigns?\b(?! period)|\bblackouts?\b|\bskipped\b|\bsent to(?=\s*[.,;]|\s+will\b)"
    r"|\bunsubscribe\b"
    r"|(?<!http)\(s\)",  # "editor(s)": say one or several as the count says
    re.IGNORECASE,
)
# A stage that is over is *selesai* / *over*: in the words about election stages.
STAGE_OVER = re.compile(r"sudah lewat|already past", re.IGNORECASE)
# English state values in Indonesian prose.
STATE_ID = re.compile(r"\b(?:approved|pending|sending|done|rejected|cancelled|queued|failed)\b")
# A clock time (09.00, 9:00) in a rendered reply, and what must follow it on its line: a zone,
# after at most a range's other end ("21.00–06.00 WIB").
CLOCK = re.compile(r"(?<![\d.,:/])(?:[01]?\d|2[0-3])[.:][0-5]\d(?![\d.,:/]\d)")
ZONE_AFTER = re.compile(r"^(?:\s*[–-]\s*(?:[01]?\d|2[0-3])[.:][0-5]\d)?\s+(?:WIB|WITA|WIT)\b")
URL = re.compile(r"\bhttps?://\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:go\.id|com|id|org)(?:/\S*)?")
QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”")
MAX_LINES = 6


def without_typed(text: str) -> str:
    """What to type is shown in bold (`*JADWAL pemilu2029*`): codes may appear there."""
    return re.sub(r"\*[^*\n]+\*", "", text)


def word_problems(text: str, language: str) -> list[str]:
    """What in some shown words breaks the style guide; [] when nothing does. `text` is prose
    as people read it (bold is what they type and is left out of the word checks)."""
    typed = without_typed(text)
    found = [f"type an example, not {p}" for p in PLACEHOLDER.findall(text)]
    if "UTC" in text or ISO_TIME.search(text):
        found.append("a raw time (UTC or ISO): say it with *pukul* and the zone")
    found += [f"say the zone, not {z!r}" for z in ZONE_LESS.findall(text)]
    found += [f"internal word {w!r}" for w in INTERNAL.findall(typed)]
    if language == "id":
        found += [f"not in the glossary: {w!r}" for w in NOT_ID.findall(typed)]
        found += [f"a state value in Indonesian: {w!r}" for w in STATE_ID.findall(typed)]
        if text.lower().count("belum resmi") > 1:
            found.append("say *belum resmi* once")
    else:
        found += [f"not in the glossary: {w!r}" for w in NOT_EN.findall(typed)]
        if text.lower().count("not official") > 1:
            found.append("say *not official* once")
    return found


def reply_problems(reply: str, language: str, *, sent: str = "", long: bool = False) -> list[str]:
    """What in one rendered reply breaks the style guide. The words people wrote are theirs,
    not the bot's: the message answered (`sent`) and quoted text ("…": a preview, a claim, a
    query) are left out, and so are links. `long`: a list the reader asked for, or a broadcast's
    own body, may take more than six lines."""
    shown = reply
    for echo in sorted({sent.strip(), *sent.split()}, key=len, reverse=True):
        if len(echo) > 2:
            shown = re.sub(rf"(?<!\w){re.escape(echo)}(?!\w)", " ", shown, flags=re.IGNORECASE)
    shown = URL.sub(" ", QUOTED.sub('" "', shown))
    found = word_problems(shown, language)
    prose = without_typed(shown)
    for clock in CLOCK.finditer(prose):
        if not ZONE_AFTER.match(prose[clock.end() :]):
            found.append(f"a time without its zone: {clock.group()!r}")
    lines = [line for line in reply.splitlines() if line.strip()]
    if len(lines) > MAX_LINES and not long:
        found.append(f"{len(lines)} lines: at most {MAX_LINES}")
    return found
