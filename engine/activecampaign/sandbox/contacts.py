"""``GET /contacts`` (list, filter, page) and a contact's related collections.

Decisions where ActiveCampaign's documentation is silent (see the API reference, §4):

- ``status`` with ``listid`` is evaluated against the list subscription (-1, the default,
  is any status; ``SandboxSettings.list_status = "ignored"`` ignores it); ``status`` without
  ``listid`` matches contacts that have a subscription
  with that status on any list.
- Without ``orders[id]`` contacts come in ascending id order (the documented default).
- ``meta.total`` is the size of the filtered collection: ``id_greater`` and ``id_less``
  filter it like the other filters (``SandboxSettings.total_counts_ids``: False ignores
  them), ``offset`` and ``limit`` do not. Counts are cached per data generation (bounded by
  ids, a bisection of the cached sorted ids), so paging a 1,000,000-member list does not
  count it again on every page.
- ``include=fieldValues,contactLists,contactTags`` side-loads those arrays at the top level
  (practitioner code relies on it; undocumented). ``SandboxSettings.sideload`` can make the
  ``fieldValues`` array absent, wrong or too slow, to rehearse the product's fallbacks.
- ``email_like`` keeps contacts whose email contains the value (case-insensitive).
- ``ids[]`` (repeated) keeps the contacts with those ids (the documented "Filter contacts by
  ID. Can be repeated for multiple IDs").
- ``filters[updated_after]`` keeps contacts whose ``udate`` is at or after the value, or,
  with ``SandboxSettings.updated_after = "day"``, read as a date (the documented
  ``format: date``): only contacts updated on a later UTC day than the value's.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from engine.activecampaign.sandbox import encode, render

from .context import Sandbox
from .faults import SlowAnswer
from .ops import contact_by_id
from .web import Request, Response, Route, int_param, not_found, page_bounds, route

SIDELOADS = {
    "fieldValues": "SELECT * FROM field_values WHERE contact_id IN ({ids}) ORDER BY id",
    "contactLists": "SELECT * FROM memberships WHERE contact_id IN ({ids}) ORDER BY id",
    "contactTags": "SELECT * FROM contact_tags WHERE contact_id IN ({ids}) ORDER BY id",
}


def _since(value: str, granularity: str) -> float | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if granularity == "day":  # "after this date": from the next day on
        day = parsed.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return day.timestamp() + 86_400
    return parsed.timestamp()


def _filters(sb: Sandbox, req: Request) -> tuple[str, str, list[Any]]:
    """``(join, where, args)`` for the filters of ``GET /contacts`` (paging excluded)."""
    query = req.query
    join, where, args = "", ["1 = 1"], list[Any]()
    status = int_param(query, "status", -1)
    list_id = int_param(query, "listid", 0)
    if list_id:
        join = "JOIN memberships m ON m.contact_id = c.id AND m.list_id = ?"
        args.append(list_id)
        if status != -1 and sb.settings.list_status == "list":
            join += " AND m.status = ?"
            args.append(status)
    elif status != -1:
        where.append(
            "EXISTS (SELECT 1 FROM memberships s WHERE s.contact_id = c.id AND s.status = ?)"
        )
        args.append(status)
    if query.get("email"):
        where.append("lower(c.email) = lower(?)")
        args.append(query["email"].strip())
    if query.get("email_like"):
        where.append("instr(lower(c.email), lower(?)) > 0")
        args.append(query["email_like"].strip())
    wanted = [int(v) for v in req.values("ids[]") + req.values("ids") if v.strip().isdigit()]
    if wanted:
        where.append(f"c.id IN ({', '.join('?' * len(wanted))})")
        args.extend(wanted)
    if tag_id := int_param(query, "tagid", 0):
        where.append(
            "EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.tag_id = ?)"
        )
        args.append(tag_id)
    since = _since(query.get("filters[updated_after]", ""), sb.settings.updated_after)
    if since is not None:
        where.append("c.udate >= ?")
        args.append(since)
    return join, " AND ".join(where), args


def _total(sb: Sandbox, conn: sqlite3.Connection, join: str, where: str, args: list[Any]) -> int:
    return sb.count(conn, f"SELECT count(*) FROM contacts c {join} WHERE {where}", args)


def get_contacts(sb: Sandbox, req: Request) -> Response:
    limit, offset = page_bounds(req.query)
    join, where, args = _filters(sb, req)
    page_where, page_args = where, list(args)
    id_greater = int_param(req.query, "id_greater", 0)
    id_less = int_param(req.query, "id_less", 0)
    if id_greater:
        page_where += " AND c.id > ?"
        page_args.append(id_greater)
    if id_less:
        page_where += " AND c.id < ?"
        page_args.append(id_less)
    direction = "DESC" if req.query.get("orders[id]", "ASC").upper() == "DESC" else "ASC"
    order = "m.contact_id" if join else "c.id"
    sql = (
        f"SELECT c.* FROM contacts c {join} WHERE {page_where}"
        f" ORDER BY {order} {direction} LIMIT ? OFFSET ?"
    )
    with sb.store.read() as conn:
        if sb.settings.total_counts_ids and (id_greater or id_less):
            ids = sb.ids(
                conn, f"SELECT c.id FROM contacts c {join} WHERE {where} ORDER BY c.id", args
            )
            upper = bisect_left(ids, id_less) if id_less else len(ids)
            total = max(0, upper - bisect_right(ids, id_greater))
        else:
            total = _total(sb, conn, join, where, args)
        rows = conn.execute(sql, [*page_args, limit, offset]).fetchall()
        sideloads = _sideloads(sb, conn, req, rows)
    contacts = encode.array([encode.contact_in_list(r, req.base) for r in rows])
    meta = {"total": str(total), "sortable": True, "page_input": _page_input(req, limit, offset)}
    members = [("scoreValues", []), ("contacts", None), *sideloads.items(), ("meta", meta)]
    return Response(200, encode.obj(members, {"contacts": contacts}))


def _sideloads(
    sb: Sandbox, conn: sqlite3.Connection, req: Request, rows: Sequence[sqlite3.Row]
) -> dict[str, Any]:
    wanted = [w.strip() for w in req.query.get("include", "").split(",") if w.strip()]
    ids = ",".join(str(int(r["id"])) for r in rows) or "0"
    by_id = {int(r["id"]): r for r in rows}
    out: dict[str, Any] = {}
    for name in wanted:
        kind = name.split(".")[0]
        sql = SIDELOADS.get(kind)
        if sql is None or (kind == "fieldValues" and sb.settings.sideload == "ignored"):
            continue
        if kind == "fieldValues" and sb.settings.sideload == "slow":
            raise SlowAnswer(req.path)
        found = conn.execute(sql.format(ids=ids)).fetchall()
        out[kind] = [_related(kind, r, by_id, req.base) for r in found]
        if kind == "fieldValues" and sb.settings.sideload == "stale":
            out[kind] = [{**v, "value": f"{v['value']} (stale)"} for v in out[kind]]
    return out


def _related(kind: str, row: sqlite3.Row, contacts: dict[int, sqlite3.Row], base: str) -> Any:
    if kind == "fieldValues":
        return render.field_value(row, base)
    if kind == "contactLists":
        return render.contact_list_read(row, contacts[int(row["contact_id"])], base)
    return render.contact_tag(row, base)


def _page_input(req: Request, limit: int, offset: int) -> dict[str, Any]:
    return {
        "segmentid": 0,
        "formid": 0,
        "listid": int_param(req.query, "listid", 0),
        "tagid": int_param(req.query, "tagid", 0),
        "limit": limit,
        "offset": offset,
        "search": req.query.get("search"),
        "sort": None,
        "seriesid": 0,
        "waitid": 0,
        "status": int_param(req.query, "status", -1),
        "forceQuery": 0,
        "cacheid": render.contact_hash(limit, repr(sorted(req.query.items()))),
    }


def related_ids(conn: sqlite3.Connection, contact_id: int) -> dict[str, list[sqlite3.Row]]:
    """A contact's memberships and field values (for ``GET /contacts/{id}``)."""
    return {
        "contactLists": conn.execute(
            "SELECT * FROM memberships WHERE contact_id = ? ORDER BY id", (contact_id,)
        ).fetchall(),
        "fieldValues": conn.execute(
            "SELECT * FROM field_values WHERE contact_id = ? ORDER BY id", (contact_id,)
        ).fetchall(),
    }


def detail_body(conn: sqlite3.Connection, contact: sqlite3.Row, base: str) -> dict[str, Any]:
    """``GET /contacts/{id}``: side-loaded collections, then the contact."""
    related = related_ids(conn, int(contact["id"]))
    lists = [render.contact_list_read(r, contact, base) for r in related["contactLists"]]
    values = [render.field_value(r, base) for r in related["fieldValues"]]
    ids = {k: [str(r["id"]) for r in rows] for k, rows in related.items()}
    return {
        "contactAutomations": [],
        "contactLists": lists,
        "deals": [],
        "fieldValues": values,
        "geoIps": [],
        "accountContacts": [],
        "contact": render.contact_detail(contact, base, ids),
    }


def _contact_or_404(conn: sqlite3.Connection, contact_id: int) -> sqlite3.Row:
    row = contact_by_id(conn, contact_id)
    if row is None:
        raise not_found("Subscriber", contact_id)
    return row


def get_contact(sb: Sandbox, req: Request, id: int) -> Response:
    with sb.store.read() as conn:
        return Response(200, detail_body(conn, _contact_or_404(conn, id), req.base))


def get_contact_lists(sb: Sandbox, req: Request, id: int) -> Response:
    with sb.store.read() as conn:
        contact = _contact_or_404(conn, id)
        rows = related_ids(conn, id)["contactLists"]
    return Response(
        200, {"contactLists": [render.contact_list_read(r, contact, req.base) for r in rows]}
    )


def get_contact_field_values(sb: Sandbox, req: Request, id: int) -> Response:
    with sb.store.read() as conn:
        _contact_or_404(conn, id)
        rows = related_ids(conn, id)["fieldValues"]
    return Response(200, {"fieldValues": [render.field_value(r, req.base) for r in rows]})


def get_contact_tags(sb: Sandbox, req: Request, id: int) -> Response:
    with sb.store.read() as conn:
        _contact_or_404(conn, id)
        rows = conn.execute(
            "SELECT * FROM contact_tags WHERE contact_id = ? ORDER BY id", (id,)
        ).fetchall()
    return Response(200, {"contactTags": [render.contact_tag(r, req.base) for r in rows]})


ROUTES: tuple[Route, ...] = (
    route("GET", "/contacts", get_contacts),
    route("GET", "/contacts/{id}", get_contact),
    route("GET", "/contacts/{id}/contactLists", get_contact_lists),
    route("GET", "/contacts/{id}/fieldValues", get_contact_field_values),
    route("GET", "/contacts/{id}/contactTags", get_contact_tags),
)
