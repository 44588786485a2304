"""Tolerant reading of ActiveCampaign's JSON (SPEC §4): pure functions, no I/O.

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
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

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
    except (TypeError, ValueError):
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


@dataclass(frozen=True, slots=True)
class RawContact:
    """The parts of a contact record the product reads, already normalised."""

    id: str
    email: str
    first_name: str | None
    last_name: str | None
    phone: str | None


def contact(raw: Mapping[str, Any]) -> RawContact:
    """A contact record (camelCase, as ``GET /contacts`` and ``contact/sync`` return it)."""
    return RawContact(*contact_values(raw))


ContactValues = tuple[str, str, str | None, str | None, str | None]


def contact_values(raw: Mapping[str, Any]) -> ContactValues:
    """:func:`contact` as a plain tuple (id, email, first name, last name, phone): what a
    million-member read keeps."""
    get = raw.get
    return (
        as_id(get("id")),
        normalise_email(get("email")),
        text(get("firstName")),
        text(get("lastName")),
        text(get("phone")),
    )


def normalise_perstag(raw: object) -> str:
    """ActiveCampaign stores perstags upper-cased without blanks (``Personalized Tag`` ->
    ``PERSONALIZEDTAG``), so a mapping key and a field compare in this form."""
    return "".join(str(raw or "").split()).upper()
