"""Killed at every step boundary of the small path, a run is finished by the next one.

Against the sandbox (in-process, fake time). A run that dies right after its Nth write
(every N of a clean run, so every boundary between two steps of one contact's write) never
leaves anyone unsubscribed without the removal marker or, once the next run is done, active
with it; re-running converges (the next plan is empty), and everyone the product removed
can still come back (their marker's date is their unsubscribe's).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from engine.activecampaign.client import Client
from engine.activecampaign.read import read_list
from engine.activecampaign.sandbox import SandboxSettings
from engine.activecampaign.write.writer import write_contacts
from engine.apply import ContactWrite, write_of
from engine.contacts import Contact, CurrentState, DesiredState, ListStatus
from engine.diff import Policy, diff
from engine.manifests.models import RemovalLimit
from engine.plan import Membership

from .test_client_sandbox import LIST, Account

STAYING = ["keep@example.com", "edit@example.com"]
LEAVING = ["go1@example.com", "go2@example.com"]
RETURNING = ["back1@example.com", "back2@example.com"]
NEW = ["new@example.com"]
POLICY = Policy(
    mode="mirror",
    fields=("first_name",),
    removal_limit=RemovalLimit(100, percent=True),
    allow_removals=True,
)


class Killed(BaseException):
    """The process died (nothing after it runs: not an error anyone handles)."""


class _DiesAfter(httpx.BaseTransport):
    """Forwards requests; dies right after the ``after``-th write took effect."""

    def __init__(self, inner: httpx.BaseTransport, after: int | None) -> None:
        self.inner, self.after, self.writes = inner, after, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method != "GET":
            self.writes += 1
            if self.writes == self.after:
                raise Killed(f"after write {self.writes}: {request.method} {request.url.path}")
        return response


def _client(account: Account, transport: httpx.BaseTransport) -> Client:
    return Client(
        "https://sandbox/api/3",
        SecretStr(SandboxSettings().api_key),
        host="sandbox",
        transport=transport,
        clock=account.clock,
        sleep=account.clock.sleep,
    )


@pytest.fixture
def make(tmp_path: Path) -> Iterator[object]:
    opened: list[Account] = []

    def build() -> Account:
        account = Account(tmp_path / f"sandbox{len(opened)}.db", SandboxSettings(seed=3))
        opened.append(account)
        rows = [(e, "Old", "", "", 1) for e in [*STAYING, *LEAVING, *RETURNING]]
        account.store.load_members(LIST, rows)
        removals = [ContactWrite(e, membership=Membership.UNSUBSCRIBE) for e in RETURNING]
        assert write_contacts(account.client, LIST, removals).ok  # removed by the product
        account.clock.now += 86_400
        return account

    yield build
    for account in opened:
        account.close()


def _desired(emails: list[str]) -> DesiredState:
    names = {e: ("New" if e == "edit@example.com" else "Old") for e in emails}
    return DesiredState({e: Contact(e, names[e]) for e in emails})


WANTED = [*STAYING, *RETURNING, *NEW]


def _read(account: Account) -> CurrentState:
    return read_list(account.client, LIST, [], [])


def _run(account: Account, wanted: list[str], die_after: int | None = None) -> int:
    """Plan against the live list and write it; returns the writes sent."""
    plan = diff(_desired(wanted), _read(account), POLICY)
    writes = [w for c in plan.changes if (w := write_of(c)) is not None]
    transport = _DiesAfter(account.transport, die_after)
    with _client(account, transport) as client, contextlib.suppress(Killed):
        write_contacts(client, LIST, writes)
    return transport.writes


def _never_unmarked_by_the_product(account: Account) -> None:
    members = _read(account).members
    for email in [*LEAVING, *RETURNING]:
        member = members[email]
        if member.status is ListStatus.UNSUBSCRIBED:
            assert member.removed_by_sync, f"{email}: unsubscribed without the marker"


def _converged(account: Account, wanted: list[str]) -> None:
    current = _read(account)
    assert diff(_desired(wanted), current, POLICY).changes == ()
    for email, member in current.members.items():
        active = member.status is ListStatus.ACTIVE
        assert active == (email in wanted), email
        assert not (active and member.removed_by_sync), f"{email}: active with the marker"


def _clean_run_writes(make: object) -> int:
    account = make()  # type: ignore[operator]
    return _run(account, WANTED)


def test_a_run_killed_at_any_step_boundary_is_finished_by_the_next(make: object) -> None:
    total = _clean_run_writes(make)
    assert total >= 10  # subscribes, markers, unsubscribes, values, tags: many boundaries
    reruns = 0
    for after in range(1, total + 1):
        account = make()  # type: ignore[operator]
        assert _run(account, WANTED, die_after=after) == after
        _never_unmarked_by_the_product(account)
        account.clock.now += 600  # the next run comes later: dates of the dead one are old
        for _ in range(3):
            reruns += 1
            if _run(account, WANTED) == 0:
                break
            _never_unmarked_by_the_product(account)
        _converged(account, WANTED)
        # and the people it removed can come back: their marker dates their unsubscribe
        account.clock.now += 600
        _run(account, [*WANTED, *LEAVING])
        _converged(account, [*WANTED, *LEAVING])
    print(json.dumps({"step_boundaries_killed": total, "reruns": reruns}))
    assert reruns <= 3 * total


def test_the_marker_is_added_before_the_unsubscribe_on_the_small_path(make: object) -> None:
    account = make()  # type: ignore[operator]
    sent: list[str] = []

    class Recording(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method != "GET":
                sent.append(f"{request.method} {request.url.path.removeprefix('/api/3/')}")
            return account.transport.handle_request(request)

    with _client(account, Recording()) as client:
        report = write_contacts(
            client, LIST, [ContactWrite(LEAVING[0], membership=Membership.UNSUBSCRIBE)]
        )
    assert report.ok
    assert [s for s in sent if s != "POST contact/sync"] == [
        "POST contactTags",
        "POST contactLists",
    ]
    member = _read(account).members[LEAVING[0]]
    assert member.status is ListStatus.UNSUBSCRIBED and member.removed_by_sync
