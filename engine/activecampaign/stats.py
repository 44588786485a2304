"""What a client sent: requests by kind, rate-limit answers, retries and faults.

Counted by :class:`engine.activecampaign.client.Client`; the reader and writer read a
:class:`StatsSnapshot` to report request counts per phase (plan, apply).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    requests: Mapping[str, int]
    rate_limited: int  # 429 answers
    bulk_rate_limited: int  # bulk importer's 400 "Rate limit exceeded."
    retries: int
    faults: Mapping[str, int]  # by kind: 502/503/504 answers, timeouts, dropped connections


@dataclass(slots=True)
class ClientStats:
    """What the client sent (a builder; :meth:`snapshot` gives a frozen copy)."""

    requests: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    bulk_rate_limited: int = 0
    retries: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, counter: str, kind: str | None = None) -> None:
        """Add one, safely from several threads (the list reader runs streams at once)."""
        with self.lock:
            if kind is None:
                setattr(self, counter, getattr(self, counter) + 1)
            else:
                getattr(self, counter)[kind] += 1

    def snapshot(self) -> StatsSnapshot:
        with self.lock:
            return StatsSnapshot(
                dict(self.requests),
                self.rate_limited,
                self.bulk_rate_limited,
                self.retries,
                dict(self.faults),
            )
