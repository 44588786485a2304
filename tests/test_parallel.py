"""engine.parallel: accounts at once, an account's exports one after the other, results in
the order given, a failure or Ctrl-C stopping every account (and engine.cancel, engine.memory
under threads)."""

from __future__ import annotations

import _thread
import gc
import signal
import threading
import time

import pytest

from engine.cancel import Cancelled, interruptible
from engine.memory import frozen, no_cycle_collection, young_collections_only
from engine.parallel import by_account, workers_for

ITEMS = [("b", "x"), ("a", "y"), ("a", "z"), ("c", "w")]  # (account, name)


def _account(item: tuple[str, str]) -> str:
    return item[0]


class Timeline:
    """When each item's work ran, on which thread."""

    def __init__(self) -> None:
        self.spans: dict[str, tuple[float, float, int]] = {}
        self.lock = threading.Lock()

    def work(self, seconds: float = 0.05):  # type: ignore[no-untyped-def]
        def run(item: tuple[str, str]) -> str:
            start = time.monotonic()
            time.sleep(seconds)
            with self.lock:
                self.spans[item[1]] = (start, time.monotonic(), threading.get_ident())
            return item[1].upper()

        return run

    def overlap(self, a: str, b: str) -> bool:
        (s1, e1, _), (s2, e2, _) = self.spans[a], self.spans[b]
        return s1 < e2 and s2 < e1


def test_accounts_run_at_once_and_one_accounts_items_one_after_the_other() -> None:
    timeline = Timeline()
    results = by_account(ITEMS, _account, timeline.work(), cancelled=threading.Event())
    assert results == ["X", "Y", "Z", "W"]  # the order given, whatever finished first
    assert timeline.overlap("x", "y") and timeline.overlap("x", "w")
    assert not timeline.overlap("y", "z")
    assert timeline.spans["y"][1] <= timeline.spans["z"][0]  # account a: y, then z


def test_parallel_one_runs_everything_in_the_calling_thread_in_order() -> None:
    timeline = Timeline()
    items = [("a", "y"), ("b", "x"), ("a", "z")]
    results = by_account(
        items, _account, timeline.work(0.0), cancelled=threading.Event(), parallel=1
    )
    assert results == ["Y", "X", "Z"]
    assert {thread for *_, thread in timeline.spans.values()} == {threading.get_ident()}
    starts = sorted(timeline.spans, key=lambda name: timeline.spans[name][0])
    assert starts == ["y", "x", "z"]  # the order given, not grouped by account


def test_workers_are_one_per_account_capped() -> None:
    assert workers_for(3, None) == 3
    assert workers_for(20, None) == 4
    assert workers_for(20, 8) == 8
    assert workers_for(2, 8) == 2
    with pytest.raises(ValueError):
        workers_for(2, 0)


def test_a_failure_stops_the_other_accounts_at_their_next_wait_and_is_raised() -> None:
    cancelled = threading.Event()
    wait = interruptible(time.sleep, cancelled)
    started_items: list[str] = []
    stopped: list[str] = []

    def work(item: tuple[str, str]) -> str:
        started_items.append(item[1])
        if item[1] == "y":
            raise ValueError("list 9 does not exist")
        try:
            wait(30.0)  # a long pacer or bulk-window wait
        except Cancelled:
            stopped.append(item[1])
            raise
        return item[1]

    started = time.monotonic()
    with pytest.raises(ValueError, match="list 9"):
        by_account(ITEMS, _account, work, cancelled=cancelled)
    assert time.monotonic() - started < 5  # not the 30 s the others were waiting for
    assert "z" not in started_items  # after y on account a: never started
    assert sorted(stopped) == sorted(set(started_items) - {"y"})  # every other one stopped


def test_ctrl_c_in_the_main_thread_stops_every_account() -> None:
    cancelled = threading.Event()
    wait = interruptible(time.sleep, cancelled)
    first = threading.Event()

    def work(item: tuple[str, str]) -> str:
        if not first.is_set():
            first.set()
            _thread.interrupt_main()  # what Ctrl-C (or SIGTERM, via the CLI) does
        wait(30.0)
        return item[1]

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        by_account(ITEMS, _account, work, cancelled=cancelled)
    assert time.monotonic() - started < 5
    assert cancelled.is_set()


def test_work_that_reports_its_interruption_returns_what_was_done() -> None:
    """An apply catches the interruption and reports it; nothing more is started."""
    cancelled = threading.Event()
    wait = interruptible(time.sleep, cancelled)

    def work(item: tuple[str, str]) -> str:
        if item[1] == "x":
            cancelled.set()  # as if interrupted
        try:
            wait(0.2)
        except Cancelled:
            return f"{item[1]}: interrupted"
        return f"{item[1]}: done"

    results = by_account(
        ITEMS, _account, work, cancelled=cancelled, stop=lambda r: r.endswith("interrupted")
    )
    assert results[0] == "x: interrupted"
    assert results[2] is None  # z, after y on account a: not started
    assert all(r is None or r.endswith("interrupted") for r in results)


def test_interruptible_sleep_adds_up_to_the_time_asked() -> None:
    slept: list[float] = []
    interruptible(slept.append, threading.Event())(1.1)
    assert sum(slept) == pytest.approx(1.1) and max(slept) <= 0.25


def test_collection_comes_back_on_after_the_last_of_overlapping_blocks() -> None:
    assert gc.isenabled()
    inside = threading.Event()
    leave = threading.Event()

    def other() -> None:
        with young_collections_only(), frozen():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with no_cycle_collection():
        thread.start()
        inside.wait(5)
    assert not gc.isenabled()  # the other thread's block is still running
    assert gc.get_freeze_count() > 0
    leave.set()
    thread.join()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def _sigint() -> None:
    """A real SIGINT to the main thread (what Ctrl-C sends; it wakes a blocked wait)."""
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


def test_ctrl_c_is_not_lost_when_every_account_finishes_anyway() -> None:
    """Work that never waits (a segment query, a diff) ends normally after Ctrl-C; a plan
    interrupted so is not shown as if it were complete."""
    cancelled = threading.Event()
    first = threading.Event()

    def work(item: tuple[str, str]) -> str:
        if not first.is_set():
            first.set()
            _thread.interrupt_main()
        time.sleep(0.2)  # busy, not waiting on a pacer
        return item[1]

    with pytest.raises(KeyboardInterrupt):
        by_account(ITEMS[:2], _account, work, cancelled=cancelled)


def test_a_second_ctrl_c_while_accounts_stop_still_returns_their_reports() -> None:
    """GitHub cancels a job with SIGINT, then SIGTERM (the CLI's KeyboardInterrupt) soon
    after: what each account did must still be reported."""
    cancelled = threading.Event()
    wait = interruptible(time.sleep, cancelled)
    first, second = threading.Event(), threading.Lock()

    def work(item: tuple[str, str]) -> str:
        if not first.is_set():
            first.set()
            _sigint()
        try:
            wait(30.0)
        except Cancelled:
            if second.acquire(blocking=False):  # one second signal, while all wind down
                _sigint()
            time.sleep(0.5)
            return f"{item[1]}: interrupted"
        return f"{item[1]}: done"

    results = by_account(
        ITEMS, _account, work, cancelled=cancelled, stop=lambda r: r.endswith("interrupted")
    )
    done = [r for r in results if r is not None]
    assert done and all(r.endswith(": interrupted") for r in done)
