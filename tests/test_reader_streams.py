"""How the list reader spreads its paged streams: on threads over a network, on the calling
thread in-process (where threads only contend for the GIL); the result is the same."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
from pydantic import SecretStr

from engine.activecampaign.client import Client
from engine.activecampaign.read import read_list
from engine.activecampaign.sandbox import SandboxSettings, Store, sandbox_transport
from engine.contacts import CurrentState

LIST = 4


class Recording(httpx.BaseTransport):
    """Passes requests on, noting the thread each was sent from."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.threads: set[int] = set()
        self.parallel_reads = bool(getattr(inner, "parallel_reads", True))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.threads.add(threading.get_ident())
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def read(path: Path, settings: SandboxSettings) -> tuple[CurrentState, set[int], bool]:
    transport = Recording(sandbox_transport(path, settings))
    with Client(
        "https://sandbox/api/3",
        SecretStr(settings.api_key),
        host="sandbox",
        rate_limit=1e6,
        transport=transport,
    ) as client:
        state = read_list(client, LIST, ["LTV"], [])
        return state, transport.threads, client.parallel_reads


def test_in_process_the_streams_are_read_on_the_calling_thread_with_the_same_result(
    tmp_path: Path,
) -> None:
    data = tmp_path / "sandbox.sqlite3"
    with Store(data) as store:
        store.create_list("Members", LIST)
        rows = [(f"p{i}@example.com", f"P{i}", "", "", 1 + i % 2) for i in range(250)]
        store.load_members(LIST, rows, {"LTV": [str(i) for i in range(250)]})

    serial, threads, parallel = read(data, SandboxSettings(rate_limit=None))
    assert not parallel
    assert threads == {threading.get_ident()}

    overlapped, threads, parallel = read(data, SandboxSettings(rate_limit=None, latency=0.001))
    assert parallel
    assert len(threads) > 1  # the streams on the pool, the look-ups before on ours

    assert len(serial.members) == 250
    assert serial.members["p7@example.com"].contact.field("LTV") == "7"
    assert serial == overlapped
