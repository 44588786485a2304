"""Offset paging of field values answers exactly what LIMIT/OFFSET would, also after writes.

The sandbox remembers where the previous page ended so that paging a large collection by
offset stays linear; these tests pin that the shortcut never changes an answer.
"""

from __future__ import annotations

from .conftest import Harness


def _values(sandbox: Harness, field_id: int, offset: int, limit: int = 7) -> list[str]:
    answer = sandbox.http.get(
        "/fieldValues",
        params={"filters[fieldid]": field_id, "limit": limit, "offset": offset},
    )
    assert answer.status_code == 200
    assert answer.json()["meta"]["total"] == str(len(_all(sandbox, field_id)))
    return [v["value"] for v in answer.json()["fieldValues"]]


def _all(sandbox: Harness, field_id: int) -> list[str]:
    with sandbox.store.read() as conn:
        rows = conn.execute(
            "SELECT value FROM field_values WHERE field_id = ? ORDER BY id", (field_id,)
        ).fetchall()
    return [r[0] for r in rows]


def test_paging_by_offset_matches_the_collection_in_order(sandbox: Harness) -> None:
    rows = [(f"p{i}@example.com", "", "", "", 1) for i in range(50)]
    sandbox.store.load_members(sandbox.lists["news"], rows, {"LTV": [str(i) for i in range(50)]})
    field_id = sandbox.store.ensure_field("LTV")
    seen = [v for offset in range(0, 56, 7) for v in _values(sandbox, field_id, offset)]
    assert seen == _all(sandbox, field_id) == [str(i) for i in range(50)]
    again = [v for offset in range(0, 56, 7) for v in _values(sandbox, field_id, offset)]
    assert again == seen


def test_a_write_between_pages_is_seen_like_plain_offset_paging(sandbox: Harness) -> None:
    rows = [(f"p{i}@example.com", "", "", "", 1) for i in range(20)]
    sandbox.store.load_members(sandbox.lists["news"], rows, {"LTV": [str(i) for i in range(20)]})
    field_id = sandbox.store.ensure_field("LTV")
    assert _values(sandbox, field_id, 0) == [str(i) for i in range(7)]
    with sandbox.store.write() as conn:  # an earlier value disappears: everything shifts
        conn.execute("DELETE FROM field_values WHERE field_id = ? AND value = '0'", (field_id,))
    assert _values(sandbox, field_id, 7) == [str(i) for i in range(8, 15)]
    assert _values(sandbox, field_id, 14) == [str(i) for i in range(15, 20)]
