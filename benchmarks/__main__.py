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
