"""``DELETE /contacts/{id}``, ``/lists/{id}``, ``/tags/{id}``, ``/fields/{id}`` (what ``sync
doctor --write`` cleans up with): 200 ``{}``, or 404 "No Result found for ... with id N"
(as recorded).

A deleted contact takes its memberships, field values and tags with it; a deleted list its
memberships (not its contacts: a recording saw a contact subscribed only to a deleted list
disappear, cause unknown, so the sandbox does not guess); a deleted tag its contactTags; a
deleted field its values and list relations.
"""

from __future__ import annotations

from engine.activecampaign.sandbox import ops

from .context import Sandbox
from .web import Request, Response, Route, not_found, route


def delete_contact(sb: Sandbox, req: Request, id: int) -> Response:
    with sb.store.write() as conn:
        if ops.contact_by_id(conn, id) is None:
            raise not_found("Subscriber", id)
        for table in ("memberships", "field_values", "contact_tags"):
            conn.execute(f"DELETE FROM {table} WHERE contact_id = ?", (id,))
        conn.execute("DELETE FROM contacts WHERE id = ?", (id,))
    return Response(200, {})


def delete_list(sb: Sandbox, req: Request, id: int) -> Response:
    return _delete(sb, "lists", "_List", id, "DELETE FROM memberships WHERE list_id = ?")


def delete_tag(sb: Sandbox, req: Request, id: int) -> Response:
    return _delete(sb, "tags", "Tag", id, "DELETE FROM contact_tags WHERE tag_id = ?")


def delete_field(sb: Sandbox, req: Request, id: int) -> Response:
    linked = (
        "DELETE FROM field_values WHERE field_id = ?1",
        "DELETE FROM field_rels WHERE field_id = ?1",
    )
    return _delete(sb, "fields", "Field", id, *linked)


def _delete(sb: Sandbox, table: str, model: str, id: int, *linked: str) -> Response:
    """Delete row ``id`` of ``table`` after what ``linked`` deletes (404 naming ``model``)."""
    with sb.store.write() as conn:
        if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (id,)).fetchone() is None:
            raise not_found(model, id)
        for statement in linked:
            conn.execute(statement, (id,))
        conn.execute(f"DELETE FROM {table} WHERE id = ?", (id,))
    return Response(200, {})


ROUTES: tuple[Route, ...] = (
    route("DELETE", "/contacts/{id}", delete_contact),
    route("DELETE", "/lists/{id}", delete_list),
    route("DELETE", "/tags/{id}", delete_tag),
    route("DELETE", "/fields/{id}", delete_field),
)
