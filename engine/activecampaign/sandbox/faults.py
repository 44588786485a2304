"""Fault injection: 502, 503 or a dropped connection, decided before anything else.

The decision is taken when a request arrives, before authentication, rate limiting or any
change of state, so a failed request never did anything and retrying it is always safe.
"""

from __future__ import annotations

import random
import threading

from .settings import SandboxSettings


class DroppedConnection(Exception):
    """Raised by the app to make its transport close the connection without an answer."""


class SlowAnswer(DroppedConnection):
    """An answer slower than a client waits: in-process, the transport raises a read
    time-out (as httpx would); over loopback the connection is closed without an answer."""


class FaultPlan:
    """Draws the fault (or none) for each request from a seeded generator."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.rate = settings.fault_rate
        self.kinds = settings.fault_kinds
        self._rng = random.Random(None if settings.seed is None else settings.seed + 1)
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        """``"502"``, ``"503"``, ``"drop"`` or ``None``."""
        if self.rate <= 0:
            return None
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            return self._rng.choice(self.kinds)
