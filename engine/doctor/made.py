"""The scratch objects one ``sync doctor --write`` run makes, and the reads and writes of them.

:class:`Made` creates a list, a text field related to it, a tag and contact A subscribed to
the list, each recorded in the run's :class:`~.scratch.Scratch` as soon as it exists (so it
is deleted whatever happens next). Lists and fields are created without resending after an
ambiguous failure (a second one could be made): clean-up finds such a one by name. Imports
are sent with ``exclude_automations`` (per contact, where the documented example puts it,
and at the top, where a guide does) and followed to their end; :attr:`Made.pending` says
when one may still be running (it could create contacts after clean-up).
"""

from __future__ import annotations

from typing import Any

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.lookup import contact_by_email, ensure_tag
from engine.activecampaign.write.bulk import FollowPolicy, Queued, follow
from engine.apply import Settled
from engine.errors import SyncError

from .scratch import Scratch

FOLLOW = FollowPolicy(first_poll=1.0, max_interval=5.0, deadline=300.0)
QUIET = {"exclude_automations": True}
SENDER_URL = "https://example.com"  # a list needs one; the scratch list sends nothing
REMINDER = "A scratch object of sync doctor --write; it deletes it itself."


class Made:
    """One run's scratch list, field, tag and contact A, and requests about them."""

    def __init__(self, client: Client, scratch: Scratch) -> None:
        self.client, self.scratch = client, scratch
        self.list_id = self.field = self.tag = self.contact = ""
        self.pending = False  # an import may not have finished
        self.refusal: object = None  # the body of the last import that was not queued

    def setup(self) -> None:
        name = self.scratch.name
        listed = {"name": name, "stringid": name, "sender_url": SENDER_URL}
        self.list_id = self._create("lists", "list", {**listed, "sender_reminder": REMINDER})
        field = {"title": name, "type": "text", "descript": REMINDER, "visible": "1"}
        self.field = self._create("fields", "field", field)
        rel = {"fieldRel": {"field": self.field, "relid": self.list_id}}
        self.client.request("POST", "fieldRels", kind="doctor", json=rel)
        self.tag = ensure_tag(self.client, name)
        self.scratch.add("tag", self.tag, name)
        self.contact = self.new_contact(self.scratch.email("a"))
        self.status(self.contact, 1)

    def _create(self, path: str, key: str, data: dict[str, str]) -> str:
        reply = self.client.request("POST", path, kind="doctor", json={key: data}, idempotent=False)
        created = reply.body.get(key) if isinstance(reply.body, dict) else None
        ident = wire.as_id(created.get("id")) if isinstance(created, dict) else ""
        if not ident:
            raise SyncError(f"POST /{path} answered without an id ({reply.status})")
        self.scratch.add(key, ident, data.get("name") or data["title"])
        return ident

    def new_contact(self, email: str) -> str:
        reply = self.client.request(
            "POST", "contact/sync", kind="doctor", json={"contact": {"email": email}}
        )
        contact = reply.body.get("contact") if isinstance(reply.body, dict) else None
        ident = wire.as_id(contact.get("id")) if isinstance(contact, dict) else ""
        if not ident:
            raise SyncError(f"POST /contact/sync answered without a contact id ({reply.status})")
        self.scratch.add("contact", ident, email)
        return ident

    def found(self, email: str) -> str:
        """The id of a contact an import made (recorded for clean-up), or ''."""
        ident = contact_by_email(self.client, email) or ""
        self.scratch.add("contact", ident, email)
        return ident

    # ------------------------------------------------------------------ writes

    def status(self, contact: str, status: int) -> None:
        entry = {"list": self.list_id, "contact": contact, "status": status}
        self.client.request("POST", "contactLists", kind="doctor", json={"contactList": entry})

    def write_value(self, value: str) -> bool:
        """A value of the scratch field for A (``POST /fieldValues``); True once stored."""
        entry = {"contact": self.contact, "field": self.field, "value": value}
        self.client.request("POST", "fieldValues", kind="doctor", json={"fieldValue": entry})
        body = self.client.get(f"contacts/{self.contact}/fieldValues", kind="doctor")
        return any(
            wire.as_id(v.get("field")) == self.field and wire.text(v.get("value")) == value
            for v in wire.items(body, "fieldValues")
        )

    def write_tag(self) -> bool:
        """The scratch tag on A; True once A carries it."""
        link = {"contactTag": {"contact": self.contact, "tag": self.tag}}
        self.client.request("POST", "contactTags", kind="doctor", json=link)
        body = self.client.get(f"contacts/{self.contact}/contactTags", kind="doctor")
        return any(wire.as_id(t.get("tag")) == self.tag for t in wire.items(body, "contactTags"))

    def imported(self, contacts: list[dict[str, Any]], emails: tuple[str, ...]) -> Settled | None:
        """Import ``contacts`` (quietly) and follow the batch to its end; None: not queued."""
        earlier, self.pending = self.pending, True  # from the moment it is sent
        reply = self.client.request(
            "POST",
            "import/bulk_import",
            kind="doctor",
            json={"contacts": [{**c, **QUIET} for c in contacts], **QUIET},
            accept=(400, 422),
            bulk_contacts=len(contacts),
        )
        batch = wire.as_id(reply.body.get("batchId")) if isinstance(reply.body, dict) else ""
        if reply.status >= 300 or not batch:
            self.pending = earlier or reply.status < 300  # queued, but no batch to follow
            self.refusal = reply.body
            return None
        outcome = Settled()
        follow(self.client, Queued(batch, emails, self.client.clock()), FOLLOW, outcome)
        self.pending = earlier or bool(outcome.unknown)
        return outcome

    # ------------------------------------------------------------------ reads

    def udate(self) -> float | None:
        body = self.client.get(f"contacts/{self.contact}", kind="doctor")
        contact = body.get("contact") if isinstance(body, dict) else None
        return wire.instant(contact.get("udate")) if isinstance(contact, dict) else None

    def membership(self, contact: str) -> tuple[int | None, float | None]:
        """A contact's status on the scratch list and the contactList's ``udate``."""
        body = self.client.get(f"contacts/{contact}/contactLists", kind="doctor")
        for entry in wire.items(body, "contactLists"):
            if wire.as_id(entry.get("list")) == self.list_id:
                return wire.as_int(entry.get("status"), -1), wire.instant(entry.get("udate"))
        return None, None

    def unsubscribed(self) -> tuple[int | None, float | None]:
        """A's status and unsubscribe date, unsubscribing A first when a probe before did
        not (it failed half-way)."""
        status, date = self.membership(self.contact)
        if status != 2:
            self.status(self.contact, 2)
            status, date = self.membership(self.contact)
        return status, date
