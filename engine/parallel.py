"""Exports on different ActiveCampaign accounts, worked on at the same time.

An export's account is its connection's host (:mod:`engine.accounts`). Each account has its own
rate limit (5 requests/s), so a run over 20 accounts need not take
20 times as long as one. The rules:

- An account's exports run one after the other, in the order given: they share its pacers
  (running them at once would gain nothing), and owners of shared fields come first
  (:mod:`engine.owners`). Different accounts run on up to ``parallel`` threads (default:
  one per account, at most :data:`DEFAULT_PARALLEL`).
- Results come back in the order of the items given, whatever finished first: output stays
  in a stable order.
- A failure in one account stops the others at their next wait (:mod:`engine.cancel`) and
  is raised once every thread has stopped (the first failure in item order); so does Ctrl-C,
  which reaches only the main thread. Work that handles an interruption itself (an apply
  reports it) returns, and so does the run, with None for what was never started; work
  that does not raises, and the run raises ``KeyboardInterrupt``.
- ``stop(result)`` true (an interrupted apply): nothing more is started, on any account.
- One account, or ``parallel`` 1: everything runs in the calling thread, one after the
  other, as it always did.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from engine.cancel import Cancelled

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_PARALLEL = 4
"""Accounts worked on at once unless ``--parallel`` says otherwise: memory is the limit (a
1,000,000-member list costs ~1.2 GB at its peak; four fit a 16 GB CI runner)."""


def workers_for(accounts: int, parallel: int | None) -> int:
    """Threads for ``accounts`` accounts: one each, capped by ``parallel`` (or the default)."""
    cap = DEFAULT_PARALLEL if parallel is None else parallel
    if cap < 1:
        raise ValueError("parallel must be at least 1")
    return max(1, min(accounts, cap))


def by_account(
    items: Sequence[T],
    account: Callable[[T], str],
    work: Callable[[T], R],
    *,
    cancelled: threading.Event,
    parallel: int | None = None,
    stop: Callable[[R], bool] = lambda _: False,
) -> list[R | None]:
    """``work(item)`` for every item, accounts in parallel (rules: module docstring). The
    result of each item in the order given; None for an item never started (only when the
    run was interrupted or stopped)."""
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(account(item), []).append(index)
    results: list[R | None] = [None] * len(items)

    def run(indexes: list[int]) -> None:
        for index in indexes:
            if cancelled.is_set():
                return
            result = results[index] = work(items[index])
            if stop(result):
                cancelled.set()
                return

    workers = workers_for(len(groups), parallel)
    if workers == 1:
        for indexes in groups.values():
            run(indexes)
        return results
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="account") as pool:
        futures: list[Future[None]] = []
        try:
            futures += (pool.submit(run, indexes) for indexes in groups.values())
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            if any(f.exception() is not None for f in done):
                cancelled.set()  # the other accounts stop at their next wait
            wait(futures)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the main thread only hears it
            cancelled.set()
            if not futures:
                raise
            wait(futures)
        _raise_first(futures)
    return results


def _raise_first(futures: Sequence[Future[None]]) -> None:
    """The first failure that is not a cancellation; else a cancellation, as Ctrl-C."""
    errors = [f.exception() for f in futures]
    for exc in errors:
        if exc is not None and not isinstance(exc, Cancelled):
            raise exc
    if any(isinstance(exc, Cancelled) for exc in errors):
        raise KeyboardInterrupt
