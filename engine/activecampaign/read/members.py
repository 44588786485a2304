"""Reading a list's members: paged streams and assembling members (read-only; GETs only).

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
4. Custom field values, by the cheaper of two documented ways, decided once the first
   page of each mapped field has told its total (``meta.total``):

   - by field: ``GET /fieldValues?filters[fieldid]=F`` with limit/offset paging:
     ``max(1, ceil(V_F/100))`` requests per field, where V_F is the number of values of
     field F on the whole *account* (the endpoint cannot filter by list); values of
     contacts not on the list are dropped;
   - by member: ``GET /contacts/{id}/fieldValues`` (every field of one contact): one
     request per member, ``n`` in all, whatever the number of mapped fields.

   A small list in a large account (a 5,000-member VIP list among 1,000,000 contacts)
   costs 5,000 requests by member instead of 10,000 per mapped field.
5. Tags, for each mapped tag and the product's removal marker: ``GET /tags?search=NAME``
   (1 request) then, if the tag exists, ``GET /contacts?listid=L&tagid=T`` id_greater
   paging: ``max(1, ceil(m_T/100))`` requests for m_T tagged list members.

Total, for a list with n_S members per status, k mapped fields and t mapped tags::

    1 + [k>0]*ceil(F/100) + sum_S max(1, ceil(n_S/100))
      + min(sum_F max(1, ceil(V_F/100)), k + n) + sum_{t+1 tags} (1 + max(1, ceil(m_T/100)))

e.g. 10,000 active members, nobody else, 2 fields set on those 10,000 only, 1 tag on all:
1 + 1 + (100+1+1+1) + (100+100) + (1+100) + (1+1) = 409 requests, ~82 s at 5 requests/s.

With ``include=fieldValues`` verified on the account (:mod:`.sideload`), step 4 is not
needed: the values come with the contact pages of step 3 (a full read of a 1,000,000-member
list with two fields: ~10,000 requests instead of ~29,000). Reading only what changed since
a snapshot is :mod:`.incremental`; :mod:`.lists` decides which read a list gets.

Values: ``""`` from ActiveCampaign becomes ``None`` (empty is unknown on both sides);
emails are trimmed and lower-cased; ``Contact.fields`` holds exactly the mapped perstags
(missing -> None); ``Contact.tags`` only the mapped tags the contact has.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.lookup import PAGE, field_ids, find_tag
from engine.contacts import Contact, ListStatus, Member, removal_marker

from .streams import SHARED_MAX, Pages, Shared, share_value

READ_STATUSES = (
    ListStatus.ACTIVE,
    ListStatus.UNSUBSCRIBED,
    ListStatus.UNCONFIRMED,
    ListStatus.BOUNCED,
)

Row = wire.ContactValues
"""A member as read: contact id, email, first name, last name, phone, udate."""

Columns = dict[str, dict[str, str | None]]
"""Custom field values, a column per field: perstag -> {contact id: value}."""


@dataclass(frozen=True, slots=True)
class Lookups:
    """What a list read resolves first: mapped perstag -> field id, tag -> tag id (None:
    the tag does not exist on the account), and the removal marker's name."""

    fields: Mapping[str, str]
    tag_ids: Mapping[str, str | None]
    marker: str
    perstags: tuple[str, ...]  # the mapped perstags, sorted (Contact.fields order)
    tags: tuple[str, ...]  # the mapped tags

    @classmethod
    def read(
        cls, client: Client, list_id: int, perstags: Sequence[str], tags: Sequence[str]
    ) -> Lookups:
        fields = field_ids(client, perstags, list_id)
        marker = removal_marker(list_id)
        names = dict.fromkeys([*tags, marker])
        tag_ids = {name: find_tag(client, name) for name in names}
        return cls(fields, tag_ids, marker, tuple(sorted(perstags)), tuple(tags))

    @property
    def perstag_of(self) -> dict[str, str]:
        """field id -> perstag."""
        return {field_id: perstag for perstag, field_id in self.fields.items()}


def contact_pages(
    client: Client, params: Mapping[str, Any], pages: Pages, key: str, start: int = 0
) -> Iterator[wire.Page[Row]]:
    """``GET /contacts`` pages, ``orders[id]=ASC`` and ``id_greater`` (SPEC §4), from the
    contact id ``start`` on.

    Stops at a short page, unless the first page's ``meta.total`` says more remain (a
    server capping ``limit`` below 100 would otherwise cut the list short).
    """
    last, seen, expected = start, 0, None
    while True:
        query = {**params, "limit": PAGE, "orders[id]": "ASC", "id_greater": last}
        page = client.get_as("contacts", wire.contacts, kind="contacts", params=query)
        rows = page.items
        if last == start:
            expected = page.total
            if expected is not None and expected >= 0:
                pages.expect(key, max(1, math.ceil(expected / PAGE)))
        pages.tick(key)
        yield page
        seen += len(rows)
        top = max((wire.as_int(row[0]) for row in rows), default=0)
        if top <= last:
            return
        if len(rows) < PAGE and (expected is None or seen >= expected):
            return
        last = top


IdRange = tuple[int, int | None]
"""Contact ids strictly between these (``id_greater``, ``id_less``; None: no upper bound)."""


def count(
    client: Client, list_id: int, status: ListStatus, ids: IdRange | None = None
) -> int | None:
    """How many members the list has in ``status`` (``meta.total`` of a 1-contact page),
    among the contact ids in ``ids`` when given."""
    params: dict[str, Any] = {"listid": list_id, "status": status.value, "limit": 1}
    if ids is not None:
        params["id_greater"] = ids[0]
        if ids[1] is not None:
            params["id_less"] = ids[1]
    return client.get_as("contacts", wire.contacts, kind="counts", params=params).total


@dataclass(slots=True)
class StatusRows:
    """One status stream as read: its rows, and the side-loaded values of those rows
    (``None`` when the pages carried none: ``include`` not asked, or not honoured)."""

    rows: list[Row] = field(default_factory=list)
    values: Columns | None = None
    unloaded: int = 0  # pages with contacts but without side-loaded values

    @property
    def sideload_missing(self) -> bool:
        """Rows came on a page that carried no side-loaded values (include not honoured)."""
        return bool(self.rows) and (self.values is None or self.unloaded > 0)


def status_stream(
    client: Client,
    list_id: int,
    status: ListStatus,
    pages: Pages,
    shared: Shared,
    *,
    since: str | None = None,
    include: Lookups | None = None,
    ids: IdRange | None = None,
    only: Sequence[str] = (),
) -> StatusRows:
    """The members in ``status`` (changed since ``since``, among the contact ids in ``ids``,
    among the contacts ``only`` names (``ids[]``), when given); with ``include`` their mapped
    field values come with the pages (``include=fieldValues``)."""
    params: dict[str, Any] = {"listid": list_id, "status": status.value}
    if since is not None:
        params["filters[updated_after]"] = since
    if ids is not None and ids[1] is not None:
        params["id_less"] = ids[1]
    if include is not None:
        params["include"] = "fieldValues"
    if only:
        params["ids[]"] = list(only)
    found = StatusRows()
    share = partial(share_value, shared)
    perstag_of = include.perstag_of if include is not None else {}
    key = f"status:{status.value}" + (f":{ids[0]}" if ids is not None else "")
    start = ids[0] if ids is not None else 0
    last_udate: str | None = None  # contacts written together share their udate: one string
    for page in contact_pages(client, params, pages, key, start):
        for cid, email, first, last, phone, udate in page.items:
            if email and cid:
                if udate == last_udate:
                    udate = last_udate
                last_udate = udate
                found.rows.append((cid, email, share(first), share(last), phone, udate))
        if include is not None and page.items and page.field_values is None:
            found.unloaded += 1
        if include is not None and page.field_values is not None:
            if found.values is None:
                found.values = {p: {} for p in include.perstags}
            columns = found.values
            for contact, field_id, value in page.field_values:
                perstag = perstag_of.get(field_id)
                if perstag is not None:
                    columns[perstag][contact] = share(value)
    return found


def tag_stream(
    client: Client,
    list_id: int,
    name: str,
    tag_id: str,
    pages: Pages,
    *,
    since: str | None = None,
) -> set[str]:
    """Ids of the list's members carrying the tag (changed since ``since`` when given)."""
    params: dict[str, Any] = {"listid": list_id, "tagid": tag_id}
    if since is not None:
        params["filters[updated_after]"] = since
    key = f"tagged:{name}" + (":since" if since else "")
    pages.expect(key, None)
    tagged: set[str] = set()
    for page in contact_pages(client, params, pages, key):
        tagged.update(row[0] for row in page.items)
    return tagged


class Assembler:
    """Builds Members from rows, values and tags, sharing repeated objects.

    Repeated values (countries, dates, first names) share one string object (the streams
    share them as they read), and so do repeated ``(perstag, value)`` pairs and tag sets,
    which keeps a million-member state small.
    """

    def __init__(self, lookups: Lookups) -> None:
        self.lookups = lookups
        self._pairs: dict[tuple[str, str | None], tuple[str, str | None]] = {}
        self._tag_sets: dict[frozenset[str], frozenset[str]] = {}

    def pair(self, pair: tuple[str, str | None]) -> tuple[str, str | None]:
        if len(self._pairs) >= SHARED_MAX:
            return pair
        return self._pairs.setdefault(pair, pair)

    def tag_set(self, tags: Iterable[str]) -> frozenset[str]:
        own = frozenset(tags)
        return self._tag_sets.setdefault(own, own)

    def member(
        self,
        row: Row,
        status: ListStatus,
        values: Mapping[str, str | None],
        tags: frozenset[str],
        removed: bool,
    ) -> Member:
        cid, email, first, last, phone, _ = row
        pair = self.pair
        fields = tuple([pair((p, values.get(p))) for p in self.lookups.perstags])
        return Member(Contact(email, first, last, phone, fields, tags), status, cid, removed)


def assemble_columns(
    assembler: Assembler,
    streams: Mapping[ListStatus, list[Row]],
    columns: Mapping[str, dict[str, str | None]],
    tagged: Mapping[str, set[str]],
) -> tuple[dict[str, Member], dict[str, str | None]]:
    """Members by contact id (and their udates) from whole streams (a full read).

    Statuses in READ_STATUSES order; a contact seen in two statuses keeps the first. Field
    values come as one column per perstag (contact id -> value), taken out of the columns
    as they are used, so what was read is freed while the members are built.
    """
    lookups = assembler.lookups
    cols = [(p, columns.get(p, {})) for p in lookups.perstags]
    removed = tagged.get(lookups.marker, set())
    mapped = [(t, tagged.get(t, set())) for t in lookups.tags]
    no_tags: frozenset[str] = frozenset()
    pair, tag_set = assembler.pair, assembler.tag_set
    members: dict[str, Member] = {}
    udates: dict[str, str | None] = {}
    for status in READ_STATUSES:
        for cid, email, first, last, phone, udate in _drain(streams.get(status, [])):
            if cid in members:
                continue
            # Positional arguments and a list comprehension: this runs once per member.
            fields = tuple([pair((p, col.pop(cid, None))) for p, col in cols])
            own = tag_set(t for t, ids in mapped if cid in ids) if mapped else no_tags
            contact = Contact(email, first, last, phone, fields, own)
            members[cid] = Member(contact, status, cid, cid in removed)
            udates[cid] = udate
    return members, udates


def _drain(rows: list[Row], chunk: int = 50_000) -> Iterator[Row]:
    """The rows in order, each chunk dropped from the list once it is being used."""
    while rows:
        taken = rows[:chunk]
        del rows[:chunk]
        yield from taken
