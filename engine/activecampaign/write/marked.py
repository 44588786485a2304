"""The writes that touch the removal marker, done one contact at a time on live evidence.

Three kinds of ContactWrite go here rather than in bulk (:mod:`.writer` routes them):

- ``RESUBSCRIBE``: someone the product removed comes back (:mod:`.resubscribe` says when
  that is confirmed): ``POST /contactLists`` status 1, *then* the marker is deleted.
- ``UNMARK``: a wanted member carries a stale marker: subscribed when unconfirmed (or no
  longer on the list), *then* the marker is deleted; one who unsubscribed or bounced since
  the plan only loses the marker (dropping it is safe in any status: it never leads to a
  re-subscribe).
- ``REMARK``: an active member carrying a stale marker leaves: the old marker is deleted, a
  fresh one added, *then* they are unsubscribed (so the marker's date is the unsubscribe's,
  as :mod:`.resubscribe` requires for a later re-entry).

Every multi-step write is ordered to fail safe: a run killed between two steps leaves the
contact active (with or without a marker), never unsubscribed without the marker; the next
plan sees what the list shows and finishes the job (an active member with the marker is an
UNMARK or a REMARK: :mod:`engine.diff`). The evidence of all of them is read in batches
(:class:`.resubscribe.Confirmations`). Value and tag changes follow as KEEP writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from engine.activecampaign.client import Client
from engine.activecampaign.lookup import contact_by_email
from engine.apply import ContactWrite, Rejection, Settled
from engine.contacts import ListStatus, removal_marker
from engine.errors import DestinationError
from engine.facts import UNCONFIRMABLE
from engine.plan import Membership

from . import resubscribe

MARKED = (Membership.RESUBSCRIBE, Membership.UNMARK, Membership.REMARK)
GONE = "contact no longer exists in ActiveCampaign"


def write_marked(
    client: Client,
    list_id: int,
    writes: Sequence[ContactWrite],
    outcome: Settled,
    tag_id: Callable[[str], str],
    *,
    reentry: bool = True,
) -> tuple[list[ContactWrite], int]:
    """Do ``writes`` (all of :data:`MARKED` kinds); returns the KEEP writes still to do
    (their values and tags) and how many contacts were finished here. Without ``reentry``
    (the account cannot confirm one: :mod:`engine.facts`) a RESUBSCRIBE is skipped."""
    follow_ups: list[ContactWrite] = []
    skipped = 0
    if not reentry:  # skipped before any evidence is read
        for write in writes:
            if write.membership is Membership.RESUBSCRIBE:
                outcome.skipped.append(
                    Rejection(write.email, f"not re-subscribed: {UNCONFIRMABLE}")
                )
                skipped += 1
        writes = [w for w in writes if w.membership is not Membership.RESUBSCRIBE]
        if not writes:
            return follow_ups, skipped
    try:
        seen = resubscribe.Confirmations(client, list_id)
        seen.prefetch([w.contact_id for w in writes if w.contact_id])
    except DestinationError as exc:
        outcome.unknown += [Rejection(w.email, f"not written: {exc}") for w in writes]
        return [], skipped + len(writes)
    for write in writes:
        try:
            done = _one(client, list_id, write, seen, outcome, tag_id)
        except DestinationError as exc:
            outcome.unknown.append(Rejection(write.email, f"not confirmed: {exc}"))
            continue
        if not done:
            continue
        if write.values or write.tags:
            follow_ups.append(replace(write, membership=Membership.KEEP, contact_id=None))
        else:
            outcome.applied.append(write.email)
    return follow_ups, skipped + len(writes) - len(follow_ups)


def _one(
    client: Client,
    list_id: int,
    write: ContactWrite,
    seen: resubscribe.Confirmations,
    outcome: Settled,
    tag_id: Callable[[str], str],
) -> bool:
    """One contact's marker write; False when it was refused, skipped or not found."""
    contact_id = write.contact_id or contact_by_email(client, write.email)
    evidence = None if contact_id is None else seen.evidence(contact_id)
    if contact_id is None or evidence is None:
        outcome.rejected.append(Rejection(write.email, GONE))
        return False
    match write.membership:
        case Membership.RESUBSCRIBE:
            refusal = evidence.refusal()
            if refusal is not None:
                outcome.skipped.append(Rejection(write.email, refusal))
                return False
            if evidence.status is not ListStatus.ACTIVE:
                resubscribe.subscribe(client, list_id, contact_id)
            if evidence.marker_link is not None:
                resubscribe.drop_marker(client, evidence.marker_link)
        case Membership.UNMARK:
            settled = (ListStatus.ACTIVE, ListStatus.UNSUBSCRIBED, ListStatus.BOUNCED)
            if evidence.status not in settled:  # never re-subscribes an opt-out
                resubscribe.subscribe(client, list_id, contact_id)
            if evidence.marker_link is not None:
                resubscribe.drop_marker(client, evidence.marker_link)
        case Membership.REMARK:
            if evidence.status is not ListStatus.ACTIVE:
                now = "not on the list" if evidence.status is None else evidence.status.name
                outcome.skipped.append(
                    Rejection(write.email, f"not removed: no longer active ({now.lower()})")
                )
                return False
            if evidence.marker_link is not None:
                resubscribe.drop_marker(client, evidence.marker_link)
            resubscribe.add_marker(client, contact_id, tag_id(removal_marker(list_id)))
            resubscribe.unsubscribe(client, list_id, contact_id)
        case _:
            raise ValueError(f"not a marker write: {write.membership}")
    return True
