"""Progress shown while long work runs (the :class:`engine.progress.Progress` the CLI uses).

- :class:`BarProgress` on a terminal: one bar per task (``vip: reading list 2:
  unsubscribed``, ``vip: applying``) with its count, total and time left (rich's progress
  display; finished tasks leave it), notes printed above the bars.
- :class:`LineProgress` elsewhere (CI logs): a task's first line, then a line every
  ``interval`` seconds or each further 10 % of its total, and its last one; never a single
  line for a whole apply, never thousands.

Both are thread-safe: accounts worked on in parallel report through one. Call ``close``
before other output.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

STEPS = 10
"""A log line at each further tenth of a task's total (besides every ``interval`` s)."""


class LineProgress:
    """Log lines on stderr, at most one per task every ``interval`` seconds or 10 %."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self.clock = clock
        self._last: dict[str, tuple[float, int]] = {}  # label -> (time, tenth) of last line
        self._lock = threading.RLock()

    def step(self, label: str, done: int, total: int | None = None) -> None:
        with self._lock:
            now = self.clock()
            tenth = done * STEPS // total if total else -1
            last = self._last.get(label)
            finished = total is not None and done >= total
            if last is not None and not finished:
                when, last_tenth = last
                if now - when < self.interval and tenth <= last_tenth:
                    return
            if last is not None and finished and last[1] == STEPS:
                return  # the last line is already out
            self._last[label] = (now, STEPS if finished else tenth)
            self._write(f"{label}: {done:,}" + (f"/{total:,}" if total else ""))

    def note(self, message: str) -> None:
        with self._lock:
            self._write(message)

    def close(self) -> None:
        return None

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


class BarProgress:
    """One bar per running task on a terminal, with the time left; notes above them."""

    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console(stderr=True, highlight=False)
        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=self._console,
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}
        self._started = False
        self._lock = threading.RLock()

    def step(self, label: str, done: int, total: int | None = None) -> None:
        with self._lock:
            if not self._started:
                self._bars.start()
                self._started = True
            task = self._tasks.get(label)
            if task is None:
                task = self._tasks[label] = self._bars.add_task(label, total=total)
            self._bars.update(task, completed=done, total=total)
            if total is not None and done >= total:
                self._bars.remove_task(task)  # finished: it leaves the display
                del self._tasks[label]

    def note(self, message: str) -> None:
        with self._lock:
            self._console.print(message, markup=False, highlight=False)

    def close(self) -> None:
        with self._lock:
            if self._started:
                self._bars.stop()
                self._started = False
                for task in self._tasks.values():
                    self._bars.remove_task(task)
                self._tasks.clear()
