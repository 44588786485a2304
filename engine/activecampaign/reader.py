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

import gc
import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
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

    def __init__(self, callback: Progress | None, collect: Callable[[], object]) -> None:
        self._callback = callback
        self._collect = collect
        self.read = 0
        self._expected: dict[str, int] = {}
        self._lock = threading.Lock()

    def expect(self, key: str, pages: int) -> None:
        with self._lock:
            self._expected[key] = pages

    def tick(self) -> None:
        self._collect()
        with self._lock:
            self.read += 1
            read = self.read
            estimate = sum(self._expected.values()) if self._expected else None
        if self._callback is not None:
            self._callback(read, max(estimate, read) if estimate else None)


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


STREAMS = 3
"""Paged streams read at once (threads); the client's pacer caps the rate whatever this is."""


def read_list(
    client: Client,
    list_id: int,
    perstags: Sequence[str],
    tags: Sequence[str],
    progress: Progress | None = None,
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
    with _young_collections_only() as collect:
        return _read(client, list_id, perstags, tags, _Pages(progress, collect), workers)


def _read(
    client: Client,
    list_id: int,
    perstags: Sequence[str],
    tags: Sequence[str],
    pages: _Pages,
    workers: int,
) -> CurrentState:
    client.get_list(list_id)
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
        jobs[f"field:{perstag}"] = partial(_first_values, client, field_id, pages, shared)
    for name, tag_id in tag_ids.items():
        if tag_id is not None:
            jobs[f"tagged:{name}"] = partial(_tag_stream, client, list_id, name, tag_id, pages)
    done = _run(jobs, workers)
    done.update(_values(client, fields, done, pages, shared, workers))
    members = _assemble(
        done,
        perstags,
        tags,
        tagged={name: done.get(f"tagged:{name}", set()) for name in tag_ids},
        marker=marker,
    )
    return CurrentState.of(str(list_id), members)


@contextmanager
def _young_collections_only() -> Iterator[Callable[[], object]]:
    """Automatic cycle collection off while a list is read; the caller collects the young
    generation after every page instead (with the function yielded).

    Each page's httpx response is a small reference cycle holding the page's bytes, so
    young collections are still needed; but the automatic full collections would rescan
    every member already read (and the desired state, read before) again and again: 6.5 s
    of a 71 s read of a 1,000,000-member list. What survives stays in the middle
    generation until collection is back on. Nothing changes when collection was off.
    """
    if not gc.isenabled():
        yield lambda: None
        return
    gc.disable()
    try:
        yield partial(gc.collect, 0)
    finally:
        gc.enable()


def _run(jobs: Mapping[str, Callable[[], Any]], workers: int) -> dict[str, Any]:
    """Run every job; the first failure cancels those not started and is raised."""
    if workers <= 1:
        return {key: job() for key, job in jobs.items()}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read") as pool:
        futures = {key: pool.submit(job) for key, job in jobs.items()}
        try:
            return {key: future.result() for key, future in futures.items()}
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _for_each(job: Callable[[str], object], items: Sequence[str], workers: int) -> None:
    """``job`` for every item, on ``workers`` threads (no future per item kept around)."""
    if workers <= 1:
        for item in items:
            job(item)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read") as pool:
        for start in range(0, len(items), 1000):
            for _ in pool.map(job, items[start : start + 1000]):
                pass


Row = parse.ContactValues
"""A member as read: contact id, email, first name, last name, phone."""

Shared = dict[str | None, str | None]


def _status_stream(
    client: Client, list_id: int, status: ListStatus, pages: _Pages, shared: Shared
) -> list[Row]:
    params = {"listid": list_id, "status": status.value}
    found: list[Row] = []
    share = partial(_share, shared)
    for page in contact_pages(client, params, pages, f"status:{status.value}"):
        for cid, email, first, last, phone in map(parse.contact_values, page):
            if email and cid:
                found.append((cid, email, share(first), share(last), phone))
    return found


FieldValues = dict[str, str | None]
"""Contact id -> value of one custom field."""


def _first_values(
    client: Client, field_id: str, pages: _Pages, shared: Shared
) -> tuple[FieldValues, int | None]:
    """The first page of a field's values, and how many pages remain after it (0: none;
    None: unknown, when a full page came without ``meta.total``)."""
    body = client.get(
        "fieldValues",
        kind="field_values",
        params={"filters[fieldid]": field_id, "limit": PAGE, "offset": 0},
    )
    pages.tick()
    page = parse.items(body, "fieldValues")
    values: FieldValues = {}
    _take(values, page, field_id, shared)
    if len(page) < PAGE:
        return values, 0
    total = parse.total(body)
    return values, (max(0, math.ceil(total / PAGE) - 1) if total is not None else None)


def _values(
    client: Client,
    fields: Mapping[str, str],
    done: Mapping[str, Any],
    pages: _Pages,
    shared: Shared,
    workers: int,
) -> dict[str, FieldValues]:
    """Every mapped field's values, the cheaper way (module docstring, step 4)."""
    first: dict[str, tuple[FieldValues, int | None]] = {p: done[f"field:{p}"] for p in fields}
    remaining = [left for _, left in first.values()]
    members = [row[0] for s in READ_STATUSES for row in done[f"status:{s.value}"]]
    if None not in remaining and len(members) < sum(r or 0 for r in remaining):
        pages.expect("by-member", len(members))
        return _values_by_member(client, fields, members, pages, shared, workers)
    more = [p for p, (_, left) in first.items() if left != 0]
    found = _run(
        {p: partial(_rest_of_field, client, fields[p], first[p][0], pages, shared) for p in more},
        workers,
    )
    return {f"field:{p}": found.get(p, first[p][0]) for p in fields}


def _rest_of_field(
    client: Client, field_id: str, values: FieldValues, pages: _Pages, shared: Shared
) -> FieldValues:
    """A field's values after its first page (``GET /fieldValues``, offset paging)."""
    params = {"filters[fieldid]": field_id}
    for page in offset_pages(
        client, "fieldValues", "fieldValues", kind="field_values", params=params, start=PAGE
    ):
        pages.tick()
        _take(values, page, field_id, shared)
    return values


def _take(values: FieldValues, page: list[parse.JSONObject], field_id: str, shared: Shared) -> None:
    as_id, text, share = parse.as_id, parse.text, partial(_share, shared)  # a hot loop
    for raw in page:
        if as_id(raw.get("field")) in ("", field_id):
            values[as_id(raw.get("contact"))] = share(text(raw.get("value")))


def _values_by_member(
    client: Client,
    fields: Mapping[str, str],
    members: Sequence[str],
    pages: _Pages,
    shared: Shared,
    workers: int,
) -> dict[str, FieldValues]:
    """``GET /contacts/{id}/fieldValues`` for each member: every mapped field at once."""
    perstag_of = {field_id: perstag for perstag, field_id in fields.items()}
    columns: dict[str, FieldValues] = {p: {} for p in fields}

    def one(cid: str) -> None:
        body = client.get(f"contacts/{cid}/fieldValues", kind="contact_field_values")
        pages.tick()
        for raw in parse.items(body, "fieldValues"):
            perstag = perstag_of.get(parse.as_id(raw.get("field")))
            if perstag is not None:
                columns[perstag][cid] = _share(shared, parse.text(raw.get("value")))

    _for_each(one, list(dict.fromkeys(members)), workers)
    return {f"field:{p}": column for p, column in columns.items()}


def _tag_stream(client: Client, list_id: int, name: str, tag_id: str, pages: _Pages) -> set[str]:
    params = {"listid": list_id, "tagid": tag_id}
    pages.expect(f"tagged:{name}", 1)
    tagged: set[str] = set()
    for page in contact_pages(client, params, pages, f"tagged:{name}"):
        tagged.update(parse.as_id(c.get("id")) for c in page)
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
    order = sorted(perstags)
    columns = [done.get(f"field:{p}", {}) for p in order]
    pairs: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    tag_sets: dict[frozenset[str], frozenset[str]] = {}
    removed = tagged.get(marker, set())
    seen: set[str] = set()
    for status in READ_STATUSES:
        for cid, email, first, last, phone in _drain(done[f"status:{status.value}"]):
            if cid in seen:
                continue
            seen.add(cid)
            own = frozenset(t for t in tags if cid in tagged[t]) if tags else frozenset()
            contact = Contact(
                email=email,
                first_name=first,
                last_name=last,
                phone=phone,
                fields=tuple(
                    _pair(pairs, (p, col.pop(cid, None)))
                    for p, col in zip(order, columns, strict=True)
                ),
                tags=tag_sets.setdefault(own, own),
            )
            yield Member(contact, status, cid, removed_by_sync=cid in removed)


def _drain(rows: list[Row], chunk: int = 50_000) -> Iterator[Row]:
    """The rows in order, each chunk dropped from the list once it is being used."""
    while rows:
        taken = rows[:chunk]
        del rows[:chunk]
        yield from taken


SHARED_MAX = 200_000


def _share(shared: Shared, value: str | None) -> str | None:
    if value is None or len(shared) >= SHARED_MAX:
        return value
    return shared.setdefault(value, value)


def _pair(
    pairs: dict[tuple[str, str | None], tuple[str, str | None]], pair: tuple[str, str | None]
) -> tuple[str, str | None]:
    if len(pairs) >= SHARED_MAX:
        return pair
    return pairs.setdefault(pair, pair)
