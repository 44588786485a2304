"""The list fingerprint a saved plan is checked against: stable, order-free, value-sensitive."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from engine.contacts import Contact, ListStatus, Member, fingerprint


def members(count: int) -> list[Member]:
    return [
        Member(
            Contact(
                f"p{i:05d}@example.com",
                first_name="Ann" if i % 2 else None,
                phone="+49 30 1",
                fields=(("COUNTRY", "DE"), ("LTV", str(i) if i % 3 else None)),
                tags=frozenset({"vip", "b2b"}) if i % 5 == 0 else frozenset(),
            ),
            ListStatus(i % 4),
            str(i + 1),
            removed_by_sync=i % 7 == 0,
        )
        for i in range(count)
    ]


def line_by_line(list_id: str, state: list[Member]) -> str:
    """The documented form: one line per member in email order, hashed in one stream."""
    digest = hashlib.sha256(f"list:{list_id}\n".encode())
    for m in sorted(state, key=lambda m: m.contact.email):
        c = m.contact
        fields = ";".join(f"{k}={v}" for k, v in c.fields)
        digest.update(
            f"{c.email}\t{m.status.value}\t{int(m.removed_by_sync)}\t{c.first_name}\t"
            f"{c.last_name}\t{c.phone}\t{fields}\t{','.join(sorted(c.tags))}\n".encode()
        )
    return digest.hexdigest()


def test_the_digest_is_that_of_every_member_line_in_email_order() -> None:
    state = members(10_000)  # more lines than are hashed at once
    assert fingerprint("7", state) == line_by_line("7", state)
    assert fingerprint("7", reversed(state)) == fingerprint("7", state)
    assert fingerprint("7", []) == line_by_line("7", [])


def test_any_change_of_a_member_changes_it() -> None:
    state = members(50)
    before = fingerprint("7", state)
    changed = [*state[:-1], replace(state[-1], removed_by_sync=not state[-1].removed_by_sync)]
    assert fingerprint("7", changed) != before
    assert fingerprint("8", state) != before
