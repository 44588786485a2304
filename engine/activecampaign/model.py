"""What apply asks the client to write, and what the client reports back.

A :class:`ContactWrite` is one contact's minimal change on one list, in the product's
terms (plan field names, not ActiveCampaign's JSON keys). The client turns a batch of them
into bulk imports (and, where bulk import cannot do it, per-contact requests), follows
them to the end, and answers with a :class:`WriteReport` that says per contact whether it
was applied or rejected and why. Nothing is reported applied that was not confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

STANDARD_FIELDS = ("first_name", "last_name", "phone")
FIELD_PREFIX = "fields."


class Membership(Enum):
    """What to do with the contact's subscription to the list."""

    KEEP = "keep"  # update values only
    SUBSCRIBE = "subscribe"  # add: new contact, or existing contact not on the list
    RESUBSCRIBE = "resubscribe"  # add back someone the product itself removed (marker tag)
    UNSUBSCRIBE = "unsubscribe"  # mirror remove: status 2, plus the removal marker tag


@dataclass(frozen=True, slots=True)
class ContactWrite:
    """One contact's change on one list.

    ``values`` maps plan field names (``first_name``, ``last_name``, ``phone``,
    ``fields.PERSTAG``) to the value to store; ``""`` blanks a value (only sent when the
    export sets ``clear_nulls``). Keys not present are left as they are in ActiveCampaign.
    ``tags`` are tag names to add; the product never removes a user's tags (only its own
    removal marker, on RESUBSCRIBE).
    """

    email: str
    values: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    membership: Membership = Membership.KEEP

    @property
    def standard_values(self) -> dict[str, str]:
        """``first_name``, ``last_name`` and ``phone`` from ``values``, in their order."""
        return {k: v for k, v in self.values.items() if k in STANDARD_FIELDS}

    @property
    def custom_values(self) -> dict[str, str]:
        """``{PERSTAG: value}`` of the ``fields.PERSTAG`` keys of ``values``, in their order."""
        return {
            k.removeprefix(FIELD_PREFIX): v
            for k, v in self.values.items()
            if k.startswith(FIELD_PREFIX)
        }


@dataclass(frozen=True, slots=True)
class Rejection:
    """A contact ActiveCampaign refused, with its reason (as ActiveCampaign gave it)."""

    email: str
    reason: str


@dataclass(frozen=True, slots=True)
class WriteReport:
    """The outcome of writing a batch of ContactWrites to one list.

    ``applied`` holds emails confirmed done; ``rejected`` those refused with a reason;
    ``unknown`` those whose fate could not be confirmed (e.g. a bulk batch that did not
    finish before its deadline): never counted as applied. ``requests`` counts HTTP
    requests by kind (``bulk_import``, ``import_info``, ``contact_sync``, ...).
    """

    applied: tuple[str, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    unknown: tuple[Rejection, ...] = ()
    requests: Mapping[str, int] = field(default_factory=dict)
    retries: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.unknown
