"""What every endpoint handler gets: the store, the settings, the clock, shared caches."""

from __future__ import annotations

import random
import sqlite3
import threading
import uuid
from array import array
from collections.abc import Callable, Sequence
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
    cursors: dict[tuple[object, ...], tuple[int, int]] = field(default_factory=dict)
    id_lists: dict[tuple[object, ...], tuple[int, array[int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.settings.seed)

    def count(self, conn: sqlite3.Connection, sql: str, args: Sequence[object]) -> int:
        """``SELECT count(*)`` cached per data generation (``meta.total`` of every page)."""
        key = (sql, *args)
        generation = self.store.generation(conn)
        cached = self.totals.get(key)
        if cached is not None and cached[0] == generation:
            return cached[1]
        total = int(conn.execute(sql, list(args)).fetchone()[0])
        with self.lock:
            if len(self.totals) > 256:
                self.totals.clear()
            self.totals[key] = (generation, total)
        return total

    def ids(self, conn: sqlite3.Connection, sql: str, args: Sequence[object]) -> array[int]:
        """The sorted contact ids a query selects, cached per data generation (so that a
        ``meta.total`` bounded by ``id_greater``/``id_less`` is a bisection, not a count)."""
        key = ("ids", sql, *args)
        generation = self.store.generation(conn)
        cached = self.id_lists.get(key)
        if cached is not None and cached[0] == generation:
            return cached[1]
        found = array("q", (int(r[0]) for r in conn.execute(sql, list(args))))
        with self.lock:
            if len(self.id_lists) > 16:
                self.id_lists.clear()
            self.id_lists[key] = (generation, found)
        return found

    def offset_cursor(self, conn: sqlite3.Connection, key: tuple[object, ...]) -> int | None:
        """The id after which the page at this offset starts, if a previous page said so.

        Offset paging is O(offset) in SQLite; remembering where the previous page ended
        (for the same query and data generation) makes paging a large collection by offset
        linear, while answering exactly what ``LIMIT .. OFFSET ..`` would.
        """
        found = self.cursors.get(key)
        if found is None or found[0] != self.store.generation(conn):
            return None
        return found[1]

    def remember_cursor(
        self, conn: sqlite3.Connection, key: tuple[object, ...], last_id: int
    ) -> None:
        with self.lock:
            if len(self.cursors) > 4096:
                self.cursors.clear()
            self.cursors[key] = (self.store.generation(conn), last_id)

    def new_batch_id(self) -> str:
        # Not from the seeded rng: several runs (processes) share one sandbox file, and a
        # seeded sequence would hand each of them the same ids.
        return str(uuid.uuid4())
