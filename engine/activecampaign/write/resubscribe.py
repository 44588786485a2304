"""Adding back someone the product removed: confirmed on the live contact, then done.

A RESUBSCRIBE comes from the plan's word that the person is unsubscribed *with the
product's removal marker* (``sync-removed-list-L``). That word can be stale (a snapshot, a
saved plan) and the marker alone can be wrong: someone who unsubscribed themselves just
before a stale plan removed them carries it too. So right before writing, the contact is
read live and the re-subscribe goes ahead only when

1. their list status is *unsubscribed* (``GET /contacts/{id}/contactLists``), and
2. they carry the marker (``GET /contacts/{id}/contactTags``), and
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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.lookup import find_tag
from engine.contacts import ListStatus, removal_marker

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


def evidence(client: Client, list_id: int, contact_id: str) -> Evidence:
    """Read the contact's membership of the list and its removal marker (2-3 requests)."""
    status, unsubscribed = None, None
    body = client.get(f"contacts/{contact_id}/contactLists", kind="contact_lists")
    for entry in wire.items(body, "contactLists"):
        if wire.as_int(entry.get("list"), -1) == int(list_id):
            status = ListStatus.parse(entry.get("status"))
            unsubscribed = wire.instant(entry.get("udate"))
    link, marked = None, None
    marker_id = find_tag(client, removal_marker(list_id))
    if marker_id is not None:
        tags = client.get(f"contacts/{contact_id}/contactTags", kind="contact_tags")
        for entry in wire.items(tags, "contactTags"):
            if wire.as_id(entry.get("tag")) == marker_id:
                link, marked = wire.as_id(entry.get("id")), wire.instant(entry.get("cdate"))
    return Evidence(status, unsubscribed, link, marked)


def subscribe(client: Client, list_id: int, contact_id: str) -> None:
    """Status 1 on the list, as an API re-subscribe (``sourceid`` 4)."""
    entry = {"list": list_id, "contact": contact_id, "status": 1, "sourceid": 4}
    client.request("POST", "contactLists", kind="contact_list", json={"contactList": entry})


def drop_marker(client: Client, link: str) -> None:
    """Delete the marker's contactTag (404: already gone, which is the goal)."""
    client.request("DELETE", f"contactTags/{link}", kind="contact_tag_delete", accept=(404,))


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
