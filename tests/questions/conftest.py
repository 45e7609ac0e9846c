"""Prints how the corpus of members' questions was answered, after the run."""

from __future__ import annotations

import pytest

from tests.questions.scoring import SCORES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for name, score in SCORES.items():
        terminalreporter.write_line(f"questions of {name}: {score.summary()}")
