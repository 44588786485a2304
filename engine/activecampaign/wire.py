"""ActiveCampaign's JSON on the wire: tolerant parsing and fast page decoding (SPEC §4).

Pure functions, no I/O.

Tolerant parsing
----------------

What real responses do, and what these helpers absorb:

- ids and ``meta.total`` arrive as strings (``"id": "115"``), some write responses as
  numbers (``"status": 1``): :func:`as_int` / :func:`as_id` accept both;
- the bulk-import answer is JSON served as ``text/html``: :func:`json_body` parses by
  content, not by ``Content-Type``; an HTML page (a wrong host) gives ``None``;
- ``success`` may be spelled ``Success``: :func:`success_flag`;
- unset values come back as ``""`` or ``null``: :func:`text` turns both into ``None``
  (empty is "unknown" on both sides; the product never distinguishes ``""`` from missing);
- there is no single error envelope (``{"message"}``, ``{"errors": [...]}``, bulk
  ``{"success", "message", "failureReasons"}``): :func:`error_message` reads all three.

Page decoding
-------------

The pages a list read fetches by the thousand are decoded into the few values it keeps.
A 1,000,000-member list with two custom fields is ~29,000 pages and ~2.8 GB of JSON: each
listed contact carries ~40 keys and 18 links the product never reads. Decoding all of it
into dicts (``json.loads``) was the largest single cost of reading such a list. Here the
two hot page shapes -- ``GET /contacts`` and ``GET /fieldValues`` -- are decoded by msgspec
against typed schemas naming only what is read; everything else is skipped without being
built (0.12 ms instead of 0.73 ms for a page of 100 contacts, measured in the commit).

Tolerance is unchanged: an answer the schemas do not fit (an id as an object, a junk entry
in the array, a ``meta`` that is not an object, JSON that msgspec refuses but Python's
``json`` accepts) is decoded again the generic way (:func:`json_value` and the helpers
above), so both ways give the same result for every input -- a property the tests check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import httpx
import msgspec

JSONObject = dict[str, Any]


def json_body(response: httpx.Response) -> Any:
    """The body parsed as JSON whatever the Content-Type says; ``None`` if it is not JSON."""
    return json_value(response.content)


def json_value(raw: bytes) -> Any:
    """``raw`` parsed as JSON; ``None`` when it is empty or not JSON."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def as_int(raw: object, default: int = 0) -> int:
    """``"12"``, ``12``, ``12.0`` -> 12; ``None``, ``""`` or garbage -> ``default``."""
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.isdigit():  # the common case: ids arrive as "115"
        return int(raw)
    try:
        return int(float(str(raw).strip()))
    except (TypeError, ValueError, OverflowError):  # "1e999", Infinity
        return default


def as_id(raw: object) -> str:
    """An id as a string without surrounding blanks (``106`` and ``"106"`` are the same)."""
    if isinstance(raw, str):  # the common case, first (a million times per large list)
        return raw.strip()
    return "" if raw is None else str(raw).strip()


def text(raw: object) -> str | None:
    """A stored value: ``None`` and ``""`` (after trimming) both mean unknown."""
    if isinstance(raw, str):  # the common case, first
        return raw.strip() or None
    if raw is None:
        return None
    value = str(raw).strip()
    return value or None


def normalise_email(raw: object) -> str:
    return "" if raw is None else str(raw).strip().lower()


def success_flag(body: object) -> bool:
    """Bulk answers say ``success`` or ``Success``, as ``1``, ``"1"`` or ``true``."""
    if not isinstance(body, Mapping):
        return False
    raw = body.get("success", body.get("Success"))
    return as_int(raw) > 0


def total(body: object) -> int | None:
    """``meta.total`` of a collection (a string in real responses), ``None`` when absent."""
    if not isinstance(body, Mapping):
        return None
    meta = body.get("meta")
    if not isinstance(meta, Mapping) or "total" not in meta:
        return None
    return as_int(meta["total"], default=-1) if meta["total"] is not None else None


def items(body: object, key: str) -> list[JSONObject]:
    """The objects of a collection answer (``{"contacts": [...]}``); junk entries dropped."""
    if not isinstance(body, Mapping):
        return []
    raw = body.get(key)
    if not isinstance(raw, list):
        return []
    return [entry for entry in raw if isinstance(entry, dict)]


def error_message(body: object) -> str:
    """The human text of any of ActiveCampaign's error envelopes ('' when there is none)."""
    if isinstance(body, Mapping):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            parts = []
            for err in errors:
                if isinstance(err, Mapping):
                    title, detail = text(err.get("title")), text(err.get("detail"))
                    parts.append(": ".join(p for p in (title, detail) if p))
                else:
                    parts.append(str(err))
            return "; ".join(p for p in parts if p)
        message = text(body.get("message"))
        reasons = body.get("failureReasons")
        if isinstance(reasons, list) and all(isinstance(r, str) for r in reasons):
            return " ".join(p for p in [message or "", *map(str, reasons)] if p)
        return message or ""
    if isinstance(body, str):
        return body.strip()[:200]
    return ""


def is_bulk_rate_limited(body: object) -> bool:
    """The bulk importer's own limit answer: HTTP 400 ``"message": "Rate limit exceeded."``."""
    if not isinstance(body, Mapping) or success_flag(body):
        return False
    return "rate limit" in str(body.get("message", "")).lower()


ContactValues = tuple[str, str, str | None, str | None, str | None, str | None]
"""A contact as read: id, email, first name, last name, phone, ``udate`` (as sent)."""


def contact_values(raw: Mapping[str, Any]) -> ContactValues:
    """A contact record (camelCase, as ``GET /contacts`` and ``contact/sync`` return it) as
    a plain tuple (id, email, first name, last name, phone, udate): what a million-member
    read keeps."""
    get = raw.get
    return (
        as_id(get("id")),
        normalise_email(get("email")),
        text(get("firstName")),
        text(get("lastName")),
        text(get("phone")),
        text(get("udate")),
    )


def instant(raw: object) -> float | None:
    """An ActiveCampaign date (``2026-11-30T10:00:00-05:00``: ISO 8601 with the account's
    offset; naive ones taken as UTC) as epoch seconds; None when absent or unreadable."""
    value = text(raw)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def normalise_perstag(raw: object) -> str:
    """ActiveCampaign stores perstags upper-cased without blanks (``Personalized Tag`` ->
    ``PERSONALIZEDTAG``), so a mapping key and a field compare in this form."""
    return "".join(str(raw or "").split()).upper()


# ----------------------------------------------------------------------------- page decoding

T = TypeVar("T")

Scalar = str | int | float | bool | None


FieldValueRow = tuple[str, str, str | None]
"""A custom field value as read: contact id, field id, value (``None`` when unset)."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a collection: its entries, and ``meta.total`` (None when absent).

    A contacts page asked with ``include=fieldValues`` also carries the side-loaded values
    of its contacts (``field_values``; None when the answer had no such array).
    """

    items: list[T]
    total: int | None
    field_values: list[FieldValueRow] | None = None


class _Meta(msgspec.Struct):
    total: Scalar = None


class _Contact(msgspec.Struct):
    id: Scalar = None
    email: Scalar = None
    firstName: Scalar = None
    lastName: Scalar = None
    phone: Scalar = None
    udate: Scalar = None


class _FieldValue(msgspec.Struct):
    contact: Scalar = None
    field: Scalar = None
    value: Scalar = None


class _Contacts(msgspec.Struct):
    contacts: list[_Contact] | None = None
    fieldValues: list[_FieldValue] | None = None
    meta: _Meta | None = None


class _FieldValues(msgspec.Struct):
    fieldValues: list[_FieldValue] | None = None
    meta: _Meta | None = None


_CONTACTS = msgspec.json.Decoder(_Contacts)
_FIELD_VALUES = msgspec.json.Decoder(_FieldValues)
_UNFIT = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)


def contacts(raw: bytes) -> Page[ContactValues]:
    """A ``GET /contacts`` page as (id, email, first name, last name, phone, udate) tuples,
    normalised as :func:`contact_values` does, with side-loaded field values if any."""
    try:
        body = _CONTACTS.decode(raw)
    except _UNFIT:
        return _generic_contacts(raw)
    rows = [
        (
            as_id(c.id),
            normalise_email(c.email),
            text(c.firstName),
            text(c.lastName),
            text(c.phone),
            text(c.udate),
        )
        for c in body.contacts or ()
    ]
    side = body.fieldValues
    values = None if side is None else [_field_value_row(v) for v in side]
    return Page(rows, _total(body.meta), values)


def field_values(raw: bytes) -> Page[FieldValueRow]:
    """A ``GET /fieldValues`` (or ``/contacts/{id}/fieldValues``) page as (contact id,
    field id, value) tuples."""
    try:
        body = _FIELD_VALUES.decode(raw)
    except _UNFIT:
        return _generic(raw, "fieldValues", _field_value)
    rows = [_field_value_row(v) for v in body.fieldValues or ()]
    return Page(rows, _total(body.meta))


def _field_value_row(v: _FieldValue) -> FieldValueRow:
    return as_id(v.contact), as_id(v.field), text(v.value)


def objects(key: str) -> Callable[[bytes], Page[JSONObject]]:
    """A decoder for any other collection (``fields``, ``tags``): its objects as dicts."""

    def decode(raw: bytes) -> Page[JSONObject]:
        return _generic(raw, key, lambda entry: entry)

    return decode


def _generic(raw: bytes, key: str, row: Callable[[JSONObject], T]) -> Page[T]:
    body = json_value(raw)
    return Page([row(entry) for entry in items(body, key)], total(body))


def _generic_contacts(raw: bytes) -> Page[ContactValues]:
    body = json_value(raw)
    rows = [contact_values(entry) for entry in items(body, "contacts")]
    side = body.get("fieldValues") if isinstance(body, Mapping) else None
    values = [_field_value(v) for v in items(body, "fieldValues")] if side is not None else None
    return Page(rows, total(body), values)


def _total(meta: _Meta | None) -> int | None:
    """As :func:`total`: ``None`` when absent or null."""
    if meta is None or meta.total is None:
        return None
    return as_int(meta.total, default=-1)


def _field_value(raw: JSONObject) -> FieldValueRow:
    return (
        as_id(raw.get("contact")),
        as_id(raw.get("field")),
        text(raw.get("value")),
    )
