"""Progress shown while long work runs (the :class:`engine.progress.Progress` the CLI uses).

On a terminal a single line redrawn in place, elsewhere (CI logs) a log line at most every
``interval`` seconds; :class:`engine.progress.Silent` for machine-readable output.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO


class LineProgress:
    """Periodic log lines (CI: at most one per label every ``interval`` seconds) or one
    line redrawn in place (terminal), on stderr. Call :meth:`close` before other output.
    Thread-safe: accounts worked on in parallel report through one (each line is whole)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        interactive: bool | None = None,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.interval = 0.2 if self.interactive else interval
        self.clock = clock
        self._last: dict[str, float] = {}
        self._open_line = False
        self._lock = threading.RLock()

    def step(self, label: str, done: int, total: int | None = None) -> None:
        with self._lock:
            now = self.clock()
            if now - self._last.get(label, -1e9) < self.interval:
                return
            self._last[label] = now
            text = f"{label}: {done:,}" + (f"/{total:,}" if total else "")
            if self.interactive:
                self.stream.write("\r\033[K" + text)
                self._open_line = True
            else:
                self.stream.write(text + "\n")
            self.stream.flush()

    def note(self, message: str) -> None:
        with self._lock:
            self.close()
            self.stream.write(message + "\n")
            self.stream.flush()

    def close(self) -> None:
        """Clear the in-place line (terminal) before other output follows."""
        with self._lock:
            if self._open_line:
                self.stream.write("\r\033[K")
                self.stream.flush()
                self._open_line = False
