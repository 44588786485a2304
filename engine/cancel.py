"""Stopping the other accounts' work when a run is interrupted or one account fails.

Ctrl-C (and SIGTERM, which the CLI turns into it) reaches only the main thread. When
accounts run in parallel (:mod:`engine.parallel`), their work runs on other threads, so the
run sets a :class:`threading.Event` instead, and every wait of every client in the run is
:func:`interruptible`: the next pacer slot, retry back-off or bulk-window wait raises
:class:`Cancelled` (a ``KeyboardInterrupt``, so what handles Ctrl-C today — a write
reported as interrupted, a read that leaves the previous snapshot — handles it the same
way). A request already sent is answered first: nothing is cut off half-way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Sleep = Callable[[float], None]

SLICE = 0.25
"""Longest uninterrupted wait, in seconds: how soon a cancelled wait notices."""


class Cancelled(KeyboardInterrupt):
    """The run was interrupted (or another account's work failed) while this one waited."""


def interruptible(sleep: Sleep, cancelled: threading.Event) -> Sleep:
    """``sleep`` in slices of at most :data:`SLICE`, raising :class:`Cancelled` once the
    event is set (the time slept is the same on a fake clock: the slices add up)."""

    def wait(seconds: float) -> None:
        left = seconds
        while True:
            if cancelled.is_set():
                raise Cancelled
            if left <= 0:
                return
            step = min(left, SLICE)
            sleep(step)
            left -= step

    return wait
