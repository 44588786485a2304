"""``/tags``: list (``search`` = name contains, case-insensitive) and create."""

from __future__ import annotations

from engine.activecampaign.sandbox import render

from .context import Sandbox
from .web import Request, Response, Route, invalid, page_bounds, route


def get_tags(sb: Sandbox, req: Request) -> Response:
    limit, offset = page_bounds(req.query)
    search = req.query.get("search", "") or req.query.get("filters[search][eq]", "")
    exact = "filters[search][eq]" in req.query
    where = "WHERE lower(tag) = lower(?)" if exact else "WHERE instr(lower(tag), lower(?)) > 0"
    with sb.store.read() as conn:
        total = conn.execute(f"SELECT count(*) FROM tags {where}", (search,)).fetchone()[0]
        rows = conn.execute(
            f"SELECT t.*, (SELECT count(*) FROM contact_tags c WHERE c.tag_id = t.id) AS n"
            f" FROM tags t {where} ORDER BY id LIMIT ? OFFSET ?",
            (search, limit, offset),
        ).fetchall()
    body = {
        "tags": [render.tag(r, req.base, int(r["n"])) for r in rows],
        "meta": {"total": str(total)},
    }
    return Response(200, body)


def create_tag(sb: Sandbox, req: Request) -> Response:
    """Create a tag; a name already in use (case-insensitive) answers 422 ``duplicate``."""
    payload = req.json()
    data = payload.get("tag") if isinstance(payload, dict) else None
    name = str(data.get("tag") or "").strip() if isinstance(data, dict) else ""
    if not isinstance(data, dict) or not name:
        raise invalid("Tag name was not provided.", "/data/attributes/tag", code="field_missing")
    tag_type = str(data.get("tagType") or "contact")
    description = str(data.get("description") or "")
    now = sb.clock()
    with sb.store.write() as conn:
        taken = conn.execute("SELECT 1 FROM tags WHERE lower(tag) = lower(?)", (name,))
        if taken.fetchone() is not None:
            raise invalid("Tag name already exists.", "/data/attributes/tag", code="duplicate")
        cur = conn.execute(
            "INSERT INTO tags (tag, tag_type, description, cdate) VALUES (?, ?, ?, ?)",
            (name, tag_type, description, now),
        )
    tag_id = int(cur.lastrowid or 0)
    record = {
        "tag": name,
        "description": description,
        "tagType": tag_type,
        "cdate": render.iso(now),
        "links": {"contactGoalTags": f"{req.base}/tags/{tag_id}/contactGoalTags"},
        "id": str(tag_id),
    }
    return Response(201, {"tag": record})


ROUTES: tuple[Route, ...] = (
    route("GET", "/tags", get_tags),
    route("POST", "/tags", create_tag),
)
