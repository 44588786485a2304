"""SIGKILL at random moments of ``sync apply`` and ``sync plan --out``, over loopback HTTP.

The CLI runs as a process of its own against the sandbox served in this one (so a kill
stops the client, never the "ActiveCampaign" it talks to, which finishes what it accepted,
as the real one does). Killed runs and re-runs until one finishes; then: nothing lost
(the next plan is empty), nobody duplicated, the run history valid JSON lines, no stale
lock, every saved plan whole (or absent), and no temporary file left with personal data.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.activecampaign.sandbox import SandboxSettings, Store, running_server
from engine.plan.file import load_plan
from engine.state import history
from engine.state.lock import export_lock

from .reconcile_fixtures import LOOPBACK_KEY, loopback_workspace, point_at

ROWS = 3_000  # about 2,000 contacts to add: eight bulk batches, ~6 s a clean apply
KILLED_APPLIES = 4
KILLED_PLANS = 2


def _state_is_sound(root: Path) -> None:
    """What a kill at any moment must leave: whole history lines, a free lock, whole plans."""
    records, damaged = history.read_all(root / ".sync")
    assert damaged == [], f"damaged history lines {damaged}"
    assert all(r.export == "newsletter" for r in records)
    with export_lock(root / ".sync", "newsletter"):
        pass
    plan = root / "plan.json"
    if plan.exists():
        load_plan(plan)  # whole, with a digest that matches: never half a file


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if p.is_file() and not p.name.startswith(".git")]


def test_killed_runs_converge_with_nothing_lost_or_duplicated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, data = loopback_workspace(tmp_path, rows=ROWS)
    env = {**os.environ, "SANDBOX_KEY": LOOPBACK_KEY, "PYTHONUNBUFFERED": "1"}
    sync = [sys.executable, "-m", "engine", "--workspace", str(root), "--no-color"]
    rng = random.Random(13)
    kills = reruns = 0

    def run(*args: str, kill_after: float | None = None) -> int | None:
        """The CLI's exit code, or None when it was killed (SIGKILL) before it finished."""
        nonlocal kills
        process = subprocess.Popen(
            [*sync, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        try:
            process.wait(timeout=kill_after if kill_after is not None else 120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            kills += 1
            return None
        return process.returncode

    with running_server(data, SandboxSettings(api_key=LOOPBACK_KEY)) as host:
        point_at(root, host)
        for _ in range(KILLED_PLANS):
            run(
                "plan",
                "-e",
                "newsletter",
                "--out",
                str(root / "plan.json"),
                kill_after=rng.uniform(0.8, 2.5),
            )
            _state_is_sound(root)
        for _ in range(KILLED_APPLIES):
            run("apply", "-e", "newsletter", "--yes", kill_after=rng.uniform(1.5, 6.0))
            _state_is_sound(root)
        started = time.monotonic()
        while run("apply", "-e", "newsletter", "--yes") != 0:
            reruns += 1
            assert time.monotonic() - started < 300, "the re-runs never converged"
            _state_is_sound(root)
        assert run("plan", "-e", "newsletter", "--out", str(root / "plan.json")) == 0
        assert run("plan", "-e", "newsletter", "--detailed-exitcode") == 0  # nothing lost
        _state_is_sound(root)
        with Store(data) as store, store.read() as conn:
            twice = conn.execute(
                "SELECT lower(email), count(*) FROM contacts GROUP BY lower(email)"
                " HAVING count(*) > 1"
            ).fetchall()
    assert twice == []  # nobody duplicated
    assert _leftovers(root) == []
    print(json.dumps({"kills": kills, "reruns": reruns + 1}))
    assert kills >= KILLED_APPLIES  # the kills did land on running processes
