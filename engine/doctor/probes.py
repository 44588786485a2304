"""``sync doctor --write``: what the account does when written to, probed on scratch objects.

Only objects this run creates are written (:mod:`.scratch`: a list, a text field related to
it, a tag, a few contacts, all named ``sync-doctor-<stamp>``); they are deleted at the end,
after a failed probe and after Ctrl-C too, and what could not be deleted is said (the next
``sync doctor --write`` or ``--clean`` finds it by name). Imports are sent with
``exclude_automations`` (per contact, where the documented example puts it, and at the top,
where a guide does); the other writes (``contact/sync``, ``contactLists``, ``contactTags``,
``fieldValues``) may start the account's automations and webhooks for a scratch contact,
as any API write does. The probes, in order, on scratch contact A subscribed to the
scratch list:

1. **which writes move ``udate``**: A's ``udate`` read after a value of the scratch field
   (``POST /fieldValues``), a tag and a list status (unsubscribe) are written, two seconds
   apart (``udate`` has whole seconds; a write that seems not to move it is read again
   after two more);
2. **a re-sent unsubscribe**: the contactList's ``udate`` (the unsubscribe date) read
   before and after A is unsubscribed again, by ``contactLists`` and by bulk import (the
   two ways the product removes people);
3. **bulk import of an unsubscribed contact**: A (checked unsubscribed first) and a new
   contact C imported with ``subscribe`` and followed to the end: is A active again?
4. **``failureReasons[].contact``**: an import of three contacts whose second has an
   invalid email; 2 is a 1-based position, 1 a 0-based one.

The verdicts are stored as account facts (:mod:`engine.facts`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.lookup import contact_by_email, ensure_tag
from engine.activecampaign.write.bulk import FollowPolicy, Queued, follow
from engine.apply import Settled
from engine.errors import SyncError
from engine.facts import (
    BULK_RESUBSCRIBES_FACT,
    FAILURE_BASE_FACT,
    KEPT,
    MOVED,
    NO,
    ONE_BASED,
    RESENT_UNSUBSCRIBE_FACT,
    UDATE_FACTS,
    YES,
    ZERO_BASED,
)

from .checks import AS_ASSUMED, DIFFERS, ERROR, UNCLEAR, Check, guarded
from .scratch import DOMAIN, Cleaned, Scratch, clean, find

GAP = 2.0
"""Seconds between two probed writes (``udate`` has whole seconds)."""
FOLLOW = FollowPolicy(first_poll=1.0, max_interval=5.0, deadline=300.0)
QUIET = {"exclude_automations": True}
SENDER_URL = "https://example.com"  # a list needs one; the scratch list sends nothing

UDATE = "writes that move udate"
RESENT = "a re-sent unsubscribe"
IMPORT_UNSUBSCRIBED = "bulk import of an unsubscribed contact"
POSITION = "failureReasons[].contact"
WRITE_CHECKS = (UDATE, RESENT, IMPORT_UNSUBSCRIBED, POSITION)


@dataclass(slots=True)
class Probed:
    """What the write probes found, and what became of the scratch objects."""

    scratch: str
    checks: list[Check] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    earlier: Cleaned | None = None  # leftovers of earlier runs, deleted first
    in_use: Scratch = field(default_factory=Scratch)  # another run's, left alone
    cleaned: Cleaned = field(default_factory=Cleaned)
    interrupted: bool = False
    pending: bool = False  # an import may not have finished: contacts may appear later

    @property
    def complete(self) -> bool:
        """Everything made (and found) was deleted, and the account could be searched."""
        return self.cleaned.complete and (self.earlier is None or self.earlier.complete)


def probe(client: Client, scratch: Scratch, now: float) -> Probed:
    """Clean up after earlier runs, probe, clean up (also after a failure or Ctrl-C)."""
    probed = Probed(scratch.name)
    try:
        found = find(client, now, scratch.stamp)
        probed.in_use = found.in_use
        if found.mine.count():
            probed.earlier = clean(client, found.mine)
        if probed.earlier is not None and probed.earlier.interrupted:
            probed.interrupted = True
            return probed  # nothing of this run was made
        _Prober(client, scratch, probed).run()
    except KeyboardInterrupt:
        probed.interrupted = True
    except Exception as exc:  # a failed search, or a bug: still clean up, and say it
        why = f"{type(exc).__name__}: {exc}" if not isinstance(exc, SyncError) else str(exc)
        probed.checks.append(Check("write probes", "", f"stopped: {why}", ERROR, NOTHING_STORED))
    probed.cleaned = clean_up(client, scratch, now)
    probed.interrupted = probed.interrupted or probed.cleaned.interrupted
    return probed


def clean_up(client: Client, scratch: Scratch, now: float) -> Cleaned:
    """Delete what this run made, with what else of it is found by name (contacts an
    import created, a list whose create answer was lost)."""
    try:
        scratch.merge(find(client, now, scratch.stamp).mine.of_run(scratch.stamp))
    except SyncError as exc:
        done = clean(client, scratch)
        done.search_failed = str(exc)
        return done
    except KeyboardInterrupt:
        done = clean(client, scratch)
        done.interrupted = True
        return done
    return clean(client, scratch)


class _Prober:
    def __init__(self, client: Client, scratch: Scratch, probed: Probed) -> None:
        self.client, self.scratch, self.probed = client, scratch, probed
        self.list_id = self.field = self.tag = self.contact = ""

    def run(self) -> None:
        try:
            self._setup()
        except SyncError as exc:
            reason = f"the scratch objects could not be made: {exc}"
            for name in WRITE_CHECKS:
                self.probed.checks.append(Check(name, "", reason, ERROR, NOTHING_STORED))
            return
        probes = (self.udate, self.resent, self.import_unsubscribed, self.position)
        for name, check in zip(WRITE_CHECKS, probes, strict=True):
            self.probed.checks.append(guarded(name, check))

    # ------------------------------------------------------------------ scratch objects

    def _setup(self) -> None:
        name = self.scratch.name
        self.list_id = self._create(
            "lists",
            "list",
            {"name": name, "stringid": name, "sender_url": SENDER_URL, "sender_reminder": REMINDER},
        )
        self.scratch.add("list", self.list_id, name)
        self.field = self._create(
            "fields", "field", {"title": name, "type": "text", "descript": REMINDER, "visible": "1"}
        )
        self.scratch.add("field", self.field, name)
        rel = {"fieldRel": {"field": self.field, "relid": self.list_id}}
        self.client.request("POST", "fieldRels", kind="doctor", json=rel)
        self.tag = ensure_tag(self.client, name)
        self.scratch.add("tag", self.tag, name)
        self.contact = self._contact(self.scratch.email("a"))
        self._status(self.contact, 1)

    def _create(self, path: str, key: str, data: dict[str, str]) -> str:
        """A list or field (not resent after an ambiguous failure: clean-up finds it)."""
        reply = self.client.request("POST", path, kind="doctor", json={key: data}, idempotent=False)
        created = reply.body.get(key) if isinstance(reply.body, dict) else None
        ident = wire.as_id(created.get("id")) if isinstance(created, dict) else ""
        if not ident:
            raise SyncError(f"POST /{path} answered without an id ({reply.status})")
        return ident

    def _contact(self, email: str) -> str:
        reply = self.client.request(
            "POST", "contact/sync", kind="doctor", json={"contact": {"email": email}}
        )
        contact = reply.body.get("contact") if isinstance(reply.body, dict) else None
        ident = wire.as_id(contact.get("id")) if isinstance(contact, dict) else ""
        if not ident:
            raise SyncError(f"POST /contact/sync answered without a contact id ({reply.status})")
        self.scratch.add("contact", ident, email)
        return ident

    def _status(self, contact: str, status: int) -> None:
        entry = {"list": self.list_id, "contact": contact, "status": status}
        self.client.request("POST", "contactLists", kind="doctor", json={"contactList": entry})

    def _udate(self) -> float | None:
        body = self.client.get(f"contacts/{self.contact}", kind="doctor")
        contact = body.get("contact") if isinstance(body, dict) else None
        return wire.instant(contact.get("udate")) if isinstance(contact, dict) else None

    def _membership(self, contact: str) -> tuple[int | None, float | None]:
        body = self.client.get(f"contacts/{contact}/contactLists", kind="doctor")
        for entry in wire.items(body, "contactLists"):
            if wire.as_id(entry.get("list")) == self.list_id:
                return wire.as_int(entry.get("status"), -1), wire.instant(entry.get("udate"))
        return None, None

    # ------------------------------------------------------------------ probes

    def udate(self) -> Check:
        """A field value, a tag and a list status written, ``udate`` read after each."""
        asked = (
            f"contact {self.contact}'s udate (GET /contacts/{{id}}) before and after each of: "
            "a value of the scratch text field (POST /fieldValues), a tag (contactTags), an "
            f"unsubscribe (contactLists), {GAP:.0f} s apart"
        )
        writes: dict[str, Callable[[], bool]] = {
            "field": self._write_value,
            "tag": self._write_tag,
            "status": self._write_status,
        }
        seen: dict[str, str] = {}
        self.client.sleep(GAP)  # the setup's own writes are seconds old
        before = self._udate()
        for kind, write in writes.items():
            self.client.sleep(GAP)
            if not write():
                seen[kind] = "not written"
                continue
            after = self._udate()
            if after is not None and after == before:  # read again: it may lag
                self.client.sleep(GAP)
                after = self._udate()
            if before is None or after is None:
                seen[kind] = "no udate"
            else:
                seen[kind] = YES if after > before else NO
                self.probed.facts[UDATE_FACTS[kind]] = seen[kind]
            before = after
        answered = ", ".join(f"{k}: {v}" for k, v in seen.items())
        if NO in seen.values():
            unseen = [k for k in ("field", "tag") if seen.get(k) == NO]
            return Check(UDATE, asked, answered, DIFFERS, UDATE_UNSEEN if unseen else STATUS_UNSEEN)
        if all(v == YES for v in seen.values()):
            return Check(UDATE, asked, answered, AS_ASSUMED, UDATE_OK)
        return Check(UDATE, asked, answered, UNCLEAR, UDATE_PARTLY)

    def _write_value(self) -> bool:
        value = f"{self.scratch.name} probe"
        entry = {"contact": self.contact, "field": self.field, "value": value}
        self.client.request("POST", "fieldValues", kind="doctor", json={"fieldValue": entry})
        body = self.client.get(f"contacts/{self.contact}/fieldValues", kind="doctor")
        return any(
            wire.as_id(v.get("field")) == self.field and wire.text(v.get("value")) == value
            for v in wire.items(body, "fieldValues")
        )

    def _write_tag(self) -> bool:
        link = {"contactTag": {"contact": self.contact, "tag": self.tag}}
        self.client.request("POST", "contactTags", kind="doctor", json=link)
        return True

    def _write_status(self) -> bool:
        self._status(self.contact, 2)
        return self._membership(self.contact)[0] == 2

    def resent(self) -> Check:
        """The unsubscribe date before and after a second unsubscribe, by contactLists and
        by bulk import."""
        asked = (
            f"contact {self.contact}'s contactList udate on list {self.list_id} after an "
            f"unsubscribe, then after a second by POST /contactLists and a third by bulk "
            f"import, {GAP:.0f} s apart"
        )
        status, first = self._unsubscribed()
        if status != 2 or first is None:
            answered = f"status {status}, unsubscribe date {first}: nothing to compare"
            return Check(RESENT, asked, answered, UNCLEAR, NOTHING_STORED)
        self.client.sleep(GAP)
        self._status(self.contact, 2)
        by_call = self._membership(self.contact)[1]
        self.client.sleep(GAP)
        email = self.scratch.email("a")
        leave = {"email": email, "unsubscribe": [{"listid": int(self.list_id)}], **QUIET}
        imported = self._import([leave], (email,))
        by_import = self._membership(self.contact)[1] if imported is not None else None
        moved = [
            how
            for how, date, prior in (
                ("contactLists", by_call, first),
                ("bulk import", by_import, by_call),
            )
            if date is not None and prior is not None and date != prior
        ]
        answered = f"dates {first}, {by_call}, {by_import}"
        if moved:
            self.probed.facts[RESENT_UNSUBSCRIBE_FACT] = MOVED
            answered += f" (moved by {' and '.join(moved)})"
            return Check(RESENT, asked, answered, DIFFERS, MOVED_ACTION)
        if by_call is None or by_import is None:
            return Check(
                RESENT, asked, answered + " (not every date came back)", UNCLEAR, NOTHING_STORED
            )
        self.probed.facts[RESENT_UNSUBSCRIBE_FACT] = KEPT
        return Check(RESENT, asked, answered + " (kept)", AS_ASSUMED, KEPT_ACTION)

    def _unsubscribed(self) -> tuple[int | None, float | None]:
        """A's status and unsubscribe date, unsubscribing A first when a probe before did
        not (it failed half-way)."""
        status, date = self._membership(self.contact)
        if status != 2:
            self._status(self.contact, 2)
            status, date = self._membership(self.contact)
        return status, date

    def import_unsubscribed(self) -> Check:
        """A (unsubscribed) and a new contact C imported with ``subscribe``."""
        new = self.scratch.email("c")
        asked = (
            f"POST /import/bulk_import subscribing unsubscribed contact {self.contact} and a "
            f"new contact to list {self.list_id}, followed by GET /import/info, then their "
            "contactLists"
        )
        if self._unsubscribed()[0] != 2:
            return Check(
                IMPORT_UNSUBSCRIBED,
                asked,
                "could not unsubscribe the contact first",
                UNCLEAR,
                NOTHING_STORED,
            )
        emails = (self.scratch.email("a"), new)
        subscribe = [{"listid": int(self.list_id)}]
        outcome = self._import(
            [{"email": e, "subscribe": subscribe, **QUIET} for e in emails], emails
        )
        if outcome is None:
            return Check(
                IMPORT_UNSUBSCRIBED, asked, "the import was not queued", UNCLEAR, NOTHING_STORED
            )
        found = contact_by_email(self.client, new) or ""
        self.scratch.add("contact", found, new)
        new_status = self._membership(found)[0] if found else None
        status = self._membership(self.contact)[0]
        answered = (
            f"unsubscribed contact: status {status}; new contact: status {new_status}; "
            f"import/info failures: {len(outcome.rejected)}"
        )
        if new_status != 1 or status not in (1, 2):
            return Check(IMPORT_UNSUBSCRIBED, asked, answered, UNCLEAR, NOTHING_STORED)
        if status == 2:
            self.probed.facts[BULK_RESUBSCRIBES_FACT] = NO
            answered += " (not re-subscribed)"
            return Check(IMPORT_UNSUBSCRIBED, asked, answered, AS_ASSUMED, REFUSED)
        self.probed.facts[BULK_RESUBSCRIBES_FACT] = YES
        answered += " (re-subscribed)"
        return Check(IMPORT_UNSUBSCRIBED, asked, answered, DIFFERS, RESUBSCRIBED)

    def position(self) -> Check:
        """Three contacts, the second with an invalid email: which position is named?"""
        bad = f"{self.scratch.name}-invalid.{DOMAIN}"
        emails = (self.scratch.email("d"), bad, self.scratch.email("e"))
        asked = (
            "POST /import/bulk_import of 3 contacts, the 2nd without '@' (1-based: 2, 0-based: 1)"
        )
        self.probed.pending = True  # until known not queued, or followed to the end
        reply = self.client.request(
            "POST",
            "import/bulk_import",
            kind="doctor",
            json={"contacts": [{"email": e, **QUIET} for e in emails], **QUIET},
            accept=(400, 422),
            bulk_contacts=len(emails),
        )
        if reply.status < 300:
            self._follow(reply.body, emails)
            answered = f"HTTP {reply.status}: queued despite the invalid email"
            return Check(POSITION, asked, answered, UNCLEAR, POSITION_UNKNOWN)
        self.probed.pending = False
        reasons = reply.body.get("failureReasons") if isinstance(reply.body, dict) else None
        named = [wire.as_int(r.get("contact"), -1) for r in reasons or [] if isinstance(r, dict)]
        answered = f"HTTP {reply.status}, failureReasons[].contact = {named}"
        if named == [2]:
            self.probed.facts[FAILURE_BASE_FACT] = ONE_BASED
            return Check(POSITION, asked, answered + " (1-based)", AS_ASSUMED, ONE_BASED_ACTION)
        if named == [1]:
            self.probed.facts[FAILURE_BASE_FACT] = ZERO_BASED
            return Check(POSITION, asked, answered + " (0-based)", DIFFERS, ZERO_BASED_ACTION)
        return Check(POSITION, asked, answered, UNCLEAR, POSITION_UNKNOWN)

    def _import(self, contacts: list[dict[str, Any]], emails: tuple[str, ...]) -> Settled | None:
        """Import ``contacts`` and follow the batch to its end (None: not queued)."""
        self.probed.pending = True  # from the moment it is sent
        reply = self.client.request(
            "POST",
            "import/bulk_import",
            kind="doctor",
            json={"contacts": contacts, **QUIET},
            accept=(400,),
            bulk_contacts=len(contacts),
        )
        if reply.status >= 300:
            self.probed.pending = False
            return None
        return self._follow(reply.body, emails)

    def _follow(self, body: object, emails: tuple[str, ...]) -> Settled | None:
        batch = wire.as_id(body.get("batchId")) if isinstance(body, dict) else ""
        if not batch:
            return None
        outcome = Settled()
        follow(self.client, Queued(batch, emails, self.client.clock()), FOLLOW, outcome)
        self.probed.pending = bool(outcome.unknown)
        return outcome


REMINDER = "A scratch object of sync doctor --write; it deletes it itself."
NOTHING_STORED = "nothing is stored; run 'sync doctor --write' again later"
UDATE_OK = "incremental reads find value, tag and status changes by udate, as they do"
UDATE_PARTLY = "what was measured is stored; incremental reads go on as they do"
UDATE_UNSEEN = (
    "an incremental read would miss those changes: lists of this account whose exports map "
    "such values or tags (or mirror, whose removal marker is a tag) are read in full every "
    "time (the plan says why)"
)
STATUS_UNSEEN = (
    "a status change without a udate bump is found by the status counts every incremental "
    "read compares: nothing changes"
)
KEPT_ACTION = (
    "a re-entry is confirmed by an unsubscribe date that matches sync's removal marker, as it is"
)
MOVED_ACTION = (
    "people removed by sync who come back are skipped on this account (an unsubscribe of "
    "their own, re-sent by a stale removal, would look like sync's): add them back by hand"
)
REFUSED = (
    "adds go through bulk import: someone who unsubscribed meanwhile is refused by the "
    "importer, never re-subscribed"
)
RESUBSCRIBED = (
    "the importer re-subscribes: sync never sends an add for anyone the plan read as "
    "unsubscribed or bounced, and a saved plan's list is read again before it is applied; "
    "apply plans of this account soon after making them"
)
ONE_BASED_ACTION = "a refused import's named contact is read as its 1-based position, as it is"
ZERO_BASED_ACTION = (
    "refused imports of this account are read 0-based: the contact named is the one "
    "rejected, and the rest is sent again"
)
POSITION_UNKNOWN = "nothing is stored: positions stay read 1-based"
