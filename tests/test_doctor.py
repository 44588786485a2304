"""``sync doctor`` against the embedded sandbox in each of its alternative modes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from engine.activecampaign.sandbox import SandboxSettings
from engine.facts import ID_RANGES_FACT, LIST_STATUS_FACT, SIDELOAD_FACT, UPDATED_AFTER_FACT
from engine.manifests import load_project
from engine.state.lists import open_state

from .reconcile_fixtures import (
    LOOPBACK_KEY,
    Workspace,
    counting,
    loopback_workspace,
    point_at,
    recording,
    workspace,
)

__all__ = ["workspace"]


def facts(ws: Workspace) -> dict[str, object]:
    state = open_state(load_project(ws.root), {})
    try:
        return state.facts("sandbox")
    finally:
        state.close()


@pytest.fixture
def filled(workspace: Workspace) -> Workspace:
    applied = workspace.sync("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    workspace.clock.now += 3_600  # the doctor runs an hour after the contacts were written
    return workspace


def test_default_sandbox_is_as_assumed_and_only_reads(filled: Workspace) -> None:
    sent = counting(filled)
    result = filled.sync("doctor")
    assert result.exit_code == 0, result.output
    assert sent and all(line.startswith("GET ") for line in sent), sent
    for name in ("key and host", "rate-limit headers", "filters[updated_after]"):
        assert f"{name}: as assumed" in result.output
    assert "include=fieldValues: as assumed" in result.output
    assert "meta.total with id_greater/id_less: as assumed" in result.output
    assert facts(filled) == {
        UPDATED_AFTER_FACT: "instant",
        SIDELOAD_FACT: "verified",
        ID_RANGES_FACT: "counted",
        LIST_STATUS_FACT: "list",
    }


@pytest.mark.parametrize(
    ("settings", "line", "fact", "value"),
    [
        (
            SandboxSettings(seed=5, updated_after="day"),
            "filters[updated_after]: differs",
            UPDATED_AFTER_FACT,
            "day",
        ),
        (
            SandboxSettings(seed=5, sideload="ignored"),
            "include=fieldValues: differs",
            SIDELOAD_FACT,
            "disagrees",
        ),
        (
            SandboxSettings(seed=5, sideload="stale"),
            "include=fieldValues: differs",
            SIDELOAD_FACT,
            "disagrees",
        ),
        (
            SandboxSettings(seed=5, sideload="slow"),
            "include=fieldValues: differs",
            SIDELOAD_FACT,
            "timed out",
        ),
        (
            SandboxSettings(seed=5, total_counts_ids=False),
            "meta.total with id_greater/id_less: differs",
            ID_RANGES_FACT,
            "ignored",
        ),
        (
            SandboxSettings(seed=5, list_status="ignored"),
            "status with listid: differs",
            LIST_STATUS_FACT,
            "ignored",
        ),
    ],
    ids=[
        "updated_after=day",
        "sideload=ignored",
        "sideload=stale",
        "sideload=slow",
        "total_counts_ids=False",
        "list_status=ignored",
    ],
)
def test_alternative_modes_are_named(
    filled: Workspace, settings: SandboxSettings, line: str, fact: str, value: str
) -> None:
    sent = counting(filled, settings)
    result = filled.sync("doctor", "-c", "ac-sandbox")
    assert result.exit_code == 0, result.output
    assert line in result.output
    assert all(s.startswith("GET ") for s in sent), sent
    assert facts(filled)[fact] == value


def test_list_scope_and_unknown_connection(filled: Workspace) -> None:
    scoped = filled.sync("doctor", "--list-id", "1")
    assert scoped.exit_code == 0, scoped.output
    assert "GET /lists/1" in scoped.output
    unknown = filled.sync("doctor", "-c", "nope")
    assert unknown.exit_code == 1
    assert "-c nope" in unknown.output


def test_empty_account_could_not_tell(workspace: Workspace) -> None:
    result = workspace.sync("doctor")
    assert result.exit_code == 0, result.output
    assert "could not tell" in result.output
    assert facts(workspace) == {}


def test_rejected_key_is_an_error(filled: Workspace) -> None:
    sent = counting(filled, SandboxSettings(seed=5, api_key="another"))
    result = filled.sync("doctor")
    assert result.exit_code == 1, result.output
    assert "key and host: error" in result.output
    assert sent and all(s.endswith("/lists") for s in sent), sent  # nothing after it
    assert facts(filled) == {}


def _cutoffs_of_next_plan(ws: Workspace) -> list[float]:
    """Every ``filters[updated_after]`` the next plan asks for."""
    sent = recording(ws)
    planned = ws.sync("plan")
    assert planned.exit_code == 0, planned.output
    cutoffs = [r.url.params.get("filters[updated_after]") for r in sent]
    return [datetime.fromisoformat(c).timestamp() for c in cutoffs if c is not None]


@pytest.mark.parametrize(("doctor", "overlap"), [(True, 3_600.0), (False, 86_400.0)])
def test_a_measured_instant_filter_shortens_the_incremental_overlap_to_an_hour(
    filled: Workspace, doctor: bool, overlap: float
) -> None:
    """After ``sync doctor`` found the time of day honoured, the next incremental read asks
    from an hour before its watermark; without the measurement, a day before."""
    if doctor:
        assert filled.sync("doctor").exit_code == 0
    cutoffs = _cutoffs_of_next_plan(filled)
    assert cutoffs, "the plan read incrementally"
    read_at = filled.clock.now - 3_600  # the apply's read, an hour before (see `filled`)
    assert all(abs((read_at - cutoff) - overlap) < 120 for cutoff in cutoffs), cutoffs


def test_a_large_full_read_of_an_unchecked_account_points_at_the_doctor(
    filled: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("engine.run.DOCTOR_HINT_MEMBERS", 10)  # the example lists are small
    before = filled.sync("plan", "--refresh", "full")
    assert before.exit_code == 0, before.output
    assert "note: 'sync doctor -c ac-sandbox' has never checked this account" in before.stdout
    assert filled.sync("doctor").exit_code == 0
    after = filled.sync("plan", "--refresh", "full")
    assert after.exit_code == 0, after.output
    assert "note: 'sync doctor -c ac-sandbox --write' has never checked whether" in after.stdout
    assert filled.sync("doctor", "--write", "--yes").exit_code == 0
    last = filled.sync("plan", "--refresh", "full")
    assert last.exit_code == 0, last.output
    assert "sync doctor" not in last.stdout


def test_an_account_that_ignores_status_with_listid_is_not_planned(filled: Workspace) -> None:
    """The product adapts to what the doctor found: a list read status by status would call
    unsubscribed people active, so the plan stops with the reason instead."""
    counting(filled, SandboxSettings(seed=5, list_status="ignored"))
    assert filled.sync("doctor").exit_code == 0
    planned = filled.sync("plan")
    assert planned.exit_code == 1
    assert "ignores status together with listid" in planned.output
    assert "connections/ac-sandbox.yaml" in planned.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--yes",), "--yes goes with --write or --clean"),
        (
            ("-c", "warehouse"),
            "-c warehouse: a duckdb connection (a source), not an ActiveCampaign",
        ),
        (("--clean", "--write"), "--clean deletes leftovers only"),
        (("--list-id", "999"), "list 999 does not exist on this account: check --list-id"),
    ],
)
def test_doctor_says_what_is_wrong_with_how_it_was_asked(
    filled: Workspace, args: tuple[str, ...], said: str
) -> None:
    result = filled.sync("doctor", *args)
    assert result.exit_code == 1
    assert said in " ".join(result.output.split())


def test_read_only_doctor_sends_no_write_over_loopback(tmp_path: Path) -> None:
    """The sandbox served as a user serves it (``sync sandbox serve --log``), a list applied
    to it, then ``sync doctor``: every line it logs for the doctor is a GET."""
    root, data = loopback_workspace(tmp_path, rows=300)
    log = tmp_path / "requests.log"
    serve = [
        sys.executable, "-m", "engine", "sandbox", "serve", "--port", "0", "--data", str(data),
        "--api-key", LOOPBACK_KEY, "--rate-limit", "0", "--log", str(log),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SANDBOX_KEY": LOOPBACK_KEY}
    server = subprocess.Popen(serve, stdout=subprocess.PIPE, text=True, env=env)
    sync = [sys.executable, "-m", "engine", "--workspace", str(root), "--no-color"]
    try:
        assert server.stdout is not None
        match = re.search(r"http://(127\.0\.0\.1:\d+)/api/3", server.stdout.readline())
        assert match
        point_at(root, match.group(1))
        applied = subprocess.run([*sync, "apply", "--yes", "-e", "newsletter"], env=env)
        assert applied.returncode == 0
        before = len(log.read_text().splitlines())
        doctor = subprocess.run([*sync, "doctor"], env=env, capture_output=True, text=True)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()
    lines = log.read_text().splitlines()[before:]
    assert len(lines) >= 15, lines
    assert all(line.split()[1] == "GET" for line in lines), lines
    assert "status with listid: as assumed" in doctor.stdout
