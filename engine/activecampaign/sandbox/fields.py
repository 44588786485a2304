"""``/fields`` (custom fields), ``/fieldRels`` (a field's lists) and ``/fieldValues``.

``POST /fieldRels`` is stored and answered as recorded, but visibility is not modelled (a
value can be written for any field). ``POST /fieldValues`` writes one value (201, as
recorded); it moves the contact's ``udate`` unless ``SandboxSettings.udate_bumps`` leaves
out ``"field"``.
"""

from __future__ import annotations

from typing import Any

from engine.activecampaign.sandbox import encode, ops, render

from .context import Sandbox
from .store import normalise_perstag
from .web import HttpError, Request, Response, Route, invalid, not_found, page_bounds, route

FIELD_KEYS = ("title", "type", "descript", "isrequired", "perstag", "defval", "visible")


def get_fields(sb: Sandbox, req: Request) -> Response:
    limit, offset = page_bounds(req.query, default=100)
    perstag = req.query.get("filters[perstag]")
    where, args = ("WHERE perstag = ?", [normalise_perstag(perstag)]) if perstag else ("", [])
    with sb.store.read() as conn:
        total = conn.execute(f"SELECT count(*) FROM fields {where}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT * FROM fields {where} ORDER BY id LIMIT ? OFFSET ?", [*args, limit, offset]
        ).fetchall()
    body = {
        "fieldOptions": [],
        "fieldRels": [],
        "fields": [render.field(r, req.base) for r in rows],
        "meta": {"total": str(total), "selected": None},
    }
    return Response(200, body)


def create_field(sb: Sandbox, req: Request) -> Response:
    """Create a custom field; the perstag is normalised (``"My Tag"`` -> ``"MYTAG"``).

    A perstag already in use answers 422 ``duplicate`` (perstags are unique).
    """
    payload = req.json()
    data = payload.get("field") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or not str(data.get("title") or "").strip():
        raise invalid(
            "Field title was not provided.", "/data/attributes/title", code="field_missing"
        )
    values = {k: str(data[k]) for k in FIELD_KEYS if data.get(k) is not None}
    values["perstag"] = normalise_perstag(values.get("perstag") or values["title"])
    ordernum = (
        int(str(data.get("ordernum") or 1)) if str(data.get("ordernum") or 1).isdigit() else 1
    )
    now = sb.clock()
    with sb.store.write() as conn:
        taken = conn.execute("SELECT 1 FROM fields WHERE perstag = ?", (values["perstag"],))
        if taken.fetchone() is not None:
            raise invalid(
                "Personalization tag already exists.", "/data/attributes/perstag", code="duplicate"
            )
        columns = [*values, "ordernum", "cdate", "udate"]
        cur = conn.execute(
            f"INSERT INTO fields ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            (*values.values(), ordernum, now, now),
        )
    field_id = int(cur.lastrowid or 0)
    record: dict[str, Any] = dict(values)
    record.update(created_by="1", updated_by="1", cdate=render.iso(now), udate=render.iso(now))
    record.update(ordernum=ordernum, links=render.field_links(req.base, field_id), id=str(field_id))
    return Response(201, {"field": record})


def get_field_values(sb: Sandbox, req: Request) -> Response:
    limit, offset = page_bounds(req.query)
    where, args = ["1 = 1"], list[Any]()
    if field_id := req.query.get("filters[fieldid]", "").strip():
        where.append("field_id = ?")
        args.append(int(field_id) if field_id.isdigit() else -1)
    if "filters[val]" in req.query:
        where.append("value = ?")
        args.append(req.query["filters[val]"])
    clause = " AND ".join(where)
    with sb.store.read() as conn:
        total = sb.count(conn, f"SELECT count(*) FROM field_values WHERE {clause}", args)
        key = ("fieldValues", clause, *args, offset)
        after = sb.offset_cursor(conn, key) if offset else None
        if after is None:
            sql = f"SELECT * FROM field_values WHERE {clause} ORDER BY id LIMIT ? OFFSET ?"
            rows = conn.execute(sql, [*args, limit, offset]).fetchall()
        else:
            sql = f"SELECT * FROM field_values WHERE {clause} AND id > ? ORDER BY id LIMIT ?"
            rows = conn.execute(sql, [*args, after, limit]).fetchall()
        if rows:
            next_key = ("fieldValues", clause, *args, offset + len(rows))
            sb.remember_cursor(conn, next_key, int(rows[-1]["id"]))
    values = encode.array([encode.field_value(r, req.base) for r in rows])
    members = [("fieldValues", None), ("meta", {"total": str(total)})]
    return Response(200, encode.obj(members, {"fieldValues": values}))


def _ids(req: Request, wrapper: str, *keys: str) -> dict[str, int]:
    payload = req.json()
    data = payload.get(wrapper) if isinstance(payload, dict) else None
    data = data if isinstance(data, dict) else {}
    ids = {k: str(data.get(k, "")).strip() for k in keys}
    missing = [k for k, v in ids.items() if not v.isdigit()]
    if missing:
        error = {"title": f"The {wrapper}.{missing[0]} was not provided", "detail": ""}
        raise HttpError(400, {"errors": [error]})
    return {k: int(v) for k, v in ids.items()}


def create_field_rel(sb: Sandbox, req: Request) -> Response:
    ids = _ids(req, "fieldRel", "field", "relid")
    now = sb.clock()
    with sb.store.write() as conn:
        if conn.execute("SELECT 1 FROM fields WHERE id = ?", (ids["field"],)).fetchone() is None:
            raise not_found("Field", ids["field"])
        cur = conn.execute(
            "INSERT INTO field_rels (field_id, relid, cdate) VALUES (?, ?, ?)",
            (ids["field"], ids["relid"], now),
        )
    record: dict[str, Any] = {
        "relid": str(ids["relid"]),
        "field": str(ids["field"]),
        "cdate": render.iso(now),
        "links": [],
        "id": str(cur.lastrowid),
    }
    return Response(201, {"fieldRel": record})


def create_field_value(sb: Sandbox, req: Request) -> Response:
    ids = _ids(req, "fieldValue", "contact", "field")
    payload = req.json()
    value = str(payload["fieldValue"].get("value") or "")
    now = sb.clock()
    with sb.store.write() as conn:
        if ops.contact_by_id(conn, ids["contact"]) is None:
            raise not_found("Subscriber", ids["contact"])
        if conn.execute("SELECT 1 FROM fields WHERE id = ?", (ids["field"],)).fetchone() is None:
            raise not_found("Field", ids["field"])
        written = ops.set_field_values(conn, ids["contact"], [(ids["field"], value)], now)
        if "field" in sb.settings.udate_bumps:
            ops.touch(conn, ids["contact"], now)
        row = conn.execute("SELECT * FROM field_values WHERE id = ?", (written[0],)).fetchone()
        contact = ops.contact_by_id(conn, ids["contact"])
        assert contact is not None
    body = {
        "contacts": [render.contact_sideloaded(contact, req.base)],
        "fieldValue": render.field_value(row, req.base),
    }
    return Response(201, body)


ROUTES: tuple[Route, ...] = (
    route("GET", "/fields", get_fields),
    route("POST", "/fields", create_field),
    route("POST", "/fieldRels", create_field_rel),
    route("GET", "/fieldValues", get_field_values),
    route("POST", "/fieldValues", create_field_value),
)
