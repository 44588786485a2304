"""``POST /import/bulk_import`` and ``GET /import/info``: asynchronous bulk import.

Request checks, in order (each answers HTTP 400 with ``success: 0`` and nothing queued):

1. the body is JSON with a non-empty ``contacts`` array, under 400,000 bytes, at most 250
   contacts (``failureReasons`` as strings);
2. the per-minute limits (20 single-contact, 100 multi-contact requests a minute):
   ``"Rate limit exceeded."``; every request that gets this far counts, refused ones do not;
3. every contact's email (rules of the API reference §9): one invalid contact rejects the
   whole request, ``failureReasons`` = ``[{"contact": N, "failureReason": "..."}]`` with
   ``N`` the contact's **1-based** position in ``contacts`` (the only evidence, a
   third-party guide, says 1-based; the official page does not say;
   ``SandboxSettings.failure_base = 0`` counts from 0).

A queued batch answers 200 with JSON served as ``text/html; charset=UTF-8`` (as recorded).
It is processed ``bulk_delay`` seconds later (on the first request after that), in one
transaction. Per contact: ``first_name``, ``last_name``, ``phone``, ``customer_acct_name``
overwrite when present (``""`` blanks), omitted keys are kept; ``fields`` by numeric id
(unknown ids ignored); ``tags`` are names, created if missing, and only added;
``subscribe`` sets status 1 but a contact unsubscribed (2) or bounced (3) from one of those
lists, or naming a list that does not exist, fails as a whole (its email goes to
``failure``, nothing of it is written; ``SandboxSettings.bulk_resubscribes`` re-subscribes
them instead); ``unsubscribe`` sets status 2 where the contact is
on the list. ``import/info`` lists in ``success`` the ids of the contacts the batch
created (as the documentation says: "newly created contacts") and in ``failure`` the
emails that failed.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from engine.activecampaign.sandbox import ops

from .context import Sandbox
from .ratelimit import SlidingWindow
from .settings import SandboxSettings
from .web import BULK_CONTENT_TYPE, HttpError, Request, Response, Route, route

MAX_CONTACTS = 250
MAX_BYTES = 400_000
NOT_QUEUED = (
    "JSON payload did not pass validation. Please fix failure Reasons and retry. "
    "The import was not queued for processing."
)


class BulkLimits:
    """The per-minute windows of one sandbox account."""

    def __init__(self, sb: Sandbox) -> None:
        multi, single = sb.settings.bulk_multi_per_minute, sb.settings.bulk_single_per_minute
        self.multi = None if multi is None else SlidingWindow(multi, 60.0, sb.clock)
        self.single = None if single is None else SlidingWindow(single, 60.0, sb.clock)

    def refusal(self, count: int) -> str | None:
        window = self.single if count == 1 else self.multi
        if window is None or window.admit().allowed:
            return None
        if count == 1:
            return (
                "Up to 20 single-contact imports may be requested per minute.Please batch "
                "contacts into larger requests, or retry this request in a minute."
            )
        return (
            f"Up to {window.limit} imports may be requested per minute.Please batch contacts "
            "into larger requests, or retry this request in a minute."
        )


def _refuse(message: str, reasons: list[Any]) -> HttpError:
    body = {"success": 0, "message": message, "failureReasons": reasons}
    return HttpError(400, body, BULK_CONTENT_TYPE)


def _contacts(req: Request) -> list[Any]:
    if len(req.body) >= MAX_BYTES:
        raise _refuse(NOT_QUEUED, [f"The payload must be less than {MAX_BYTES} bytes."])
    try:
        payload = json.loads(req.body or b"null")
    except ValueError as exc:
        raise _refuse(NOT_QUEUED, [f"The payload is not valid JSON: {exc}"]) from exc
    contacts = payload.get("contacts") if isinstance(payload, dict) else None
    if not isinstance(contacts, list) or not contacts:
        raise _refuse(NOT_QUEUED, ["'contacts' is a required field."])
    if len(contacts) > MAX_CONTACTS:
        raise _refuse(NOT_QUEUED, [f"Up to {MAX_CONTACTS} contacts may be imported per request."])
    return contacts


def bulk_import(sb: Sandbox, req: Request, limits: BulkLimits) -> Response:
    contacts = _contacts(req)
    refusal = limits.refusal(len(contacts))
    if refusal:
        raise _refuse("Rate limit exceeded.", [refusal])
    reasons = []
    for index, contact in enumerate(contacts, start=sb.settings.failure_base):
        email = contact.get("email") if isinstance(contact, dict) else None
        problem = ops.email_problem(email)
        if problem:
            reasons.append({"contact": index, "failureReason": problem})
    if reasons:
        raise _refuse(NOT_QUEUED, reasons)
    batch_id = sb.new_batch_id()
    with sb.store.write() as conn:
        seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM batches").fetchone()[0]
        conn.execute(
            "INSERT INTO batches (id, seq, queued_at, payload) VALUES (?, ?, ?, ?)",
            (batch_id, seq, sb.clock(), json.dumps(contacts)),
        )
    body = {
        "success": 1,
        "queued_contacts": len(contacts),
        "batchId": batch_id,
        "message": "Contact import queued",
    }
    return Response(200, body, BULK_CONTENT_TYPE)


def import_info(sb: Sandbox, req: Request) -> Response:
    batch_id = req.query.get("batchId", "").strip()
    if not batch_id:
        raise HttpError(400, {"success": 0, "message": "'batchId' is a required field."})
    process_due(sb)
    with sb.store.read() as conn:
        row = conn.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
    if row is None:
        raise HttpError(404, {"message": f"No Result found for Batch with id {batch_id}"})
    if row["status"] == "completed":
        body = {
            "status": "completed",
            "success": json.loads(row["success"]),
            "failure": json.loads(row["failure"]),
        }
        return Response(200, body)
    elapsed = sb.clock() - float(row["queued_at"])
    status: str | bool = False if elapsed < sb.settings.bulk_delay / 2 else "active"
    return Response(200, {"status": status, "success": [], "failure": []})


def process_due(sb: Sandbox) -> None:
    """Process every batch whose delay has passed, oldest first (each in one transaction)."""
    due = sb.clock() - sb.settings.bulk_delay
    with sb.store.read() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM batches WHERE status = 'queued' AND queued_at <= ? ORDER BY seq",
                (due,),
            )
        ]
    for batch_id in ids:
        with sb.store.write() as conn:
            row = conn.execute(
                "SELECT payload FROM batches WHERE id = ? AND status = 'queued'", (batch_id,)
            ).fetchone()
            if row is None:  # another thread got there first
                continue
            success, failure = _process(conn, json.loads(row[0]), sb.clock(), sb.settings)
            conn.execute(
                "UPDATE batches SET status = 'completed', success = ?, failure = ? WHERE id = ?",
                (json.dumps(success), json.dumps(failure), batch_id),
            )


def _process(
    conn: sqlite3.Connection, contacts: list[Any], now: float, settings: SandboxSettings
) -> tuple[list[str], list[str]]:
    success: list[str] = []
    failure: list[str] = []
    bump = "status" in settings.udate_bumps
    moves = settings.resent_unsubscribe == "moved"
    for contact in contacts:
        email = str(contact["email"]).strip()
        subscribe = _list_ids(contact.get("subscribe"))
        if not _may_subscribe(conn, email, subscribe, settings.bulk_resubscribes):
            failure.append(email)
            continue
        contact_id, created = _write_contact(conn, email, contact, now, settings.udate_bumps)
        for list_id in subscribe:
            current = ops.membership(conn, contact_id, list_id)
            if current is None or int(current["status"]) != 1:
                ops.set_membership(conn, contact_id, list_id, 1, now, bump=bump)
        for list_id in _list_ids(contact.get("unsubscribe")):
            if ops.membership(conn, contact_id, list_id) is not None:
                ops.set_membership(conn, contact_id, list_id, 2, now, bump=bump, resent_moves=moves)
        if created:
            success.append(str(contact_id))
    return success, failure


def _list_ids(raw: object) -> list[int]:
    items = raw if isinstance(raw, list) else []
    ids = [str(i.get("listid", "")).strip() for i in items if isinstance(i, dict)]
    return [int(i) for i in ids if i.isdigit()]


def _may_subscribe(
    conn: sqlite3.Connection, email: str, list_ids: list[int], resubscribes: bool
) -> bool:
    """False when a list is missing, or the contact unsubscribed/bounced from one (the
    importer that ``resubscribes`` still refuses a bounced contact)."""
    existing = ops.contact_by_email(conn, email)
    for list_id in list_ids:
        if conn.execute("SELECT 1 FROM lists WHERE id = ?", (list_id,)).fetchone() is None:
            return False
        if existing is not None:
            current = ops.membership(conn, int(existing["id"]), list_id)
            refused = (3,) if resubscribes else (2, 3)  # bounced stays bounced
            if current is not None and int(current["status"]) in refused:
                return False
    return True


def _write_contact(
    conn: sqlite3.Connection,
    email: str,
    contact: dict[str, Any],
    now: float,
    bumps: tuple[str, ...],
) -> tuple[int, bool]:
    keys = {"first_name": "first_name", "last_name": "last_name", "phone": "phone"}
    keys["customer_acct_name"] = "orgname"
    values = {col: str(contact[k] or "") for k, col in keys.items() if k in contact}
    contact_id, created = ops.upsert_contact(conn, email, values, now)
    raw = contact.get("fields")
    fields: list[Any] = raw if isinstance(raw, list) else []
    pairs = [
        (int(str(f["id"])), str(f.get("value") or ""))
        for f in fields
        if isinstance(f, dict) and str(f.get("id", "")).isdigit()
    ]
    changed = bool(ops.set_field_values(conn, contact_id, pairs, now)) and "field" in bumps
    for name in contact.get("tags") or []:
        if isinstance(name, str) and name.strip():
            ops.add_tag(conn, contact_id, ops.tag_id_by_name(conn, name.strip(), now), now)
            changed = changed or "tag" in bumps
    if changed:
        ops.touch(conn, contact_id, now)
    return contact_id, created


def routes(limits: BulkLimits) -> tuple[Route, ...]:
    def post(sb: Sandbox, req: Request) -> Response:
        return bulk_import(sb, req, limits)

    return (
        route("POST", "/import/bulk_import", post),
        route("GET", "/import/info", import_info),
    )
