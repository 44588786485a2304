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
