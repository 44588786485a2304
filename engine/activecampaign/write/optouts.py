"""Opt-outs since the plan, where the account's bulk import would re-subscribe them.

Bulk import is documented to refuse subscribing a contact unsubscribed from the list, and
the product relies on that for adds that go by bulk (the small path reads each contact's
status first). Where ``sync doctor --write`` measured that the importer re-subscribes
instead (:data:`engine.facts.BULK_RESUBSCRIBES_FACT`), the list's unsubscribed and bounced
members are read right before the import — those updated since the plan's read when a
status change moves ``udate`` on the account, else all of them — and the adds among them
are not sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.lookup import offset_pages
from engine.activecampaign.read.incremental import iso
from engine.apply import ContactWrite, Rejection, Settled
from engine.contacts import ListStatus
from engine.plan import Membership

OPTED_OUT = (
    "{status} from the list since the plan was made; not re-subscribed (this account's bulk "
    "import would re-subscribe them: sync doctor)"
)


def opted_out(client: Client, list_id: int, since: float | None) -> dict[str, ListStatus]:
    """``{email: status}`` of the list's unsubscribed and bounced members (updated since
    ``since``, when given)."""
    found: dict[str, ListStatus] = {}
    for status in (ListStatus.UNSUBSCRIBED, ListStatus.BOUNCED):
        params = {"listid": list_id, "status": status.value}
        if since is not None:
            params["filters[updated_after]"] = iso(since)
        pages = offset_pages(
            client, "contacts", wire.objects("contacts"), kind="opt_outs", params=params
        )
        for page in pages:
            for contact in page:
                found[wire.normalise_email(contact.get("email"))] = status
    return found


def without_opt_outs(
    client: Client,
    list_id: int,
    writes: Sequence[ContactWrite],
    since: float | None,
    outcome: Settled,
) -> list[ContactWrite]:
    """``writes`` but the adds of people who opted out since (rejected into ``outcome``)."""
    if not any(w.membership is Membership.SUBSCRIBE for w in writes):
        return list(writes)
    out = opted_out(client, list_id, since)
    kept = []
    for write in writes:
        status = out.get(write.email) if write.membership is Membership.SUBSCRIBE else None
        if status is None:
            kept.append(write)
        else:
            reason = OPTED_OUT.format(status=status.name.lower())
            outcome.rejected.append(Rejection(write.email, reason))
    return kept
