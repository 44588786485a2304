"""Progress of long work (reading a source or a list, applying thousands of changes).

One protocol: the core reports through a :class:`Progress` and never prints; what it hands
down to the readers and writers is a :data:`Step` for one task (made by :func:`task`). The
CLI picks the kind (:mod:`engine.render.progress`): one line redrawn in place on a terminal,
periodic log lines in CI, nothing for machine-readable output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Step = Callable[[int, int | None], None]
"""One task's progress: called with (done so far, total or None while it is unknown)."""


class Progress(Protocol):
    def step(self, label: str, done: int, total: int | None = None) -> None: ...

    def note(self, message: str) -> None: ...

    def close(self) -> None: ...


class Silent:
    def step(self, label: str, done: int, total: int | None = None) -> None:
        return None

    def note(self, message: str) -> None:
        return None

    def close(self) -> None:
        return None


class Task:
    """One labelled task of a :class:`Progress` (a :data:`Step`: call it with done, total),
    whose named parts are reported under their own labels (``vip: reading list 2:
    unsubscribed``), each with its own honest total."""

    def __init__(self, progress: Progress, label: str) -> None:
        self.progress, self.label = progress, label

    def __call__(self, done: int, total: int | None) -> None:
        self.progress.step(self.label, done, total)

    def part(self, name: str) -> Task:
        return Task(self.progress, f"{self.label}: {name}")

    def note(self, message: str) -> None:
        """A line about this task (a long wait, say), shown once."""
        self.progress.note(f"{self.label}: {message}")


def task(progress: Progress, label: str) -> Task:
    """The :class:`Task` (a :data:`Step`) of one labelled task of ``progress``."""
    return Task(progress, label)


class Tally:
    """Counts settled items towards a known total and reports each change to a Step."""

    def __init__(self, step: Step | None, total: int, start: int = 0) -> None:
        self._step = step
        self.total = total
        self.done = start

    def add(self, count: int) -> None:
        self.done += count
        if self._step is not None and count:
            self._step(self.done, self.total)
