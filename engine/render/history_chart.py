"""The run history as series over time, drawn as sparklines (terminal) or Mermaid (markdown).

A chart covers one export's runs, oldest first (time runs left to right). Its series: the
list's size after each run (``None`` where a record is older than that field: a gap), and
the adds, updates and removes each run applied. Counts are drawn from zero (a run that
changed nothing is the lowest block, one that changed anything is above it); the list size
from its lowest to its highest value, since it moves little against its own size.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.state.history import RunRecord

UNICODE_LEVELS = "▁▂▃▄▅▆▇█"
ASCII_LEVELS = "_.:-=+*#"  # the same eight steps where the output cannot encode blocks
GAP = " "
COUNTS = ("add", "update", "remove")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[int | None, ...]  # oldest first; None: not recorded
    from_zero: bool  # counts: drawn from 0; a size: from its lowest value

    @property
    def known(self) -> tuple[int, ...]:
        return tuple(v for v in self.values if v is not None)

    @property
    def gaps(self) -> int:
        return len(self.values) - len(self.known)


def series_of(runs: Sequence[RunRecord]) -> tuple[Series, ...]:
    """List size, then adds, updates and removes applied, of ``runs`` (oldest first)."""
    sizes = Series("list size", tuple(r.list_size for r in runs), from_zero=False)
    counts = [Series(k, tuple(r.counts.get(k, 0) for r in runs), from_zero=True) for k in COUNTS]
    return (sizes, *counts)


def sparkline(series: Series, levels: str = UNICODE_LEVELS) -> str:
    """One character per run: its value's step among ``levels``; a gap where not recorded."""
    if not series.known:
        return GAP * len(series.values)
    low = 0 if series.from_zero else min(series.known)
    high = max(series.known)
    return "".join(
        GAP if v is None else levels[_step(v, low, high, len(levels) - 1)] for v in series.values
    )


def _step(value: int, low: int, high: int, top: int) -> int:
    if high == low:  # a flat series: zero at the bottom, any other value mid-way
        return 0 if value == 0 else top // 2
    if low == 0:  # from zero: only zero is the bottom step
        return 0 if value == 0 else max(1, math.ceil(value * top / high))
    return round((value - low) * top / (high - low))


def span(series: Series) -> str:
    """``low to high`` of the recorded values, and how many runs recorded none."""
    if not series.known:
        return "not recorded"
    low, high = min(series.known), max(series.known)
    text = f"{low:,}" if low == high else f"{low:,} to {high:,}"
    if series.gaps:
        text += f" ({series.gaps} {'run' if series.gaps == 1 else 'runs'} not recorded)"
    return text


def when(record: RunRecord, with_year: bool = True) -> str:
    """A run's time in UTC to the minute (``2026-11-29 10:00``; ``11-29 10:00`` without the
    year); the recorded text itself when it is not an ISO time."""
    try:
        moment = datetime.fromisoformat(record.time)
    except ValueError:
        return record.time
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M" if with_year else "%m-%d %H:%M")


def run_labels(runs: Sequence[RunRecord]) -> list[str]:
    """Short, distinct x-axis labels (a chart's categories must differ: two runs in one
    minute get ``#2``, ``#3``)."""
    labels = [when(r, with_year=False) for r in runs]
    seen: Counter[str] = Counter()
    out = []
    for label in labels:
        seen[label] += 1
        out.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return out
