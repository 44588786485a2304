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


def task(progress: Progress, label: str) -> Step:
    """The :data:`Step` of one labelled task of ``progress``."""

    def step(done: int, total: int | None) -> None:
        progress.step(label, done, total)

    return step


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
