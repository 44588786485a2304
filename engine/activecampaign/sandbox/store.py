"""The sandbox's SQLite file: connections, transactions and management operations.

Concurrency: one connection per thread, WAL journal, a busy timeout, and writes inside
``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing. Every write bumps a
``generation`` counter (kept in the file, so several processes agree) which read caches
(e.g. ``meta.total`` of a large list) use to know when they are stale.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ConfigError

from .schema import SCHEMA

Clock = Callable[[], float]
MemberRow = tuple[str, str, str, str, int]
"""``(email, first_name, last_name, phone, list status)`` for :meth:`Store.load_members`."""

STATUS_NAMES = {0: "unconfirmed", 1: "active", 2: "unsubscribed", 3: "bounced"}


@dataclass(frozen=True, slots=True)
class ListSummary:
    """A list with its member counts by status (``{1: 10, 2: 3}``)."""

    id: int
    name: str
    counts: Mapping[int, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def normalise_perstag(perstag: str) -> str:
    """ActiveCampaign's form: ``"Personalized Tag"`` -> ``"PERSONALIZEDTAG"``."""
    return re.sub(r"[^A-Z0-9_]", "", perstag.upper())


class Store:
    """The sandbox's data in one SQLite file (created on first use)."""

    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self.clock: Clock = clock or time.time
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Owner only, like the rest of .sync/ (SQLite gives its -wal and -shm files
            # the database file's mode).
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            self._conn().executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"sandbox data file {self.path} cannot be opened: {exc}; check the path "
                "and its permissions, or pass another file with --data"
            ) from exc

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads (one consistent snapshot inside the block)."""
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all or nothing; bumps the generation counter."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("UPDATE state SET value = value + 1 WHERE key = 'generation'")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def generation(self, conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT value FROM state WHERE key = 'generation'").fetchone()
        return int(row[0])

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection this store opened (in any thread)."""
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- management -----------------------------------------------------------------

    def create_list(self, name: str, list_id: int | None = None) -> int:
        """Create a list (with the given id if set; an existing id is renamed)."""
        now = self.clock()
        stringid = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        with self.write() as conn:
            if list_id is None:
                cur = conn.execute(
                    "INSERT INTO lists (name, stringid, cdate, udate) VALUES (?, ?, ?, ?)",
                    (name, stringid, now, now),
                )
                return int(cur.lastrowid or 0)
            conn.execute(
                "INSERT INTO lists (id, name, stringid, cdate, udate) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, udate = excluded.udate",
                (list_id, name, stringid, now, now),
            )
            return list_id

    def ensure_field(self, perstag: str, title: str | None = None, type: str = "text") -> int:
        """The id of the custom field with this perstag, created if missing."""
        tag = normalise_perstag(perstag)
        now = self.clock()
        with self.write() as conn:
            row = conn.execute("SELECT id FROM fields WHERE perstag = ?", (tag,)).fetchone()
            if row is not None:
                return int(row[0])
            cur = conn.execute(
                "INSERT INTO fields (title, type, perstag, cdate, udate) VALUES (?, ?, ?, ?, ?)",
                (title or tag.replace("_", " ").title(), type, tag, now, now),
            )
            return int(cur.lastrowid or 0)

    def list_summaries(self) -> tuple[ListSummary, ...]:
        """Every list, in id order, with member counts by status."""
        with self.read() as conn:
            lists = conn.execute("SELECT id, name FROM lists ORDER BY id").fetchall()
            counts: dict[int, dict[int, int]] = {int(r["id"]): {} for r in lists}
            for row in conn.execute(
                "SELECT list_id, status, count(*) FROM memberships GROUP BY list_id, status"
            ):
                counts.setdefault(int(row[0]), {})[int(row[1])] = int(row[2])
        return tuple(ListSummary(int(r["id"]), r["name"], counts[int(r["id"])]) for r in lists)

    def reset(self) -> None:
        """Delete every list, contact, field, tag and batch (ids start again at 1)."""
        with self.write() as conn:
            for table in (
                "lists",
                "contacts",
                "memberships",
                "fields",
                "field_values",
                "tags",
                "contact_tags",
                "batches",
            ):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM sqlite_sequence")

    def load_members(
        self,
        list_id: int,
        rows: Iterable[MemberRow],
        fields: Mapping[str, Sequence[str]] | None = None,
    ) -> int:
        """Create new contacts on a list fast (tests, benchmarks); returns how many.

        ``fields`` maps a perstag to one value per row (same order as ``rows``); the
        fields are created if missing. Emails must be new: an existing one raises
        ``ConfigError`` and nothing is loaded. One transaction, ``executemany``.
        """
        field_ids = {tag: self.ensure_field(tag) for tag in (fields or {})}
        now = self.clock()
        with self.write() as conn:
            row = conn.execute("SELECT coalesce(max(id), 0) FROM contacts").fetchone()
            first = int(row[0]) + 1
            members = [(first + i, *member) for i, member in enumerate(rows)]
            try:
                conn.executemany(
                    "INSERT INTO contacts (id, email, first_name, last_name, phone, cdate, udate)"
                    f" VALUES (?, ?, ?, ?, ?, {now!r}, {now!r})",
                    (m[:5] for m in members),
                )
            except sqlite3.IntegrityError as exc:
                raise ConfigError(f"load_members: an email already exists ({exc})") from exc
            conn.executemany(
                "INSERT INTO memberships (contact_id, list_id, status, sourceid, sdate)"
                f" VALUES (?, {int(list_id)}, ?, 0, {now!r})",
                ((m[0], m[5]) for m in members),
            )
            for tag, values in (fields or {}).items():
                conn.executemany(
                    "INSERT INTO field_values (contact_id, field_id, value, cdate, udate)"
                    f" VALUES (?, {field_ids[tag]}, ?, {now!r}, {now!r})",
                    zip((m[0] for m in members), values, strict=False),
                )
        return len(members)

    # -- rehearsing what happens in an account between runs (tests, benchmarks) -----

    def age(self, seconds: float) -> None:
        """Move every date in the account ``seconds`` into the past (as if the data had
        been there that much longer): contacts, memberships, values, tags, lists."""
        with self.write() as conn:
            for table, columns in (
                ("contacts", ("cdate", "udate")),
                ("memberships", ("sdate", "udate")),
                ("field_values", ("cdate", "udate")),
                ("contact_tags", ("cdate",)),
                ("lists", ("cdate", "udate")),
            ):
                sets = ", ".join(f"{c} = {c} - ?" for c in columns)
                conn.execute(f"UPDATE {table} SET {sets}", (seconds,) * len(columns))

    def touch(self, contact_ids: Iterable[int]) -> int:
        """Bump the contacts' ``udate`` to now, changing nothing else (an open, a click, an
        automation: what makes ``filters[updated_after]`` noisy); returns how many."""
        now = self.clock()
        ids = [(now, int(cid)) for cid in contact_ids]
        with self.write() as conn:
            conn.executemany("UPDATE contacts SET udate = ? WHERE id = ?", ids)
        return len(ids)

    def member_ids(self, list_id: int, status: int | None = None) -> list[int]:
        """Contact ids on the list (in ``status`` when given), in id order."""
        sql = "SELECT contact_id FROM memberships WHERE list_id = ?"
        args: list[int] = [list_id]
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        with self.read() as conn:
            return [int(r[0]) for r in conn.execute(sql + " ORDER BY contact_id", args)]

    def set_status_quietly(self, list_id: int, contact_id: int, status: int) -> None:
        """Set a member's list status *without* bumping the contact's ``udate`` (a change
        the evidence cannot rule out); the membership records the date, as a real one does."""
        now = self.clock()
        with self.write() as conn:
            conn.execute(
                "UPDATE memberships SET status = ?, udate = ? WHERE list_id = ? AND contact_id = ?",
                (status, now, list_id, contact_id),
            )

    def delete_contact(self, contact_id: int) -> None:
        """Delete a contact with everything it had (deleted contacts bump nothing)."""
        with self.write() as conn:
            for table in ("memberships", "field_values", "contact_tags"):
                conn.execute(f"DELETE FROM {table} WHERE contact_id = ?", (contact_id,))
            conn.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
