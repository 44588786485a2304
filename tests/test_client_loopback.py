"""The client over a real socket to the sandbox served on loopback (real time, kept short)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pydantic import SecretStr

from engine.activecampaign.client import Client
from engine.activecampaign.read import read_list
from engine.activecampaign.retry import RetryPolicy
from engine.activecampaign.sandbox import SandboxSettings, Store, running_server
from engine.errors import AuthError, TransientError


def serve(tmp_path: Path, **knobs: object) -> tuple[Path, SandboxSettings]:
    data = tmp_path / "sandbox.db"
    store = Store(data)
    store.create_list("L", 1)
    store.load_members(1, [(f"m{i}@example.com", "", "", "", 1) for i in range(5)])
    store.close()
    return data, SandboxSettings(seed=2, **knobs)  # type: ignore[arg-type]


def test_real_pacing_is_never_answered_429(tmp_path: Path) -> None:
    data, settings = serve(tmp_path)
    with (
        running_server(data, settings) as host,
        Client(f"http://{host}/api/3", SecretStr("sandbox"), host=host) as c,
    ):
        for _ in range(3):
            assert len(read_list(c, 1, [], []).members) == 5  # 6 requests each
        assert c.stats.rate_limited == 0


def test_slow_answers_time_out_and_are_retried_then_reported(tmp_path: Path) -> None:
    data, settings = serve(tmp_path, latency=0.3)
    policy = RetryPolicy(max_attempts=2, base_delay=0.01)
    with (
        running_server(data, settings) as host,
        Client(
            f"http://{host}/api/3",
            SecretStr("sandbox"),
            host=host,
            timeout=0.1,
            retry=policy,
            rng=random.Random(0),
        ) as c,
    ):
        with pytest.raises(TransientError, match="timed out"):
            c.check_list(1)
        assert c.stats.requests["list"] == 2 and c.stats.faults["list"] == 2


def test_wrong_key_over_loopback(tmp_path: Path) -> None:
    data, settings = serve(tmp_path)
    with (
        running_server(data, settings) as host,
        Client(f"http://{host}/api/3", SecretStr("wrong"), host=host, key_env="AC_KEY") as c,
        pytest.raises(AuthError, match=f"rejected by {host} \\(it came from env var AC_KEY\\)"),
    ):
        c.check_list(1)
