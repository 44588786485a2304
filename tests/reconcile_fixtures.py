"""A workspace for end-to-end CLI tests: the example manifests, sample data, a seeded sandbox.

The product's clients are built by ``engine.pipeline.default_client``; tests swap it for one
whose clock is fake (shared with the sandbox), so pacing and bulk processing never really
sleep while the sandbox still enforces ActiveCampaign's real limits.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from engine import pipeline
from engine.activecampaign.client import Client
from engine.activecampaign.retry import RetryPolicy
from engine.activecampaign.sandbox import SANDBOX_DEFAULT_KEY, SandboxSettings, sandbox_transport
from engine.cli import app
from engine.manifests.models import ActiveCampaignConnection
from engine.manifests.project import Project
from engine.scaffold.sample_data import generate

from .client_fakes import FakeClock, unique_host

REPO = Path(__file__).resolve().parent.parent
ROWS = 400


@dataclass
class Workspace:
    root: Path
    clock: FakeClock
    runner: CliRunner

    def sync(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(
            app, ["--workspace", str(self.root), "--no-color", *args], input=input
        )

    @property
    def sandbox(self) -> Path:
        return self.root / pipeline.STATE_DIR / pipeline.SANDBOX_FILE

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def copy_example(root: Path) -> None:
    for folder in ("connections", "segments", "exports"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "sync.yaml", root / "sync.yaml")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    root = tmp_path / "ws"
    root.mkdir()
    copy_example(root)
    generate(root / "data" / "profiles.duckdb", rows=ROWS, seed=7)
    clock = FakeClock()
    host = unique_host()

    def factory(project: Project, connection: ActiveCampaignConnection, environ: object) -> Client:
        assert connection.is_sandbox
        data = pipeline.state_dir(project) / pipeline.SANDBOX_FILE
        return Client(
            "https://sandbox/api/3",
            SANDBOX_DEFAULT_KEY,
            host=host,
            rate_limit=connection.rate_limit,
            transport=sandbox_transport(data, SandboxSettings(seed=5), clock=clock),
            clock=clock,
            sleep=clock.sleep,
            rng=random.Random(3),
            retry=RetryPolicy(max_attempts=8),
        )

    monkeypatch.setattr(pipeline, "default_client", factory)
    ws = Workspace(root, clock, CliRunner())
    seeded = ws.sync("sandbox", "seed")
    assert seeded.exit_code == 0, seeded.output
    yield ws
