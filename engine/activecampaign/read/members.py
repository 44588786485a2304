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

Values: ``""`` from ActiveCampaign becomes ``None`` (empty is unknown on both sides);
emails are trimmed and lower-cased; ``Contact.fields`` holds exactly the mapped perstags
(missing -> None); ``Contact.tags`` only the mapped tags the contact has.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.lookup import PAGE, field_ids, find_tag
from engine.contacts import Contact, CurrentState, ListStatus, Member, removal_marker
from engine.memory import young_collections_only
from engine.progress import Step

from .streams import SHARED_MAX, Pages, Shared, run, share_value
from .values import first_values, read_values

READ_STATUSES = (
    ListStatus.ACTIVE,
    ListStatus.UNSUBSCRIBED,
    ListStatus.UNCONFIRMED,
    ListStatus.BOUNCED,
)

Row = wire.ContactValues
"""A member as read: contact id, email, first name, last name, phone."""


def contact_pages(
    client: Client, params: Mapping[str, Any], pages: Pages, key: str
) -> Iterator[list[Row]]:
    """``GET /contacts`` pages, ``orders[id]=ASC`` and ``id_greater`` (SPEC §4), as
    (id, email, first name, last name, phone) rows.

    Stops at a short page, unless the first page's ``meta.total`` says more remain (a
    server capping ``limit`` below 100 would otherwise cut the list short).
    """
    last, seen, expected = 0, 0, None
    while True:
        query = {**params, "limit": PAGE, "orders[id]": "ASC", "id_greater": last}
        page = client.get_as("contacts", wire.contacts, kind="contacts", params=query)
        rows = page.items
        if last == 0:
            expected = page.total
            if expected is not None and expected >= 0:
                pages.expect(key, max(1, math.ceil(expected / PAGE)))
        pages.tick()
        yield rows
        seen += len(rows)
        top = max((wire.as_int(row[0]) for row in rows), default=0)
        if top <= last:
            return
        if len(rows) < PAGE and (expected is None or seen >= expected):
            return
        last = top


STREAMS = 3
"""Paged streams read at once (threads); the client's pacer caps the rate whatever this is."""


def read_list(
    client: Client,
    list_id: int,
    perstags: Sequence[str],
    tags: Sequence[str],
    progress: Step | None = None,
    *,
    workers: int | None = None,
) -> CurrentState:
    """Every member of the list (all statuses read), mapped values, and the fingerprint.

    The independent paged streams (one per status, per mapped field, per tag) run on
    ``workers`` threads sharing the client, so its one pacer per account keeps the total
    rate: against a real account a few requests in flight are what it takes to use the 5
    requests/s budget when one answer takes longer than 200 ms. ``workers`` defaults to
    :data:`STREAMS`, or 1 when the client says parallel reads do not help.
    """
    if workers is None:
        workers = STREAMS if client.parallel_reads else 1
    with young_collections_only() as collect:
        return _read(client, list_id, perstags, tags, Pages(progress, collect), workers)


def _read(
    client: Client,
    list_id: int,
    perstags: Sequence[str],
    tags: Sequence[str],
    pages: Pages,
    workers: int,
) -> CurrentState:
    client.check_list(list_id)
    fields = field_ids(client, perstags, list_id)
    marker = removal_marker(list_id)
    tag_ids = {name: find_tag(client, name) for name in dict.fromkeys([*tags, marker])}
    jobs: dict[str, Callable[[], Any]] = {}
    shared: Shared = {}
    for status in READ_STATUSES:
        key = f"status:{status.value}"
        pages.expect(key, 1)
        jobs[key] = partial(_status_stream, client, list_id, status, pages, shared)
    for perstag, field_id in fields.items():
        pages.expect(f"field:{perstag}", 1)
        jobs[f"field:{perstag}"] = partial(first_values, client, field_id, pages, shared)
    for name, tag_id in tag_ids.items():
        if tag_id is not None:
            jobs[f"tagged:{name}"] = partial(_tag_stream, client, list_id, name, tag_id, pages)
    done = run(jobs, workers)
    ids = [row[0] for s in READ_STATUSES for row in done[f"status:{s.value}"]]
    done.update(read_values(client, fields, done, ids, pages, shared, workers))
    members = _assemble(
        done,
        perstags,
        tags,
        tagged={name: done.get(f"tagged:{name}", set()) for name in tag_ids},
        marker=marker,
    )
    return CurrentState.of(str(list_id), members)


def _status_stream(
    client: Client, list_id: int, status: ListStatus, pages: Pages, shared: Shared
) -> list[Row]:
    params = {"listid": list_id, "status": status.value}
    found: list[Row] = []
    share = partial(share_value, shared)
    for page in contact_pages(client, params, pages, f"status:{status.value}"):
        for cid, email, first, last, phone in page:
            if email and cid:
                found.append((cid, email, share(first), share(last), phone))
    return found


def _tag_stream(client: Client, list_id: int, name: str, tag_id: str, pages: Pages) -> set[str]:
    params = {"listid": list_id, "tagid": tag_id}
    pages.expect(f"tagged:{name}", 1)
    tagged: set[str] = set()
    for page in contact_pages(client, params, pages, f"tagged:{name}"):
        tagged.update(row[0] for row in page)
    return tagged


def _assemble(
    done: Mapping[str, Any],
    perstags: Sequence[str],
    tags: Sequence[str],
    tagged: Mapping[str, set[str]],
    marker: str,
) -> Iterator[Member]:
    """Members in status order (a contact seen in two statuses keeps the first).

    Repeated values (countries, dates, first names) share one string object (the streams
    share them as they read), and so do repeated ``(perstag, value)`` pairs and tag sets,
    which keeps a million-member state small. Field values are taken out of the streams'
    maps as they are used, so what was read is freed while the members are built.
    """
    columns = [(p, done.get(f"field:{p}", {})) for p in sorted(perstags)]
    pairs: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    tag_sets: dict[frozenset[str], frozenset[str]] = {}
    removed = tagged.get(marker, set())
    seen: set[str] = set()
    no_tags: frozenset[str] = frozenset()
    share = partial(_pair, pairs)
    for status in READ_STATUSES:
        for cid, email, first, last, phone in _drain(done[f"status:{status.value}"]):
            if cid in seen:
                continue
            seen.add(cid)
            # Positional arguments and a list comprehension: this runs once per member.
            fields = tuple([share((p, col.pop(cid, None))) for p, col in columns])
            if tags:
                own = frozenset(t for t in tags if cid in tagged[t])
                own = tag_sets.setdefault(own, own)
            else:
                own = no_tags
            contact = Contact(email, first, last, phone, fields, own)
            yield Member(contact, status, cid, cid in removed)


def _drain(rows: list[Row], chunk: int = 50_000) -> Iterator[Row]:
    """The rows in order, each chunk dropped from the list once it is being used."""
    while rows:
        taken = rows[:chunk]
        del rows[:chunk]
        yield from taken


def _pair(
    pairs: dict[tuple[str, str | None], tuple[str, str | None]], pair: tuple[str, str | None]
) -> tuple[str, str | None]:
    if len(pairs) >= SHARED_MAX:
        return pair
    return pairs.setdefault(pair, pair)
