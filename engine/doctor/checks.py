"""``sync doctor``'s read-only checks: a few paced ``GET`` requests, never a write.

Each check says what it asked, what came back, its verdict and what the product does
about it; the facts found are collected in :attr:`Doctor.facts`:

1. the key and host work (``GET /lists?limit=1``, or ``GET /lists/N`` with ``--list-id``);
2. which rate-limit headers come back (the same answer);
3. whether ``filters[updated_after]`` honours the time of day or only the date: a known
   contact asked for with a cut-off a minute before its ``udate`` and a minute after
   (:data:`UPDATED_AFTER_FACT`);
4. whether ``include=fieldValues`` agrees with ``GET /contacts/{id}/fieldValues`` for a
   sample (:func:`engine.activecampaign.read.sideload.verify`; :data:`SIDELOAD_FACT`);
5. whether ``meta.total`` of ``GET /contacts`` counts ``id_greater`` / ``id_less``: the
   counts of two halves must add up to the whole (:data:`ID_RANGES_FACT`);
6. whether ``status`` with ``listid`` is the list status: members asked for by status,
   each checked against its own contactLists (:data:`LIST_STATUS_FACT`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from engine.activecampaign import wire
from engine.activecampaign.client import Client, Reply
from engine.activecampaign.lookup import offset_pages
from engine.activecampaign.read import sideload
from engine.activecampaign.read.incremental import ID_RANGES_COUNTED, ID_RANGES_IGNORED, iso
from engine.activecampaign.read.members import Columns, Lookups
from engine.errors import NotFoundError, SyncError
from engine.facts import ID_RANGES_FACT, LIST_STATUS_FACT, SIDELOAD_FACT, UPDATED_AFTER_FACT

AS_ASSUMED = "as assumed"
DIFFERS = "differs"
UNCLEAR = "could not tell"
ERROR = "error"

INSTANT = "instant"
DAY = "day"  # only contacts updated on a later day than the cut-off's
DAY_INCLUSIVE = "day, inclusive"  # contacts updated on the cut-off's day or later

RATE_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after")
SAMPLE_PAGE = 100

RATE_HEADERS_CHECK = "rate-limit headers"
UPDATED_AFTER = "filters[updated_after]"
FIELD_VALUES = "include=fieldValues"
ID_RANGES = "meta.total with id_greater/id_less"
LIST_STATUS = "status with listid"
SPOT = 5  # members of each status whose own contactLists are read


@dataclass(frozen=True, slots=True)
class Check:
    """One check: what was asked, what came back, the verdict, what the product does."""

    name: str
    asked: str
    answered: str
    verdict: str
    action: str


OnCheck = Callable[[Check], None] | None
"""Called with each check as it is done (the CLI prints it then)."""


def guarded(name: str, check: Callable[[], Check]) -> Check:
    """The check, or an error verdict when the account failed to answer it."""
    try:
        return check()
    except SyncError as exc:
        return Check(name, "", str(exc), ERROR, "nothing is stored; run doctor again later")


class Doctor:
    """The checks of one account (facts found are collected in :attr:`facts`)."""

    def __init__(self, client: Client, list_id: int | None) -> None:
        self.client, self.list_id = client, list_id
        self.facts: dict[str, str] = {}
        self.reply: Reply | None = None
        self._page: wire.Page[wire.ContactValues] | None = None
        self.timed_out = False  # include=fieldValues took longer than the client waits

    def run(self, on_check: OnCheck = None) -> list[Check]:
        """Every check, in order, each handed to ``on_check`` when done (none after the key
        or host failed)."""
        checks = [self.access()]
        if on_check:
            on_check(checks[0])
        if checks[0].verdict == ERROR:
            return checks
        rest = (
            (RATE_HEADERS_CHECK, self.rate_headers),
            (UPDATED_AFTER, self.updated_after),
            (FIELD_VALUES, self.field_values),
            (ID_RANGES, self.id_ranges),
            (LIST_STATUS, self.list_status),
        )
        for name, check in rest:
            checks.append(guarded(name, check))
            if on_check:
                on_check(checks[-1])
        return checks

    @property
    def scope(self) -> dict[str, Any]:
        return {"listid": self.list_id} if self.list_id is not None else {}

    def contacts(self, **params: Any) -> wire.Page[wire.ContactValues]:
        query = {**self.scope, **params}
        return self.client.get_as("contacts", wire.contacts, kind="doctor", params=query)

    def access(self) -> Check:
        """key and host: one GET"""
        path = f"lists/{self.list_id}" if self.list_id is not None else "lists"
        params = None if self.list_id is not None else {"limit": 1}
        asked = f"GET /{path}" + ("?limit=1" if params else "")
        try:
            self.reply = self.client.request("GET", path, kind="doctor", params=params)
        except SyncError as exc:
            if isinstance(exc, NotFoundError) and self.list_id is not None:
                action = f"list {self.list_id} does not exist on this account: check --list-id"
                return Check("key and host", asked, str(exc), ERROR, action)
            return Check("key and host", asked, str(exc), ERROR, "fix the connection first")
        return Check(
            "key and host",
            asked,
            f"HTTP {self.reply.status}",
            AS_ASSUMED,
            "the key is accepted; plans and applies can reach the account",
        )

    def rate_headers(self) -> Check:
        """rate-limit headers: the answer of the first check"""
        headers = self.reply.headers if self.reply is not None else {}
        found = {k: headers[k] for k in RATE_HEADERS if k in headers}
        answered = ", ".join(f"{k}: {v}" for k, v in found.items()) or "none"
        action = (
            "the client paces itself at the connection's rate_limit (5/s by default) and "
            "waits as Retry-After says after a 429, whatever the headers say"
        )
        verdict = AS_ASSUMED if "ratelimit-limit" in found else UNCLEAR
        return Check(
            RATE_HEADERS_CHECK, "the headers of the first answer", answered, verdict, action
        )

    def sample(self) -> wire.Page[wire.ContactValues]:
        """The first contacts, with side-loaded values (without, when asking for them timed
        out: :attr:`timed_out`)."""
        if self._page is None:
            params = {"limit": SAMPLE_PAGE, "orders[id]": "ASC"}
            try:
                self._page = self.contacts(**params, include="fieldValues")
            except SyncError as exc:
                if not isinstance(exc.__cause__, httpx.TimeoutException):
                    raise
                self.timed_out = True
                self._page = self.contacts(**params)
        return self._page

    def updated_after(self) -> Check:
        """updated_after: two cut-offs around a known contact's udate"""
        name = UPDATED_AFTER
        known = [(r[0], wire.instant(r[5])) for r in self.sample().items]
        dated = [(cid, when) for cid, when in known if when is not None]
        if not dated:
            asked = f"GET /contacts?limit={SAMPLE_PAGE}: a contact with a udate to probe with"
            return Check(name, asked, "none found", UNCLEAR, _OVERLAP)
        cid, udate = dated[0]
        day_start = datetime.fromtimestamp(udate, UTC).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        before, after = max(day_start.timestamp(), udate - 60), udate + 60
        seen = [self._found(cid, iso(cut)) for cut in (before, after)]
        asked = (
            f"GET /contacts?ids[]={cid}&filters[updated_after]=... for contact {cid} "
            f"(udate {iso(udate)}): {iso(before)} and {iso(after)}"
        )
        answered = " / ".join("returned" if s else "not returned" for s in seen)
        granularity = {
            (True, False): INSTANT,
            (False, False): DAY,
            (True, True): DAY_INCLUSIVE,
        }.get((seen[0], seen[1]))
        if granularity is None:
            return Check(name, asked, answered, UNCLEAR, _OVERLAP)
        self.facts[UPDATED_AFTER_FACT] = granularity
        verdict = AS_ASSUMED if granularity == INSTANT else DIFFERS
        meaning = {
            INSTANT: "the time of day is honoured",
            DAY: "only the date: contacts updated on a later day",
            DAY_INCLUSIVE: "only the date: contacts updated on that day or later",
        }[granularity]
        action = _SHORT_OVERLAP if granularity == INSTANT else _OVERLAP
        return Check(name, asked, f"{answered} ({meaning})", verdict, action)

    def list_status(self) -> Check:
        """``status`` with ``listid``: a few members of each status asked for, each checked
        against its own ``GET /contacts/{id}/contactLists``."""
        list_id = self.list_id if self.list_id is not None else self._first_list()
        asked = (
            f"GET /contacts?listid={list_id}&status=1 and status=2 (limit {SPOT}), then "
            "GET /contacts/{id}/contactLists for each contact returned"
        )
        if list_id is None:
            asked = "GET /lists?limit=1: a list to look in"
            return Check(LIST_STATUS, asked, "the account has no list", UNCLEAR, _NO_LIST)
        seen = wrong = 0
        for status in (1, 2):
            params = {"listid": list_id, "status": status, "limit": SPOT}
            page = self.client.get_as("contacts", wire.contacts, kind="doctor", params=params)
            for row in page.items:
                seen += 1
                wrong += self._status_on(str(row[0]), list_id) != status
        answered = f"{seen} contacts checked, {wrong} with another status on list {list_id}"
        if not seen:
            return Check(LIST_STATUS, asked, answered, UNCLEAR, _LIST_STATUS_UNKNOWN)
        if wrong:
            self.facts[LIST_STATUS_FACT] = "ignored"
            return Check(LIST_STATUS, asked, answered, DIFFERS, _LIST_STATUS_IGNORED)
        self.facts[LIST_STATUS_FACT] = "list"
        return Check(LIST_STATUS, asked, answered, AS_ASSUMED, _LIST_STATUS_OK)

    def _first_list(self) -> int | None:
        body = self.reply.body if self.reply is not None else None
        for entry in wire.items(body, "lists"):
            found = wire.as_int(entry.get("id"), -1)
            if found > 0:
                return found
        return None

    def _status_on(self, contact_id: str, list_id: int) -> int | None:
        body = self.client.get(f"contacts/{contact_id}/contactLists", kind="doctor")
        for entry in wire.items(body, "contactLists"):
            if wire.as_int(entry.get("list"), -1) == list_id:
                return wire.as_int(entry.get("status"), -1)
        return None

    def _found(self, cid: str, cutoff: str) -> bool:
        page = self.contacts(
            limit=SAMPLE_PAGE, **{"ids[]": [cid], "filters[updated_after]": cutoff}
        )
        return any(row[0] == cid for row in page.items)

    def field_values(self) -> Check:
        """include=fieldValues: a sample checked against GET /contacts/{id}/fieldValues"""
        name = FIELD_VALUES
        asked = (
            f"GET /contacts?limit={SAMPLE_PAGE}&include=fieldValues, then "
            f"GET /contacts/{{id}}/fieldValues for up to {sideload.SAMPLE} of them"
        )
        page = self.sample()
        if self.timed_out:
            self.facts[SIDELOAD_FACT] = sideload.TIMED_OUT
            return Check(name, asked, "timed out", DIFFERS, _DOCUMENTED)
        ids = [row[0] for row in page.items]
        if not ids:
            return Check(name, asked, "no contacts", UNCLEAR, _SIDELOAD_UNKNOWN)
        if page.field_values is None:
            self.facts[SIDELOAD_FACT] = sideload.DISAGREES
            return Check(name, asked, "no fieldValues array in the page", DIFFERS, _DOCUMENTED)
        lookups, columns = self._columns(page)
        verdict = sideload.verify(self.client, lookups, columns, ids)
        if verdict == sideload.UNKNOWN:
            return Check(name, asked, "no sampled contact has a value", UNCLEAR, _SIDELOAD_UNKNOWN)
        self.facts[SIDELOAD_FACT] = verdict
        if verdict == sideload.VERIFIED:
            answered = "the side-loaded values agree with the documented endpoint"
            return Check(name, asked, answered, AS_ASSUMED, "values come with the contact pages")
        answered = "the side-loaded values disagree with the documented endpoint"
        return Check(name, asked, answered, DIFFERS, _DOCUMENTED)

    def _columns(self, page: wire.Page[wire.ContactValues]) -> tuple[Lookups, Columns]:
        """Every custom field of the account as a column of the page's side-loaded values."""
        fields: dict[str, str] = {}
        for items in offset_pages(self.client, "fields", wire.objects("fields"), kind="doctor"):
            for item in items:
                perstag = wire.normalise_perstag(item.get("perstag"))
                fields.setdefault(perstag, wire.as_id(item.get("id")))
        lookups = Lookups(fields, {}, "", tuple(sorted(fields)), ())
        columns: Columns = {p: {} for p in fields}
        perstag_of = lookups.perstag_of
        for contact, field_id, value in page.field_values or ():
            if field_id in perstag_of:
                columns[perstag_of[field_id]][contact] = wire.text(value)
        return lookups, columns

    def id_ranges(self) -> Check:
        """meta.total with id ranges: two halves must add up to the whole"""
        name = ID_RANGES
        ids = sorted(wire.as_int(row[0]) for row in self.sample().items)
        if len(ids) < 2:
            asked = f"GET /contacts?limit={SAMPLE_PAGE}: two contacts to split the ids between"
            return Check(name, asked, f"{len(ids)} found", UNCLEAR, _RANGES_UNKNOWN)
        split = ids[len(ids) // 2]
        whole = self.contacts(limit=1).total
        left = self.contacts(limit=1, id_less=split).total
        right = self.contacts(limit=1, id_greater=split - 1).total
        scope = f"listid={self.list_id}&" if self.list_id is not None else ""
        asked = (
            f"GET /contacts?{scope}limit=1: alone, with id_less={split}, with "
            f"id_greater={split - 1}"
        )
        answered = f"meta.total {whole}, {left} and {right}"
        if whole is None or left is None or right is None:
            return Check(name, asked, answered, UNCLEAR, _RANGES_UNKNOWN)
        if left + right == whole and left < whole and right < whole:
            self.facts[ID_RANGES_FACT] = ID_RANGES_COUNTED
            action = "a status whose count changed is re-read only where the id ranges differ"
            return Check(name, asked, answered + " (the halves add up)", AS_ASSUMED, action)
        if left == right == whole:
            self.facts[ID_RANGES_FACT] = ID_RANGES_IGNORED
            action = "a status whose count changed is read again in full"
            return Check(name, asked, answered + " (id filters ignored)", DIFFERS, action)
        return Check(name, asked, answered, UNCLEAR, _RANGES_UNKNOWN)


_OVERLAP = (
    "incremental reads ask from a day before the last read's watermark, so a day-granular "
    "filter misses nothing"
)
_LIST_STATUS_OK = "lists are read status by status, as every plan does"
_LIST_STATUS_IGNORED = (
    "plans of this account stop with an error: a list read by status would call "
    "unsubscribed people active"
)
_LIST_STATUS_UNKNOWN = "nothing is stored: run it again once the list has members"
_NO_LIST = "nothing is stored: run it again once the account has a list with members"

_SHORT_OVERLAP = (
    "incremental reads of this account ask from an hour before the last read's watermark "
    "instead of a day (fewer contacts read again)"
)
_DOCUMENTED = "custom field values are read the documented way (by member or by field)"
_SIDELOAD_UNKNOWN = "the first list read verifies include=fieldValues itself"
_RANGES_UNKNOWN = "the first incremental read whose counts differ checks it itself"
