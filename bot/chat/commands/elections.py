"""JADWAL, TAHAPAN and questions in words about election dates, answered from the calendars.

"Today" is the member's: the day in their group's time zone (WIB, WITA or WIT).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from datetime import date

from bot.chat.conversation import Conversation
from bot.chat.registry import Reply, chat_commands
from bot.web.media import timeline_media
from broadcasts import phrasebook
from broadcasts.elections import faq
from broadcasts.elections import stored as calendars
from broadcasts.elections.calendar import (
    Election,
    ElectionDataError,
    Stage,
    current_election,
    find_election,
    next_election,
    next_stages,
    sources_of,
    stages_in_progress,
    timings,
)
from broadcasts.elections.questions import Answer, Kind, Understood, election_named, understand

log = logging.getLogger(__name__)

# How Indonesians name their time zones; any other zone is shown by its name.
_MAX_ASKED = 40  # an unknown code is echoed back, cut to this length


def _election_or_nothing(conversation: Conversation, args: str) -> bool:
    """JADWAL and TAHAPAN take an election ("JADWAL pilkada 2024"), or nothing."""
    if not args.strip():
        return True
    elections = calendars.snapshot(conversation.session).elections
    named = find_election(elections, args) or election_named(args, elections, conversation.today)
    return named is not None


@chat_commands.command("JADWAL", english=("DATES",), help="help_jadwal", takes=_election_or_nothing)
def dates(conversation: Conversation, args: str) -> Reply:
    """Key dates of the next election, or of the one named, with a countdown."""
    snapshot = calendars.snapshot(conversation.session)
    return replace(
        _dates(conversation, snapshot, args),
        same_for=_same_for(conversation, snapshot, "JADWAL", args),
    )


def _dates(conversation: Conversation, snapshot: calendars.Snapshot, args: str) -> Reply:
    today = conversation.today
    found = _chosen(snapshot.elections, args, today, next_election)
    if isinstance(found, Reply):
        return found
    # The dates as a picture too: a timeline reads better on a phone than a list.
    picture = timeline_media(conversation.settings, snapshot, found.code, conversation.now)
    if not found.decided:
        return replace(not_set_reply(found, (), today), media=picture)
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
        media=picture,
    )


@chat_commands.command(
    "TAHAPAN", english=("STAGE", "STAGES"), help="help_tahapan", takes=_election_or_nothing
)
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
    """A question in words ("kpn masa tenang pilkada 2024?", "apa itu DPT?", "halo min");
    None when the message reads as no question at all."""
    snapshot = calendars.snapshot(conversation.session)
    entries = faq.snapshot(conversation.session)
    try:
        understood = _understood(body, snapshot, entries, conversation.today)
    except ElectionDataError:
        # A broken vocabulary file must not take every reply down: the commands still work.
        log.exception("the question reader cannot read its vocabulary")
        return None
    if understood is None:
        return None
    if understood.kind is Kind.CURRENT:
        return replace(stages(conversation, ""), language=understood.language)
    reply = _reply_for(conversation, understood, snapshot.elections, entries.entries)
    answers = understood.kind in _ANSWERS
    same_for = _same_for(conversation, snapshot, entries.generation, body)
    return replace(reply, same_for=same_for, answers=answers)


# What a question was understood as, by its text, the calendars, the FAQ and the day: most
# messages ask the same few things, and reading costs more than looking up. Emptied when full.
_UNDERSTOOD: dict[tuple[str, int, int, date], Understood | None] = {}
_UNDERSTOOD_MAX = 4096


def _understood(
    body: str, snapshot: calendars.Snapshot, entries: faq.FaqSnapshot, today: date
) -> Understood | None:
    key = (body, snapshot.generation, entries.generation, today)
    if key not in _UNDERSTOOD:
        if len(_UNDERSTOOD) >= _UNDERSTOOD_MAX:
            _UNDERSTOOD.clear()
        _UNDERSTOOD[key] = understand(body, snapshot.elections, today, entries.entries)
    return _UNDERSTOOD[key]


def _reply_for(
    conversation: Conversation,
    understood: Understood,
    elections: Sequence[Election],
    entries: Sequence[faq.FaqEntry],
) -> Reply:
    today, language = conversation.today, understood.language
    if understood.kind is Kind.DATES:
        return Reply("election_answer", _answers_data(understood, today), language=language)
    if understood.kind is Kind.NOT_SET:
        return Reply("election_not_set", _answers_data(understood, today), language=language)
    if understood.kind is Kind.UNKNOWN_STAGE:
        election = understood.answers[0].election
        data = {
            "election": election,
            "words": understood.words,
            "known": election.key_stages,
            "choices": understood.choices,
        }
        return Reply("election_unknown_stage", data, language=language)
    if understood.kind is Kind.UNKNOWN_ELECTION:
        return _unknown_election(elections, understood.words, language)
    if understood.kind is Kind.FAQ:
        entry = next(e for e in entries if e.id == understood.faq)
        return Reply("faq_answer", {"entry": entry}, language=language)
    template, data = _COURTESY[understood.kind]
    return Reply(template, data, language=language)


# What a message is answered with when it is not about dates.
_COURTESY: dict[Kind, tuple[str, dict[str, object]]] = {
    Kind.GREETING: ("greeting", {"salam": False}),
    Kind.SALAM: ("greeting", {"salam": True}),
    Kind.THANKS: ("thanks", {}),
    Kind.ACK: ("ack", {}),
    Kind.DONT_KNOW: ("dont_know", {}),
}
# The kinds that answer what was asked (CEK falls back on them when it finds no clarification).
_ANSWERS = frozenset({Kind.DATES, Kind.NOT_SET, Kind.FAQ, Kind.CURRENT})


def _answers_data(understood: Understood, today: date) -> dict[str, object]:
    """What the date templates show: each election's stages, and where they were last held."""
    answers = [
        {
            "election": a.election,
            "timings": timings(a.stages, today),
            "last": [(held, timings(stages, today)) for held, stages in a.last],
        }
        for a in understood.answers
    ]
    shown = [s for a in understood.answers for s in a.stages]
    held = [s for a in understood.answers for _, stages in a.last for s in stages]
    sources = [a.election.source for a in understood.answers if not a.election.decided]
    for a in understood.answers:
        sources += sources_of(a.election, a.stages) if a.stages else []
        sources += [src for e, stages in a.last for src in sources_of(e, stages)]
    asked = shown or (held[:1] if len(held) == 1 else [])
    return {
        "answers": answers,
        "sources": list(dict.fromkeys(sources)),
        "asked": [s.name.id for s in asked],
        "asked_en": [s.name.en for s in asked],
    }


def not_set_reply(
    election: Election, asked: Sequence[Stage], today: date, language: str | None = None
) -> Reply:
    """JADWAL or TAHAPAN of an election KPU has not set the dates of."""
    understood = Understood(Kind.NOT_SET, language, (Answer(election, tuple(asked)),))
    return Reply("election_not_set", _answers_data(understood, today), language=language)


def _same_for(conversation: Conversation, snapshot: calendars.Snapshot, *asked: object) -> Hashable:
    """What a date answer depends on: the calendars, the reader's day and zone, the question."""
    return (snapshot.generation, conversation.today, conversation.timezone.key, *asked)


def zone_name(conversation: Conversation) -> str:
    """The reader's zone as they call it (WIB, WITA, WIT): `phrasebook.zone_name`'s rule."""
    return phrasebook.zone_name(conversation.now.astimezone(conversation.timezone))


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
    if not elections:
        return Reply("election_none", {"codes": []}, language=language)
    data = {
        "asked": " ".join(asked.split())[:_MAX_ASKED],
        "names_id": [e.name.id for e in elections],
        "names_en": [e.name.en for e in elections],
    }
    return Reply("election_unknown", data, language=language)
