"""Progress of the broadcasts being sent, shown as the worker sends them."""

from __future__ import annotations

from typing import Protocol

from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

from broadcasts.delivery.outbox import UNFINISHED


class Progress(Protocol):
    def show(self, broadcast_id: int, counts: dict[str, int]) -> None: ...


class TerminalProgress:
    """A rich progress bar per broadcast, for `humasbot worker`/`run` on a terminal."""

    def __init__(self) -> None:
        self._bar = RichProgress(
            TextColumn("broadcast #{task.fields[broadcast]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeRemainingColumn(),
        )
        self._tasks: dict[int, TaskID] = {}
        self._started = False

    def show(self, broadcast_id: int, counts: dict[str, int]) -> None:
        total = sum(counts.values())
        finished = total - sum(counts.get(state, 0) for state in UNFINISHED)
        detail = " ".join(f"{state} {n}" for state, n in sorted(counts.items()) if n)
        if not self._started:
            self._bar.start()
            self._started = True
        task = self._tasks.get(broadcast_id)
        if task is None:
            task = self._bar.add_task("", total=total, broadcast=broadcast_id, detail=detail)
            self._tasks[broadcast_id] = task
        self._bar.update(task, total=total, completed=finished, detail=detail)
