"""``/lists``: read and create mailing lists."""

from __future__ import annotations

import sqlite3
from typing import Any

from engine.activecampaign.sandbox import render

from .context import Sandbox
from .web import Request, Response, invalid, not_found, page_bounds, route

WRITABLE = ("name", "stringid", "sender_url", "sender_reminder")


def list_record(row: sqlite3.Row, base: str) -> dict[str, Any]:
    """The full list record of ``GET /lists/{id}`` (every value a string or null)."""
    record: dict[str, Any] = {"stringid": row["stringid"], "userid": "0", "name": row["name"]}
    record["cdate"] = render.iso(row["cdate"])
    record.update(
        dict.fromkeys(("p_use_tracking", "p_embed_image", "p_use_captcha", "optinoptout"), "1")
    )
    for key in (
        "p_use_analytics_read",
        "p_use_analytics_link",
        "p_use_twitter",
        "p_use_facebook",
        "send_last_broadcast",
        "private",
        "require_name",
        "get_unsubscribe_reason",
        "optinmessageid",
        "optoutconf",
    ):
        record[key] = "0"
    for key in ("analytics_domains", "facebook_session", "carboncopy", "fulladdress"):
        record[key] = None
    for key in ("subscription_notify", "unsubscription_notify", "deletestamp"):
        record[key] = None
    for key in ("analytics_source", "analytics_ua", "twitter_token", "twitter_token_secret"):
        record[key] = ""
    record["to_name"] = "Subscriber"
    for key in ("name", "addr1", "addr2", "city", "state", "zip", "country", "phone"):
        record[f"sender_{key}"] = ""
    record["sender_url"] = row["sender_url"]
    record["sender_reminder"] = row["sender_reminder"]
    record.update(
        udate=render.iso(row["udate"]),
        created_timestamp=render.stamp(row["cdate"]),
        updated_timestamp=render.stamp(row["udate"]),
        created_by=None,
        updated_by=None,
        links=render.list_links(base, int(row["id"])),
        id=str(row["id"]),
        user=None,
    )
    return record


def get_lists(sb: Sandbox, req: Request) -> Response:
    limit, offset = page_bounds(req.query)
    name = req.query.get("filters[name]")
    where, args = ("WHERE name = ?", [name]) if name else ("", [])
    with sb.store.read() as conn:
        total = conn.execute(f"SELECT count(*) FROM lists {where}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT * FROM lists {where} ORDER BY id LIMIT ? OFFSET ?", [*args, limit, offset]
        ).fetchall()
    body = {"lists": [list_record(r, req.base) for r in rows], "meta": {"total": str(total)}}
    return Response(200, body)


def get_list(sb: Sandbox, req: Request, id: int) -> Response:
    with sb.store.read() as conn:
        row = conn.execute("SELECT * FROM lists WHERE id = ?", (id,)).fetchone()
    if row is None:
        raise not_found("_List", id)
    return Response(200, {"list": list_record(row, req.base)})


def create_list(sb: Sandbox, req: Request) -> Response:
    payload = req.json()
    data = payload.get("list") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or not str(data.get("name") or "").strip():
        raise invalid("List name was not provided.", "/data/attributes/name", code="field_missing")
    values = {k: str(data.get(k) or "") for k in WRITABLE}
    now = sb.clock()
    with sb.store.write() as conn:
        cur = conn.execute(
            "INSERT INTO lists (name, stringid, sender_url, sender_reminder, cdate, udate)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (*values.values(), now, now),
        )
    list_id = int(cur.lastrowid or 0)
    record: dict[str, Any] = {k: values[k] for k in WRITABLE if k in data}
    record.update(
        cdate=render.iso(now),
        udate=render.iso(now),
        links=render.list_links(req.base, list_id),
        id=str(list_id),
    )
    return Response(201, {"list": record})


ROUTES = (
    route("GET", "/lists", get_lists),
    route("GET", "/lists/{id}", get_list),
    route("POST", "/lists", create_list),
)
