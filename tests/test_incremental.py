"""The snapshot only saves requests: an incremental read gives what a full read gives.

Against the sandbox (in-process, fake time), for any sequence of changes that bump a
contact's ``udate`` or change a status count (names, field values, tags, statuses, new
members, deletions, self-unsubscribes, quiet status changes, noise), with the
``filters[updated_after]`` filter exact or day-granular and values side-loaded or read the
documented way, each incremental read equals a full read of the list at that moment.

Two quiet status changes between the same two reads can balance each other (one member
quietly leaves *active* for *unsubscribed* while another quietly does the reverse): nothing
the API offers shows that, short of a full read (the README's known limits), so a step
holds at most one quiet change.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.read import ReadResult, read_list_state, sideload
from engine.activecampaign.retry import RetryPolicy
from engine.activecampaign.sandbox import SandboxSettings, Store, sandbox_transport
from engine.contacts import removal_marker
from engine.snapshot import Snapshot

from .client_fakes import FakeClock

LIST = 4
NOW = 1_796_000_000.0  # 2026-11-30
DAY = 86_400.0
PERSTAGS = ("LTV", "TIER")
TAGS = ("vip",)


class Account:
    """A sandbox account with one list of people, and a client, on one fake clock."""

    def __init__(self, path: Path, settings: SandboxSettings) -> None:
        self.clock = FakeClock(NOW - 30 * DAY)
        self.store = Store(path, clock=self.clock)
        self.store.create_list("People", LIST)
        self.fields = {tag: self.store.ensure_field(tag) for tag in PERSTAGS}
        self.client = Client(
            "https://sandbox/api/3",
            SecretStr(settings.api_key),
            host="sandbox",
            rate_limit=1e6,
            transport=sandbox_transport(path, settings, clock=self.clock),
            clock=self.clock,
            sleep=self.clock.sleep,
            rng=random.Random(2),
            retry=RetryPolicy(max_attempts=3),
        )
        self.people: list[str] = []

    def seed(self, count: int) -> None:
        rows = [
            (f"p{i}@example.com", f"First{i}", "Last", f"555-{i:04d}", [1, 1, 1, 2, 0, 3][i % 6])
            for i in range(count)
        ]
        self.store.load_members(
            LIST, rows, {"LTV": [str(i % 7) for i in range(count)], "TIER": ["a"] * count}
        )
        self.people = [r[0] for r in rows]
        for i in range(0, count, 4):
            self.tag(self.id_of(f"p{i}@example.com"), "vip")
        self.clock.now = NOW - 10 * DAY

    def id_of(self, email: str) -> str:
        body = self.client.get("contacts", kind="t", params={"email": email})
        return wire.as_id(wire.items(body, "contacts")[0]["id"])

    def sync(self, email: str, **contact: object) -> str:
        body = self.client.request(
            "POST", "contact/sync", kind="t", json={"contact": {"email": email, **contact}}
        ).body
        return wire.as_id(body["contact"]["id"])

    def status(self, contact_id: str, status: int) -> None:
        entry = {"list": LIST, "contact": contact_id, "status": status}
        self.client.request("POST", "contactLists", kind="t", json={"contactList": entry})

    def tag(self, contact_id: str, name: str) -> None:
        tag_id = self.store_tag(name)
        link = {"contactTag": {"contact": contact_id, "tag": tag_id}}
        self.client.request("POST", "contactTags", kind="t", json=link, accept=(422,))

    def untag(self, contact_id: str, name: str) -> None:
        body = self.client.get(f"contacts/{contact_id}/contactTags", kind="t")
        for link in wire.items(body, "contactTags"):
            if link["tag"] == self.store_tag(name):
                self.client.request("DELETE", f"contactTags/{link['id']}", kind="t")

    def store_tag(self, name: str) -> str:
        body = self.client.get("tags", kind="t", params={"search": name})
        for tag in wire.items(body, "tags"):
            if tag["tag"] == name:
                return wire.as_id(tag["id"])
        made = self.client.request(
            "POST", "tags", kind="t", json={"tag": {"tag": name, "tagType": "contact"}}
        )
        return wire.as_id(made.body["tag"]["id"])

    def read(self, base: Snapshot | None, verdict: str) -> ReadResult:
        return read_list_state(
            self.client, LIST, PERSTAGS, TAGS, base=base, sideload_verdict=verdict
        )

    def close(self) -> None:
        self.client.close()
        self.store.close()


@dataclass(frozen=True)
class Change:
    kind: str
    who: int
    value: int


KINDS = (
    "rename",
    "value",
    "tag",
    "untag",
    "subscribe",
    "unsubscribe",
    "bounce",
    "quiet unsubscribe",
    "quiet subscribe",
    "delete",
    "new",
    "noise",
    "removed by sync",
)
CHANGES = st.builds(Change, st.sampled_from(KINDS), st.integers(0, 29), st.integers(0, 9))


def apply_change(account: Account, change: Change) -> None:
    """One change in the account, as a person, an automation or the product would make it."""
    email = account.people[change.who % len(account.people)]
    if change.kind == "new":
        cid = account.sync(f"new{change.who}-{change.value}@example.com", firstName="New")
        account.status(cid, 1)
        return
    found = account.client.get("contacts", kind="t", params={"email": email})
    if not wire.items(found, "contacts"):
        return  # deleted by an earlier change
    cid = account.id_of(email)
    match change.kind:
        case "rename":
            account.sync(email, firstName=f"Renamed{change.value}")
        case "value":
            field = account.fields[PERSTAGS[change.value % 2]]
            account.sync(email, fieldValues=[{"field": field, "value": f"v{change.value}"}])
        case "tag":
            account.tag(cid, "vip")
        case "untag":
            account.untag(cid, "vip")
        case "subscribe":
            account.status(cid, 1)
        case "unsubscribe":
            account.status(cid, 2)
        case "bounce":
            account.status(cid, 3)
        case "quiet unsubscribe":
            account.store.set_status_quietly(LIST, int(cid), 2)
        case "quiet subscribe":
            account.store.set_status_quietly(LIST, int(cid), 1)
        case "delete":
            account.store.delete_contact(int(cid))
        case "noise":
            account.store.touch([int(cid)])
        case "removed by sync":
            account.status(cid, 2)
            account.tag(cid, removal_marker(LIST))


@pytest.fixture
def make_account(tmp_path: Path) -> Iterator[object]:
    opened: list[Account] = []

    def make(settings: SandboxSettings) -> Account:
        account = Account(tmp_path / f"sandbox{len(opened)}.db", settings)
        opened.append(account)
        return account

    yield make
    for account in opened:
        account.close()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.lists(CHANGES, min_size=1, max_size=3), st.floats(0, 3 * DAY)),
        min_size=1,
        max_size=5,
    ),
    day_granular=st.booleans(),
    side_loaded=st.booleans(),
)
def test_incremental_reads_equal_full_reads(
    make_account: object,
    steps: list[tuple[list[Change], float]],
    day_granular: bool,
    side_loaded: bool,
) -> None:
    granularity = "day" if day_granular else "instant"
    sandbox = SandboxSettings(seed=1, rate_limit=None, updated_after=granularity)
    account: Account = make_account(sandbox)  # type: ignore[operator]
    account.seed(30)
    verdict = sideload.UNKNOWN if side_loaded else sideload.OFF
    first = account.read(None, verdict)
    assert first.info.mode == "full"
    snapshot, verdict = first.snapshot, first.sideload
    for changes, wait in steps:  # several changes between two reads can hide each other
        assume(sum(c.kind.startswith("quiet") for c in changes) <= 1)
        account.clock.now += wait
        for change in changes:
            apply_change(account, change)
            account.clock.now += 60
        incremental = account.read(snapshot, verdict)
        full = account.read(None, sideload.OFF)
        assert incremental.info.mode == "incremental"
        assert dict(incremental.snapshot.current().members) == dict(full.snapshot.current().members)
        assert incremental.snapshot.current().fingerprint == full.snapshot.current().fingerprint
        snapshot, verdict = incremental.snapshot, incremental.sideload


@pytest.mark.parametrize(
    ("mode", "verdict"),
    [
        ("complete", sideload.VERIFIED),
        ("stale", sideload.DISAGREES),
        ("ignored", sideload.DISAGREES),
        ("slow", sideload.TIMED_OUT),
    ],
)
def test_side_loaded_values_are_used_only_once_verified(
    make_account: object, mode: str, verdict: str
) -> None:
    account: Account = make_account(SandboxSettings(seed=1, rate_limit=None, sideload=mode))  # type: ignore[operator]
    account.seed(30)
    result = account.read(None, sideload.UNKNOWN)
    assert result.sideload == verdict
    documented = account.read(None, sideload.OFF)
    assert dict(result.snapshot.members) == dict(documented.snapshot.members)
    if verdict == sideload.VERIFIED:
        assert result.info.values == "with the contact pages" and not result.info.notes
    else:
        assert result.info.values in ("by field", "by member")
        assert any("include=fieldValues" in note for note in result.info.notes)


def test_a_verified_account_reads_changed_values_with_the_pages(make_account: object) -> None:
    account: Account = make_account(SandboxSettings(seed=1, rate_limit=None))  # type: ignore[operator]
    account.seed(300)
    first = account.read(None, sideload.UNKNOWN)
    assert first.sideload == sideload.VERIFIED
    account.clock.now += DAY
    account.sync("p5@example.com", fieldValues=[{"field": account.fields["LTV"], "value": "99"}])
    before = dict(account.client.stats.snapshot().requests)
    again = account.read(first.snapshot, first.sideload)
    spent = {
        k: v - before.get(k, 0)
        for k, v in account.client.stats.snapshot().requests.items()
        if v - before.get(k, 0)
    }
    assert again.info.mode == "incremental" and again.info.changed == 1
    assert "field_values" not in spent and "contact_field_values" not in spent
    # the list, fields, 2 tag lookups (vip, and the marker: none yet), 4 status streams,
    # 4 counts, the vip stream
    assert sum(spent.values()) == again.info.requests == 13
    member = again.snapshot.current().members["p5@example.com"]
    assert member.contact.field("LTV") == "99"


def test_a_deleted_member_is_found_by_the_count_and_its_status_read_again(
    make_account: object,
) -> None:
    account: Account = make_account(SandboxSettings(seed=1, rate_limit=None))  # type: ignore[operator]
    account.seed(30)
    first = account.read(None, sideload.UNKNOWN)
    account.clock.now += DAY
    account.store.delete_contact(int(account.id_of("p0@example.com")))
    again = account.read(first.snapshot, first.sideload)
    assert again.info.reasons == ("active count 15 -> 14: 1 id range(s) read again",)
    assert "active count 15 -> 14" in again.info.summary()
    assert "p0@example.com" not in again.snapshot.current().members


@pytest.mark.parametrize("counted", [True, False])
@given(seed=st.integers(0, 10_000), deletions=st.integers(1, 6), moves=st.integers(0, 4))
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_count_mismatches_are_found_by_id_range_or_by_a_full_read_of_the_status(
    make_account: object, counted: bool, seed: int, deletions: int, moves: int
) -> None:
    """Deleted members and quiet status changes in a 1,200-member list: the incremental
    read still equals a full read, reading again only the id ranges whose counts differ
    (when the server's counts honour id ranges), or the whole status (when they do not)."""
    sandbox = SandboxSettings(seed=1, rate_limit=None, total_counts_ids=counted)
    account: Account = make_account(sandbox)  # type: ignore[operator]
    account.seed(1_200)
    first = account.read(None, sideload.UNKNOWN)
    account.clock.now += DAY
    rng = random.Random(seed)
    active = account.store.member_ids(LIST, 1)
    for cid in rng.sample(active, deletions + moves):
        if deletions:
            account.store.delete_contact(cid)
            deletions -= 1
        else:
            account.store.set_status_quietly(LIST, cid, 2)
    again = account.read(first.snapshot, first.sideload)
    full = account.read(None, sideload.OFF)
    assert dict(again.snapshot.current().members) == dict(full.snapshot.current().members)
    (why, *_) = again.info.reasons
    if counted:
        assert again.id_ranges == "counted" and "id range(s) read again" in why
    else:
        assert again.id_ranges == "ignored" and why.endswith(": read in full")


def test_a_quiet_move_and_a_deletion_that_balance_a_count_are_both_found(
    make_account: object,
) -> None:
    """Y moves from active to unsubscribed unseen while X, unsubscribed, is deleted: the
    unsubscribed count does not change, the active one does; reading active again drops Y,
    who is then found where they went (and X's absence with it)."""
    account: Account = make_account(SandboxSettings(seed=1, rate_limit=None))  # type: ignore[operator]
    account.seed(30)
    first = account.read(None, sideload.OFF)
    account.clock.now += DAY
    y = account.store.member_ids(LIST, 1)[0]
    x = account.store.member_ids(LIST, 2)[0]
    account.store.set_status_quietly(LIST, y, 2)
    account.store.delete_contact(x)
    again = account.read(first.snapshot, sideload.OFF)
    full = account.read(None, sideload.OFF)
    assert dict(again.snapshot.current().members) == dict(full.snapshot.current().members)
    assert again.snapshot.members[str(y)].status.name == "UNSUBSCRIBED"
    assert str(x) not in again.snapshot.members


def test_tags_of_a_contact_found_by_a_re_read_under_a_day_granular_filter(
    make_account: object,
) -> None:
    """A contact tagged the evening before, found again only by a re-read (it moved without
    a udate bump), keeps its tag: a day-granular tag stream cannot list it, its own tags can."""
    sandbox = SandboxSettings(seed=1, rate_limit=None, updated_after="day")
    account: Account = make_account(sandbox)  # type: ignore[operator]
    account.seed(30)
    first = account.read(None, sideload.OFF)
    account.clock.now = (account.clock.now // DAY + 1) * DAY + 18 * 3_600
    x = account.store.member_ids(LIST, 1)[1]
    account.tag(str(x), "vip")
    account.clock.now += 60
    second = account.read(first.snapshot, sideload.OFF)
    account.clock.now = (account.clock.now // DAY + 1) * DAY + 12 * 3_600
    third = account.read(second.snapshot, sideload.OFF)
    account.clock.now += 600
    account.store.set_status_quietly(LIST, x, 2)
    account.clock.now += 60
    fourth = account.read(third.snapshot, sideload.OFF)
    full = account.read(None, sideload.OFF)
    assert fourth.snapshot.members[str(x)].contact.tags == frozenset({"vip"})
    assert dict(fourth.snapshot.current().members) == dict(full.snapshot.current().members)


def test_agreeing_on_no_values_verifies_nothing(make_account: object) -> None:
    """Side-loading that gives wrong values is not verified by members who have none yet."""
    sandbox = SandboxSettings(seed=1, rate_limit=None, sideload="stale")
    account: Account = make_account(sandbox)  # type: ignore[operator]
    for i in range(3):
        account.status(account.sync(f"n{i}@example.com", firstName="N"), 1)
    account.clock.now += DAY
    first = account.read(None, sideload.UNKNOWN)
    assert first.sideload == sideload.UNKNOWN
    account.sync("n0@example.com", fieldValues=[{"field": account.fields["LTV"], "value": "42"}])
    account.clock.now += DAY
    again = account.read(first.snapshot, first.sideload)
    assert again.sideload == sideload.DISAGREES
    assert again.snapshot.current().members["n0@example.com"].contact.field("LTV") == "42"
