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
  other in the order given, as it always did.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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
    stop: Callable[[R], bool] | None = None,
) -> list[R | None]:
    """``work(item)`` for every item, accounts in parallel (rules: module docstring). The
    result of each item in the order given; None for an item never started (only when the
    run was interrupted or stopped).

    ``stop`` says that ``work`` handles an interruption itself (an apply reports it): a
    result it finds true stops the run, and after Ctrl-C the run returns what was done.
    Without it, Ctrl-C always raises ``KeyboardInterrupt``, even when every account
    happened to finish (a plan the user interrupted is not shown as if it were not)."""
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(account(item), []).append(index)
    results: list[R | None] = [None] * len(items)

    def run(indexes: Iterable[int]) -> None:
        for index in indexes:
            if cancelled.is_set():
                return
            result = results[index] = work(items[index])
            if stop is not None and stop(result):
                cancelled.set()
                return

    workers = workers_for(len(groups), parallel)
    if workers == 1:  # in the calling thread, in the order given, as it always was
        run(range(len(items)))
        return results
    interrupted = _in_threads(list(groups.values()), run, cancelled, workers)
    if interrupted and stop is None:
        raise KeyboardInterrupt
    return results


def _in_threads(
    groups: Sequence[list[int]],
    run: Callable[[list[int]], None],
    cancelled: threading.Event,
    workers: int,
) -> bool:
    """``run(group)`` for every group on ``workers`` threads, until every one has ended;
    raises the first failure; whether Ctrl-C (or SIGTERM) interrupted it."""
    errors: list[BaseException | None] = [None] * len(groups)
    finished = [threading.Event() for _ in groups]
    started = [False] * len(groups)

    def run_account(number: int) -> None:
        started[number] = True  # before run() first looks at ``cancelled``
        try:
            run(groups[number])
        except BaseException as exc:  # kept for the main thread, which raises it
            errors[number] = exc
            cancelled.set()  # the other accounts stop at their next wait
        finally:
            finished[number].set()

    interrupted = False
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="account")
    try:
        with _signals_held():  # every account is started, or none: each sets its event
            for number in range(len(groups)):
                pool.submit(run_account, number)
        _wait(finished)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the main thread only hears it
        interrupted = True
        cancelled.set()
        # Accounts not started by now never will do anything (they look at ``cancelled``
        # first), even one whose start the interruption cut short.
        _join([event for event, began in zip(finished, started, strict=True) if began])
    finally:
        pool.shutdown(wait=False)  # every account's work has ended (its threads idle)
    _raise_first(errors)
    return interrupted


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back for the block (delivered right after it), where the
    platform can (POSIX)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _wait(finished: Sequence[threading.Event]) -> None:
    """Every event set; in short waits, so that a signal tripped in another thread (or by
    ``_thread.interrupt_main``) is seen here within a fraction of a second."""
    for event in finished:
        while not event.wait(0.2):
            pass


def _join(finished: Sequence[threading.Event]) -> None:
    """Wait for every account's work to end, whatever else arrives meanwhile (a second
    Ctrl-C, the SIGTERM a CI runner sends after its SIGINT): each stops at its next wait,
    and what it did must still be reported. (Events, not ``Thread.join``: an interrupted
    join marks a running thread as stopped on Python 3.11, bpo-45274.)"""
    while True:
        try:
            _wait(finished)
            return
        except KeyboardInterrupt:
            continue


def _raise_first(errors: Sequence[BaseException | None]) -> None:
    """The first failure that is not a cancellation; else a cancellation, as Ctrl-C."""
    for exc in errors:
        if exc is not None and not isinstance(exc, Cancelled):
            raise exc
    if any(isinstance(exc, Cancelled) for exc in errors):
        raise KeyboardInterrupt
