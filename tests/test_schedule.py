"""`sync apply --due`: which exports a scheduled run applies, with an injected clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.manifests.models import Export, Settings
from engine.manifests.project import Project
from engine.schedule import (
    RUNNER_CRON,
    Window,
    due_exports,
    fire_times,
    last_successes,
    latest_fire,
    runner_window,
)


def export(name: str, schedule: str | None, *, enabled: bool = True) -> Export:
    return Export.model_validate(
        {
            "name": name,
            "connection": "ac",
            "list_id": 1,
            "segments": ["s"],
            "mapping": {"email": "email"},
            "schedule": schedule,
            "enabled": enabled,
        }
    )


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2024, 6, day, hour, minute, tzinfo=UTC)


DAILY_6 = export("daily-6", "0 6 * * *")
DAILY_630 = export("daily-630", "30 6 * * *")
EVERY_15 = export("every-15", "*/15 * * * *")
NO_SCHEDULE = export("on-demand", None)
DISABLED = export("disabled", "0 6 * * *", enabled=False)
ALL = [DAILY_6, DAILY_630, EVERY_15, NO_SCHEDULE, DISABLED]


def names(now: datetime) -> list[str]:
    return [d.name for d in due_exports(ALL, now)]


def test_run_on_time_applies_exports_whose_fire_time_is_in_the_last_interval() -> None:
    assert names(at(6, 7)) == ["daily-6", "every-15"]
    due = due_exports([DAILY_6], at(6, 7))
    assert due[0].fire_time == at(6, 0)
    assert due[0].caught_up is False


def test_not_due_outside_the_window_or_without_schedule_or_disabled() -> None:
    assert names(at(5, 7)) == ["every-15"]
    assert names(at(8, 7)) == ["every-15"]
    assert "on-demand" not in names(at(6, 7)) and "disabled" not in names(at(6, 7))


def test_half_past_runs_in_the_next_tick() -> None:
    assert names(at(7, 7)) == ["daily-630", "every-15"]


def test_late_start_still_acts_for_its_own_tick() -> None:
    # The 06:07 run started 40 minutes late: it still catches 06:00, and not 06:30 (which
    # belongs to the 07:07 run, however late that one starts).
    assert names(at(6, 47)) == ["daily-6", "every-15"]
    assert names(at(7, 59)) == ["daily-630", "every-15"]
    assert runner_window(at(6, 47)) == Window(at(5, 7), at(6, 7))


def test_missed_run_is_lost_without_history() -> None:
    # GitHub dropped the 06:07 run; the 07:07 run does not see 06:00 without history.
    assert names(at(7, 7)) == ["daily-630", "every-15"]


def test_missed_run_is_caught_up_with_history_once() -> None:
    history = {"daily-6": at(6, 9, day=9)}  # succeeded yesterday
    due = due_exports([DAILY_6], at(7, 7), last_runs=history)
    assert [(d.name, d.fire_time, d.caught_up) for d in due] == [("daily-6", at(6, 0), True)]
    # After the catch-up succeeded at 07:09, the 08:07 run does not apply it again.
    assert due_exports([DAILY_6], at(8, 7), last_runs={"daily-6": at(7, 9)}) == []


def test_history_never_suppresses_a_due_run() -> None:
    # Someone ran it on demand at 05:55; the 06:00 fire time is still applied at 06:07.
    assert [d.name for d in due_exports([DAILY_6], at(6, 7), last_runs={"daily-6": at(5, 55)})]


def test_failed_apply_is_retried_at_the_next_tick() -> None:
    records = [
        Record("daily-6", "2024-06-09T06:08:00+00:00", "applied"),
        Record("daily-6", "2024-06-10T06:08:00+00:00", "failed"),
        Record("daily-6", "garbage", "applied"),
    ]
    last = last_successes(records)
    assert last == {"daily-6": at(6, 8, day=9)}
    assert [d.name for d in due_exports([DAILY_6], at(7, 7), last_runs=last)] == ["daily-6"]


def test_naive_clock_is_utc_and_project_is_accepted() -> None:
    assert due_exports([DAILY_6], datetime(2024, 6, 10, 6, 7)) == due_exports([DAILY_6], at(6, 7))
    project = Project(Path("."), Settings(), {}, {}, {}, {e.name: e for e in ALL})
    assert [d.name for d in due_exports(project, at(6, 7))] == ["daily-6", "every-15"]


@dataclass(frozen=True)
class Record:
    export: str
    time: str
    outcome: str


CRONS = ["0 6 * * *", "30 6 * * *", "*/15 * * * *", "7 * * * *", "0 0 * * 1", "59 23 * * *"]


@settings(max_examples=60, deadline=None)
@given(
    cron=st.sampled_from(CRONS),
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2025, 1, 1)),
    delays=st.lists(st.integers(min_value=0, max_value=59 * 60 + 59), min_size=24, max_size=72),
)
def test_each_fire_time_is_caught_by_exactly_one_of_consecutive_late_runs(
    cron: str, start: datetime, delays: list[int]
) -> None:
    target = export("x", cron)
    first_tick = latest_fire(RUNNER_CRON, start)
    ticks = [first_tick + timedelta(hours=i) for i in range(len(delays))]
    caught: list[datetime] = []
    for tick, delay in zip(ticks, delays, strict=True):
        now = tick + timedelta(seconds=delay)
        window = runner_window(now)
        assert window.end == tick
        in_window = fire_times(cron, window)
        due = due_exports([target], now)
        assert bool(due) == bool(in_window)
        caught.extend(in_window)
    expected = fire_times(cron, Window(ticks[0] - timedelta(hours=1), ticks[-1]))
    assert caught == expected  # every fire time once, none twice, in order
