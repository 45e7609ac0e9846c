"""Reading a document's fields (YAML a person wrote, or the JSON the database keeps) strictly:
unknown keys are refused, and every error names where it is and what was found instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import yaml


class Fields:
    """A mapping being read. Subclasses name their error type and add the readers they need."""

    error_type: ClassVar[type[ValueError]] = ValueError

    def __init__(self, value: object, where: str, allowed: frozenset[str]) -> None:
        self.where = where
        if not isinstance(value, Mapping):
            raise self.error(f"expected a mapping of fields, found {kind_of(value)}")
        unknown = sorted(str(key) for key in value if key not in allowed)
        if unknown:
            raise self.error(f"unknown field {unknown[0]!r} (known: {', '.join(sorted(allowed))})")
        self.value: Mapping[str, object] = value

    def error(self, problem: str) -> ValueError:
        return self.error_type(f"{self.where}: {problem}")

    def __contains__(self, key: str) -> bool:
        return self.value.get(key) is not None

    def get(self, key: str) -> object:
        return self.value.get(key)

    def text(self, key: str, *, multiline: bool = False) -> str:
        """Required text; spaces collapsed, or with `multiline` its line breaks kept."""
        value = self.value.get(key)
        if value is None:
            raise self.error(f"{key} is missing")
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{key} must be text, found {kind_of(value)}")
        if multiline:
            return "\n".join(line.rstrip() for line in value.strip().splitlines())
        return " ".join(value.split())


def kind_of(value: object) -> str:
    """What a value is, for an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def read_yaml(text: str, origin: str, error_type: type[ValueError]) -> object:
    """The document in a YAML text; an error names `origin` and the line where it broke."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "unreadable"
        raise error_type(f"{origin}: not valid YAML{where}: {problem}") from error
