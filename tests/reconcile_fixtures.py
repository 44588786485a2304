"""A workspace for end-to-end CLI tests: the example manifests, sample data, a seeded sandbox.

Every invocation hands the CLI a :class:`Connector` whose clock is fake (shared with the
sandbox), so pacing and bulk processing never really sleep while the sandbox still enforces
ActiveCampaign's real limits.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from typer.testing import CliRunner, Result

from engine.activecampaign.connect import Connector
from engine.activecampaign.retry import RetryPolicy
from engine.activecampaign.sandbox import SandboxSettings, Store
from engine.cli import app
from engine.manifests.models import ActiveCampaignConnection
from engine.scaffold.sample_data import generate
from engine.state import sandbox_data

from .client_fakes import FakeClock

REPO = Path(__file__).resolve().parent.parent
ROWS = 400


def fake_time_connector(clock: FakeClock, sandbox: SandboxSettings | None = None) -> Connector:
    """Clients on a fake clock shared with the in-process sandbox, seeded and patient."""
    return Connector(
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(3),
        retry=RetryPolicy(max_attempts=8),
        sandbox=sandbox or SandboxSettings(seed=5),
        sandbox_clock=clock,
        wall_clock=clock,
    )


@dataclass
class Workspace:
    root: Path
    clock: FakeClock
    runner: CliRunner
    connector: Connector | None = None

    def sync(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(
            app,
            ["--workspace", str(self.root), "--no-color", *args],
            input=input,
            obj=self.connector,
        )

    @property
    def sandbox(self) -> Path:
        return sandbox_data(self.root)

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def copy_example(root: Path) -> None:
    for folder in ("connections", "segments", "exports"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "sync.yaml", root / "sync.yaml")


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    root = tmp_path / "ws"
    root.mkdir()
    copy_example(root)
    generate(root / "data" / "profiles.duckdb", rows=ROWS, seed=7)
    clock = FakeClock()
    ws = Workspace(root, clock, CliRunner(), fake_time_connector(clock))
    seeded = ws.sync("sandbox", "seed")
    assert seeded.exit_code == 0, seeded.output
    yield ws


class _Counting(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _CountingConnector.sent.append(f"{request.method} {request.url.path}")
        _CountingConnector.requests.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class _CountingConnector(Connector):
    sent: ClassVar[list[str]] = []
    requests: ClassVar[list[httpx.Request]] = []

    def transport(
        self, connection: ActiveCampaignConnection, sandbox_data: Path
    ) -> httpx.BaseTransport | None:
        inner = super().transport(connection, sandbox_data)
        assert inner is not None
        return _Counting(inner)


def recording(ws: Workspace, sandbox: SandboxSettings | None = None) -> list[httpx.Request]:
    """From now on, every request the workspace's runs send (to a sandbox behaving as
    ``sandbox`` says, when given)."""
    base = fake_time_connector(ws.clock, sandbox)
    ws.connector = _CountingConnector(**{f.name: getattr(base, f.name) for f in fields(base)})
    _CountingConnector.sent, _CountingConnector.requests = [], []
    return _CountingConnector.requests


def counting(ws: Workspace, sandbox: SandboxSettings | None = None) -> list[str]:
    """From now on, every request the workspace's runs send, as ``"METHOD /path"`` (to a
    sandbox behaving as ``sandbox`` says, when given)."""
    recording(ws, sandbox)
    return _CountingConnector.sent


Rule = Callable[[httpx.Request], "httpx.Response | None"]


class _Faulty(httpx.BaseTransport):
    """The sandbox, except where ``rule`` answers (or raises) first."""

    def __init__(self, inner: httpx.BaseTransport, rule: Rule) -> None:
        self.inner, self.rule = inner, rule

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.rule(request) or self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def faulty(ws: Workspace, rule: Rule, sandbox: SandboxSettings | None = None) -> None:
    """From now on the workspace's runs talk to the sandbox through ``rule`` (an answer of
    its own, an exception such as KeyboardInterrupt, or None: the sandbox answers)."""
    base = fake_time_connector(ws.clock, sandbox)

    class FaultyConnector(Connector):
        def transport(
            self, connection: ActiveCampaignConnection, sandbox_data: Path
        ) -> httpx.BaseTransport | None:
            inner = super().transport(connection, sandbox_data)
            assert inner is not None
            return _Faulty(inner, rule)

    ws.connector = FaultyConnector(**{f.name: getattr(base, f.name) for f in fields(base)})


def interrupt(request: httpx.Request) -> httpx.Response:
    """A rule's Ctrl-C, as the request is about to be sent."""
    raise KeyboardInterrupt


LOOPBACK_KEY = "loopback-key-123"


def loopback_workspace(tmp_path: Path, rows: int) -> tuple[Path, Path]:
    """The example workspace with ``rows`` profiles, and the data file of a sandbox (one
    list, ``COUNTRY``) to serve over loopback: ``(workspace, sandbox data)``. Point it at
    the served host with :func:`point_at`; the key is read from ``SANDBOX_KEY``."""
    root = tmp_path / "ws"
    root.mkdir()
    copy_example(root)
    generate(root / "data" / "profiles.duckdb", rows=rows, seed=2)
    data = tmp_path / "served.sqlite3"
    with Store(data) as store:
        store.create_list("Newsletter", 1)
        store.ensure_field("COUNTRY")
    return root, data


def point_at(root: Path, host: str) -> None:
    """The workspace's ActiveCampaign connection, to the sandbox served at ``host``."""
    (root / "connections" / "ac-sandbox.yaml").write_text(
        "name: ac-sandbox\ntype: activecampaign\n"
        f"host: '{host}'\n"
        "api_key: \"{{ env_var('SANDBOX_KEY') }}\"\n"
        "data_privacy_consent: true\n"
    )
