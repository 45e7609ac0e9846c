"""Every message keeps to the style guide (`../shared/reference/words.md`).

Two readings of each template in `templates/messages/{id,en}`:
- its *shown text*: the template's own words and the prose in its string literals (the words of
  a `{% set words = {...} %}` table), never its variables, keys or comparisons; checked for
  placeholders typed with brackets, UTC and ISO times, the glossary's "not" words, internal words
  (error keys, state values, vendor names, election codes in prose) and times with no zone;
- its *renderings* with sample data, branch by branch: at most six lines each.
Both languages hold the same messages with the same variables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import ChainableUndefined, Environment, FileSystemLoader, meta

from broadcasts import phrasebook
from config.settings import SUPPORTED_LANGUAGES, TEMPLATES_DIR
from tests.words import ISO_TIME, MAX_LINES, STAGE_OVER, word_problems

MESSAGES = TEMPLATES_DIR / "messages"

# Longer than six lines by nature: a list the reader asked for, or a broadcast's own body.
LONG_ALLOWED = {
    "broadcast_frame": "a broadcast's body, as its author wrote it",
    "broadcast_status": "one line per delivery state someone is in",
    "broadcast_queue": "the list of broadcasts waiting",
    "my_broadcasts": "the list of one's broadcasts",
    "my_data": "the list of what we keep (privacy: every item must be said)",
    "menu": "the list of commands",
    "election_dates": "a date list",
    "election_stages": "a date list",
    "election_answer": "a date list",
    "election_not_set": "a date list",
    "calendar_ics_event": "a calendar event's description, not a chat message",
}

SAMPLE_TIME = datetime(2029, 1, 15, 9, 0, tzinfo=ZoneInfo("Asia/Jayapura"))


def names(language: str) -> list[str]:
    return sorted(path.stem for path in (MESSAGES / language).glob("*.txt"))


def source(language: str, name: str) -> str:
    return (MESSAGES / language / f"{name}.txt").read_text()


_LEXER = Environment()


def shown_text(text: str) -> str:
    """The words of a template people may read: its data, and string literals that are prose
    (not dict keys, not compared against, not file names)."""
    tokens = [(token.type, token.value) for token in _LEXER.lexer.tokenize(text)]
    shown = []
    compared = False  # inside `x in ("a", "b")`: words compared against
    for index, (kind, value) in enumerate(tokens):
        if kind in ("name", "operator") and value == "in":
            compared = True
        elif kind in ("rparen", "rbracket", "block_end", "variable_end"):
            compared = False
        if compared and kind == "string":
            continue
        if kind == "data":
            shown.append(value)
        elif kind == "string":
            before = tokens[index - 1] if index else ("", "")
            after = tokens[index + 1] if index + 1 < len(tokens) else ("", "")
            if after[0] == "colon" or before[0] in ("eq", "ne") or before[1] == "in":
                continue  # a key, or a word compared against: never shown
            if value.endswith(".txt") or (before[0] == "lparen" and " " not in value):
                continue  # a file name, or a call's argument (`.startswith("already_")`)
            shown.append(value)
    return "\n".join(shown)


CASES = [(language, name) for language in SUPPORTED_LANGUAGES for name in names(language)]


def test_both_languages_have_the_same_messages() -> None:
    indonesian = names("id")
    assert indonesian
    for language in SUPPORTED_LANGUAGES:
        assert names(language) == indonesian, language


def _variables(language: str, name: str) -> set[str]:
    """The data a template takes; `names_id` and `names_en` are one variable in two languages."""
    environment = Environment()
    environment.filters.update(phrasebook._environment(language).filters)
    found = meta.find_undeclared_variables(environment.parse(source(language, name)))
    return {re.sub(rf"_{language}$", "", variable) for variable in found}


@pytest.mark.parametrize("name", names("id"))
def test_both_languages_take_the_same_variables(name: str) -> None:
    expected = _variables("id", name)
    for language in SUPPORTED_LANGUAGES:
        assert _variables(language, name) == expected, (language, name)


@pytest.mark.parametrize(("language", "name"), CASES)
def test_the_words_keep_to_the_style_guide(language: str, name: str) -> None:
    text = shown_text(source(language, name))
    problems = word_problems(text, language)
    assert not problems, f"{language}/{name}: {problems}"
    if name.startswith(("election", "ics")):
        assert not STAGE_OVER.findall(text), f"{language}/{name}: a stage that is over"
    # Times are written with the `when` filter (zone and all), not `date_time`.
    assert "date_time" not in source(language, name), f"{language}/{name}: use `when`"


# --- renderings with sample data -----------------------------------------------------------


class Sample(ChainableUndefined):
    """Any variable the data would hold: a number, a name, a list of nothing."""

    truthy = True

    def __str__(self) -> str:
        return "12"

    def __bool__(self) -> bool:
        return self.truthy

    def __call__(self, *args: Any, **kwargs: Any) -> Sample:  # type: ignore[override]
        return self

    def __index__(self) -> int:
        return 1

    def __int__(self) -> int:  # type: ignore[override]
        return 1

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def _number(self, *args: Any) -> int:
        return 1

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _number  # type: ignore[assignment]

    def _compare(self, other: Any) -> bool:
        return self.truthy

    __lt__ = __le__ = __gt__ = __ge__ = _compare  # type: ignore[assignment]


class Empty(Sample):
    truthy = False


def _lenient(filter_: Any) -> Any:
    def apply(value: Any, *args: Any) -> str:
        if isinstance(value, datetime | date):
            return str(filter_(value))
        return str(filter_(SAMPLE_TIME))

    return apply


def environment(language: str, undefined: type[Sample]) -> Environment:
    env = Environment(
        loader=FileSystemLoader(MESSAGES / language),
        undefined=undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    for name in ("long_date", "short_date", "when", "short_when"):
        real = getattr(phrasebook, name)
        env.filters[name] = _lenient(lambda value, real=real: real(value, language))
    env.filters["first_lower"] = lambda text: phrasebook.first_lower(str(text))
    env.filters["number"] = lambda value: "1.600"
    return env


def branches(text: str) -> list[dict[str, Any]]:
    """Sample data for each branch a template picks by a word: `key == "…"` and friends."""
    found = []
    for variable in ("key", "kind", "state", "usage", "command", "problem", "status", "language"):
        for word in re.findall(rf'\b{variable} == "([^"]+)"', text):
            found.append({variable: word})
        for word in re.findall(r'"(help_\w+)":', text) if variable == "key" else ():
            found.append({variable: word, "word": "MENU"})
    return found or [{}]


def renderings(language: str, name: str) -> Iterator[str]:
    text = source(language, name)
    for undefined in (Sample, Empty):
        env = environment(language, undefined)
        for data in branches(text):
            try:
                yield env.get_template(f"{name}.txt").render(**data).strip()
            except (TypeError, AttributeError, ValueError, KeyError):
                continue  # a shape the sample cannot take: the words checks still read it


@pytest.mark.parametrize(("language", "name"), [c for c in CASES if c[1] not in LONG_ALLOWED])
def test_each_message_is_at_most_six_lines(language: str, name: str) -> None:
    rendered = list(renderings(language, name))
    assert rendered, f"{language}/{name}: no sample rendering"
    for text in rendered:
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) <= MAX_LINES, f"{language}/{name}:\n{text}"


@pytest.mark.parametrize(("language", "name"), CASES)
def test_rendered_times_carry_their_zone(language: str, name: str) -> None:
    for text in renderings(language, name):
        assert "UTC" not in text and not ISO_TIME.findall(text), f"{language}/{name}:\n{text}"
        for clock in re.findall(r"pukul \d{2}\.\d{2}(?! ?[–-])(?: \w+)?", text):
            assert clock.split()[-1] in ("WIB", "WITA", "WIT"), f"{language}/{name}: {clock}"


def test_the_sample_time_reads_with_pukul_and_its_zone() -> None:
    assert phrasebook.when(SAMPLE_TIME, "id") == "Senin, 15 Januari 2029 pukul 09.00 WIT"
    utc = datetime(2029, 1, 15, 2, tzinfo=UTC).astimezone(ZoneInfo("Asia/Jakarta"))
    assert phrasebook.when(utc, "id").endswith("pukul 09.00 WIB")
