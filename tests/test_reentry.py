"""Re-entry: people the product removed come back, confirmed live, in few requests.

Counted against the sandbox (in-process, fake time): 300 returning people cost at most 3
requests each, the batched evidence is spot-checked and the documented way takes over when
it is missing or disagrees, and an opt-out is never re-subscribed whichever way was used.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from engine.activecampaign.client import Client
from engine.activecampaign.sandbox import SandboxSettings
from engine.activecampaign.write.writer import write_contacts
from engine.apply import ContactWrite, WriteReport
from engine.contacts import ListStatus
from engine.plan import Membership

from .test_client_sandbox import LIST, Account

PEOPLE = 300


@pytest.fixture
def account(tmp_path: Path) -> Iterator[Account]:
    acct = Account(tmp_path / "sandbox.db", SandboxSettings(seed=3))
    yield acct
    acct.close()


def _removed(account: Account, people: int = PEOPLE) -> dict[str, str]:
    """``people`` members the product removed (unsubscribed and marked), by email -> id."""
    emails = [f"r{i:03}@example.com" for i in range(people)]
    account.store.load_members(LIST, [(e, "First", "", "", 1) for e in emails])
    removals = [ContactWrite(e, membership=Membership.UNSUBSCRIBE) for e in emails]
    assert write_contacts(account.client, LIST, removals).ok
    account.clock.now += 86_400
    members = account.read(tags=()).members
    assert all(members[e].removed_by_sync for e in emails)
    return {e: members[e].contact_id for e in emails}


def _back(ids: dict[str, str], *, with_ids: bool = True) -> list[ContactWrite]:
    return [
        ContactWrite(
            email, {"first_name": "Back"}, (), Membership.RESUBSCRIBE, cid if with_ids else None
        )
        for email, cid in ids.items()
    ]


def _total(report: WriteReport) -> int:
    return sum(report.requests.values())


def _active_unmarked(account: Account) -> set[str]:
    members = account.read(tags=()).members
    return {
        e
        for e, m in members.items()
        if m.status is ListStatus.ACTIVE
        and not m.removed_by_sync
        and m.contact.first_name == "Back"
    }


def test_300_people_re_enter_in_at_most_900_requests(account: Account) -> None:
    ids = _removed(account)
    report = write_contacts(account.client, LIST, _back(ids))
    assert report.ok and len(report.applied) == PEOPLE
    assert _total(report) <= 3 * PEOPLE, report.requests
    assert report.requests["contact_list"] == PEOPLE  # the subscribes
    assert report.requests["contact_tag_delete"] == PEOPLE  # the markers
    assert report.requests["contacts"] == 3  # the evidence, 100 a request
    assert report.requests["contact_lists"] == 3  # one spot check per batch
    assert "contact_tags" not in report.requests
    assert _active_unmarked(account) == set(ids)


def test_someone_who_came_back_and_opted_out_again_is_skipped(account: Account) -> None:
    ids = _removed(account)
    person = int(ids["r007@example.com"])
    account.store.set_status_quietly(LIST, person, 1)  # subscribed again elsewhere
    account.clock.now += 3_600
    account.store.set_status_quietly(LIST, person, 2)  # and unsubscribed themselves
    report = write_contacts(account.client, LIST, _back(ids))
    assert [s.email for s in report.skipped] == ["r007@example.com"]
    assert "not re-subscribed: they unsubscribed at" in report.skipped[0].reason
    assert len(report.applied) == PEOPLE - 1
    status = account.read(tags=()).members["r007@example.com"].status
    assert status is ListStatus.UNSUBSCRIBED


class _Rewriting(httpx.BaseTransport):
    """Passes requests to the sandbox; rewrites the side-loads of ``GET /contacts`` pages."""

    def __init__(self, inner: httpx.BaseTransport, rewrite: Callable[[dict[str, Any]], None]):
        self.inner, self.rewrite = inner, rewrite

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/contacts") and "include" in request.url.params:
            body = json.loads(response.read())
            self.rewrite(body)
            return httpx.Response(response.status_code, json=body)
        return response


def _without_lists(body: dict[str, Any]) -> None:
    body.pop("contactLists", None)


def _later_dates(body: dict[str, Any]) -> None:
    for entry in body.get("contactLists", []):
        entry["udate"] = "2030-01-01T00:00:00-05:00"


@pytest.mark.parametrize("rewrite", [_without_lists, _later_dates], ids=["missing", "wrong"])
def test_a_batch_that_is_missing_or_wrong_is_not_used(
    account: Account, rewrite: Callable[[dict[str, Any]], None]
) -> None:
    ids = _removed(account, 30)
    client = Client(
        "https://sandbox/api/3",
        SecretStr(SandboxSettings().api_key),
        host="sandbox",
        transport=_Rewriting(account.transport, rewrite),
        clock=account.clock,
        sleep=account.clock.sleep,
    )
    with client:
        report = write_contacts(client, LIST, _back(ids))
    assert report.ok and len(report.applied) == 30  # decided the documented way
    assert report.requests["contact_lists"] == 30 + (1 if rewrite is _later_dates else 0)
    assert report.requests["contact_tags"] == 30
    assert _active_unmarked(account) == set(ids)


def test_a_plan_without_contact_ids_looks_them_up(account: Account) -> None:
    ids = _removed(account, 12)
    report = write_contacts(account.client, LIST, _back(ids, with_ids=False))
    assert report.ok and len(report.applied) == 12
    assert report.requests["contacts"] == 12  # GET /contacts?email= each
    assert _active_unmarked(account) == set(ids)


def test_a_contact_deleted_since_the_plan_is_reported_not_written(account: Account) -> None:
    ids = _removed(account, 12)
    account.store.delete_contact(int(ids["r003@example.com"]))
    report = write_contacts(account.client, LIST, _back(ids))
    assert [r.email for r in report.rejected] == ["r003@example.com"]
    assert report.rejected[0].reason == "contact no longer exists in ActiveCampaign"
    assert len(report.applied) == 11
