"""The real client against the sandbox (in-process, fake time): reading and writing a list,
and behaviour under the sandbox's fault knobs (429 storms, 502/503 bursts, drops)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from engine.activecampaign.client import Client
from engine.activecampaign.read import read_list
from engine.activecampaign.retry import RetryPolicy
from engine.activecampaign.sandbox import SandboxSettings, Store, sandbox_transport
from engine.activecampaign.write import bulk
from engine.activecampaign.write.writer import write_contacts
from engine.apply import ContactWrite
from engine.contacts import CurrentState, ListStatus, removal_marker
from engine.errors import ConfigError, NotFoundError
from engine.plan import Membership

from .client_fakes import FakeClock

LIST = 12


class Account:
    """A sandbox account in tmp_path and a client on it, sharing one fake clock."""

    def __init__(self, path: Path, settings: SandboxSettings, rate_limit: float = 5.0) -> None:
        self.clock = FakeClock()
        self.path = path
        self.store = Store(path, clock=self.clock)
        self.store.create_list("Newsletter", LIST)
        self.store.ensure_field("LTV")
        self.transport = sandbox_transport(path, settings, clock=self.clock)
        self.client = Client(
            "https://sandbox/api/3",
            SecretStr(settings.api_key),
            host="sandbox",
            rate_limit=rate_limit,
            transport=self.transport,
            clock=self.clock,
            sleep=self.clock.sleep,
            rng=random.Random(1),
            retry=RetryPolicy(max_attempts=8),
        )

    def read(self, tags: tuple[str, ...] = ("vip",)) -> CurrentState:
        return read_list(self.client, LIST, ["LTV"], list(tags))

    def close(self) -> None:
        self.client.close()
        self.store.close()


@pytest.fixture
def account(tmp_path: Path) -> Iterator[Account]:
    acct = Account(tmp_path / "sandbox.db", SandboxSettings(seed=3))
    yield acct
    acct.close()


def add(email: str, **values: str) -> ContactWrite:
    return ContactWrite(email, values, ("vip",), Membership.SUBSCRIBE)


def test_read_list_sees_every_status_values_tags_and_marker(account: Account) -> None:
    rows = [
        ("ana@example.com", "Ana", "", "555-0100", 1),
        ("bo@example.com", "Bo", "Lee", "", 2),
        ("cy@example.com", "", "", "", 3),
        ("di@example.com", "Di", "", "", 0),
    ]
    account.store.load_members(LIST, rows, {"LTV": ["900", "", "3", "4"]})
    pages: list[tuple[int, int | None]] = []
    state = read_list(account.client, LIST, ["LTV"], ["vip"], lambda n, t: pages.append((n, t)))
    members = state.members
    assert {e: m.status for e, m in members.items()} == {
        "ana@example.com": ListStatus.ACTIVE,
        "bo@example.com": ListStatus.UNSUBSCRIBED,
        "cy@example.com": ListStatus.BOUNCED,
        "di@example.com": ListStatus.UNCONFIRMED,
    }
    ana = members["ana@example.com"].contact
    assert (ana.first_name, ana.last_name, ana.phone) == ("Ana", None, "555-0100")
    assert ana.fields == (("LTV", "900"),)
    assert members["bo@example.com"].contact.fields == (("LTV", None),)  # "" is unknown
    assert state.fingerprint and pages and pages[-1][0] == len(pages)


def test_read_list_of_a_missing_list_names_it(account: Account) -> None:
    with pytest.raises(NotFoundError, match=f"list 99 does not exist on {account.client.host}"):
        read_list(account.client, 99, [], [])


def test_unknown_perstag_is_refused_before_reading(account: Account) -> None:
    with pytest.raises(ConfigError, match=r"NOPE .*list 12.*create them"):
        read_list(account.client, LIST, ["NOPE"], [])


def test_bulk_write_then_read_converges(account: Account) -> None:
    writes = [
        add(f"p{i}@example.com", first_name=f"P{i}", **{"fields.LTV": str(i)}) for i in range(600)
    ]
    progress: list[tuple[int, int]] = []
    report = write_contacts(account.client, LIST, writes, lambda d, t: progress.append((d, t)))
    assert report.ok and len(report.applied) == 600
    assert report.requests["bulk_import"] == 3  # 250 + 250 + 100
    assert progress[-1] == (600, 600)
    state = account.read()
    assert len(state.members) == 600
    p7 = state.members["p7@example.com"]
    assert p7.status is ListStatus.ACTIVE and p7.contact.first_name == "P7"
    assert p7.contact.field("LTV") == "7" and p7.contact.tags == frozenset({"vip"})


def test_small_change_set_uses_contact_endpoints(account: Account) -> None:
    account.store.load_members(LIST, [("old@example.com", "Old", "", "", 1)])
    writes = [
        add("new@example.com", first_name="New"),
        ContactWrite("old@example.com", {"last_name": "Timer"}),
        ContactWrite("gone@example.com", {}, (), Membership.KEEP),
    ]
    report = write_contacts(account.client, LIST, writes[:2])
    assert report.ok and set(report.applied) == {"new@example.com", "old@example.com"}
    assert "bulk_import" not in report.requests and report.requests["contact_sync"] == 2
    state = account.read()
    assert state.members["new@example.com"].contact.tags == frozenset({"vip"})
    assert state.members["old@example.com"].contact.last_name == "Timer"


def test_unsubscribe_marks_and_resubscribe_brings_back(account: Account) -> None:
    account.store.load_members(LIST, [("leaver@example.com", "L", "", "", 1)])
    removed = write_contacts(
        account.client,
        LIST,
        [ContactWrite("leaver@example.com", membership=Membership.UNSUBSCRIBE)],
    )
    assert removed.ok
    member = account.read().members["leaver@example.com"]
    assert member.status is ListStatus.UNSUBSCRIBED and member.removed_by_sync
    back = write_contacts(
        account.client,
        LIST,
        [
            ContactWrite(
                "leaver@example.com", {"first_name": "Back"}, ("vip",), Membership.RESUBSCRIBE
            )
        ],
    )
    assert back.ok and back.applied == ("leaver@example.com",)
    member = account.read().members["leaver@example.com"]
    assert member.status is ListStatus.ACTIVE and not member.removed_by_sync
    assert member.contact.first_name == "Back" and member.contact.tags == frozenset({"vip"})


def test_bulk_unsubscribe_adds_the_marker(account: Account) -> None:
    rows = [(f"m{i}@example.com", "", "", "", 1) for i in range(12)]
    account.store.load_members(LIST, rows)
    writes = [ContactWrite(r[0], membership=Membership.UNSUBSCRIBE) for r in rows]
    assert write_contacts(account.client, LIST, writes).ok
    state = account.read(tags=())
    assert all(
        m.removed_by_sync and m.status is ListStatus.UNSUBSCRIBED for m in state.members.values()
    )
    assert removal_marker(LIST) == "sync-removed-list-12"


def test_self_unsubscribed_person_is_never_resubscribed(account: Account) -> None:
    account.store.load_members(LIST, [("self@example.com", "", "", "", 2)])
    small = write_contacts(account.client, LIST, [add("self@example.com")])
    assert not small.applied and "not re-subscribed" in small.rejected[0].reason
    many = [add("self@example.com")] + [add(f"n{i}@example.com") for i in range(11)]
    report = write_contacts(account.client, LIST, many)
    assert len(report.applied) == 11
    assert [r.email for r in report.rejected] == ["self@example.com"]  # import/info failure
    assert account.read().members["self@example.com"].status is ListStatus.UNSUBSCRIBED


def test_bulk_400_naming_contacts_rejects_them_and_resends_the_rest(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "email_problem", lambda email: None)  # let the server judge
    writes = [add(f"ok{i}@example.com") for i in range(20)]
    writes[5] = add("bad@nodot")
    writes[17] = add("worse@x.y")
    report = write_contacts(account.client, LIST, writes)
    assert {r.email for r in report.rejected} == {"bad@nodot", "worse@x.y"}
    assert len(report.applied) == 18 and report.requests["bulk_import"] == 2
    assert set(account.read().members) == {f"ok{i}@example.com" for i in range(20)} - {
        "ok5@example.com",
        "ok17@example.com",
    }


def test_invalid_emails_are_rejected_before_sending(account: Account) -> None:
    writes = [add(f"ok{i}@example.com") for i in range(11)] + [add("no-at-sign")]
    report = write_contacts(account.client, LIST, writes)
    assert [r.email for r in report.rejected] == ["no-at-sign"]
    assert report.requests["bulk_import"] == 1 and len(report.applied) == 11


def test_unknown_perstag_on_write_names_field_list_host(account: Account) -> None:
    with pytest.raises(ConfigError, match=f"MISSING .*list 12 .*{account.client.host}"):
        write_contacts(account.client, LIST, [add("a@example.com", **{"fields.MISSING": "1"})])


def test_429_storm_from_a_stricter_account_is_waited_out(tmp_path: Path) -> None:
    acct = Account(tmp_path / "s.db", SandboxSettings(rate_limit=1, seed=1), rate_limit=5)
    try:
        acct.store.load_members(LIST, [(f"r{i}@example.com", "", "", "", 1) for i in range(250)])
        state = acct.read()
        assert len(state.members) == 250
        assert acct.client.stats.rate_limited > 0
    finally:
        acct.close()


def test_paced_client_is_never_answered_429(account: Account) -> None:
    account.store.load_members(LIST, [(f"r{i}@example.com", "", "", "", 1) for i in range(450)])
    for _ in range(3):
        account.read()
    assert account.client.stats.rate_limited == 0


def test_faults_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    settings = SandboxSettings(fault_rate=0.3, seed=11, bulk_delay=5.0)
    acct = Account(tmp_path / "f.db", settings)
    try:
        writes = [add(f"f{i}@example.com", last_name="F") for i in range(700)]
        report = write_contacts(acct.client, LIST, writes)
        assert report.ok and sorted(report.applied) == sorted(w.email for w in writes)
        assert acct.client.stats.retries > 0
        state = acct.read()
        assert len(state.members) == 700
        assert all(m.contact.last_name == "F" for m in state.members.values())
    finally:
        acct.close()
