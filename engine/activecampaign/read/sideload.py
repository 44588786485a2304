"""Custom field values with the contact pages (``include=fieldValues``), once verified.

``GET /contacts?...&include=fieldValues`` is undocumented but used in production: the page
then carries a top-level ``fieldValues`` array for its contacts, so a list's values cost
no requests of their own (about 1 request per 100 members instead of ~3). Whether it is
*complete* on a given account is UNCERTAIN (API reference §12), so it is verified there
first: the values it gave a sample of contacts are compared with
``GET /contacts/{id}/fieldValues`` (documented) for those contacts. The verdict is kept
with the account's state; the reader uses the side-loaded values only once it is
:data:`VERIFIED`, and falls back to the documented ways on a disagreement or a time-out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine.activecampaign import wire
from engine.activecampaign.client import Client

from .members import Columns, Lookups

OFF = "off"  # not asked for (a caller that wants the documented ways only)
UNKNOWN = "unknown"
VERIFIED = "verified"
DISAGREES = "disagrees"
TIMED_OUT = "timed out"

SAMPLE = 5
"""Contacts whose side-loaded values are checked against the documented endpoint."""


def usable(verdict: str) -> bool:
    """Whether to ask for side-loaded values (still to be verified when UNKNOWN)."""
    return verdict in (UNKNOWN, VERIFIED)


def sample(columns: Columns, ids: Sequence[str], size: int = SAMPLE) -> list[str]:
    """Contacts to check: those with side-loaded values first (the first ``size`` found),
    then any."""
    with_values: list[str] = []
    for cid in ids:
        if any(column.get(cid) is not None for column in columns.values()):
            with_values.append(cid)
            if len(with_values) == size:
                return with_values
    rest = [cid for cid in ids[: size * 2] if cid not in with_values]
    return (with_values + rest)[:size]


def verify(client: Client, lookups: Lookups, columns: Columns, ids: Sequence[str]) -> str:
    """VERIFIED when every sampled contact's side-loaded mapped values equal what
    ``GET /contacts/{id}/fieldValues`` says and at least one of them has a value (agreeing
    on nothing proves nothing); DISAGREES when one differs; UNKNOWN otherwise."""
    chosen = sample(columns, ids)
    perstag_of = lookups.perstag_of
    seen_value = False
    for cid in chosen:
        page = client.get_as(
            f"contacts/{cid}/fieldValues", wire.field_values, kind="contact_field_values"
        )
        documented = {
            perstag_of[field]: value for _, field, value in page.items if field in perstag_of
        }
        sideloaded = {p: column.get(cid) for p, column in columns.items()}
        if _mapped(documented) != _mapped(sideloaded):
            return DISAGREES
        seen_value = seen_value or bool(_mapped(documented))
    return VERIFIED if seen_value else UNKNOWN


def _mapped(values: Mapping[str, str | None]) -> dict[str, str]:
    """Values as compared: a missing value and an empty one are the same (unknown)."""
    return {k: v for k, v in values.items() if v is not None}


def note(verdict: str) -> str | None:
    """What a plan says about a verdict that made the reader fall back."""
    if verdict == DISAGREES:
        return (
            "include=fieldValues disagreed with GET /contacts/{id}/fieldValues on this "
            "account: custom field values are read the documented way"
        )
    if verdict == TIMED_OUT:
        return (
            "include=fieldValues timed out on this account: custom field values are read "
            "the documented way"
        )
    return None
