"""Which exports a scheduled run applies (``sync apply --due``): pure, with an injected clock.

The rule
========

A workspace's sync workflow runs on a fixed *runner* schedule, :data:`RUNNER_CRON` (hourly at
minute 7, the cron in ``.github/workflows/sync.yml``). Each export's own ``schedule`` (cron,
UTC) says when it should run. GitHub starts scheduled workflows late (often 5-30 minutes
under load) and now and then drops one.

1. **The run's tick.** A run acts for its *nominal tick* ``T``: the latest runner fire time at
   or before ``now``. A run that starts late still acts for the tick that started it, as long
   as it is less than one runner interval late.
2. **The window.** ``P`` is the runner tick before ``T``. An export is *due* when its cron has
   a fire time ``f`` with ``P < f <= T`` (half-open). Consecutive ticks' windows tile the time
   line without gaps or overlaps, so every fire time is caught by exactly one run: the first
   tick at or after it. The export therefore runs up to one runner interval after its fire
   time (``0 6 * * *`` runs in the 06:07 run; ``30 6 * * *`` in the 07:07 run).
3. **Missed runs.** Without history a dropped run's window is lost; the next fire time catches
   up, and because every apply syncs the whole list the list converges then anyway. When the
   last *successful* apply of each export is known (``last_runs``: from
   ``.sync/history.jsonl`` on a machine that keeps it, or ``--since`` for every export), the
   window of that export starts at ``min(P, last_run)`` instead: a fire time missed since then
   is caught up by one run (several missed fire times collapse into one apply). History only
   widens windows, never narrows them, so a manual run never suppresses a scheduled one, and
   an export whose scheduled apply failed is due again at the next tick.
4. Disabled exports and exports without ``schedule`` are never due. Naive datetimes are
   taken as UTC.

A run started more than one runner interval late is counted for a later tick; with history
that is caught up, without it the window it should have served is treated as missed (3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from croniter import croniter

from engine.manifests.models import Export
from engine.manifests.project import Project

RUNNER_CRON = "7 * * * *"
"""When the scheduled workflow runs; keep in step with ``on.schedule`` in the sync workflow."""

SUCCESS_OUTCOMES = frozenset({"applied", "no-changes"})


@dataclass(frozen=True, slots=True)
class Window:
    """The half-open interval ``(start, end]`` of fire times a run catches; ``end`` is its tick."""

    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start < moment <= self.end


@dataclass(frozen=True, slots=True)
class DueExport:
    """An export a scheduled run should apply, and why."""

    name: str
    schedule: str
    fire_time: datetime  # the latest of its fire times inside the window
    caught_up: bool  # True when only the history-widened window made it due (a missed run)


class RunLike(Protocol):
    """What :func:`last_successes` needs of a run record (``engine.state.history.RunRecord``)."""

    @property
    def export(self) -> str: ...
    @property
    def time(self) -> str: ...
    @property
    def outcome(self) -> str: ...


def as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def latest_fire(cron: str, moment: datetime) -> datetime:
    """The latest fire time of ``cron`` at or before ``moment`` (cron fires on whole minutes)."""
    floor = as_utc(moment).replace(second=0, microsecond=0)
    result: datetime = croniter(cron, floor + timedelta(minutes=1)).get_prev(datetime)
    return as_utc(result)


def fire_times(cron: str, window: Window) -> list[datetime]:
    """Every fire time of ``cron`` inside ``window``, oldest first."""
    iterator = croniter(cron, as_utc(window.start))
    out: list[datetime] = []
    while (moment := as_utc(iterator.get_next(datetime))) <= window.end:
        out.append(moment)
    return out


def runner_window(now: datetime, runner: str = RUNNER_CRON) -> Window:
    """The stateless window of the run started at ``now``: ``(previous tick, tick]``."""
    tick = latest_fire(runner, now)
    previous = as_utc(croniter(runner, tick).get_prev(datetime))
    return Window(previous, tick)


def due_exports(
    exports: Project | Iterable[Export],
    now: datetime,
    *,
    runner: str = RUNNER_CRON,
    last_runs: Mapping[str, datetime] | None = None,
) -> list[DueExport]:
    """The exports a scheduled run started at ``now`` applies, by name (rule: module docstring).

    ``last_runs`` maps an export to the start of its last successful apply (see
    :func:`last_successes`); exports missing from it get the stateless window.
    """
    items = exports.exports.values() if isinstance(exports, Project) else exports
    base = runner_window(now, runner)
    history = last_runs or {}
    due: list[DueExport] = []
    for export in items:
        if not export.enabled or export.schedule is None:
            continue
        window = base
        if export.name in history:
            window = Window(min(base.start, as_utc(history[export.name])), base.end)
        latest = latest_fire(export.schedule, window.end)
        if latest in window:
            due.append(DueExport(export.name, export.schedule, latest, latest not in base))
    return sorted(due, key=lambda item: item.name)


def last_successes(records: Iterable[RunLike]) -> dict[str, datetime]:
    """Export -> start of its latest successful apply (``applied`` or ``no-changes``).

    Records whose time does not parse are ignored: history is a help, not a requirement.
    """
    latest: dict[str, datetime] = {}
    for record in records:
        if record.outcome not in SUCCESS_OUTCOMES:
            continue
        try:
            moment = as_utc(datetime.fromisoformat(record.time))
        except ValueError:
            continue
        if record.export not in latest or moment > latest[record.export]:
            latest[record.export] = moment
    return latest
