"""Per-export apply lock and run history."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from engine.errors import LockError
from engine.state import history
from engine.state.lock import export_lock


def _hold(
    state_dir: str,
    ready: multiprocessing.synchronize.Event,
    stop: multiprocessing.synchronize.Event,
) -> None:
    with export_lock(Path(state_dir), "vip"):
        ready.set()
        stop.wait(10)


def test_second_apply_of_same_export_fails_fast_and_names_holder(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(tmp_path), ready, stop))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(LockError) as caught, export_lock(tmp_path, "vip"):
            pass
        message = str(caught.value)
        assert "export 'vip' is being applied by" in message
        assert f"pid {holder.pid}" in message
        with export_lock(tmp_path, "newsletter"):  # other exports are not blocked
            pass
    finally:
        stop.set()
        holder.join(10)
    with export_lock(tmp_path, "vip"):  # released when the holder finished
        pass


def test_lock_is_released_when_the_holder_dies(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(tmp_path), ready, stop))
    holder.start()
    assert ready.wait(10)
    os.kill(holder.pid or 0, 9)
    holder.join(10)
    with export_lock(tmp_path, "vip"):
        pass


def _record(
    export: str, outcome: str, rejected: tuple[tuple[str, str], ...] = ()
) -> history.RunRecord:
    return history.RunRecord(
        time="2026-11-29T10:00:00+00:00",
        export=export,
        connection="ac",
        list_id="2",
        who="dev@example.com",
        commit="abc",
        outcome=outcome,
        counts={"add": 3},
        rejected=history.group(rejected),
    )


def _rows(rejected: tuple[tuple[str, str], ...]) -> list[history.Problem]:
    return [(email, "rejected", reason) for email, reason in rejected]


def test_history_appends_and_reads_back_latest_first(tmp_path: Path) -> None:
    bounced = (("x@example.com", "bounced"),)
    history.append(tmp_path, _record("vip", "applied"))
    history.append(tmp_path, _record("vip", "partial", bounced), _rows(bounced))
    history.append(tmp_path, _record("newsletter", "applied"))
    lines = (tmp_path / "history.jsonl").read_text().splitlines()
    assert len(lines) == 3
    assert json.loads(lines[1])["rejected"] == [{"reason": "bounced", "count": 1}]
    assert "x@example.com" not in lines[1]  # emails go to the CSV, not the history
    latest = history.latest_per_export(history.read(tmp_path))
    assert [r.outcome for r in latest["vip"]] == ["partial", "applied"]
    assert list(latest) == ["newsletter", "vip"]


def test_a_big_interrupted_run_is_one_short_history_line(tmp_path: Path) -> None:
    why = "not confirmed: the run was interrupted; run 'sync plan' to see what is left"
    pairs = [(f"c{i}@example.com", why) for i in range(34_000)]
    record = replace(_record("vip", "interrupted"), not_applied=history.group(pairs))
    history.append(tmp_path, record, [(e, "not applied", r) for e, r in pairs])
    line = (tmp_path / "history.jsonl").read_text()
    assert len(line) < 1_000
    (back,) = history.read(tmp_path)
    assert back.not_applied == ((why, 34_000),) and back.total("not_applied") == 34_000
    rows = (tmp_path / "rejected" / "vip.csv").read_text().splitlines()
    assert len(rows) == 34_001 and rows[1] == f"c0@example.com,not applied,{why}"


def test_the_older_per_contact_history_form_is_still_read(tmp_path: Path) -> None:
    old = _record("vip", "partial").to_json()
    old["rejected"] = [
        {"email": "a@example.com", "reason": "bounced"},
        {"email": "b@example.com", "reason": "bounced"},
        {"email": "c@example.com", "reason": "unsubscribed"},
    ]
    (tmp_path / "history.jsonl").write_text(json.dumps(old) + "\n")
    (back,) = history.read(tmp_path)
    assert back.rejected == (("bounced", 2), ("unsubscribed", 1))


def test_history_and_rejected_csv_are_private(tmp_path: Path) -> None:
    state = tmp_path / ".sync"
    bounced = (("x@example.com", "bounced"),)
    history.append(state, _record("vip", "partial", bounced), _rows(bounced))
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "history.jsonl").stat().st_mode) == 0o600
    assert stat.S_IMODE((state / "rejected").stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "rejected" / "vip.csv").stat().st_mode) == 0o600


def test_rejected_csv_holds_the_last_run_only(tmp_path: Path) -> None:
    bounced = (("x@example.com", "bounced"),)
    history.append(tmp_path, _record("vip", "partial", bounced), _rows(bounced))
    csv_path = tmp_path / "rejected" / "vip.csv"
    assert csv_path.read_text().splitlines() == [
        "email,status,reason",
        "x@example.com,rejected,bounced",
    ]
    history.append(tmp_path, _record("vip", "applied"))
    assert not csv_path.exists()


def test_a_damaged_history_line_does_not_hide_the_rest(tmp_path: Path) -> None:
    history.append(tmp_path, _record("vip", "applied"))
    with (tmp_path / "history.jsonl").open("a") as out:
        out.write("{not json\n")
    history.append(tmp_path, _record("vip", "partial"))
    assert [r.outcome for r in history.read(tmp_path)] == ["applied", "partial"]
    assert history.read_all(tmp_path)[1] == [2]


def test_not_applied_contacts_are_kept_apart_from_rejected_ones(tmp_path: Path) -> None:
    why = "not confirmed: the run was interrupted"
    record = replace(
        _record("vip", "interrupted"), rejected=(("bounced", 1),), not_applied=((why, 1),)
    )
    problems = [("x@example.com", "rejected", "bounced"), ("y@example.com", "not applied", why)]
    history.append(tmp_path, record, problems)
    (back,) = history.read(tmp_path)
    assert back.rejected == (("bounced", 1),)
    assert back.not_applied == ((why, 1),)
    rows = (tmp_path / "rejected" / "vip.csv").read_text().splitlines()
    assert rows[1:] == [
        "x@example.com,rejected,bounced",
        f"y@example.com,not applied,{why}",
    ]
