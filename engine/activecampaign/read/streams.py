"""Running a list's paged streams: progress accounting, threads, and shared strings.

Used by the reader (members, tags) and its custom-field part (:mod:`.values`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from engine.progress import Step

Shared = dict[str | None, str | None]
"""Repeated values (countries, dates, first names) mapped to one shared string object."""


class Pages:
    """Counts pages read and estimates the total (None until anything is known)."""

    def __init__(self, callback: Step | None, collect: Callable[[], object]) -> None:
        self._callback = callback
        self._collect = collect
        self.read = 0
        self._expected: dict[str, int] = {}
        self._lock = threading.Lock()

    def expect(self, key: str, pages: int) -> None:
        with self._lock:
            self._expected[key] = pages

    def tick(self) -> None:
        self._collect()
        with self._lock:
            self.read += 1
            read = self.read
            estimate = sum(self._expected.values()) if self._expected else None
        if self._callback is not None:
            self._callback(read, max(estimate, read) if estimate else None)


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
