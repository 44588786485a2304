"""Adding back someone the product removed: confirmed on the live contact, then done.

A RESUBSCRIBE comes from the plan's word that the person is unsubscribed *with the
product's removal marker* (``sync-removed-list-L``). That word can be stale (a snapshot, a
saved plan) and the marker alone can be wrong: someone who unsubscribed themselves just
before a stale plan removed them carries it too. So right before writing, the contact is
read live and the re-subscribe goes ahead only when

1. their list status is *unsubscribed* (read live, in batches: see *Cost* below), and
2. they carry the marker, and
3. the unsubscribe happened when the marker was added: the contactList's unsubscribe date
   (``udate``) is within :data:`SAME_TIME` of the marker contactTag's ``cdate``. The product
   unsubscribes and marks in one go (one bulk-import contact, or two requests a moment
   apart); a person who unsubscribed themselves before the product "removed" them has an
   older unsubscribe date (re-sending an unsubscribe does not move it), and one who came
   back and unsubscribed again later has a newer one.

Otherwise the person is *skipped*, with the reason, and nothing is written for them. Someone
found active already only has the stale marker removed (and their values written).
Then: ``POST /contactLists`` status 1 with ``sourceid`` 4 (ActiveCampaign's advice for API
re-subscribes), and the marker's contactTag is deleted (after the subscribe).

Cost (the issue: 289 people took 305 s at ~6 requests each). The evidence is read 100
people a request, live, right before writing: ``GET /contacts?ids[]=...&include=
contactLists,contactTags`` (the ids come with the plan, from the list read; one ``GET
/tags`` finds the marker tag's id once per run). Then a person costs the subscribe and the
marker delete: **2 requests** (:data:`PER_PERSON`); 4 on the documented path.
``include=`` is undocumented (practitioner code and ActiveCampaign's community rely on
``include=contactLists`` for opt-outs), so each batch is *spot-checked*: its first person's
status and unsubscribe date are read the documented way (``GET
/contacts/{id}/contactLists``), and a batch that disagrees, or lacks either array, is not
used at all. Only what a batch positively shows is used (a membership of this list; a
marker link); anyone else is read the documented way, per person: contactLists (a 404: the
contact was deleted), then contactTags. A contact the plan has no id for (a plan file from
before ids were saved) is looked up by email first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.lookup import find_tag
from engine.contacts import ListStatus, removal_marker
from engine.errors import PermanentError

SAME_TIME = 120.0
"""Seconds between the unsubscribe and the marker for them to be one removal."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the live contact says: list status, unsubscribe date, the marker's link."""

    status: ListStatus | None
    unsubscribed_at: float | None
    marker_link: str | None
    marked_at: float | None

    def refusal(self) -> str | None:
        """Why the contact is not re-subscribed (None: confirmed, or already active)."""
        if self.status is ListStatus.ACTIVE:
            return None
        if self.status is not ListStatus.UNSUBSCRIBED:
            now = "not on the list" if self.status is None else self.status.name.lower()
            return f"not re-subscribed: their list status is {now} now, not unsubscribed"
        if self.marker_link is None:
            return "not re-subscribed: they no longer carry the product's removal marker"
        if self.unsubscribed_at is None or self.marked_at is None:
            return (
                "not re-subscribed: ActiveCampaign gave no date for the unsubscribe or the "
                "marker, so it cannot be confirmed that the product removed them"
            )
        if abs(self.unsubscribed_at - self.marked_at) > SAME_TIME:
            return (
                f"not re-subscribed: they unsubscribed at {_utc(self.unsubscribed_at)} and the "
                f"removal marker was added at {_utc(self.marked_at)}; the unsubscribe was not "
                "the product's (they may have unsubscribed themselves)"
            )
        return None


PER_PERSON = 2
"""Requests per re-entering person once the batched evidence is read: subscribe, delete."""

BATCH = 100
"""Contacts per ``GET /contacts?ids[]=...`` (the documented page limit)."""


def requests_for(people: int) -> int:
    """What re-subscribing ``people`` costs when the batched evidence is usable: the marker
    tag once, a batch and its spot check per 100 people, then :data:`PER_PERSON` each."""
    if people <= 0:
        return 0
    return 1 + 2 * -(-people // BATCH) + PER_PERSON * people


@dataclass(frozen=True, slots=True)
class Marker:
    """The removal marker on one contact: its contactTag's id and when it was added."""

    link: str
    added_at: float | None


Membership = tuple[ListStatus | None, float | None]
"""A contact's status on the list and its unsubscribe date (``udate``)."""


class Confirmations:
    """The live evidence of the people re-entering one list, read in batches."""

    def __init__(self, client: Client, list_id: int) -> None:
        self.client = client
        self.list_id = int(list_id)
        self.tag_id = find_tag(client, removal_marker(list_id))
        self.memberships: dict[str, Membership] = {}
        self.markers: dict[str, Marker] = {}
        self.tags_read: set[str] = set()  # contacts whose markers are known (found or not)
        self.batches = self.batches_used = 0

    def prefetch(self, contact_ids: Sequence[str]) -> None:
        """Read the evidence of ``contact_ids``, 100 a request; keep each batch that
        passes its spot check."""
        wanted = list(dict.fromkeys(contact_ids))
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            params = {"ids[]": chunk, "include": "contactLists,contactTags", "limit": BATCH}
            body = self.client.get("contacts", kind="contacts", params=params)
            self.batches += 1
            self._take(body, set(chunk))

    def _take(self, body: object, asked: set[str]) -> None:
        if not isinstance(body, dict):
            return
        lists, tags = body.get("contactLists"), body.get("contactTags")
        if not isinstance(lists, list) or not isinstance(tags, list):
            return  # not side-loaded here: each person is read the documented way
        returned = [wire.as_id(c.get("id")) for c in wire.items(body, "contacts")]
        returned = [cid for cid in returned if cid in asked]  # ids[] ignored: others sent
        memberships: dict[str, Membership] = {}
        for entry in wire.items(body, "contactLists"):
            contact = wire.as_id(entry.get("contact"))
            if contact in asked and wire.as_int(entry.get("list"), -1) == self.list_id:
                status = ListStatus.parse(entry.get("status"))
                memberships[contact] = (status, wire.instant(entry.get("udate")))
        checked = next((cid for cid in returned if cid in memberships), None)
        if checked is None or self._documented(checked) != memberships[checked]:
            return  # the spot check failed (or had nothing to check): not used
        self.batches_used += 1
        self.memberships.update(memberships)
        for entry in wire.items(body, "contactTags"):
            contact = wire.as_id(entry.get("contact"))
            if contact in memberships and wire.as_id(entry.get("tag")) == self.tag_id:
                self.markers[contact] = Marker(
                    wire.as_id(entry.get("id")), wire.instant(entry.get("cdate"))
                )
                self.tags_read.add(contact)

    def _documented(self, contact_id: str) -> Membership | None:
        """``GET /contacts/{id}/contactLists``: the status and unsubscribe date on this list
        (``(None, None)``: not on it); None when the contact no longer exists."""
        reply = self.client.request(
            "GET", f"contacts/{contact_id}/contactLists", kind="contact_lists", accept=(404,)
        )
        if reply.status == 404:
            return None
        for entry in wire.items(reply.body, "contactLists"):
            if wire.as_int(entry.get("list"), -1) == self.list_id:
                return ListStatus.parse(entry.get("status")), wire.instant(entry.get("udate"))
        return None, None

    def _marker(self, contact_id: str) -> Marker | None:
        if self.tag_id is None:
            return None
        if contact_id not in self.tags_read:
            body = self.client.get(f"contacts/{contact_id}/contactTags", kind="contact_tags")
            for entry in wire.items(body, "contactTags"):
                if wire.as_id(entry.get("tag")) == self.tag_id:
                    self.markers[contact_id] = Marker(
                        wire.as_id(entry.get("id")), wire.instant(entry.get("cdate"))
                    )
            self.tags_read.add(contact_id)
        return self.markers.get(contact_id)

    def evidence(self, contact_id: str) -> Evidence | None:
        """What the live contact says: from its batch, else read (1-2 requests); None when
        the contact no longer exists."""
        membership = self.memberships.get(contact_id) or self._documented(contact_id)
        if membership is None:
            return None
        status, unsubscribed = membership
        if status is not ListStatus.UNSUBSCRIBED and status is not ListStatus.ACTIVE:
            return Evidence(status, unsubscribed, None, None)  # refused whatever the marker
        marker = self._marker(contact_id)
        if marker is None:
            return Evidence(status, unsubscribed, None, None)
        return Evidence(status, unsubscribed, marker.link, marker.added_at)


def subscribe(client: Client, list_id: int, contact_id: str) -> None:
    """Status 1 on the list, as an API re-subscribe (``sourceid`` 4)."""
    entry = {"list": list_id, "contact": contact_id, "status": 1, "sourceid": 4}
    client.request("POST", "contactLists", kind="contact_list", json={"contactList": entry})


def unsubscribe(client: Client, list_id: int, contact_id: str) -> None:
    """Status 2 on the list."""
    entry = {"list": list_id, "contact": contact_id, "status": 2}
    client.request("POST", "contactLists", kind="contact_list", json={"contactList": entry})


def add_marker(client: Client, contact_id: str, tag_id: str) -> None:
    """Tag the contact with the marker (a 422 "already exists" is the goal reached)."""
    link = {"contactTag": {"contact": contact_id, "tag": tag_id}}
    reply = client.request("POST", "contactTags", kind="contact_tag", json=link, accept=(422,))
    if reply.status == 422 and "exist" not in wire.error_message(reply.body).lower():
        raise PermanentError(f"removal marker not added: {wire.error_message(reply.body)}")


def drop_marker(client: Client, link: str) -> None:
    """Delete the marker's contactTag (404: already gone, which is the goal)."""
    client.request("DELETE", f"contactTags/{link}", kind="contact_tag_delete", accept=(404,))


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
