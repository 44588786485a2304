"""Running a list's paged streams: progress accounting, threads, and shared strings.

Used by the reader (members, tags) and its custom-field part (:mod:`.values`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from engine.progress import Step, Task

Shared = dict[str | None, str | None]
"""Repeated values (countries, dates, first names) mapped to one shared string object."""


class Pages:
    """Counts the pages read, per phase of the read (``active``, ``unsubscribed``, ``tag
    vip``, ``field values``...), each against its total once every stream of the phase knows
    its own (``meta.total`` of its first page): a total shown never grows while that phase
    runs. Reported to the read's :class:`engine.progress.Task` as its parts; to a plain
    :data:`Step` as one count (with a total once every stream knows its own)."""

    def __init__(self, callback: Step | None, collect: Callable[[], object]) -> None:
        self._callback = callback
        self._parts = callback.part if isinstance(callback, Task) else None
        self._collect = collect
        self.read = 0
        self._done: dict[str, int] = {}
        self._expected: dict[str, int | None] = {}
        self._lock = threading.Lock()

    def expect(self, key: str, pages: int | None) -> None:
        """Stream ``key`` takes ``pages`` pages (None: not known yet)."""
        with self._lock:
            self._expected[key] = pages

    def tick(self, key: str = "pages") -> None:
        self._collect()
        phase = phase_of(key)
        with self._lock:
            self.read += 1
            self._done[phase] = self._done.get(phase, 0) + 1
            if self._parts is not None:
                done, total = self._done[phase], self._total(lambda k: phase_of(k) == phase)
            else:
                done, total = self.read, self._total(lambda _: True)
        if self._parts is not None:
            self._parts(phase)(done, max(total, done) if total else None)
        elif self._callback is not None:
            self._callback(done, max(total, done) if total else None)

    def _total(self, among: Callable[[str], bool]) -> int | None:
        counts = [n for key, n in self._expected.items() if among(key)]
        if not counts or None in counts:
            return None
        return sum(n for n in counts if n is not None)


_STATUS_NAMES = {"0": "unconfirmed", "1": "active", "2": "unsubscribed", "3": "bounced"}


def phase_of(key: str) -> str:
    """The phase a stream belongs to: ``status:2:1500`` -> ``unsubscribed``, ``tagged:vip``
    -> ``tag vip``, ``values:...`` -> ``field values``."""
    kind, _, rest = key.partition(":")
    if kind == "status":
        return _STATUS_NAMES.get(rest.partition(":")[0], "members")
    if kind == "tagged":
        return f"tag {rest.partition(':')[0]}"
    if kind in ("values", "by-member"):
        return "field values"
    return kind


def run(jobs: Mapping[str, Callable[[], Any]], workers: int) -> dict[str, Any]:
    """Run every job; the first failure cancels those not started and is raised."""
    if workers <= 1:
        return {key: job() for key, job in jobs.items()}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read") as pool:
        futures = {key: pool.submit(job) for key, job in jobs.items()}
        try:
            return {key: future.result() for key, future in futures.items()}
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def for_each(job: Callable[[str], object], items: Sequence[str], workers: int) -> None:
    """``job`` for every item, on ``workers`` threads (no future per item kept around)."""
    if workers <= 1:
        for item in items:
            job(item)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read") as pool:
        for start in range(0, len(items), 1000):
            for _ in pool.map(job, items[start : start + 1000]):
                pass


SHARED_MAX = 200_000


def share_value(shared: Shared, value: str | None) -> str | None:
    if value is None or len(shared) >= SHARED_MAX:
        return value
    return shared.setdefault(value, value)
