"""Resolving names to ActiveCampaign ids: custom fields by perstag, tags by name, contacts
by email.

Both reader and writer need them; both raise before anything is read or written when a
mapped custom field does not exist (a plan that cannot be applied should not be made).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from engine.activecampaign import wire
from engine.errors import TransientError, UnknownFieldError

from .client import Client, sandbox_hint
from .wire import Page

T = TypeVar("T")

PAGE = 100


def offset_pages(
    client: Client,
    path: str,
    decode: Callable[[bytes], Page[T]],
    *,
    kind: str,
    params: Mapping[str, Any] | None = None,
    start: int = 0,
) -> Iterator[list[T]]:
    """Pages of a collection read with ``limit``/``offset`` (for endpoints without
    ``id_greater``), from offset ``start``, each decoded by ``decode``. Stops at a short
    page, or when ``meta.total`` is reached."""
    offset = start
    while True:
        page = client.get_as(
            path, decode, kind=kind, params={**(params or {}), "limit": PAGE, "offset": offset}
        )
        yield page.items
        offset += len(page.items)
        total = page.total
        if len(page.items) < PAGE or (total is not None and 0 <= total <= offset):
            return


def field_ids(client: Client, perstags: Sequence[str], list_id: int) -> dict[str, str]:
    """``{perstag as mapped: field id}`` for every mapped perstag, read from ``GET /fields``.

    Perstags compare in ActiveCampaign's normalised form (upper case, no blanks). An unknown
    perstag is an UnknownFieldError naming it, the list and host, and what to do. Costs
    ``ceil(F/100)`` requests for F custom fields on the account (usually 1), none when
    nothing is mapped.
    """
    if not perstags:
        return {}
    by_tag: dict[str, str] = {}
    for page in offset_pages(client, "fields", wire.objects("fields"), kind="fields"):
        for field in page:
            by_tag.setdefault(
                wire.normalise_perstag(field.get("perstag")), wire.as_id(field.get("id"))
            )
    missing = [p for p in perstags if wire.normalise_perstag(p) not in by_tag]
    if missing:
        names = ", ".join(missing)
        raise UnknownFieldError(
            f"custom field(s) {names} mapped for list {list_id} do not exist on {client.host}: "
            "create them in ActiveCampaign (Contacts > Fields, with that personalization tag) "
            "or correct mapping.fields in the export" + sandbox_hint(client.host),
            tuple(missing),
        )
    return {p: by_tag[wire.normalise_perstag(p)] for p in perstags}


def contact_by_email(client: Client, email: str) -> str | None:
    """The id of the contact with ``email`` (``GET /contacts?email=``), or None."""
    body = client.get("contacts", kind="contacts", params={"email": email})
    for contact in wire.items(body, "contacts"):
        if wire.normalise_email(contact.get("email")) == email:
            return wire.as_id(contact.get("id"))
    return None


def find_tag(client: Client, name: str) -> str | None:
    """The id of the contact tag named exactly ``name`` (case-insensitive), or None.

    ``GET /tags?search=`` matches by "contains", so the exact name is picked from the
    answer. One request (a name matching more than 100 tags pages on).
    """
    wanted = name.strip().lower()
    tags = wire.objects("tags")
    for page in offset_pages(client, "tags", tags, kind="tags", params={"search": name}):
        for tag in page:
            if str(tag.get("tag", "")).strip().lower() == wanted and tag.get(
                "tagType", "contact"
            ) in (
                "contact",
                None,
                "",
            ):
                return wire.as_id(tag.get("id"))
    return None


def ensure_tag(client: Client, name: str) -> str:
    """The id of tag ``name``, creating it when missing.

    Creating is the product's one non-idempotent request (a resent create could make a
    second tag of the same name), so it is sent with ``idempotent=False``; after an
    ambiguous failure the tag is looked up again before another create is tried.
    """
    for _ in range(3):
        found = find_tag(client, name)
        if found:
            return found
        try:
            reply = client.request(
                "POST",
                "tags",
                kind="tag_create",
                json={"tag": {"tag": name, "tagType": "contact", "description": ""}},
                idempotent=False,
            )
        except TransientError:
            continue
        tag = reply.body.get("tag") if isinstance(reply.body, dict) else None
        if isinstance(tag, dict) and wire.as_id(tag.get("id")):
            return wire.as_id(tag.get("id"))
    raise TransientError(f"could not create tag {name!r} on {client.host}; try again later")
