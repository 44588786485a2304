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
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Automatic collection off for the block (left as it was found)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def young_collections_only() -> Iterator[Callable[[], object]]:
    """Automatic collection off; the block collects the young generation itself, with the
    function yielded.

    What survives stays in the middle generation meanwhile; at the end it is moved to the
    oldest one without a scan (``gc.freeze`` + ``gc.unfreeze``): re-enabling collection
    with millions of objects in the middle generation made the next allocation scan them
    all (1.6 s after a 1,000,000-member read). Nothing changes when collection was off.
    """
    if not gc.isenabled():
        yield lambda: None
        return
    gc.disable()
    try:
        yield partial(gc.collect, 0)
    finally:
        gc.freeze()
        gc.unfreeze()
        gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """Everything alive now is out of the collector's sight for the block (unfrozen after,
    so nothing leaks)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
