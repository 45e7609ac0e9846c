"""JADWAL, TAHAPAN and questions in words about election dates, answered from the calendars.

"Today" is the member's: the day in their group's time zone (WIB, WITA or WIT).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from datetime import date

from bot.commands.conversation import Conversation
from bot.commands.registry import Reply, chat_commands
from broadcasts import calendars
from broadcasts.elections import (
    Election,
    Stage,
    current_election,
    find_election,
    next_election,
    next_stages,
    sources_of,
    stages_in_progress,
    timings,
)
from broadcasts.questions import election_named, read_question

# How Indonesians name their time zones; any other zone is shown by its name.
_ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
_MAX_ASKED = 40  # an unknown code is echoed back, cut to this length


@chat_commands.command("JADWAL", english=("DATES",), help="help_jadwal")
def dates(conversation: Conversation, args: str) -> Reply:
    """Key dates of the next election, or of the one named, with a countdown."""
    snapshot = calendars.snapshot(conversation.session)
    return replace(
        _dates(conversation, snapshot.elections, args),
        same_for=_same_for(conversation, snapshot, "JADWAL", args),
    )


def _dates(conversation: Conversation, elections: Sequence[Election], args: str) -> Reply:
    today = conversation.today
    found = _chosen(elections, args, today, next_election)
    if isinstance(found, Reply):
        return found
    if not found.decided:
        return not_set_reply(found, (), today)
    return Reply(
        "election_dates",
        {
            "election": found,
            "timings": timings(found.key_stages, today),
            "in_progress": stages_in_progress(found, today),
            "today": today,
            "zone": zone_name(conversation),
            "sources": sources_of(found, found.key_stages),
        },
    )


@chat_commands.command("TAHAPAN", english=("STAGE", "STAGES"), help="help_tahapan")
def stages(conversation: Conversation, args: str) -> Reply:
    """The stages in progress today and the next one."""
    snapshot = calendars.snapshot(conversation.session)
    return replace(
        _stages(conversation, snapshot.elections, args),
        same_for=_same_for(conversation, snapshot, "TAHAPAN", args),
    )


def _stages(conversation: Conversation, elections: Sequence[Election], args: str) -> Reply:
    today = conversation.today
    found = _chosen(elections, args, today, current_election)
    if isinstance(found, Reply):
        return found
    if not found.decided:
        return not_set_reply(found, (), today)
    in_progress = stages_in_progress(found, today)
    coming = next_stages(found, today)
    return Reply(
        "election_stages",
        {
            "election": found,
            "in_progress": timings(in_progress, today),
            "next": timings(coming, today),
            "today": today,
            "zone": zone_name(conversation),
            "sources": sources_of(found, (*in_progress, *coming)),
        },
    )


@chat_commands.fallback
def question(conversation: Conversation, body: str) -> Reply | None:
    """A date question in words ("kapan masa tenang pilkada 2024?"); None when it is not one."""
    snapshot = calendars.snapshot(conversation.session)
    reply = _question(conversation, snapshot.elections, body)
    if reply is None:
        return None
    return replace(reply, same_for=_same_for(conversation, snapshot, "?", body))


def _question(conversation: Conversation, elections: Sequence[Election], body: str) -> Reply | None:
    today = conversation.today
    asked = read_question(body, elections, today)
    if asked is None:
        return None
    language = asked.language
    election = asked.election
    if election is None:
        return _unknown_election(elections, asked.election_words, language)
    if not election.decided:
        return not_set_reply(election, asked.stages, today, language)
    if not asked.stages:
        known = election.key_stages
        data = {"election": election, "words": asked.unknown_words, "known": known}
        return Reply("election_unknown_stage", data, language=language)
    return Reply(
        "election_answer",
        {
            "election": election,
            "timings": timings(asked.stages, today),
            "sources": sources_of(election, asked.stages),
        },
        language=language,
    )


def not_set_reply(
    election: Election, asked: Sequence[Stage], today: date, language: str | None = None
) -> Reply:
    """An election KPU has not set the dates of: the stages asked about, else the provisional
    ones, each labelled as not official."""
    shown = tuple(asked) or tuple(s for s in election.stages if s.provisional)
    return Reply(
        "election_not_set",
        {
            "election": election,
            "timings": timings(shown, today),
            # The election's own source says why there are no dates yet.
            "sources": list(dict.fromkeys([election.source, *sources_of(election, shown)])),
        },
        language=language,
    )


def _same_for(conversation: Conversation, snapshot: calendars.Snapshot, *asked: str) -> Hashable:
    """What a date answer depends on: the calendars, the reader's day and zone, the question."""
    return (snapshot.generation, conversation.today, conversation.timezone.key, *asked)


def zone_name(conversation: Conversation) -> str:
    key = conversation.timezone.key
    return _ZONE_NAMES.get(key, key)


def _chosen(
    elections: Sequence[Election],
    args: str,
    today: date,
    default: Callable[[Sequence[Election], date], Election | None],
) -> Election | Reply:
    """The election the arguments name, else the default one; a reply when there is none."""
    codes = [e.code for e in elections]
    if not args.strip():
        return default(elections, today) or Reply("election_none", {"codes": codes})
    named = find_election(elections, args) or election_named(args, elections, today)
    return named or _unknown_election(elections, args.strip(), None)


def _unknown_election(elections: Sequence[Election], asked: str, language: str | None) -> Reply:
    codes = [e.code for e in elections]
    if not codes:
        return Reply("election_none", {"codes": codes}, language=language)
    data = {"asked": " ".join(asked.split())[:_MAX_ASKED], "codes": codes}
    return Reply("election_unknown", data, language=language)
