"""Election stages as anchors: which stage an entry names, and which days it spans today.

An anchor is kept as the stage's id in its election's calendar ("pemungutan-suara"), or as
`kind:<kind>` ("kind:quiet") when the election's dates are not yet set and its calendar does not
list that stage yet: the official calendar, once loaded, supplies it with no edit. Only official
dates anchor a send: a provisional date is a guess, and the entry waits and says so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from broadcasts.editorial_calendar.rules import StageSpan, stage_slug
from broadcasts.elections.calendar import Election, Stage
from broadcasts.elections.questions import bundled_vocabulary, words_of
from broadcasts.errors import CalendarError

KIND_PREFIX = "kind:"


def by_code(elections: Iterable[Election]) -> dict[str, Election]:
    return {election.code: election for election in elections}


def election_named(elections: Mapping[str, Election], code: str) -> Election:
    found = elections.get("".join(code.lower().split()).replace("-", "").replace("_", ""))
    if found is None:
        raise CalendarError("unknown_election", code=code, known=", ".join(sorted(elections)))
    return found


def resolve_stage(election: Election, words: str) -> str:
    """The stage reference for `words` (an id, a kind, or words members use for the stage)."""
    slug = stage_slug(words)
    if any(stage.id == slug for stage in election.stages):
        return slug
    kinds = [slug] if _known_kind(slug, election) else _kinds_named(words)
    for kind in kinds:
        stages = election.stages_of_kind([kind])
        if len(stages) == 1:
            return stages[0].id
        if len(stages) > 1:
            raise CalendarError(
                "ambiguous_stage",
                stage=words,
                election=election.code,
                known=", ".join(stage.id for stage in stages),
            )
        if not election.decided:
            return KIND_PREFIX + kind  # listed once the official calendar is loaded
    named = [stage for stage in election.stages if _names(stage, words)]
    if len(named) == 1:
        return named[0].id
    raise CalendarError(
        "unknown_stage",
        stage=words,
        election=election.code,
        known=", ".join(stage.id for stage in election.stages),
    )


def _known_kind(slug: str, election: Election) -> bool:
    return slug in bundled_vocabulary().stages or any(stage.is_a(slug) for stage in election.stages)


def _kinds_named(words: str) -> list[str]:
    phrase = " ".join(words_of(words))
    return [
        kind
        for kind, languages in bundled_vocabulary().stages.items()
        if any(phrase in phrases for phrases in languages.values())
    ]


def _names(stage: Stage, words: str) -> bool:
    phrase = words_of(words)
    own = (stage.name.id, stage.name.en, *stage.words.id, *stage.words.en)
    return any(words_of(name) == phrase for name in own)


def find_stage(election: Election, reference: str) -> Stage | None:
    if reference.startswith(KIND_PREFIX):
        stages = election.stages_of_kind([reference.removeprefix(KIND_PREFIX)])
        return stages[0] if stages else None
    return next((stage for stage in election.stages if stage.id == reference), None)


def span(elections: Mapping[str, Election], code: str, reference: str) -> StageSpan | None:
    """The stage's official days; None when the election or stage is not (yet) there."""
    election = elections.get(code)
    stage = find_stage(election, reference) if election is not None else None
    if stage is None:
        return None
    if not stage.official:
        return StageSpan(None, None)
    return StageSpan(stage.start, stage.end)


def stage_label(elections: Mapping[str, Election], code: str, reference: str, language: str) -> str:
    """The stage's name as readers know it, e.g. "Masa tenang"."""
    election = elections.get(code)
    stage = find_stage(election, reference) if election is not None else None
    if stage is not None:
        return stage.name.in_language(language)
    # Not in this calendar (yet): as another calendar names that kind of stage, else as people
    # say it ("masa tenang"), never the internal kind ("quiet").
    for other in elections.values():
        found = find_stage(other, reference)
        if found is not None:
            return found.name.in_language(language)
    kind = reference.removeprefix(KIND_PREFIX)
    phrases = bundled_vocabulary().stages.get(kind, {}).get(language, ())
    return phrases[0] if phrases else kind


def fingerprint(election: Election) -> str:
    """Changes exactly when a stage an anchor could name gets other official days."""
    stages = [
        [stage.id, list(stage.kinds), str(stage.start), str(stage.end), stage.provisional]
        for stage in election.stages
    ]
    encoded = json.dumps([election.code, stages], separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()
