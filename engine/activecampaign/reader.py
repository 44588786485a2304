"""Reading one list's current state for the plan (read-only; only GET requests).

What is read, and how (the cheapest documented means):

1. ``GET /lists/L`` -- the list exists (NotFoundError otherwise): 1 request.
2. ``GET /fields`` -- perstag -> field id, only when custom fields are mapped:
   ``ceil(F/100)`` requests for F fields on the account (usually 1). An unknown perstag
   stops here with a ConfigError.
3. Members by list status: ``GET /contacts?listid=L&status=S&orders[id]=ASC&id_greater=..``
   100 a page, for S = 1 active, 2 unsubscribed, 0 unconfirmed, 3 bounced:
   ``sum_S max(1, ceil(n_S/100))`` requests. Contacts with any other list status (91
   "removed", ...) are not read: for the plan they are the same as non-members (not
   subscribed, and not an unsubscribe to respect). That ``status`` filters on the *list*
   status when ``listid`` is given is common practice but UNCERTAIN in the docs.
4. Custom field values: ``GET /fieldValues?filters[fieldid]=F`` with limit/offset paging
   per mapped field: ``max(1, ceil(V_F/100))`` requests, where V_F is the number of values
   of field F on the whole *account* (the endpoint cannot filter by list). Values of
   contacts not on the list are dropped.
5. Tags, for each mapped tag and the product's removal marker: ``GET /tags?search=NAME``
   (1 request) then, if the tag exists, ``GET /contacts?listid=L&tagid=T`` id_greater
   paging: ``max(1, ceil(m_T/100))`` requests for m_T tagged list members.

Total, for a list with n_S members per status, k mapped fields and t mapped tags::

    1 + [k>0]*ceil(F/100) + sum_S max(1, ceil(n_S/100))
      + sum_F max(1, ceil(V_F/100)) + sum_{t+1 tags} (1 + max(1, ceil(m_T/100)))

e.g. 10,000 active members, nobody else, 2 fields set on those 10,000 only, 1 tag on all:
1 + 1 + (100+1+1+1) + (100+100) + (1+100) + (1+1) = 409 requests, ~82 s at 5 requests/s.

Values: ``""`` from ActiveCampaign becomes ``None`` (empty is unknown on both sides);
emails are trimmed and lower-cased; ``Contact.fields`` holds exactly the mapped perstags
(missing -> None); ``Contact.tags`` only the mapped tags the contact has.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from engine.contacts import Contact, CurrentState, ListStatus, Member, removal_marker

from . import parse
from .client import Client
from .lookup import PAGE, field_ids, find_tag, offset_pages

Progress = Callable[[int, int | None], None]

READ_STATUSES = (
    ListStatus.ACTIVE,
    ListStatus.UNSUBSCRIBED,
    ListStatus.UNCONFIRMED,
    ListStatus.BOUNCED,
)


class _Pages:
    """Counts pages read and estimates the total (None until anything is known)."""

    def __init__(self, callback: Progress | None) -> None:
        self._callback = callback
        self.read = 0
        self._expected: dict[str, int] = {}

    def expect(self, key: str, pages: int) -> None:
        self._expected[key] = pages

    def tick(self) -> None:
        self.read += 1
        if self._callback is not None:
            estimate = sum(self._expected.values()) if self._expected else None
            self._callback(self.read, max(estimate, self.read) if estimate else None)


def contact_pages(
    client: Client, params: Mapping[str, Any], pages: _Pages, key: str
) -> Iterator[list[parse.JSONObject]]:
    """``GET /contacts`` pages, ``orders[id]=ASC`` and ``id_greater`` (SPEC §4).

    Stops at a short page, unless the first page's ``meta.total`` says more remain (a
    server capping ``limit`` below 100 would otherwise cut the list short).
    """
    last, seen, expected = 0, 0, None
    while True:
        query = {**params, "limit": PAGE, "orders[id]": "ASC", "id_greater": last}
        body = client.get("contacts", kind="contacts", params=query)
        page = parse.items(body, "contacts")
        if last == 0:
            expected = parse.total(body)
            if expected is not None and expected >= 0:
                pages.expect(key, max(1, math.ceil(expected / PAGE)))
        pages.tick()
        yield page
        seen += len(page)
        ids = [parse.as_int(c.get("id")) for c in page]
        if not ids or max(ids) <= last:
            return
        if len(page) < PAGE and (expected is None or seen >= expected):
            return
        last = max(ids)


def read_list(
    client: Client,
    list_id: int,
    perstags: Sequence[str],
    tags: Sequence[str],
    progress: Progress | None = None,
) -> CurrentState:
    """Every member of the list (all statuses read), mapped values, and the fingerprint."""
    client.get_list(list_id)
    pages = _Pages(progress)
    fields = field_ids(client, perstags, list_id)
    for status in READ_STATUSES:
        pages.expect(f"status:{status.value}", 1)
    members = _read_members(client, list_id, pages)
    values = _read_values(client, fields, members, pages)
    marker = removal_marker(list_id)
    tagged = _read_tags(client, list_id, [*tags, marker], members, pages)
    result = []
    for cid, (raw, status) in members.items():
        own = values.get(cid, {})
        contact = Contact(
            email=raw.email,
            first_name=raw.first_name,
            last_name=raw.last_name,
            phone=raw.phone,
            fields=Contact.make_fields({p: own.get(p) for p in perstags}),
            tags=frozenset(t for t in tags if cid in tagged[t]),
        )
        result.append(Member(contact, status, cid, removed_by_sync=cid in tagged[marker]))
    return CurrentState.of(str(list_id), result)


def _read_members(
    client: Client, list_id: int, pages: _Pages
) -> dict[str, tuple[parse.RawContact, ListStatus]]:
    members: dict[str, tuple[parse.RawContact, ListStatus]] = {}
    for status in READ_STATUSES:
        params = {"listid": list_id, "status": status.value}
        for page in contact_pages(client, params, pages, f"status:{status.value}"):
            for raw in page:
                contact = parse.contact(raw)
                if contact.email and contact.id:
                    members.setdefault(contact.id, (contact, status))
    return members


def _read_values(
    client: Client,
    fields: Mapping[str, str],
    members: Mapping[str, object],
    pages: _Pages,
) -> dict[str, dict[str, str | None]]:
    values: dict[str, dict[str, str | None]] = defaultdict(dict)
    for perstag, field_id in fields.items():
        pages.expect(f"field:{perstag}", 1)
        params = {"filters[fieldid]": field_id}
        for page in offset_pages(
            client, "fieldValues", "fieldValues", kind="field_values", params=params
        ):
            pages.tick()
            for raw in page:
                cid = parse.as_id(raw.get("contact"))
                if cid in members and parse.as_id(raw.get("field")) in ("", field_id):
                    values[cid][perstag] = parse.text(raw.get("value"))
    return values


def _read_tags(
    client: Client,
    list_id: int,
    names: Sequence[str],
    members: Mapping[str, object],
    pages: _Pages,
) -> dict[str, set[str]]:
    tagged: dict[str, set[str]] = {name: set() for name in names}
    for name in names:
        pages.expect(f"tag:{name}", 1)
        pages.expect(f"tagged:{name}", 1)
        tag_id = find_tag(client, name)
        pages.tick()
        if tag_id is None:
            pages.expect(f"tagged:{name}", 0)
            continue
        params = {"listid": list_id, "tagid": tag_id}
        for page in contact_pages(client, params, pages, f"tagged:{name}"):
            tagged[name].update(
                cid for cid in (parse.as_id(c.get("id")) for c in page) if cid in members
            )
    return tagged
