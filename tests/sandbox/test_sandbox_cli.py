"""``sync sandbox seed | lists | reset`` and the store's management methods."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import engine.cli
from engine.activecampaign.sandbox import Store
from engine.activecampaign.sandbox.seed import seed
from engine.state import sandbox_data


def invoke(*args: str) -> str:
    result = CliRunner().invoke(engine.cli.app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_function_is_idempotent_and_keeps_members(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    seed(store, lists=[(12, "vip-newsletter")], perstags=["LIFETIME_VALUE"])
    store.load_members(12, [("a@example.com", "A", "", "", 1)])
    again = seed(store, lists=[(12, "vip-newsletter"), (3, "other")], perstags=["lifetime_value"])
    assert [(s.id, s.name, dict(s.counts)) for s in store.list_summaries()] == [
        (3, "other", {}),
        (12, "vip-newsletter", {1: 1}),
    ]
    assert again.fields == (("lifetime_value", store.ensure_field("LIFETIME_VALUE")),)
    store.close()


def test_seed_lists_and_reset_commands_on_the_example_workspace(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    invoke("init", str(workspace))
    out = invoke("--workspace", str(workspace), "sandbox", "seed")
    assert out.startswith("list ")
    data = sandbox_data(workspace)
    assert data.exists()
    store = Store(data)
    [summary, *_] = store.list_summaries()
    store.load_members(
        summary.id, [("a@example.com", "", "", "", 1), ("b@example.com", "", "", "", 2)]
    )
    store.close()
    listing = invoke("--workspace", str(workspace), "sandbox", "lists")
    assert (
        f"{summary.id}\t{summary.name}\t2 members (0 unconfirmed, 1 active, 1 unsubscribed"
        in listing
    )
    invoke("--workspace", str(workspace), "sandbox", "reset")
    assert "no lists" in invoke("--workspace", str(workspace), "sandbox", "lists")


def test_data_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "keep.sqlite3"
    first = Store(data)
    list_id = first.create_list("Kept")
    first.close()
    second = Store(data)
    assert [(s.id, s.name) for s in second.list_summaries()] == [(list_id, "Kept")]
    second.close()


def test_serve_command_serves_on_loopback_with_its_knobs(tmp_path: Path) -> None:
    """``sync sandbox serve`` as a user starts it: the key, and injected faults, apply."""
    import os
    import re
    import subprocess
    import sys

    import httpx

    command = [
        sys.executable, "-m", "engine", "--workspace", str(tmp_path), "sandbox", "serve",
        "--port", "0", "--api-key", "rehearsal-key", "--rate-limit", "0",
        "--fault-rate", "1", "--seed", "3",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/api/3", line)
        assert match, line
        base = f"http://127.0.0.1:{match.group(1)}/api/3"
        with httpx.Client(base_url=base, headers={"Api-Token": "rehearsal-key"}) as client:
            outcomes = []
            for _ in range(6):
                try:
                    outcomes.append(client.get("/lists").status_code)
                except httpx.TransportError:
                    outcomes.append("dropped")
        assert outcomes and all(o in (502, 503, "dropped") for o in outcomes)
        assert (tmp_path / ".sync" / "sandbox.sqlite3").exists()
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()


def test_lists_outside_a_sandbox_creates_nothing(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import engine.cli

    result = CliRunner().invoke(engine.cli.app, ["-w", str(tmp_path), "sandbox", "lists"])
    assert result.exit_code == 0
    assert "no sandbox at" in result.output and "sync sandbox seed" in result.output
    assert not (tmp_path / ".sync").exists()


def test_serve_takes_its_key_from_the_environment_and_logs_requests(tmp_path: Path) -> None:
    """SYNC_SANDBOX_KEY (a key on the command line shows in ps); --log: one line a request,
    time, method, path, status, duration, and never the key."""
    import os
    import re
    import subprocess
    import sys

    import httpx

    log = tmp_path / "requests.log"
    command = [
        sys.executable, "-m", "engine", "sandbox", "serve", "--port", "0",
        "--rate-limit", "0", "--log", str(log), "-w", str(tmp_path),
    ]  # fmt: skip
    key = "env-only-key-5f3a"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SYNC_SANDBOX_KEY": key}
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/api/3", line)
        assert match and str(log) in line, line
        base = f"http://127.0.0.1:{match.group(1)}/api/3"
        with httpx.Client(base_url=base) as client:
            assert client.get("/lists", headers={"Api-Token": key}).status_code == 200
            assert client.get("/lists", headers={"Api-Token": "sandbox"}).status_code == 403
            client.get(
                "/contacts", params={"listid": "1", "api_key": key}, headers={"Api-Token": key}
            )
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()
    lines = log.read_text().splitlines()
    assert len(lines) == 3, lines
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    assert re.fullmatch(rf"{stamp} GET /api/3/lists 200 \d+\.\dms", lines[0]), lines[0]
    assert re.fullmatch(rf"{stamp} GET /api/3/lists 403 \d+\.\dms", lines[1]), lines[1]
    assert " GET /api/3/contacts?listid=1&api_key=*** 200 " in lines[2], lines[2]
    assert key not in log.read_text()


def test_the_request_log_marks_dropped_connections(tmp_path: Path) -> None:
    import io

    import pytest

    from engine.activecampaign.sandbox.faults import DroppedConnection
    from engine.activecampaign.sandbox.log import RequestLog

    def dropping(environ: dict[str, object], start_response: object) -> list[bytes]:
        raise DroppedConnection("/api/3/lists")

    out = io.StringIO()
    times = iter([0.0, 0.25])
    logged = RequestLog(dropping, out, clock=lambda: 0.0, timer=lambda: next(times))
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/3/lists", "HTTP_API_TOKEN": "k"}
    with pytest.raises(DroppedConnection):
        logged(environ, lambda *a: None)
    assert out.getvalue() == "1970-01-01T00:00:00.000Z POST /api/3/lists dropped 250.0ms\n"
