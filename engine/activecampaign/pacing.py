"""Pacing: the client waits *before* it sends, so that alone on an account it is never
answered 429 (SPEC §4).

Two kinds of limit, both per account host and shared by everything in the run:

- :class:`Pacer` spaces request starts evenly (``1/rate`` apart, a burst of one), with a
  small safety margin: the server counts arrivals, and network jitter can bring two
  evenly spaced requests closer than they left. ActiveCampaign allows 5 requests/s per
  account; a connection may ask for less (``rate_limit``) when other integrations share it.
  A 429 pauses the pacer for everyone (``pause_until``), as ``Retry-After`` asks.
- :class:`WindowLimiter` allows at most N starts in any sliding window (the bulk importer's
  100 multi-contact / 20 single-contact requests per minute). A sliding window is stricter
  than a fixed per-minute counter, so it also satisfies a server that counts fixed minutes.

:class:`HostLimits` is one account's set. There is no process-wide registry: the run
(``engine.pipeline.Clients``) owns one per account host and hands it to every client of
that host, so every export of a run that talks to one account shares one budget. When two
connections to the same host ask for different rates, the lowest wins
(:meth:`Pacer.lower_rate`): both are this product, and the lowest is what the user
promised to stay under.

The limiters are thread-safe: a slot is reserved under a lock, then waited for outside it.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], None]

SAFETY = 1.05
"""Requests are spaced 5 % wider than the limit asks (a margin for network jitter)."""

BULK_MULTI_PER_MINUTE = 100
BULK_SINGLE_PER_MINUTE = 20
WINDOW_MARGIN = 1.0
"""Seconds added to the per-minute window, for the same reason as :data:`SAFETY`."""


class Pacer:
    """Evenly spaced request starts at most ``rate`` per second (a GCRA with burst 1)."""

    def __init__(self, rate: float, clock: Clock, sleep: Sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._interval = SAFETY / rate
        self._clock = clock
        self._sleep = sleep
        self._next = -math.inf
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        return SAFETY / self._interval

    def lower_rate(self, rate: float) -> None:
        """Use ``rate`` from now on if it is lower than the current one."""
        with self._lock:
            self._interval = max(self._interval, SAFETY / rate)

    def acquire(self, announce: Announce | None = None) -> float:
        """Wait for this request's slot; returns how long it waited (a long wait is
        ``announce``d first)."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._interval
        return _wait(start - now, self._sleep, announce)

    def pause_until(self, when: float) -> None:
        """Nobody sends before ``when`` (a 429's Retry-After applies to the whole account)."""
        with self._lock:
            self._next = max(self._next, when)


class WindowLimiter:
    """At most ``limit`` starts in any ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: Clock, sleep: Sleep) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self, announce: Announce | None = None) -> float:
        """Wait until a start is allowed and record it; returns how long it waited (a long
        wait is ``announce``d first)."""
        with self._lock:
            now = self._clock()
            start = now
            if len(self._starts) >= self.limit:
                start = max(now, self._starts[-self.limit] + self.window)
            self._starts.append(start)
            while len(self._starts) > self.limit:
                self._starts.popleft()
        return _wait(start - now, self._sleep, announce)


Announce = Callable[[float], None]
"""Told how many seconds a wait will take, before it starts (only waits of
:data:`ANNOUNCED` seconds or more: progress names them)."""

ANNOUNCED = 2.0


def _wait(seconds: float, sleep: Sleep, announce: Announce | None) -> float:
    if seconds <= 0:
        return 0.0
    if announce is not None and seconds >= ANNOUNCED:
        announce(seconds)
    sleep(seconds)
    return seconds


@dataclass(frozen=True, slots=True)
class HostLimits:
    """Everything that paces requests to one account."""

    requests: Pacer
    bulk_multi: WindowLimiter
    bulk_single: WindowLimiter

    @classmethod
    def make(cls, rate: float, clock: Clock, sleep: Sleep) -> HostLimits:
        """Fresh limits for one account: ``rate`` requests/s and the bulk importer's windows."""
        window = 60.0 + WINDOW_MARGIN
        return cls(
            Pacer(rate, clock, sleep),
            WindowLimiter(BULK_MULTI_PER_MINUTE, window, clock, sleep),
            WindowLimiter(BULK_SINGLE_PER_MINUTE, window, clock, sleep),
        )

    def bulk(self, contacts: int) -> WindowLimiter:
        return self.bulk_single if contacts == 1 else self.bulk_multi
