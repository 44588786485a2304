"""Opt-outs since the plan, where the account's bulk import would re-subscribe them.

Bulk import is documented to refuse subscribing a contact unsubscribed from the list, and
the product relies on that for adds that go by bulk (the small path reads each contact's
status first). Where ``sync doctor --write`` measured that the importer re-subscribes
instead (:data:`engine.facts.BULK_RESUBSCRIBES_FACT`), the list's unsubscribed and bounced
members are read before the first bulk import with adds of an export's apply — all of them,
100 a request by ascending id (whether someone's own unsubscribe moves ``udate`` is not
measured, so no filter by it) — and no add is sent for them. Later chunks of the same apply
use that read.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.apply import ContactWrite, Rejection, Settled
from engine.contacts import ListStatus
from engine.plan import Membership

OPTED_OUT = (
    "{status} from the list since the plan was made; not re-subscribed (this account's bulk "
    "import would re-subscribe them: sync doctor)"
)
PAGE = 100


class OptOuts:
    """The list's unsubscribed and bounced members, read once (on first need)."""

    def __init__(self, client: Client, list_id: int) -> None:
        self.client, self.list_id = client, int(list_id)
        self._known: dict[str, ListStatus] | None = None

    def known(self) -> dict[str, ListStatus]:
        if self._known is None:
            self._known = {}
            for status in (ListStatus.UNSUBSCRIBED, ListStatus.BOUNCED):
                self._read(status)
        return self._known

    def _read(self, status: ListStatus) -> None:
        assert self._known is not None
        after = 0
        while True:
            params = {
                "listid": self.list_id,
                "status": status.value,
                "orders[id]": "ASC",
                "id_greater": after,
                "limit": PAGE,
            }
            body = self.client.get("contacts", kind="opt_outs", params=params)
            page = wire.items(body, "contacts")
            for contact in page:
                self._known[wire.normalise_email(contact.get("email"))] = status
            ids = [wire.as_int(c.get("id"), 0) for c in page]
            if len(page) < PAGE or not ids or max(ids) <= after:
                return
            after = max(ids)

    def without(self, writes: Sequence[ContactWrite], outcome: Settled) -> list[ContactWrite]:
        """``writes`` but the adds of people who opted out (rejected into ``outcome``)."""
        if not any(w.membership is Membership.SUBSCRIBE for w in writes):
            return list(writes)
        out = self.known()
        kept = []
        for write in writes:
            status = out.get(write.email) if write.membership is Membership.SUBSCRIBE else None
            if status is None:
                kept.append(write)
            else:
                reason = OPTED_OUT.format(status=status.name.lower())
                outcome.rejected.append(Rejection(write.email, reason))
        return kept
