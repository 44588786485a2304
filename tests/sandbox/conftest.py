"""Fixtures: a sandbox reached in-process and over loopback HTTP, with a fake clock."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from engine.activecampaign.sandbox import SandboxSettings, Store, running_server, sandbox_transport

KEY = "test-key"


@dataclass
class FakeClock:
    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Harness:
    """An HTTP client on a sandbox, plus the store behind it for setup and inspection."""

    http: httpx.Client
    store: Store
    clock: FakeClock
    mode: str
    data: Path
    lists: dict[str, int] = field(default_factory=dict)

    def sync(self, email: str, **values: object) -> httpx.Response:
        return self.http.post("/contact/sync", json={"contact": {"email": email, **values}})

    def bulk(self, *contacts: dict[str, object]) -> httpx.Response:
        return self.http.post("/import/bulk_import", json={"contacts": list(contacts)})

    def info(self, batch_id: str) -> httpx.Response:
        return self.http.get("/import/info", params={"batchId": batch_id})


Factory = Callable[..., Harness]


def open_client(
    mode: str, data: Path, settings: SandboxSettings, clock: FakeClock, stack: ExitStack
) -> httpx.Client:
    headers = {"Api-Token": settings.api_key}
    if mode == "in-process":
        transport = sandbox_transport(data, settings, clock=clock)
        client = httpx.Client(
            transport=transport, base_url="https://sandbox/api/3", headers=headers
        )
    else:
        host = stack.enter_context(running_server(data, settings, clock=clock))
        client = httpx.Client(base_url=f"http://{host}/api/3", headers=headers)
    return stack.enter_context(client)


@pytest.fixture(params=["in-process", "loopback"])
def make_sandbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    """``make_sandbox(rate_limit=None, ...)``: a Harness with those settings (key KEY)."""
    counter = itertools.count()
    with ExitStack() as stack:

        def make(**knobs: object) -> Harness:
            knobs.setdefault("api_key", KEY)
            settings = SandboxSettings(**knobs)  # type: ignore[arg-type]
            clock = FakeClock()
            data = tmp_path / f"sandbox-{next(counter)}.sqlite3"
            store = Store(data, clock=clock)
            stack.callback(store.close)
            client = open_client(request.param, data, settings, clock, stack)
            return Harness(client, store, clock, request.param, data)

        yield make


@pytest.fixture
def sandbox(make_sandbox: Factory) -> Harness:
    """A sandbox with the rate limit off and one list, ``lists["news"]``."""
    harness = make_sandbox(rate_limit=None)
    harness.lists["news"] = harness.store.create_list("News")
    return harness
