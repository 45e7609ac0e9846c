"""`python -m mutation [RULE …]` (`make mutate`): mutation testing of the rules that must never
break, with mutmut, and the score per module.

Each rule names the code that carries it (files, and the functions in them) and the tests that
guard it. For each rule the project is copied to `.mutation/RULE/` (so edits made meanwhile in
the work tree change nothing, and nothing there is ever mutated in place), mutmut mutates those
functions one small change at a time (`<` into `<=`, a constant plus one, `and` into `or`, …)
and runs the tests that reach the changed function, on SQLite only. A mutant the tests let
through ("survived") is a change of behaviour no test notices, unless it changes nothing
observable: such mutants are listed, each with the reason, in `mutation/equivalent.toml`.

Prints, per module, the mutants tried, killed, survived (and how many of those are explained
as equivalent), then every survivor not explained, with its diff. Exits 1 if any is left.
Not part of `make test`: it takes minutes per rule. `python -m mutation --list` names the rules.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
MUTMUT = Path(sys.executable).with_name("mutmut")
EQUIVALENT = Path(__file__).with_name("equivalent.toml")
# What the tests need beside the code: copied into each rule's working copy.
PROJECT = ["broadcasts", "bot", "config", "tests", "templates", "migrations", "alembic.ini"]
SOURCES = ["broadcasts", "bot", "config"]


@dataclass(frozen=True)
class Rule:
    about: str
    functions: tuple[str, ...]  # mutmut's names: module.x_function, module.xǁClassǁmethod
    tests: tuple[str, ...]

    @property
    def files(self) -> list[str]:
        return sorted({module_of(pattern).replace(".", "/") + ".py" for pattern in self.functions})


def module_of(pattern: str) -> str:
    """`pkg.module.x_function*`, `pkg.module.xǁClassǁmethod*` or `pkg.module.*` → `pkg.module`."""
    parts = pattern.split(".")
    for index, part in enumerate(parts):
        if part == "*" or part.startswith(("x_", "xǁ")):
            return ".".join(parts[:index])
    raise ValueError(f"not a mutant pattern: {pattern}")


DISPATCHER = "broadcasts.delivery.dispatch.xǁDispatcherǁ"
RULES: dict[str, Rule] = {
    "four_eyes": Rule(
        "nothing goes out that an editor other than its author has not approved",
        (
            "broadcasts.editorial.workflow.x_approve__*",
            "broadcasts.editorial.workflow.x__check_editor__*",
            "broadcasts.editorial.workflow.x_may_edit__*",
            "broadcasts.delivery.planning.x__is_approved__*",
            "broadcasts.delivery.planning.x_plan__*",
            "broadcasts.editorial_calendar.approval.x__check__*",
            "broadcasts.editorial_calendar.approval.x_approved_by__*",
            "broadcasts.editorial_calendar.approval.x_approve_entry__*",
        ),
        (
            "tests/integration/test_four_eyes.py",
            "tests/integration/test_editorial.py",
            "tests/integration/test_planning.py",
            "tests/integration/test_calendar_approval.py",
            "tests/e2e/test_broadcast_chat.py",
        ),
    ),
    "opt_out": Rule(
        "a member who stopped broadcasts (BERHENTI, or Twilio's 21610) is sent nothing more",
        (
            "broadcasts.people.membership.x_opt_out__*",
            "broadcasts.people.membership.x_opt_in__*",
            "broadcasts.delivery.outbox.x_opt_out__*",
            "broadcasts.delivery.planning.x__recipients__*",
            f"{DISPATCHER}check_stops__*",
            f"{DISPATCHER}_stop_reason__*",
        ),
        (
            "tests/unit/test_delivery_rules.py",
            "tests/integration/test_planning.py",
            "tests/integration/test_dispatch.py",
            "tests/integration/test_delivery_stops.py",
            "tests/e2e/test_membership_chat.py",
            "tests/e2e/test_status_callbacks.py",
            "tests/e2e/test_delivery_twilio.py",
        ),
    ),
    "forward_only": Rule(
        "a delivery's state only moves forward (read is never undone by a late callback)",
        (
            "broadcasts.delivery.outbox.x_moves_forward__*",
            "broadcasts.delivery.outbox.x_apply_status__*",
            "broadcasts.delivery.outbox.x_record_sent__*",
        ),
        (
            "tests/unit/test_delivery_rules.py",
            "tests/integration/test_dispatch.py",
            "tests/integration/test_delivery_stops.py",
            "tests/e2e/test_status_callbacks.py",
            "tests/e2e/test_delivery_twilio.py",
        ),
    ),
    "cancel": Rule(
        "a cancel stops every send not yet started",
        (
            "broadcasts.editorial.workflow.x_cancel__*",
            "broadcasts.delivery.outbox.x_skip_queued__*",
            "broadcasts.delivery.reconcile.xǁReconcilerǁsweep_cancelled__*",
            f"{DISPATCHER}check_stops__*",
            f"{DISPATCHER}_stop_reason__*",
        ),
        (
            "tests/integration/test_cancel_rules.py",
            "tests/integration/test_editorial.py",
            "tests/integration/test_dispatch.py",
            "tests/integration/test_delivery_stops.py",
            "tests/e2e/test_broadcast_chat.py",
            "tests/e2e/test_delivery_twilio.py",
        ),
    ),
    "rate_cap": Rule(
        "no one-second window holds more sends than SEND_RATE_PER_SECOND",
        # The limiter itself. That the dispatcher builds it with SEND_RATE_PER_SECOND (and not
        # one more) is caught by tests/e2e/test_send_rate.py; the rest of the dispatcher's
        # __init__ is sizing (threads, claims), not the cap, so it is left out of this rule.
        ("broadcasts.delivery.rate_limit.xǁRateLimiterǁ*",),
        (
            "tests/unit/test_rate_limit.py",
            "tests/unit/test_delivery_rules.py",
            "tests/e2e/test_send_rate.py::test_the_dispatcher_in_this_process_keeps_the_cap_at_twilio_too",
            "tests/integration/test_dispatch.py",
        ),
    ),
    "window": Rule(
        "free-form only within 24 hours of the member's last message; a template, or nothing,"
        " outside",
        (
            "broadcasts.delivery.window.*",
            f"{DISPATCHER}_prepare__*",
        ),
        (
            "tests/integration/test_window_rules.py",
            "tests/integration/test_dispatch.py",
            "tests/integration/test_notices.py",
            "tests/e2e/test_notice_window.py",
            "tests/e2e/test_delivery_twilio.py",
            "tests/e2e/test_follow_broadcasts_chat.py",
        ),
    ),
    "election_dates": Rule(
        "dates, countdowns and stages in progress from the calendars, and anchored sends (H-7)",
        (
            "broadcasts.elections.calendar.x_stage_timing__*",
            "broadcasts.elections.calendar.x_days_until__*",
            "broadcasts.elections.calendar.x_stages_in_progress__*",
            "broadcasts.elections.calendar.x_next_stages__*",
            "broadcasts.elections.calendar.x_next_election__*",
            "broadcasts.elections.calendar.x_current_election__*",
            "broadcasts.elections.calendar.x__next_start__*",
            "broadcasts.elections.calendar.x__voting_day__*",
            "broadcasts.elections.calendar.xǁStageǁ*",
            "broadcasts.elections.calendar.xǁElectionǁ*",
            "broadcasts.editorial_calendar.rules.xǁAnchoredǁ*",
        ),
        (
            "tests/unit/test_elections.py",
            "tests/unit/test_recurrence.py",
            "tests/integration/test_calendars.py",
            "tests/e2e/test_election_chat.py",
        ),
    ),
    "quiet_hours": Rule(
        "a calendar send never lands in a group's quiet hours (default 21:00–06:00), and where"
        " it lands instead",
        (
            "broadcasts.editorial_calendar.guards.xǁQuietHoursǁ*",
            "broadcasts.editorial_calendar.guards.x_place__*",
            "broadcasts.editorial_calendar.context.xǁCalendarContextǁquiet_hours__*",
            "broadcasts.editorial_calendar.context.xǁCalendarContextǁ_quiet_hours__*",
        ),
        (
            "tests/unit/test_quiet_hours.py",
            "tests/unit/test_recurrence.py",
            "tests/integration/test_quiet_hours_edges.py",
            "tests/integration/test_editorial_calendar.py",
        ),
    ),
}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("rules", nargs="*", help="rules to run (default: all)")
    parser.add_argument("--list", action="store_true", help="name the rules and stop")
    parser.add_argument(
        "--children", type=int, default=2, help="mutants tested at once (default 2)"
    )
    arguments = parser.parse_args()
    unknown = [name for name in arguments.rules if name not in RULES]
    if unknown:
        parser.error(f"unknown rule(s) {', '.join(unknown)}; choose from {', '.join(RULES)}")
    return arguments


def working_copy(name: str, rule: Rule) -> Path:
    """A fresh copy of the project for one rule, with mutmut's settings in its pyproject."""
    work = WORK / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "mutants")
    for item in PROJECT:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, work / item, ignore=ignore)
        else:
            shutil.copy2(source, work / item)
    settings = {
        "source_paths": SOURCES,
        "only_mutate": rule.files,
        "also_copy": ["templates/", "migrations/", "alembic.ini"],
        # The rule's own tests, once each on SQLite (PostgreSQL would double the time and
        # test the same Python).
        "pytest_add_cli_args_test_selection": [*rule.tests, "-k", "not postgresql"],
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-p", "no:randomly", "-q"],
        # Log lines are for operators: their wording is not a rule, so they are not mutated.
        "do_not_mutate_patterns": [r"\blog\.(debug|info|warning|error|exception)\("],
    }
    lines = ["", "[tool.mutmut]"] + [
        f"{key} = {json.dumps(value)}" for key, value in settings.items()
    ]
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (work / "pyproject.toml").write_text(project + "\n".join(lines) + "\n", encoding="utf-8")
    return work


def run_mutmut(work: Path, rule: Rule, children: int) -> None:
    """mutmut's own output (a progress display) goes to `mutmut.log` in the working copy."""
    environment = {k: v for k, v in os.environ.items() if k != "HUMASBOT_REQUIRE_POSTGRES"}
    command = [str(MUTMUT), "run", "--max-children", str(children), *rule.functions]
    with (work / "mutmut.log").open("w") as log:
        finished = subprocess.run(
            command, cwd=work, env=environment, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    if finished.returncode != 0:
        tail = (work / "mutmut.log").read_text(errors="replace")[-3000:]
        raise MutmutFailed(f"mutmut failed (exit {finished.returncode}) in {work}:\n{tail}")


class MutmutFailed(RuntimeError):
    """mutmut stopped before testing mutants: most often the rule's tests fail unmutated."""


def outcomes(work: Path, rule: Rule) -> dict[str, dict[str, int | None]]:
    """Module → mutant → exit code, for the rule's functions only."""
    found: dict[str, dict[str, int | None]] = {}
    for file in rule.files:
        meta = work / "mutants" / (file + ".meta")
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        module = file.removesuffix(".py").replace("/", ".")
        found[module] = {
            name: code
            for name, code in codes.items()
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in rule.functions)
        }
    return found


def status(code: int | None) -> str:
    if code in (1, 3):
        return "killed"
    if code == 0:
        return "survived"
    if code in (5, 33):
        return "no tests"
    if code in (24, -24, 36, 152, 255):
        return "timeout"  # counted as killed: the change made the tests hang
    return "not checked" if code is None else f"exit {code}"


def diff_of(work: Path, mutant: str) -> str:
    shown = subprocess.run(
        [str(MUTMUT), "show", mutant], cwd=work, capture_output=True, text=True, check=False
    )
    return shown.stdout.strip()


def changed_lines(diff: str) -> tuple[str, str]:
    """The line a mutant removed and the one it added, stripped."""
    removed = [line[1:].strip() for line in diff.splitlines() if line.startswith("-")]
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+")]
    removed = [line for line in removed if not line.startswith("--")]
    added = [line for line in added if not line.startswith("++")]
    return " ".join(removed), " ".join(added)


def explained() -> list[dict[str, str]]:
    if not EQUIVALENT.exists():
        return []
    entries: list[dict[str, str]] = tomllib.loads(EQUIVALENT.read_text(encoding="utf-8")).get(
        "equivalent", []
    )
    return entries


def explanation(mutant: str, diff: str, known: list[dict[str, str]]) -> str | None:
    """The reason a surviving mutant is equivalent, if `equivalent.toml` gives one: matched by
    its function and the line it writes (not its number, which moves when code is added)."""
    function = mutant.rsplit("__mutmut_", 1)[0]
    removed, added = changed_lines(diff)
    for entry in known:
        if entry["function"] == function and entry["from"] == removed and entry["to"] == added:
            return entry["why"]
    return None


def report(name: str, rule: Rule, work: Path, seconds: float) -> list[str]:
    """Prints the rule's table; returns the diffs of the survivors nobody explained."""
    known = explained()
    unexplained: list[str] = []
    print(f"\n{name}: {rule.about} ({seconds / 60:.1f} min)")
    print(
        f"  {'module':<44} {'mutants':>7} {'killed':>6} {'survived':>8} {'equivalent':>10}"
        f" {'unexplained':>11}  score"
    )
    for module, codes in outcomes(work, rule).items():
        counts = Counter(status(code) for code in codes.values())
        survivors = [mutant for mutant, code in sorted(codes.items()) if status(code) == "survived"]
        equivalent = 0
        for mutant in survivors:
            diff = diff_of(work, mutant)
            if explanation(mutant, diff, known) is not None:
                equivalent += 1
            else:
                unexplained.append(f"{mutant}\n{diff}")
        killed = counts["killed"] + counts["timeout"]
        others = {k: n for k, n in counts.items() if k not in ("killed", "timeout", "survived")}
        extra = "".join(f", {n} {k}" for k, n in sorted(others.items()))
        # The score: killed over the mutants that could be killed (all but the equivalent).
        killable = len(codes) - equivalent
        score = f"{killed / killable:.0%}" if killable else "-"
        print(
            f"  {module:<44} {len(codes):>7} {killed:>6} {len(survivors):>8} {equivalent:>10}"
            f" {len(survivors) - equivalent:>11}  {score}{extra}"
        )
    return unexplained


def main() -> int:
    arguments = parse_arguments()
    if arguments.list:
        for name, rule in RULES.items():
            print(f"{name}: {rule.about}\n  {', '.join(rule.files)}")
        return 0
    left: list[str] = []
    failed: list[str] = []
    for name in arguments.rules or list(RULES):
        rule = RULES[name]
        started = time.monotonic()
        work = working_copy(name, rule)
        try:
            run_mutmut(work, rule, arguments.children)
        except MutmutFailed as error:
            print(f"\n{name}: not measured. {error}")
            failed.append(name)
            continue
        left += report(name, rule, work, time.monotonic() - started)
    if failed:
        print(f"\nnot measured (see above): {', '.join(failed)}")
    if left:
        print(f"\n{len(left)} surviving mutant(s) neither killed nor explained as equivalent:")
        print("\n\n".join(left))
        return 1
    print("\nevery mutant killed, or explained as equivalent in mutation/equivalent.toml")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
