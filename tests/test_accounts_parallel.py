"""Exports on different accounts run at once in one ``sync plan`` / ``sync apply``, over
loopback HTTP against three sandboxes at ActiveCampaign's real rate limit; exports on one
account share its pacer and run one after the other. Output, exit codes, Ctrl-C and the
history behave as with one account."""

from __future__ import annotations

import _thread
import itertools
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from engine.activecampaign.connect import Connector
from engine.cli import app
from engine.manifests.models import ActiveCampaignConnection
from engine.state import history

from .accounts_fixture import Accounts, served_accounts

PEOPLE = 200


@dataclass
class Sent:
    host: str
    method: str
    path: str
    start: float
    end: float


@dataclass
class Recorder:
    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_request: object = None  # called with the request before it is sent


class _Recording(httpx.BaseTransport):
    def __init__(self, recorder: Recorder) -> None:
        self.inner = httpx.HTTPTransport()
        self.recorder = recorder

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if callable(self.recorder.on_request):
            self.recorder.on_request(request)
        start = time.monotonic()
        response = self.inner.handle_request(request)
        response.read()
        with self.recorder.lock:
            self.recorder.sent.append(
                Sent(request.url.netloc.decode(), request.method, request.url.path, start,
                     time.monotonic())
            )  # fmt: skip
        return response

    def close(self) -> None:
        self.inner.close()


@dataclass(frozen=True)
class RecordingConnector(Connector):
    recorder: Recorder = field(default_factory=Recorder)

    def transport(
        self, connection: ActiveCampaignConnection, sandbox_data: Path
    ) -> httpx.BaseTransport | None:
        return _Recording(self.recorder)


@pytest.fixture
def accounts(tmp_path: Path) -> Iterator[Accounts]:
    with served_accounts(tmp_path, 3, PEOPLE, second_export=True) as served:
        yield served


def sync(accounts: Accounts, connector: Connector, *args: str) -> Result:
    return CliRunner().invoke(
        app,
        ["--workspace", str(accounts.root), "--no-color", *args],
        obj=connector,
        env=accounts.environ,
    )


def _no_counts(text: str) -> str:
    return re.sub(r"\(\d+ requests\)", "(N requests)", text)


def _overlapping_hosts(sent: list[Sent]) -> bool:
    """Whether two accounts were worked on at the same time: the spans from each one's
    first request to its last overlap (one account after the other, they do not)."""
    spans: dict[str, tuple[float, float]] = {}
    for s in sent:
        start, end = spans.get(s.host, (s.start, s.end))
        spans[s.host] = (min(start, s.start), max(end, s.end))
    return any(a[0] < b[1] and b[0] < a[1] for a, b in itertools.combinations(spans.values(), 2))


def _ever_two_at_once(sent: list[Sent]) -> bool:
    """Whether two requests to different accounts were ever in flight together."""
    ordered = sorted(sent, key=lambda s: s.start)
    return any(a.host != b.host and b.start < a.end for a, b in itertools.pairwise(ordered))


def test_accounts_are_planned_at_once_and_the_plan_reads_as_one_after_the_other(
    accounts: Accounts,
) -> None:
    parallel, serial = RecordingConnector(), RecordingConnector()
    at_once = sync(accounts, parallel, "plan", "--refresh", "full")
    one_by_one = sync(accounts, serial, "plan", "--refresh", "full", "--parallel", "1")
    assert at_once.exit_code == one_by_one.exit_code == 0, at_once.output
    # The same plan in the same (name) order; the first run also learnt facts about the
    # accounts, which saves the second a few requests.
    assert _no_counts(at_once.stdout) == _no_counts(one_by_one.stdout)
    heads = re.findall(r"^(\S+) -> list", at_once.stdout, re.MULTILINE)
    assert heads == ["again-1", "list-1", "list-2", "list-3"], at_once.stdout
    assert _overlapping_hosts(parallel.recorder.sent)
    assert not _ever_two_at_once(serial.recorder.sent)  # one export after the other
    assert {s.host for s in parallel.recorder.sent} == set(accounts.hosts)


def test_apply_over_three_accounts_converges_and_records_every_export(
    accounts: Accounts,
) -> None:
    connector = RecordingConnector()
    applied = sync(accounts, connector, "apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert _overlapping_hosts(connector.recorder.sent)
    outcomes = re.findall(r"^(\S+): applied (\d+) of \2 ", applied.stdout, re.MULTILINE)
    outcomes = [name for name, _ in outcomes]
    assert outcomes == ["again-1", "list-1", "list-2", "list-3"], applied.stdout
    records, damaged = history.read_all(accounts.root / ".sync")
    assert damaged == [] and sorted(r.export for r in records) == [
        "again-1",
        "list-1",
        "list-2",
        "list-3",
    ]
    again = sync(accounts, RecordingConnector(), "plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_ctrl_c_stops_every_account_reports_what_was_done_and_a_rerun_finishes(
    accounts: Accounts,
) -> None:
    connector = RecordingConnector()
    fired = threading.Event()

    def ctrl_c_on_the_first_write(request: httpx.Request) -> None:
        if request.method == "POST" and not fired.is_set():
            fired.set()
            _thread.interrupt_main()  # Ctrl-C reaches the main thread only

    connector.recorder.on_request = ctrl_c_on_the_first_write
    stopped = sync(accounts, connector, "apply", "--yes")
    assert stopped.exit_code == 130, stopped.output
    assert "INTERRUPTED" in stopped.stdout or "not started" in stopped.output
    assert "Traceback" not in stopped.output
    records, damaged = history.read_all(accounts.root / ".sync")
    assert damaged == []
    assert all(r.outcome in ("interrupted", "applied") for r in records)
    assert any(r.outcome == "interrupted" for r in records)
    rerun = sync(accounts, RecordingConnector(), "apply", "--yes")
    assert rerun.exit_code == 0, rerun.output
    done = sync(accounts, RecordingConnector(), "plan", "--detailed-exitcode")
    assert done.exit_code == 0, done.output


def test_a_failing_account_stops_the_run_with_its_error_and_no_plan(accounts: Accounts) -> None:
    export = accounts.root / "exports" / "list-2.yaml"
    export.write_text(export.read_text().replace("list_id: 1", "list_id: 99"))
    failed = sync(accounts, RecordingConnector(), "plan")
    assert failed.exit_code == 1, failed.output
    assert "exports/list-2.yaml" in failed.output and "99" in failed.output
    assert "Traceback" not in failed.output
    assert "export list-1" not in failed.stdout  # no half plan


def test_parallel_must_be_positive(accounts: Accounts) -> None:
    result = sync(accounts, RecordingConnector(), "plan", "--parallel", "0")
    assert result.exit_code == 1
    assert "--parallel" in result.output
