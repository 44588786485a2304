"""Sliding-window request limits: 5 requests/s per account, bulk imports per minute.

A request refused by a limit does not count against it (only admitted requests do), so
a client that waits as ``Retry-After`` says always gets through.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # whole seconds; 0 when allowed


class SlidingWindow:
    """At most ``limit`` admitted events in any ``window`` seconds. Thread-safe."""

    def __init__(self, limit: float, window: float, clock: Callable[[], float]) -> None:
        self.limit = max(1, int(limit))
        self.window = window
        self.clock = clock
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self) -> Decision:
        with self._lock:
            now = self.clock()
            while self._times and self._times[0] <= now - self.window:
                self._times.popleft()
            if len(self._times) < self.limit:
                self._times.append(now)
                return Decision(True, self.limit, self.limit - len(self._times), 0)
            wait = self._times[0] + self.window - now
            return Decision(False, self.limit, 0, max(1, math.ceil(wait)))
