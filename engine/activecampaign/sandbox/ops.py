"""Writes shared by the endpoints (sync, contactLists, contactTags) and bulk processing.

Each function runs inside the caller's write transaction (``conn``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping

CONTACT_COLUMNS = {"first_name", "last_name", "phone", "orgname"}

_EMAIL = re.compile(r'[^\s"(),:;<>@\[\\\]]+@[^\s"(),:;<>@\[\\\]]+\.[A-Za-z]{2,}')


def email_problem(email: object) -> str | None:
    """Why an email is refused (the bulk-import rules of the API reference), or None.

    Local part of at least one character, no ``" ( ) , : ; < > @ [ \\ ]`` or spaces, one
    ``@``, a ``.`` in the domain with at least two letters after the last one.
    """
    if not isinstance(email, str) or not email.strip():
        return "Field 'email' is required"
    if not _EMAIL.fullmatch(email.strip()):
        return "Field 'email' incorrect format"
    return None


def contact_by_email(conn: sqlite3.Connection, email: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM contacts WHERE lower(email) = lower(?)", (email.strip(),)
    ).fetchone()
    return row


def contact_by_id(conn: sqlite3.Connection, contact_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM contacts WHERE id = ?", (contact_id,)
    ).fetchone()
    return row


def upsert_contact(
    conn: sqlite3.Connection, email: str, values: Mapping[str, str], now: float
) -> tuple[int, bool]:
    """Create or update by email (case-insensitive); returns ``(id, created)``.

    Only the keys in ``values`` are written (``""`` blanks); the others are kept. The
    stored email keeps the case it was first written with.
    """
    columns = {k: v for k, v in values.items() if k in CONTACT_COLUMNS}
    existing = contact_by_email(conn, email)
    if existing is None:
        names = ", ".join(["email", *columns, "cdate", "udate"])
        marks = ", ".join("?" * (len(columns) + 3))
        cur = conn.execute(
            f"INSERT INTO contacts ({names}) VALUES ({marks})",
            (email.strip(), *columns.values(), now, now),
        )
        return int(cur.lastrowid or 0), True
    contact_id = int(existing["id"])
    if any(existing[k] != v for k, v in columns.items()):
        sets = ", ".join(f"{k} = ?" for k in columns)
        conn.execute(
            f"UPDATE contacts SET {sets}, udate = ? WHERE id = ?",
            (*columns.values(), now, contact_id),
        )
    return contact_id, False


def set_field_values(
    conn: sqlite3.Connection, contact_id: int, values: Iterable[tuple[int, str]], now: float
) -> list[int]:
    """Write custom field values by field id; unknown field ids are ignored (as AC does).

    Returns the ids of the field values written.
    """
    written: list[int] = []
    for field_id, value in values:
        if conn.execute("SELECT 1 FROM fields WHERE id = ?", (field_id,)).fetchone() is None:
            continue
        row = conn.execute(
            "INSERT INTO field_values (contact_id, field_id, value, cdate, udate)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (contact_id, field_id) DO UPDATE SET"
            " value = excluded.value,"
            " udate = CASE WHEN value = excluded.value THEN udate ELSE excluded.udate END"
            " RETURNING id",
            (contact_id, field_id, value, now, now),
        ).fetchone()
        written.append(int(row[0]))
    return written


def membership(conn: sqlite3.Connection, contact_id: int, list_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM memberships WHERE contact_id = ? AND list_id = ?", (contact_id, list_id)
    ).fetchone()
    return row


def set_membership(
    conn: sqlite3.Connection,
    contact_id: int,
    list_id: int,
    status: int,
    now: float,
    *,
    sourceid: int = 0,
    bump: bool = True,
    resent_moves: bool = False,
) -> sqlite3.Row:
    """Set a contact's status on a list (creating the membership); returns the row.
    ``bump``: the contact's ``udate`` moves; ``resent_moves``: unsubscribing someone
    already unsubscribed moves the membership's ``udate`` (settings: ``udate_bumps``,
    ``resent_unsubscribe``)."""
    current = membership(conn, contact_id, list_id)
    if current is None:
        conn.execute(
            "INSERT INTO memberships (contact_id, list_id, status, sourceid, sdate)"
            " VALUES (?, ?, ?, ?, ?)",
            (contact_id, list_id, status, sourceid, now),
        )
    elif int(current["status"]) != status:
        conn.execute(
            "UPDATE memberships SET status = ?, sourceid = ?, udate = ?,"
            " sdate = CASE WHEN ? = 1 THEN ? ELSE sdate END WHERE id = ?",
            (status, sourceid, now, status, now, current["id"]),
        )
    elif status == 2 and resent_moves:
        conn.execute("UPDATE memberships SET udate = ? WHERE id = ?", (now, current["id"]))
    if bump:
        touch(conn, contact_id, now)
    row = membership(conn, contact_id, list_id)
    assert row is not None
    return row


def touch(conn: sqlite3.Connection, contact_id: int, now: float) -> None:
    conn.execute("UPDATE contacts SET udate = ? WHERE id = ?", (now, contact_id))


def tag_id_by_name(conn: sqlite3.Connection, name: str, now: float) -> int:
    """The id of the contact tag with this name (case-insensitive), created if missing."""
    row = conn.execute("SELECT id FROM tags WHERE lower(tag) = lower(?)", (name,)).fetchone()
    if row is not None:
        return int(row[0])
    cur = conn.execute(
        "INSERT INTO tags (tag, tag_type, description, cdate) VALUES (?, 'contact', '', ?)",
        (name, now),
    )
    return int(cur.lastrowid or 0)


def add_tag(conn: sqlite3.Connection, contact_id: int, tag_id: int, now: float) -> sqlite3.Row:
    """Tag a contact (idempotent); returns the contactTag row."""
    conn.execute(
        "INSERT OR IGNORE INTO contact_tags (contact_id, tag_id, cdate) VALUES (?, ?, ?)",
        (contact_id, tag_id, now),
    )
    row: sqlite3.Row = conn.execute(
        "SELECT * FROM contact_tags WHERE contact_id = ? AND tag_id = ?", (contact_id, tag_id)
    ).fetchone()
    return row
