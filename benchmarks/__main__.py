"""`python -m benchmarks [NAME …]`: run the benchmarks (all, or those named), one after another.

Each prints its own figures; run one alone with `python -m benchmarks.NAME --help` for options.
They share this machine with nothing else only if you let them: close other work first.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = {
    "webhook": "signed JADWAL webhook under gunicorn: 500 req/s, p99 < 50 ms (issue 2)",
    "plan_broadcast": "plan a 100,000-member broadcast in < 2 s vs a naive ORM loop (issue 3)",
    "dispatch": "dispatch at 80 and 400 msg/s against a 100 ms fake Twilio (issue 3)",
    "worker_memory": "worker peak memory, 10,000 vs 100,000 members (issue 3)",
    "kill_storm": "10 SIGKILLs during a 5,000-member broadcast: 0 lost, 0 doubled (issue 3)",
    "calendar": "30 days of occurrences and the due-entry scan, 10,000 entries (issue 4)",
    "questions": "the question reader's cost per question over the corpus (issue 8)",
    "amplification": "REKAP of a broadcast to 500 offices, 50,000 members: < 200 ms (issue 14)",
    "timeline": "draw a timeline picture < 300 ms; serve a drawn one < 5 ms median (issue 13)",
    "hoaxes": "CEK over 10,000 clarifications < 50 ms median; 10,000 reports into claims < 5 s;"
    " a burst of 1,000 reports: at most one notice a minute per coordinator (issue 11)",
    "dashboard": "every dashboard page < 300 ms median with 100,000 members, 1,000 groups,"
    " 1,000 broadcasts, 10,000 calendar entries (issue 10)",
}


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    for name in names or list(BENCHMARKS):
        print(f"\n=== {name}: {BENCHMARKS[name]}", flush=True)
        if subprocess.run([sys.executable, "-m", f"benchmarks.{name}"]).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed or missed a target: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
