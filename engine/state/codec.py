"""A snapshot as bytes at rest: columns in msgpack, compressed, and encrypted when a key is set.

Format (``SYNCSNAP``, version 1)::

    b"SYNCSNAP" | version (1 byte) | flags (1 byte: 1 = encrypted) | body
    body = zlib(msgpack(columns))                                   flags 0
         = nonce (12 bytes) | AES-256-GCM(zlib(msgpack(columns)))   flags 1

- Columns, not records: a 1,000,000-member snapshot is a handful of long lists (ids,
  emails, statuses, names, one list per custom field, tag bits, removal flags, udates),
  which msgpack writes and reads in well under a second; repeated values (a country, a
  first name) share one string again when the members are rebuilt.
- Encryption: authenticated (AES-GCM, from the ``cryptography`` package), with a key
  derived by HKDF-SHA256 from ``SYNC_STATE_KEY`` (any passphrase or random string). The
  header and the snapshot's identity (account host, list id) are authenticated data: a
  snapshot moved to another list's name, or altered, does not decrypt.
- Any problem reading a snapshot (damaged, another format, encrypted and no key, another
  key) is a :class:`SnapshotUnreadable` whose message says what to do; the caller reads
  the list in full instead. State is a cache.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from engine.contacts import Contact, ListStatus, Member
from engine.snapshot import FORMAT, Snapshot

MAGIC = b"SYNCSNAP"
VERSION = 1
ENCRYPTED = 1
KEY_ENV = "SYNC_STATE_KEY"
_SHARED_MAX = 200_000


class SnapshotUnreadable(Exception):
    """A stored snapshot that cannot be used; ``str()`` says why (never a secret)."""


class _Columns(msgspec.Struct, array_like=True):
    format: int
    account: str
    list_id: str
    mapping: str
    perstags: list[str]
    tags: list[str]
    tag_ids: dict[str, str | None]
    watermark: float
    full_read_at: float
    ids: list[str]
    emails: list[str]
    statuses: list[int]
    first: list[str | None]
    last: list[str | None]
    phone: list[str | None]
    fields: list[list[str | None]]
    tag_bits: list[int]
    removed: list[bool]
    udates: list[str | None]


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(_Columns)


def state_key(environ: Mapping[str, str]) -> bytes | None:
    """The 32-byte key derived from ``SYNC_STATE_KEY``, or None when it is not set."""
    secret = environ.get(KEY_ENV, "")
    if not secret:
        return None
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ac-segment-sync", info=b"state")
    return hkdf.derive(secret.encode())


def encode(snapshot: Snapshot, key: bytes | None) -> bytes:
    """The stored form of ``snapshot`` (encrypted when ``key`` is given)."""
    body = zlib.compress(_ENCODER.encode(_columns(snapshot)), 1)
    if key is None:
        return MAGIC + bytes([VERSION, 0]) + body
    header = MAGIC + bytes([VERSION, ENCRYPTED])
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(
        nonce, body, header + _identity(snapshot.account, snapshot.list_id)
    )
    return header + nonce + sealed


def decode(data: bytes, account: str, list_id: str, key: bytes | None) -> Snapshot:
    """The snapshot stored in ``data`` for (``account``, ``list_id``)."""
    if len(data) < len(MAGIC) + 2 or not data.startswith(MAGIC):
        raise SnapshotUnreadable("not a snapshot file (damaged?)")
    version, flags = data[len(MAGIC)], data[len(MAGIC) + 1]
    if version != VERSION:
        raise SnapshotUnreadable(f"snapshot format {version} is not this version's ({VERSION})")
    body = data[len(MAGIC) + 2 :]
    if flags & ENCRYPTED:
        body = _decrypt(data[: len(MAGIC) + 2], body, account, list_id, key)
    try:
        columns = _DECODER.decode(zlib.decompress(body))
    except (zlib.error, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise SnapshotUnreadable(f"the snapshot is damaged ({type(exc).__name__})") from exc
    if columns.format != FORMAT or (columns.account, columns.list_id) != (account, list_id):
        raise SnapshotUnreadable("the snapshot is of another format or list")
    return _snapshot(columns)


def _decrypt(header: bytes, body: bytes, account: str, list_id: str, key: bytes | None) -> bytes:
    if key is None:
        raise SnapshotUnreadable(
            f"the snapshot is encrypted and {KEY_ENV} is not set: set it to the key the "
            "snapshot was saved with"
        )
    try:
        return AESGCM(key).decrypt(body[:12], body[12:], header + _identity(account, list_id))
    except (InvalidTag, ValueError) as exc:
        raise SnapshotUnreadable(
            f"the snapshot does not decrypt with this {KEY_ENV} (saved with another key, or "
            "altered)"
        ) from exc


def _identity(account: str, list_id: str) -> bytes:
    return f"{account}\n{list_id}".encode()


def _columns(snapshot: Snapshot) -> _Columns:
    members = list(snapshot.members.values())
    contacts = [m.contact for m in members]
    bit = {name: 1 << i for i, name in enumerate(snapshot.tags)}
    return _Columns(
        format=FORMAT,
        account=snapshot.account,
        list_id=snapshot.list_id,
        mapping=snapshot.mapping,
        perstags=list(snapshot.perstags),
        tags=list(snapshot.tags),
        tag_ids=dict(snapshot.tag_ids),
        watermark=snapshot.watermark,
        full_read_at=snapshot.full_read_at,
        ids=[m.contact_id for m in members],
        emails=[c.email for c in contacts],
        statuses=[m.status.value for m in members],
        first=[c.first_name for c in contacts],
        last=[c.last_name for c in contacts],
        phone=[c.phone for c in contacts],
        fields=[[c.fields[i][1] for c in contacts] for i in range(len(snapshot.perstags))],
        tag_bits=[sum(bit.get(t, 0) for t in c.tags) if c.tags else 0 for c in contacts],
        removed=[m.removed_by_sync for m in members],
        udates=[snapshot.udates.get(m.contact_id) for m in members],
    )


def _snapshot(columns: _Columns) -> Snapshot:
    """Members rebuilt from the columns; repeated strings and pairs share one object."""
    shared: dict[str | None, str | None] = {}
    pairs: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    tag_sets: dict[int, frozenset[str]] = {0: frozenset()}
    statuses = {s.value: s for s in ListStatus}

    def share(value: str | None) -> str | None:
        if value is None or len(shared) >= _SHARED_MAX:
            return value
        return shared.setdefault(value, value)

    def pair(item: tuple[str, str | None]) -> tuple[str, str | None]:
        return item if len(pairs) >= _SHARED_MAX else pairs.setdefault(item, item)

    def tags_of(bits: int) -> frozenset[str]:
        if bits not in tag_sets:
            tag_sets[bits] = frozenset(t for i, t in enumerate(columns.tags) if bits >> i & 1)
        return tag_sets[bits]

    perstags = columns.perstags
    value_columns = columns.fields
    members: dict[str, Member] = {}
    for i, cid in enumerate(columns.ids):
        fields = tuple([pair((p, share(value_columns[k][i]))) for k, p in enumerate(perstags)])
        contact = Contact(
            columns.emails[i],
            share(columns.first[i]),
            share(columns.last[i]),
            columns.phone[i],
            fields,
            tags_of(columns.tag_bits[i]),
        )
        status = statuses.get(columns.statuses[i], ListStatus.OTHER)
        members[cid] = Member(contact, status, cid, columns.removed[i])
    return Snapshot(
        account=columns.account,
        list_id=columns.list_id,
        mapping=columns.mapping,
        perstags=tuple(perstags),
        tags=tuple(columns.tags),
        tag_ids=columns.tag_ids,
        watermark=columns.watermark,
        full_read_at=columns.full_read_at,
        members=members,
        udates=dict(zip(columns.ids, columns.udates, strict=True)),
    )
