"""Keeping Python's cycle collector out of the way of a million long-lived objects.

A 1,000,000-member run holds millions of small objects that live for the whole run and make
no reference cycles (contacts, members, value strings). Every automatic full collection
would walk them all again; these three context managers are the product's only dealings
with :mod:`gc`, each measured where it is used:

- :func:`no_cycle_collection`: off while the desired state is built (2x faster: the
  builder makes no cycles, so nothing leaks);
- :func:`young_collections_only`: while a list is read, only the young generation is
  collected, by the caller, after each page (each httpx response is a small cycle holding
  the page's bytes, so young collections are still needed);
- :func:`frozen`: the two states moved out of the collector's sight while they are diffed
  (at 1,000,000 contacts the diff spent most of its time in collections).

Accounts may run on several threads at once (:mod:`engine.parallel`), and :mod:`gc` is one
for the process: the blocks are counted, so collection comes back on when the *last* block
that turned it off ends (as the first one found it), and frozen objects are unfrozen when
the last :func:`frozen` block ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

_lock = threading.Lock()
_off = 0  # blocks that want automatic collection off
_restore = False  # whether the first of them found it on
_frozen = 0  # frozen() blocks


def _turn_off() -> bool:
    """Collection off for one more block; whether it was on before the blocks began."""
    global _off, _restore
    with _lock:
        if _off == 0:
            _restore = gc.isenabled()
        _off += 1
        gc.disable()
        return _restore


def _turn_back(move_to_oldest: bool = False) -> None:
    global _off
    with _lock:
        _off -= 1
        if move_to_oldest:
            gc.freeze()  # survivors to the permanent generation without a scan ...
            if _frozen == 0:
                gc.unfreeze()  # ... and from there to the oldest one
        if _off == 0 and _restore:
            gc.enable()


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Automatic collection off for the block (left as it was found)."""
    _turn_off()
    try:
        yield
    finally:
        _turn_back()


@contextmanager
def young_collections_only() -> Iterator[Callable[[], object]]:
    """Automatic collection off; the block collects the young generation itself, with the
    function yielded.

    What survives stays in the middle generation meanwhile; at the end it is moved to the
    oldest one without a scan (``gc.freeze`` + ``gc.unfreeze``): re-enabling collection
    with millions of objects in the middle generation made the next allocation scan them
    all (1.6 s after a 1,000,000-member read). Nothing changes when collection was off.
    """
    was_on = _turn_off()
    try:
        yield partial(gc.collect, 0) if was_on else (lambda: None)
    finally:
        _turn_back(move_to_oldest=was_on)


@contextmanager
def frozen() -> Iterator[None]:
    """Everything alive now is out of the collector's sight for the block (unfrozen after
    the last such block, so nothing leaks)."""
    global _frozen
    with _lock:
        gc.freeze()
        _frozen += 1
    try:
        yield
    finally:
        with _lock:
            _frozen -= 1
            if _frozen == 0:
                gc.unfreeze()
