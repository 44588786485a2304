"""List snapshots at rest: the codec, encryption, and both stores (files; a real PostgreSQL)."""

from __future__ import annotations

import os
import random
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from engine.contacts import Contact, ListStatus, Member
from engine.snapshot import Snapshot
from engine.state import codec
from engine.state.lists import ListState, display_url
from engine.state.stores import LocalStore, PostgresStore, redact
from tests.pg import PostgresServer

KEY = codec.state_key({"SYNC_STATE_KEY": "correct horse battery staple"})
OTHER = codec.state_key({"SYNC_STATE_KEY": "another key"})


def snapshot(count: int = 3, list_id: str = "7") -> Snapshot:
    members = {}
    for i in range(count):
        fields = (("COUNTRY", "SE" if i % 2 else None), ("LTV", str(i)))
        tags = frozenset({"vip"}) if i % 3 == 0 else frozenset()
        contact = Contact(f"p{i}@example.com", f"Firstname{i}-Zebedee", None, "555", fields, tags)
        status = ListStatus.UNSUBSCRIBED if i == 1 else ListStatus.ACTIVE
        members[str(100 + i)] = Member(contact, status, str(100 + i), i == 1)
    return Snapshot(
        account="acme.api-us1.com",
        list_id=list_id,
        mapping="m1",
        perstags=("COUNTRY", "LTV"),
        tags=("vip",),
        tag_ids={"vip": "5", "sync-removed-list-7": None},
        watermark=1_796_000_000.0,
        full_read_at=1_795_000_000.0,
        members=members,
        udates={cid: f"2026-11-2{i}T10:00:00-05:00" for i, cid in enumerate(members)},
    )


def test_a_snapshot_comes_back_as_it_was_saved() -> None:
    original = snapshot(50)
    again = codec.decode(codec.encode(original, None), "acme.api-us1.com", "7", None)
    assert again == original
    assert again.current().fingerprint == original.current().fingerprint


def test_encrypted_snapshots_hold_no_readable_personal_data() -> None:
    data = codec.encode(snapshot(), KEY)
    assert (
        b"p0@example.com" not in data and b"Firstname0-Zebedee" not in data
    )  # long: never there by chance
    assert codec.decode(data, "acme.api-us1.com", "7", KEY) == snapshot()


@pytest.mark.parametrize(
    ("key", "account", "list_id", "message"),
    [
        (OTHER, "acme.api-us1.com", "7", "does not decrypt with this SYNC_STATE_KEY"),
        (None, "acme.api-us1.com", "7", "encrypted and SYNC_STATE_KEY is not set"),
        (KEY, "acme.api-us1.com", "8", "does not decrypt"),  # moved to another list's name
    ],
)
def test_a_snapshot_that_cannot_be_decrypted_says_why(
    key: bytes | None, account: str, list_id: str, message: str
) -> None:
    data = codec.encode(snapshot(), KEY)
    with pytest.raises(codec.SnapshotUnreadable, match=message):
        codec.decode(data, account, list_id, key)


def test_damaged_snapshots_are_refused_not_misread() -> None:
    data = bytearray(codec.encode(snapshot(), KEY))
    data[-5] ^= 0xFF
    with pytest.raises(codec.SnapshotUnreadable):
        codec.decode(bytes(data), "acme.api-us1.com", "7", KEY)
    plain = codec.encode(snapshot(), None)
    with pytest.raises(codec.SnapshotUnreadable, match="damaged"):
        codec.decode(plain[:-20], "acme.api-us1.com", "7", None)
    with pytest.raises(codec.SnapshotUnreadable, match="not a snapshot"):
        codec.decode(b"hello", "acme.api-us1.com", "7", None)


def test_local_files_are_private_and_replaced_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStore(tmp_path / ".sync" / "state")
    store.put("127.0.0.1:8080", "7", b"first")
    path = tmp_path / ".sync" / "state" / "127.0.0.1_8080" / "list-7.snapshot"
    assert path.read_bytes() == b"first" == store.get("127.0.0.1:8080", "7")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / ".sync" / "state").stat().st_mode) == 0o700

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.put("127.0.0.1:8080", "7", b"second")
    assert store.get("127.0.0.1:8080", "7") == b"first"  # the previous one is intact
    assert [p.name for p in path.parent.iterdir()] == ["list-7.snapshot"]  # no leftovers


def test_list_state_turns_every_problem_into_a_reason_for_a_full_read(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    state = ListState(store, KEY, 7 * 86_400)
    assert state.load("acme.api-us1.com", "7").problem == "no snapshot"
    state.save(snapshot())
    assert state.load("acme.api-us1.com", "7").snapshot == snapshot()
    other = ListState(store, OTHER, 7 * 86_400).load("acme.api-us1.com", "7")
    assert other.snapshot is None and "another key" in (other.problem or "")
    (tmp_path / "acme.api-us1.com" / "list-7.snapshot").write_bytes(b"SYNCSNAP\x02\x00junk")
    damaged = state.load("acme.api-us1.com", "7")
    assert damaged.snapshot is None and "damaged" in (damaged.problem or "")


def test_a_store_that_cannot_save_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("a file where the folder should be")
    state = ListState(LocalStore(tmp_path / "blocked"), None, 86_400)
    state.save(snapshot())
    assert state.warnings and "next plan reads that list in full" in state.warnings[0]


@pytest.mark.postgres
def test_postgres_store_keeps_snapshots_and_facts(postgres_server: PostgresServer) -> None:
    with postgres_server.connect() as admin:
        admin.execute("DROP TABLE IF EXISTS sync_snapshots, sync_accounts")
    url = postgres_server.url(postgres_server.password)
    store = PostgresStore(url, shown="postgresql://sync_admin@127.0.0.1/cdp")
    try:
        assert store.get("acme.api-us1.com", "7") is None  # the tables are created on first use
        state = ListState(store, KEY, 86_400)
        state.save(snapshot())
        state.save(snapshot(5))  # replaces it
        assert state.load("acme.api-us1.com", "7").snapshot == snapshot(5)
        state.put_fact("acme.api-us1.com", "include_field_values", "verified")
        assert store.facts("acme.api-us1.com") == {"include_field_values": "verified"}
    finally:
        store.close()
    with postgres_server.connect() as admin:
        rows = admin.execute("SELECT account, list_id, length(data) FROM sync_snapshots").fetchall()
    assert [(a, lid) for a, lid, _ in rows] == [("acme.api-us1.com", "7")]
    assert postgres_server.password not in store.description


def test_many_tags_and_odd_snapshots_round_trip() -> None:
    tags = tuple(f"tag{i}" for i in range(40))
    base = snapshot(5)
    members = {
        cid: replace(m, contact=replace(m.contact, tags=frozenset(tags[i:])))
        for i, (cid, m) in enumerate(base.members.items())
    }
    many = replace(base, tags=tags, members=members)
    assert codec.decode(codec.encode(many, None), "acme.api-us1.com", "7", None) == many
    empty = replace(base, members={}, udates={})
    assert codec.decode(codec.encode(empty, KEY), "acme.api-us1.com", "7", KEY) == empty


def test_a_damaged_plain_snapshot_is_never_used_with_other_contents() -> None:
    """Without encryption, zlib's checksum at the end of the stream is what catches damage:
    the reader goes to the end; nothing but SnapshotUnreadable escapes."""
    original = snapshot(200)
    data = codec.encode(original, None)
    with pytest.raises(codec.SnapshotUnreadable):
        codec.decode(data[:-4], "acme.api-us1.com", "7", None)
    rng = random.Random(5)
    for _ in range(300):
        damaged = bytearray(data)
        spot = rng.randrange(len(codec.MAGIC) + 2, len(damaged))
        damaged[spot] ^= 1 << rng.randrange(8)
        try:
            again = codec.decode(bytes(damaged), "acme.api-us1.com", "7", None)
        except codec.SnapshotUnreadable:
            continue
        assert again == original  # a flip in a byte that carries nothing


def test_database_errors_never_quote_the_password() -> None:
    url = "postgresql://sync:p%25ss-word@db.internal/cdp"
    message = 'invalid percent-encoded token: "p%25ss-word" (p%ss-word)'
    assert "p%" not in redact(message, url) and "***" in redact(message, url)
    conninfo = "host=db user=sync password=s3cret dbname=cdp"
    assert "s3cret" not in redact("FATAL: password=s3cret rejected", conninfo)
    assert display_url(conninfo) == "the configured database"
    assert (
        display_url("postgresql://sync:pw@db.internal:5433/cdp")
        == "postgresql://sync@db.internal:5433/cdp"
    )
