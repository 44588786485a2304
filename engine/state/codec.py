"""A snapshot as bytes at rest: columns in msgpack, compressed, and encrypted when a key is set.

Format (``SYNCSNAP``, version 2)::

    b"SYNCSNAP" | version (1 byte) | flags (1 byte: 1 = encrypted) | body
    body = zlib(stream)                                    flags 0
         = nonce (12 bytes) | AES-256-GCM(zlib(stream))    flags 1
    stream = a sequence of (u32 length | msgpack value): the header, then one column each

- Columns, not records, written and read one at a time (so neither side ever holds the
  whole uncompressed stream): contact ids, statuses, removal flags and tag bits as packed
  integer arrays; emails as a list; every other value column (names, phones, each custom
  field, udates) *dictionary-encoded*: its distinct values once, and a packed array of
  indexes. Repeated values (a country, a first name, the second a thousand contacts were
  loaded in) are one string when the members are rebuilt, and no per-member Python object
  is made for a value that is only an index. 1,000,000 members: ~24 MB on disk.
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
import struct
import zlib
from array import array
from collections.abc import Iterator, Mapping, Sequence
from itertools import repeat

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from engine.contacts import Contact, ListStatus, Member
from engine.memory import young_collections_only
from engine.snapshot import FORMAT, Snapshot

MAGIC = b"SYNCSNAP"
VERSION = 2
ENCRYPTED = 1
KEY_ENV = "SYNC_STATE_KEY"
_LENGTH = struct.Struct("<I")


class SnapshotUnreadable(Exception):
    """A stored snapshot that cannot be used; ``str()`` says why (never a secret)."""


class _Header(msgspec.Struct, array_like=True):
    format: int
    account: str
    list_id: str
    mapping: str
    perstags: list[str]
    tags: list[str]
    tag_ids: dict[str, str | None]
    watermark: float
    full_read_at: float
    members: int


class _Coded(msgspec.Struct, array_like=True):
    """A dictionary-encoded column: distinct values, and each row's index into them."""

    values: list[str | None]
    index: bytes  # array("I")


class _CodedTags(msgspec.Struct, array_like=True):
    """Each member's mapped tags, dictionary-encoded: distinct tag sets, and indexes."""

    values: list[list[str]]
    index: bytes  # array("I")


_ENCODER = msgspec.msgpack.Encoder()
_HEADER = msgspec.msgpack.Decoder(_Header)
_CODED = msgspec.msgpack.Decoder(_Coded)
_CODED_TAGS = msgspec.msgpack.Decoder(_CodedTags)
_BYTES = msgspec.msgpack.Decoder(bytes)
_STRINGS = msgspec.msgpack.Decoder(list[str])


def state_key(environ: Mapping[str, str]) -> bytes | None:
    """The 32-byte key derived from ``SYNC_STATE_KEY``, or None when it is not set."""
    secret = environ.get(KEY_ENV, "")
    if not secret:
        return None
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ac-segment-sync", info=b"state")
    return hkdf.derive(secret.encode())


def encode(snapshot: Snapshot, key: bytes | None) -> bytes:
    """The stored form of ``snapshot`` (encrypted when ``key`` is given)."""
    packer = zlib.compressobj(1)
    parts = []
    for value in _stream(snapshot):
        blob = _ENCODER.encode(value)
        parts.append(packer.compress(_LENGTH.pack(len(blob))))
        parts.append(packer.compress(blob))
    parts.append(packer.flush())
    body = b"".join(parts)
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
        reader = _Reader(body)
        header = _HEADER.decode(reader.next())
        if header.format != FORMAT or (header.account, header.list_id) != (account, list_id):
            raise SnapshotUnreadable("the snapshot is of another format or list")
        with young_collections_only():  # millions of long-lived objects, no cycles
            snapshot = _snapshot(header, reader)
        reader.finish()
        return snapshot
    except _DAMAGED as exc:
        raise SnapshotUnreadable(f"the snapshot is damaged ({type(exc).__name__})") from exc


_DAMAGED = (
    zlib.error,
    msgspec.DecodeError,
    msgspec.ValidationError,
    struct.error,
    IndexError,
    ValueError,
    UnicodeError,
    OverflowError,
)
"""What a damaged stream can raise while being read (its checksum is checked at the end)."""


class _Reader:
    """The stream's values one at a time, decompressing only as far as each needs."""

    def __init__(self, body: bytes) -> None:
        self._unpacker = zlib.decompressobj()
        self._pending = body

    def _take(self, size: int) -> bytes:
        out = bytearray()
        while len(out) < size:
            chunk = self._unpacker.decompress(self._pending, size - len(out))
            self._pending = self._unpacker.unconsumed_tail
            if not chunk:
                raise zlib.error("the stream ends early")
            out += chunk
        return bytes(out)

    def next(self) -> bytes:
        (size,) = _LENGTH.unpack(self._take(_LENGTH.size))
        return self._take(size)

    def finish(self) -> None:
        """The stream ends here, and its checksum holds (zlib checks it at the end)."""
        rest = self._unpacker.decompress(self._pending) + self._unpacker.flush()
        if rest or not self._unpacker.eof or self._unpacker.unused_data:
            raise zlib.error("the stream does not end where its columns do")


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


def _packed(kind: str, values: Sequence[int]) -> bytes:
    return array(kind, values).tobytes()


def _coded(values: Sequence[str | None]) -> _Coded:
    table: dict[str | None, int] = {}
    index = array("I", [table.setdefault(v, len(table)) for v in values])
    return _Coded(list(table), index.tobytes())


def _coded_tags(values: Sequence[frozenset[str]]) -> _CodedTags:
    table: dict[frozenset[str], int] = {}
    index = array("I", [table.setdefault(v, len(table)) for v in values])
    return _CodedTags([sorted(tags) for tags in table], index.tobytes())


def _stream(snapshot: Snapshot) -> Iterator[object]:
    """The header, then each column (made one at a time, dropped once written)."""
    members = list(snapshot.members.values())
    yield _Header(
        format=FORMAT,
        account=snapshot.account,
        list_id=snapshot.list_id,
        mapping=snapshot.mapping,
        perstags=list(snapshot.perstags),
        tags=list(snapshot.tags),
        tag_ids=dict(snapshot.tag_ids),
        watermark=snapshot.watermark,
        full_read_at=snapshot.full_read_at,
        members=len(members),
    )
    yield _packed("q", [int(m.contact_id) for m in members])
    yield [m.contact.email for m in members]
    yield _packed("b", [m.status.value for m in members])
    yield _packed("b", [m.removed_by_sync for m in members])
    yield _coded_tags([m.contact.tags for m in members])
    yield _coded([m.contact.first_name for m in members])
    yield _coded([m.contact.last_name for m in members])
    yield _coded([m.contact.phone for m in members])
    for i in range(len(snapshot.perstags)):
        yield _coded([m.contact.fields[i][1] for m in members])
    yield _coded([snapshot.udates.get(m.contact_id) for m in members])


def _column(reader: _Reader, count: int) -> list[str | None]:
    coded = _CODED.decode(reader.next())
    index = array("I")
    index.frombytes(coded.index)
    if len(index) != count:
        raise struct.error("a column of another length")
    values = coded.values
    return [values[i] for i in index]


def _array(kind: str, raw: bytes, count: int) -> array[int]:
    found = array(kind)
    found.frombytes(raw)
    if len(found) != count:
        raise struct.error("a column of another length")
    return found


def _snapshot(header: _Header, reader: _Reader) -> Snapshot:
    """Members rebuilt column by column; repeated pairs and tag sets share one object."""
    n = header.members
    ids = [str(i) for i in _array("q", _BYTES.decode(reader.next()), n)]
    emails = _STRINGS.decode(reader.next())
    statuses = _array("b", _BYTES.decode(reader.next()), n)
    removed = _array("b", _BYTES.decode(reader.next()), n)
    coded_tags = _CODED_TAGS.decode(reader.next())
    tag_sets = [frozenset(tags) for tags in coded_tags.values]
    tags_of = [tag_sets[i] for i in _array("I", coded_tags.index, n)]
    first, last, phone = (_column(reader, n) for _ in range(3))
    pairs: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    fields: list[list[tuple[str, str | None]]] = []
    for perstag in header.perstags:
        fields.append([pairs.setdefault((perstag, v), (perstag, v)) for v in _column(reader, n)])
    udates = _column(reader, n)
    if len(emails) != n:
        raise struct.error("a column of another length")
    by_value = {s.value: s for s in ListStatus}
    statuses_of = [by_value.get(v, ListStatus.OTHER) for v in statuses]
    values_of = zip(*fields, strict=True) if fields else repeat((), n)
    members: dict[str, Member] = {}
    columns = (ids, emails, first, last, phone, values_of, tags_of, statuses_of, removed)
    rows = zip(*columns, strict=True)
    for cid, email, first_name, last_name, phone_, own, tags, status, gone in rows:
        contact = Contact(email, first_name, last_name, phone_, own, tags)
        members[cid] = Member(contact, status, cid, gone != 0)
    return Snapshot(
        account=header.account,
        list_id=header.list_id,
        mapping=header.mapping,
        perstags=tuple(header.perstags),
        tags=tuple(header.tags),
        tag_ids=header.tag_ids,
        watermark=header.watermark,
        full_read_at=header.full_read_at,
        members=members,
        udates=dict(zip(ids, udates, strict=True)),
    )
