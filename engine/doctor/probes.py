"""``sync doctor --write``'s probes: what the account does when written to.

On the scratch objects of :mod:`.made` (contact A subscribed to the scratch list), in order:

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

Each gives a :class:`~.checks.Check`; what it measured goes into :attr:`Prober.facts`
(:mod:`engine.facts`).
"""

from __future__ import annotations

from collections.abc import Callable

from engine.activecampaign import wire
from engine.activecampaign.read.incremental import iso
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

from .checks import AS_ASSUMED, DIFFERS, UNCLEAR, Check, OnCheck, guarded
from .made import Made
from .scratch import DOMAIN

GAP = 2.0
"""Seconds between two probed writes (``udate`` has whole seconds)."""

UDATE = "writes that move udate"
RESENT = "a re-sent unsubscribe"
IMPORT_UNSUBSCRIBED = "bulk import of an unsubscribed contact"
POSITION = "failureReasons[].contact"
WRITE_CHECKS = (UDATE, RESENT, IMPORT_UNSUBSCRIBED, POSITION)


class Prober:
    """The four probes on one run's scratch objects (made already)."""

    def __init__(self, made: Made) -> None:
        self.made, self.client = made, made.client
        self.facts: dict[str, str] = {}
        self.checks: list[Check] = []

    def run(self, on_check: OnCheck = None) -> list[Check]:
        """Every probe, in order, each handed to ``on_check`` when done (an error in one
        does not stop the next)."""
        probes = (self.udate, self.resent, self.import_unsubscribed, self.position)
        for name, check in zip(WRITE_CHECKS, probes, strict=True):
            self.checks.append(guarded(name, check))
            if on_check:
                on_check(self.checks[-1])
        return self.checks

    def udate(self) -> Check:
        """A field value, a tag and a list status written, ``udate`` read after each."""
        made = self.made
        asked = (
            f"contact {made.contact}'s udate (GET /contacts/{{id}}) before and after each of: "
            "a value of the scratch text field (POST /fieldValues), a tag (contactTags), an "
            f"unsubscribe (contactLists), {GAP:.0f} s apart"
        )
        writes: dict[str, Callable[[], bool]] = {
            "field": lambda: made.write_value(f"{made.scratch.name} probe"),
            "tag": made.write_tag,
            "status": self._unsubscribe,
        }
        seen: dict[str, str] = {}
        self.client.sleep(GAP)  # the setup's own writes are seconds old
        before = made.udate()
        for kind, write in writes.items():
            self.client.sleep(GAP)
            control = made.udate()  # nothing written since: something else moved it?
            if control != before:
                seen[kind] = "moved by something else (an automation?)"
                before = control
                continue
            if not write():
                seen[kind] = "not written"
                continue
            after = made.udate()
            if after is not None and after == before:  # read again: it may lag
                self.client.sleep(GAP)
                after = made.udate()
            if before is None or after is None:
                seen[kind] = "no udate"
            else:
                seen[kind] = YES if after > before else NO
                self.facts[UDATE_FACTS[kind]] = seen[kind]
            before = after
        answered = ", ".join(f"{k}: {v}" for k, v in seen.items())
        if NO in seen.values():
            unseen = [k for k in ("field", "tag") if seen.get(k) == NO]
            return Check(UDATE, asked, answered, DIFFERS, UDATE_UNSEEN if unseen else STATUS_UNSEEN)
        if all(v == YES for v in seen.values()):
            return Check(UDATE, asked, answered, AS_ASSUMED, UDATE_OK)
        return Check(UDATE, asked, answered, UNCLEAR, UDATE_PARTLY)

    def _unsubscribe(self) -> bool:
        self.made.status(self.made.contact, 2)
        return self.made.membership(self.made.contact)[0] == 2

    def resent(self) -> Check:
        """The unsubscribe date before and after a second unsubscribe, by contactLists and
        by bulk import."""
        made = self.made
        asked = (
            f"contact {made.contact}'s contactList udate on list {made.list_id} after an "
            "unsubscribe, then after a second by POST /contactLists and a third by bulk "
            f"import, {GAP:.0f} s apart"
        )
        status, first = made.unsubscribed()
        if status != 2 or first is None:
            answered = f"status {status}, unsubscribe date {first}: nothing to compare"
            return Check(RESENT, asked, answered, UNCLEAR, NOTHING_STORED)
        self.client.sleep(GAP)
        made.status(made.contact, 2)
        by_call = made.membership(made.contact)[1]
        self.client.sleep(GAP)
        email = made.scratch.email("a")
        leave = {"email": email, "unsubscribe": [{"listid": int(made.list_id)}]}
        imported = made.imported([leave], (email,))
        done = imported is not None and email in imported.applied  # else: not yet, or not
        by_import = made.membership(made.contact)[1] if done else None
        steps = (("contactLists", by_call, first), ("bulk import", by_import, by_call))
        moved = [
            how
            for how, date, prior in steps
            if date is not None and prior is not None and date != prior
        ]
        answered = "unsubscribe dates " + ", ".join(_when(d) for d in (first, by_call, by_import))
        if moved:
            self.facts[RESENT_UNSUBSCRIBE_FACT] = MOVED
            answered += f" (moved by {' and '.join(moved)})"
            return Check(RESENT, asked, answered, DIFFERS, MOVED_ACTION)
        if by_call is None or by_import is None:
            answered += " (not every date came back)"
            return Check(RESENT, asked, answered, UNCLEAR, NOTHING_STORED)
        self.facts[RESENT_UNSUBSCRIBE_FACT] = KEPT
        return Check(RESENT, asked, answered + " (kept)", AS_ASSUMED, KEPT_ACTION)

    def import_unsubscribed(self) -> Check:
        """A (unsubscribed) and a new contact C imported with ``subscribe``."""
        made, name = self.made, IMPORT_UNSUBSCRIBED
        new = made.scratch.email("c")
        asked = (
            f"POST /import/bulk_import subscribing unsubscribed contact {made.contact} and a "
            f"new contact to list {made.list_id}, followed by GET /import/info, then their "
            "contactLists"
        )
        if made.pending:  # it could still land after this one
            answered = "an earlier probe's import had not finished"
            return Check(name, asked, answered, UNCLEAR, NOTHING_STORED)
        if made.unsubscribed()[0] != 2:
            answered = "the contact could not be unsubscribed first"
            return Check(name, asked, answered, UNCLEAR, NOTHING_STORED)
        emails = (made.scratch.email("a"), new)
        subscribe = [{"listid": int(made.list_id)}]
        outcome = made.imported([{"email": e, "subscribe": subscribe} for e in emails], emails)
        if outcome is None:
            return Check(name, asked, "the import was not queued", UNCLEAR, NOTHING_STORED)
        found = made.found(new)
        new_status = made.membership(found)[0] if found else None
        status = made.membership(made.contact)[0]
        answered = (
            f"unsubscribed contact: status {status}; new contact: status {new_status}; "
            f"import/info failures: {len(outcome.rejected)}"
        )
        if new_status != 1 or status not in (1, 2):
            return Check(name, asked, answered, UNCLEAR, NOTHING_STORED)
        if status == 2:
            self.facts[BULK_RESUBSCRIBES_FACT] = NO
            return Check(name, asked, answered + " (not re-subscribed)", AS_ASSUMED, REFUSED)
        self.facts[BULK_RESUBSCRIBES_FACT] = YES
        return Check(name, asked, answered + " (re-subscribed)", DIFFERS, RESUBSCRIBED)

    def position(self) -> Check:
        """Three contacts, the second with an invalid email: which position is named?"""
        made = self.made
        bad = f"{made.scratch.name}-invalid.{DOMAIN}"
        emails = (made.scratch.email("d"), bad, made.scratch.email("e"))
        asked = (
            "POST /import/bulk_import of 3 contacts, the 2nd without '@' (1-based: 2, 0-based: 1)"
        )
        if made.imported([{"email": e} for e in emails], emails) is not None:
            answered = "queued despite the invalid email"
            return Check(POSITION, asked, answered, UNCLEAR, POSITION_UNKNOWN)
        body = made.refusal
        reasons = body.get("failureReasons") if isinstance(body, dict) else None
        named = [wire.as_int(r.get("contact"), -1) for r in reasons or [] if isinstance(r, dict)]
        answered = f"refused, failureReasons[].contact = {named}"
        if named == [2]:
            self.facts[FAILURE_BASE_FACT] = ONE_BASED
            return Check(POSITION, asked, answered + " (1-based)", AS_ASSUMED, ONE_BASED_ACTION)
        if named == [1]:
            self.facts[FAILURE_BASE_FACT] = ZERO_BASED
            return Check(POSITION, asked, answered + " (0-based)", DIFFERS, ZERO_BASED_ACTION)
        return Check(POSITION, asked, answered, UNCLEAR, POSITION_UNKNOWN)


def _when(seconds: float | None) -> str:
    return "none" if seconds is None else iso(seconds)


NOTHING_STORED = "nothing is stored; run 'sync doctor --write' again later"
UDATE_OK = "incremental reads find value, tag and status changes by udate, as they do"
UDATE_PARTLY = "what was measured is stored; incremental reads go on as they do"
UDATE_UNSEEN = (
    "an incremental read would miss those changes: lists of this account whose exports map "
    "such values or tags are read in full every time (the plan says why)"
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
    "the importer re-subscribes: before an export's first bulk import with adds, applies of "
    "this account read the list's unsubscribed and bounced members (100 a request) and "
    "send no add for them"
)
ONE_BASED_ACTION = "a refused import's named contact is read as its 1-based position, as it is"
ZERO_BASED_ACTION = (
    "refused imports of this account are read 0-based: the contact named is the one "
    "rejected, and the rest is sent again"
)
POSITION_UNKNOWN = "nothing is stored: positions stay read 1-based"
