"""Per-contact writes: ``POST /contact/sync``, ``POST /contactLists``, contact tags.

- ``contact/sync`` matches the email case-insensitively; new email -> 201 with the short
  contact, existing -> 200 with the full record. Keys sent overwrite (``""`` blanks), keys
  omitted are kept. ``fieldValues[].field`` is the numeric field id; unknown ids are ignored.
- ``contactLists``: status 1 subscribes, also re-subscribing an unsubscribed contact (the
  real API allows it and warns about it); 2 unsubscribes; 0 and 3 are stored as given.
  ``sourceid`` is accepted and stored.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from engine.activecampaign.sandbox import ops, render

from .contacts import detail_body
from .context import Sandbox
from .web import HttpError, Request, Response, Route, not_found, route

SYNC_KEYS = {"firstName": "first_name", "lastName": "last_name", "phone": "phone"}


def _wrapped(req: Request, key: str) -> dict[str, Any]:
    payload = req.json()
    data = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise HttpError(400, {"errors": [{"title": f"The {key} was not provided", "detail": ""}]})
    return data


def sync_contact(sb: Sandbox, req: Request) -> Response:
    data = _wrapped(req, "contact")
    email = data.get("email")
    if not isinstance(email, str) or not email.strip():
        detail = "Contact email must be provided for sync"
        raise HttpError(
            400, {"errors": [{"status": 400, "title": "Bad Request", "detail": detail}]}
        )
    if ops.email_problem(email):
        error = {
            "title": "Contact Email Address is not valid.",
            "detail": "",
            "code": "email_invalid",
            "error": "must_be_valid_email_address",
            "source": {"pointer": "/data/attributes/email"},
        }
        raise HttpError(422, {"errors": [error]})
    values = {col: str(data[key] or "") for key, col in SYNC_KEYS.items() if key in data}
    field_values = _field_values(data.get("fieldValues"))
    now = sb.clock()
    with sb.store.write() as conn:
        contact_id, created = ops.upsert_contact(conn, email, values, now)
        written = ops.set_field_values(conn, contact_id, field_values, now)
        if written and "field" in sb.settings.udate_bumps:
            ops.touch(conn, contact_id, now)
        contact = ops.contact_by_id(conn, contact_id)
        assert contact is not None
        body = _sync_body(conn, contact, created, written, req.base)
    return Response(201 if created else 200, body)


def _field_values(raw: object) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and str(item.get("field", "")).strip().isdigit():
            out.append((int(str(item["field"]).strip()), str(item.get("value") or "")))
    return out


def _sync_body(
    conn: sqlite3.Connection, contact: sqlite3.Row, created: bool, written: list[int], base: str
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if written:
        marks = ",".join("?" * len(written))
        rows = conn.execute(f"SELECT * FROM field_values WHERE id IN ({marks})", written)
        body["fieldValues"] = [render.field_value(r, base) for r in rows]
    if created:
        body["contact"] = render.contact_created(contact, base)
    else:
        body["contact"] = detail_body(conn, contact, base)["contact"]
    return body


def _ident(data: dict[str, Any], key: str, wrapper: str = "contactList") -> int:
    """An id in a write body, or the real API's 400 naming ``wrapper.key``."""
    value = str(data.get(key, "")).strip()
    if not value.isdigit():
        error = {
            "title": f"Invalid value for query parameter {wrapper}.{key}",
            "detail": f"No {key} id provided",
            "source": {"parameter": f"{wrapper}.{key}"},
        }
        raise HttpError(400, {"errors": [error]})
    return int(value)


def update_list_status(sb: Sandbox, req: Request) -> Response:
    data = _wrapped(req, "contactList")
    list_id, contact_id = _ident(data, "list"), _ident(data, "contact")
    status_text = str(data.get("status", "")).strip()
    status = int(status_text) if status_text.lstrip("-").isdigit() else 0
    sourceid_text = str(data.get("sourceid", "0")).strip()
    sourceid = int(sourceid_text) if sourceid_text.isdigit() else 0
    now = sb.clock()
    with sb.store.write() as conn:
        contact = ops.contact_by_id(conn, contact_id)
        if contact is None:
            raise not_found("Subscriber", contact_id)
        if conn.execute("SELECT 1 FROM lists WHERE id = ?", (list_id,)).fetchone() is None:
            raise not_found("_List", list_id)
        row = ops.set_membership(
            conn,
            contact_id,
            list_id,
            status,
            now,
            sourceid=sourceid,
            bump="status" in sb.settings.udate_bumps,
            resent_moves=sb.settings.resent_unsubscribe == "moved",
        )
        contact = ops.contact_by_id(conn, contact_id)
        assert contact is not None
    body = {
        "contacts": [render.contact_sideloaded(contact, req.base)],
        "contactList": render.contact_list_written(row, contact, req.base),
    }
    return Response(201, body)


def add_contact_tag(sb: Sandbox, req: Request) -> Response:
    data = _wrapped(req, "contactTag")
    # the real API names a missing tag first
    ids = {key: _ident(data, key, "contactTag") for key in ("tag", "contact")}
    now = sb.clock()
    with sb.store.write() as conn:
        if ops.contact_by_id(conn, ids["contact"]) is None:
            detail = {"status": 404, "title": "Not Found", "detail": "Contact not found"}
            raise HttpError(404, {"errors": [detail]})
        if conn.execute("SELECT 1 FROM tags WHERE id = ?", (ids["tag"],)).fetchone() is None:
            raise HttpError(
                404, {"errors": [{"status": 404, "title": "Not Found", "detail": "Tag not found"}]}
            )
        row = ops.add_tag(conn, ids["contact"], ids["tag"], now)
        if "tag" in sb.settings.udate_bumps:
            ops.touch(conn, ids["contact"], now)
        contact = ops.contact_by_id(conn, ids["contact"])
        assert contact is not None
    body = {
        "contacts": [render.contact_sideloaded(contact, req.base)],
        "contactTag": render.contact_tag(row, req.base, full=False),
    }
    return Response(201, body)


def remove_contact_tag(sb: Sandbox, req: Request, id: int) -> Response:
    now = sb.clock()
    with sb.store.write() as conn:
        row = conn.execute("SELECT contact_id FROM contact_tags WHERE id = ?", (id,)).fetchone()
        if row is None:
            raise not_found("SubscriberTag", id)
        conn.execute("DELETE FROM contact_tags WHERE id = ?", (id,))
        if "tag" in sb.settings.udate_bumps:
            ops.touch(conn, int(row[0]), now)
    return Response(200, {})


ROUTES: tuple[Route, ...] = (
    route("POST", "/contact/sync", sync_contact),
    route("POST", "/contactLists", update_list_status),
    route("POST", "/contactTags", add_contact_tag),
    route("DELETE", "/contactTags/{id}", remove_contact_tag),
)
