"""What every endpoint handler gets: the store, the settings, the clock, shared caches."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from .settings import SandboxSettings
from .store import Store


@dataclass(slots=True)
class Sandbox:
    """One sandbox account: its data, knobs and in-memory state (rate windows, caches).

    In-memory state (rate limits, bulk per-minute windows, the ``meta.total`` cache) is per
    process: two processes serving one file are two front doors to the same account data
    but each counts its own requests.
    """

    store: Store
    settings: SandboxSettings
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    rng: random.Random = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)
    totals: dict[tuple[object, ...], tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.settings.seed)

    def new_batch_id(self) -> str:
        # Not from the seeded rng: several runs (processes) share one sandbox file, and a
        # seeded sequence would hand each of them the same ids.
        return str(uuid.uuid4())
