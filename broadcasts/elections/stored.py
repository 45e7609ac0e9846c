"""Election calendars in the database, and a cheap read of them for every date question.

The `elections` table keeps one validated document per election code. Bundled calendars
(`config/elections/*.yaml`) fill in the codes the database lacks and never overwrite one an admin
loaded. Reading is the hot path (JADWAL): parsed calendars stay in memory per process, and a
tiny query tells whether any process has loaded a calendar since (`stored_documents`). It runs
at most once every `RECHECK_SECONDS` per process: a load reaches every answer within that time.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import Election as ElectionRow
from broadcasts.elections.calendar import (
    Election,
    ElectionDataError,
    election_document,
    parse_election,
)
from broadcasts.elections.calendar import parse_yaml as parse_calendar_yaml
from broadcasts.elections.documents import Version, VersionedCache, insert_new, load_time, upsert
from config.settings import ELECTIONS_DIR

log = logging.getLogger(__name__)

VOCABULARY_FILE = "vocabulary.yaml"  # the words of questions, kept beside the calendars

_generations = itertools.count(1)


@dataclass(frozen=True)
class Snapshot:
    """The calendars as last loaded, in order of election year."""

    elections: tuple[Election, ...]
    loaded_at: datetime | None  # when the newest of them was loaded; None when there are none

    # Numbers each snapshot parsed in this process: what is worked out from one (a rendered
    # date answer) can be kept under its number, and is not found again once calendars change.
    generation: int = field(default_factory=lambda: next(_generations), compare=False)

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.elections]


# How long a process answers from its parsed calendars before it asks again whether they
# changed: asking costs a round trip, which every date question would otherwise pay.
RECHECK_SECONDS = 1.0


def _parse_snapshot(session: Session, version: Version) -> Snapshot:
    return Snapshot(_parse_rows(session), version[1])


_cache = VersionedCache(
    ElectionRow.id, ElectionRow.loaded_at, _parse_snapshot, lambda: RECHECK_SECONDS
)


def read_calendar_file(path: Path) -> Election:
    """A calendar file parsed and validated; `ElectionDataError` names the file and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ElectionDataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ElectionDataError(f"{path}: is a directory, not a calendar file") from None
    except OSError as error:
        raise ElectionDataError(f"{path}: cannot be read ({error.strerror})") from error
    except UnicodeDecodeError:
        raise ElectionDataError(f"{path}: is not UTF-8 text") from None
    return parse_calendar_yaml(text, path.name)


def bundled_files(directory: Path = ELECTIONS_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.name != VOCABULARY_FILE)


def is_loaded(session: Session, code: str) -> bool:
    return session.scalar(select(ElectionRow.id).where(ElectionRow.code == code)) is not None


def load_calendar(session: Session, election: Election, now: datetime) -> bool:
    """Stores `election`, replacing the calendar of the same code; True if it replaced one."""
    replaced = is_loaded(session, election.code)
    values = _row_values(election, _load_time(session, now))
    session.execute(_upsert(session, values, replace=True))
    forget_cached()
    return replaced


def load_bundled(session: Session, now: datetime, directory: Path = ELECTIONS_DIR) -> list[str]:
    """Loads the bundled calendars whose code the database does not have; returns their codes."""
    elections = [read_calendar_file(path) for path in bundled_files(directory)]
    documents = {election.code: election_document(election) for election in elections}
    loaded = insert_new(session, ElectionRow, "code", documents, now)
    if loaded:
        forget_cached()
        log.info("loaded bundled election calendars: %s", ", ".join(loaded))
    return loaded


def snapshot(session: Session) -> Snapshot:
    """The calendars, parsed once per change; a small query at most every `RECHECK_SECONDS`."""
    return _cache.get(session)


def all_elections(session: Session) -> tuple[Election, ...]:
    return snapshot(session).elections


def forget_cached() -> None:
    """Drops this process's parsed calendars (other processes notice through the version, within
    `RECHECK_SECONDS`)."""
    _cache.forget()


def _parse_rows(session: Session) -> tuple[Election, ...]:
    elections: list[Election] = []
    for code, document in session.execute(select(ElectionRow.code, ElectionRow.document)):
        try:
            elections.append(parse_election(document, f"stored calendar {code}"))
        except ElectionDataError:
            # Only validated documents are stored; a hand-edited row must not take the bot down.
            log.exception("skipping the stored calendar %s", code)
    return tuple(sorted(elections, key=lambda e: (e.year, e.code)))


def _load_time(session: Session, now: datetime) -> datetime:
    return load_time(session, ElectionRow.loaded_at, now)


def _row_values(election: Election, loaded_at: datetime) -> dict[str, Any]:
    return {
        "code": election.code,
        "document": election_document(election),
        "loaded_at": loaded_at,
    }


def _upsert(session: Session, values: dict[str, Any], *, replace: bool) -> Any:
    return upsert(session, ElectionRow, "code", values, replace=replace)
