"""The product's own view of people: desired and current contacts, in comparable form.

Everything past the sources and the ActiveCampaign client speaks in these types.

- A :class:`Contact` is keyed by its *normalised email* (trimmed, lower-cased). Its values
  are in the form ActiveCampaign stores them (see ``engine.values``), so two contacts are
  equal exactly when a sync would change nothing. ``None`` means *unknown* (a NULL in the
  warehouse, or a field the export does not map), never "erase".
- :class:`DesiredState` is what the export's segments say the list should hold.
- :class:`CurrentState` is what the list holds now, read live, with a fingerprint that a
  saved plan uses to detect that the list changed since planning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from operator import attrgetter

STANDARD_FIELDS = ("first_name", "last_name", "phone")
"""The standard contact fields an export may map (besides ``email``), by their plan names."""

FIELD_PREFIX = "fields."
"""Plan names of custom fields: ``fields.<PERSTAG>``."""

FieldValues = tuple[tuple[str, str | None], ...]
"""Custom field values as ``(PERSTAG, value)`` pairs, sorted by perstag."""


@dataclass(frozen=True, slots=True)
class Contact:
    """One person: normalised email plus mapped values as ActiveCampaign stores them."""

    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    fields: FieldValues = ()
    tags: frozenset[str] = frozenset()

    def field(self, perstag: str) -> str | None:
        for tag, value in self.fields:
            if tag == perstag:
                return value
        return None

    @staticmethod
    def make_fields(values: Mapping[str, str | None]) -> FieldValues:
        return tuple(sorted(values.items()))


class ListStatus(Enum):
    """A contact's subscription status on one list. Only ACTIVE is subscribed."""

    UNCONFIRMED = 0
    ACTIVE = 1
    UNSUBSCRIBED = 2
    BOUNCED = 3
    OTHER = -1  # anything else ActiveCampaign may send (91 "removed", ...): not subscribed

    @classmethod
    def parse(cls, raw: object) -> ListStatus:
        """Tolerant: ``1``, ``"1"`` -> ACTIVE; unknown or empty values -> OTHER."""
        try:
            value = int(str(raw).strip())
        except ValueError:
            return cls.OTHER
        try:
            return cls(value)
        except ValueError:
            return cls.OTHER


@dataclass(frozen=True, slots=True)
class Member:
    """A contact as it is on the list now.

    ``removed_by_sync`` is True when the contact carries the product's removal marker for
    this list: the product itself unsubscribed them (mirror mode), so re-entering the
    segment adds them back. Without the marker an unsubscribed member unsubscribed
    themselves and is never re-subscribed.
    """

    contact: Contact
    status: ListStatus
    contact_id: str
    removed_by_sync: bool = False


@dataclass(frozen=True, slots=True)
class InvalidRow:
    """A source row that cannot be sent, with the reason."""

    segment: str
    row: int  # 1-based row number within the segment's result
    value: str | None  # the email as the source gave it (None: missing)
    reason: str
    key: str | None = None  # "customer_id=1042": the segment's key column and its value


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two rows for the same person disagree on a value; the first (in segment order) wins."""

    email: str
    field: str  # plan field name: first_name, last_name, phone, fields.PERSTAG
    kept: str | None
    kept_from: str  # "segment:row"
    dropped: str | None
    dropped_from: str


@dataclass(frozen=True, slots=True)
class DesiredState:
    """The union of an export's segments, mapped and de-duplicated."""

    contacts: Mapping[str, Contact]  # normalised email -> Contact, in first-seen order
    invalid: tuple[InvalidRow, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    rows_read: int = 0


@dataclass(frozen=True, slots=True)
class CurrentState:
    """The list's members as read live, with every status (not only active)."""

    list_id: str
    members: Mapping[str, Member]  # normalised email -> Member
    fingerprint: str = field(default="")

    @classmethod
    def of(cls, list_id: str, members: Iterable[Member]) -> CurrentState:
        by_email = {m.contact.email: m for m in members}
        return cls(list_id, by_email, fingerprint(list_id, by_email.values()))


def fingerprint(list_id: str, members: Iterable[Member]) -> str:
    """A stable digest of a list's state: changes whenever a member or a mapped value does.

    One line per member in email order, hashed a few thousand lines at a time (the same
    digest as line by line, with far fewer calls for a million members).
    """
    digest = hashlib.sha256(f"list:{list_id}\n".encode())
    lines: list[str] = []
    for m in sorted(members, key=_BY_EMAIL):
        c = m.contact
        fields = ";".join([f"{k}={v}" for k, v in c.fields])
        tags = ",".join(sorted(c.tags)) if c.tags else ""
        lines.append(
            f"{c.email}\t{m.status.value}\t{int(m.removed_by_sync)}\t{c.first_name}\t"
            f"{c.last_name}\t{c.phone}\t{fields}\t{tags}\n"
        )
        if len(lines) >= 4096:
            digest.update("".join(lines).encode())
            lines.clear()
    digest.update("".join(lines).encode())
    return digest.hexdigest()


_BY_EMAIL = attrgetter("contact.email")


def removal_marker(list_id: int | str) -> str:
    """The tag the product puts on a contact when *it* unsubscribes them from a list.

    It is how a later run tells "the product removed this person" (re-entering the segment
    adds them back) from "this person unsubscribed themselves" (never re-subscribed), with
    no local state that a CI runner would lose: the fact lives in ActiveCampaign itself.
    """
    return f"sync-removed-list-{list_id}"
