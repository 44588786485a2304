"""ActiveCampaign's JSON shapes, as the recorded real responses show them.

Ids and counts are strings; a few write answers carry numbers (``contactList.status``,
``sourceid``, ``field.ordernum``) because the real ones do. Dates are rendered in UTC
(the sandbox account's timezone): ``cdate`` as ISO-8601 with offset, ``*_timestamp`` as
``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
from datetime import UTC, datetime
from typing import Any

CONTACT_LINKS = (
    "bounceLogs",
    "contactAutomations",
    "contactData",
    "contactGoals",
    "contactLists",
    "contactLogs",
    "contactTags",
    "contactDeals",
    "deals",
    "fieldValues",
    "geoIps",
    "notes",
    "organization",
    "plusAppend",
    "trackingLogs",
    "scoreValues",
    "accountContacts",
    "automationEntryCounts",
)
CONTACT_LIST_LINKS = (
    "automation",
    "list",
    "contact",
    "form",
    "autosyncLog",
    "campaign",
    "unsubscribeAutomation",
    "message",
)


def iso(seconds: float | None) -> str | None:
    return None if seconds is None else _iso(int(seconds))


def stamp(seconds: float) -> str:
    return _stamp(int(seconds))


@functools.lru_cache(maxsize=4096)  # rows written together share their second
def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


@functools.lru_cache(maxsize=4096)
def _stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def contact_hash(contact_id: int, email: str) -> str:
    return hashlib.md5(f"{contact_id}{email}".encode()).hexdigest()


def contact_links(base: str, contact_id: int) -> dict[str, str]:
    links = {name: f"{base}/contacts/{contact_id}/{name}" for name in CONTACT_LINKS}
    links["contactAutomations"] += "?limit=1000&orders%5Blastdate%5D=DESC"
    return links


def contact_record(row: sqlite3.Row, base: str) -> dict[str, Any]:
    """The full contact record (without the trailing ``links``, ``id``, ``organization``)."""
    cid = int(row["id"])
    return {
        "cdate": iso(row["cdate"]),
        "email": row["email"],
        "phone": row["phone"],
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "orgid": "1" if row["orgname"] else "0",
        "orgname": row["orgname"],
        "segmentio_id": "",
        "bounced_hard": "0",
        "bounced_soft": "0",
        "bounced_date": None,
        "ip": "0",
        "ua": None,
        "hash": contact_hash(cid, row["email"]),
        "socialdata_lastcheck": None,
        "email_local": "",
        "email_domain": "",
        "sentcnt": "0",
        "rating_tstamp": None,
        "gravatar": "0",
        "deleted": "0",
        "anonymized": "0",
        "adate": None,
        "udate": iso(row["udate"]),
        "edate": None,
        "deleted_at": None,
        "created_utc_timestamp": stamp(row["cdate"]),
        "updated_utc_timestamp": stamp(row["udate"]),
        "created_timestamp": stamp(row["cdate"]),
        "updated_timestamp": stamp(row["udate"]),
        "created_by": None,
        "updated_by": None,
    }


def _tail(record: dict[str, Any], row: sqlite3.Row, base: str) -> dict[str, Any]:
    record["links"] = contact_links(base, int(row["id"]))
    record["id"] = str(row["id"])
    record["organization"] = "1" if row["orgname"] else None
    return record


def contact_in_list(row: sqlite3.Row, base: str) -> dict[str, Any]:
    """A contact as ``GET /contacts`` lists it."""
    record = contact_record(row, base)
    record.update(email_empty=False, scoreValues=[], accountContacts=[])
    return _tail(record, row, base)


def contact_sideloaded(row: sqlite3.Row, base: str) -> dict[str, Any]:
    """A contact in the ``contacts`` array of a write answer (contactLists, contactTags)."""
    record = contact_record(row, base)
    record["email_empty"] = False
    return _tail(record, row, base)


def contact_detail(row: sqlite3.Row, base: str, related: dict[str, list[str]]) -> dict[str, Any]:
    """A contact as ``GET /contacts/{id}`` and a sync of an existing email answer it."""
    record = contact_record(row, base)
    for key in ("contactAutomations", "contactLists", "fieldValues", "geoIps", "deals"):
        record[key] = related.get(key, [])
    record["accountContacts"] = []
    return _tail(record, row, base)


def contact_created(row: sqlite3.Row, base: str) -> dict[str, Any]:
    """The short contact a sync of a new email answers with."""
    cid = int(row["id"])
    return {
        "email": row["email"],
        "phone": row["phone"],
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "email_empty": False,
        "cdate": iso(row["cdate"]),
        "udate": iso(row["udate"]),
        "orgid": "",
        "orgname": "",
        "links": contact_links(base, cid),
        "hash": contact_hash(cid, row["email"]),
        "id": str(cid),
        "organization": "",
    }


def contact_list_written(row: sqlite3.Row, contact: sqlite3.Row, base: str) -> dict[str, Any]:
    """``contactList`` in the answer of ``POST /contactLists`` (status, sourceid numbers)."""
    mid = int(row["id"])
    return {
        "status": int(row["status"]),
        "list": str(row["list_id"]),
        "contact": str(row["contact_id"]),
        "sdate": iso(row["sdate"]),
        "udate": iso(row["udate"]),
        "unsubreason": row["unsubreason"],
        "campaign": None,
        "message": None,
        "first_name": contact["first_name"],
        "last_name": contact["last_name"],
        "sourceid": int(row["sourceid"]),
        "unsubscribeAutomation": None,
        "links": {k: f"{base}/contactLists/{mid}/{k}" for k in CONTACT_LIST_LINKS},
        "id": str(mid),
    }


def contact_list_read(row: sqlite3.Row, contact: sqlite3.Row, base: str) -> dict[str, Any]:
    """A membership as ``GET /contacts/{id}/contactLists`` lists it (all strings)."""
    mid = int(row["id"])
    return {
        "contact": str(row["contact_id"]),
        "list": str(row["list_id"]),
        "form": None,
        "seriesid": "0",
        "sdate": iso(row["sdate"]),
        "udate": iso(row["udate"]),
        "status": str(row["status"]),
        "responder": "1",
        "sync": "0",
        "unsubreason": row["unsubreason"],
        "campaign": None,
        "message": None,
        "first_name": contact["first_name"],
        "last_name": contact["last_name"],
        "ip4Sub": "0",
        "sourceid": str(row["sourceid"]),
        "autosyncLog": None,
        "ip4_last": "0",
        "ip4Unsub": "0",
        "created_timestamp": stamp(row["sdate"]),
        "updated_timestamp": stamp(row["udate"] or row["sdate"]),
        "created_by": None,
        "updated_by": None,
        "unsubscribeAutomation": None,
        "links": {k: f"{base}/contactLists/{mid}/{k}" for k in CONTACT_LIST_LINKS},
        "id": str(mid),
        "automation": None,
    }


def field_value(row: sqlite3.Row, base: str) -> dict[str, Any]:
    fid = int(row["id"])
    return {
        "contact": str(row["contact_id"]),
        "field": str(row["field_id"]),
        "value": row["value"],
        "cdate": iso(row["cdate"]),
        "udate": iso(row["udate"]),
        "created_by": None,
        "updated_by": None,
        "links": {
            "owner": f"{base}/fieldValues/{fid}/owner",
            "field": f"{base}/fieldValues/{fid}/field",
        },
        "id": str(fid),
        "owner": str(row["contact_id"]),
    }


def contact_tag(row: sqlite3.Row, base: str, *, full: bool = True) -> dict[str, Any]:
    tid = int(row["id"])
    record: dict[str, Any] = {
        "contact": str(row["contact_id"]),
        "tag": str(row["tag_id"]),
        "cdate": iso(row["cdate"]),
    }
    if full:
        record.update(
            created_timestamp=stamp(row["cdate"]),
            updated_timestamp=stamp(row["cdate"]),
            created_by=None,
            updated_by=None,
        )
    record["links"] = {
        "tag": f"{base}/contactTags/{tid}/tag",
        "contact": f"{base}/contactTags/{tid}/contact",
    }
    record["id"] = str(tid)
    return record


def tag(row: sqlite3.Row, base: str, subscribers: int) -> dict[str, Any]:
    return {
        "tagType": row["tag_type"],
        "tag": row["tag"],
        "description": row["description"],
        "subscriber_count": str(subscribers),
        "cdate": iso(row["cdate"]),
        "created_timestamp": stamp(row["cdate"]),
        "updated_timestamp": stamp(row["cdate"]),
        "created_by": None,
        "updated_by": None,
        "links": {"contactGoalTags": f"{base}/tags/{row['id']}/contactGoalTags"},
        "id": str(row["id"]),
    }


def field(row: sqlite3.Row, base: str) -> dict[str, Any]:
    return {
        "title": row["title"],
        "descript": row["descript"],
        "type": row["type"],
        "isrequired": row["isrequired"],
        "perstag": row["perstag"],
        "defval": row["defval"],
        "show_in_list": "0",
        "rows": "0",
        "cols": "0",
        "visible": row["visible"],
        "service": "",
        "ordernum": str(row["ordernum"]),
        "cdate": iso(row["cdate"]),
        "udate": iso(row["udate"]),
        "created_timestamp": stamp(row["cdate"]),
        "updated_timestamp": stamp(row["udate"]),
        "created_by": None,
        "updated_by": None,
        "options": [],
        "relations": [],
        "links": field_links(base, int(row["id"])),
        "id": str(row["id"]),
    }


def field_links(base: str, field_id: int) -> dict[str, str]:
    return {
        "options": f"{base}/fields/{field_id}/options",
        "relations": f"{base}/fields/{field_id}/relations",
    }


def list_links(base: str, list_id: int) -> dict[str, str]:
    return {
        name: f"{base}/lists/{list_id}/{name}"
        for name in ("contactGoalLists", "user", "addressLists")
    }
