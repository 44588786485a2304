"""Applying ContactWrites to one list, and reporting per contact what really happened.

Routing (decisions, SPEC §4 and the API reference §5-§7):

- RESUBSCRIBE (someone the product itself removed comes back): bulk import refuses to
  re-subscribe an unsubscribed contact, so it is done per contact, and only once the live
  contact confirms the product removed them (:mod:`.resubscribe`): the contact's
  contactLists read, ``POST /contactLists`` status 1 with ``sourceid`` 4, then the removal
  marker's contactTag is deleted (after the subscribe: a crash in between leaves an active
  member with a stale marker, never an unsubscribed one without it). The evidence is read
  100 people a request (and the marker tag once per run): 2 requests a person. Its value
  and tag changes then go with the others as a KEEP write; an unconfirmed one is *skipped*,
  with why.
- Small change sets (at most 10 contacts, as ActiveCampaign's docs advise) go through the
  contact endpoints: ``contact/sync`` (camelCase; only the keys to change), ``contactLists``
  for the membership, ``contactTags`` for tags (tag ids resolved, missing tags created).
  Before a SUBSCRIBE the contact's list status is read: someone who unsubscribed (or
  bounced) since the plan was made is rejected, never re-subscribed.
- Everything else goes through bulk import (:mod:`engine.activecampaign.write.bulk`).

Every write is idempotent (see :mod:`engine.activecampaign.retry`), so retries are safe.
Custom fields are resolved from perstags first: an unknown perstag is a ConfigError raised
before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.lookup import ensure_tag, field_ids
from engine.activecampaign.stats import StatsSnapshot
from engine.apply import ContactWrite, Rejection, Settled, WriteReport
from engine.contacts import ListStatus, removal_marker
from engine.emails import email_problem
from engine.errors import DestinationError
from engine.plan import Membership
from engine.progress import Step, Tally

from . import resubscribe
from .bulk import import_all, prepare

SMALL = 10
_SYNC_NAMES = {"first_name": "firstName", "last_name": "lastName", "phone": "phone"}


@dataclass(slots=True)
class _Context:
    client: Client
    list_id: int
    fields: dict[str, str]
    tag_ids: dict[str, str] = field(default_factory=dict)

    def tag_id(self, name: str) -> str:
        if name not in self.tag_ids:
            self.tag_ids[name] = ensure_tag(self.client, name)
        return self.tag_ids[name]


def write_contacts(
    client: Client,
    list_id: int,
    writes: Sequence[ContactWrite],
    progress: Step | None = None,
) -> WriteReport:
    """Apply ``writes`` to list ``list_id``; per contact: applied, rejected or unknown."""
    before = client.stats.snapshot()
    perstags = sorted({perstag for w in writes for perstag in w.custom_values})
    ctx = _Context(client, list_id, field_ids(client, perstags, list_id))
    outcome = Settled()
    tally = Tally(progress, len(writes))

    rest = [w for w in writes if w.membership is not Membership.RESUBSCRIBE]
    returning = [w for w in writes if w.membership is Membership.RESUBSCRIBE]
    if returning:
        confirmations = _confirmations(ctx, returning, outcome)
        for write in returning:
            follow_up = _resubscribe(ctx, write, confirmations, outcome)
            if follow_up is None:
                tally.add(1)
            else:
                rest.append(follow_up)
    if len(rest) <= SMALL:
        for write in rest:
            _write_one(ctx, write, outcome)
            tally.add(1)
    else:
        import_all(client, prepare(rest, list_id, ctx.fields, outcome), outcome, tally)
    return _report(client, before, outcome)


def _report(client: Client, before: StatsSnapshot, outcome: Settled) -> WriteReport:
    after = client.stats.snapshot()
    requests = {
        kind: count - before.requests.get(kind, 0)
        for kind, count in after.requests.items()
        if count - before.requests.get(kind, 0)
    }
    return outcome.report(requests, after.retries - before.retries)


def _confirmations(
    ctx: _Context, returning: Sequence[ContactWrite], outcome: Settled
) -> resubscribe.Confirmations | None:
    """The returning people's live evidence, in batches (None: the read failed, and every
    returning person is reported as not confirmed: nothing was written for them)."""
    try:
        confirmations = resubscribe.Confirmations(ctx.client, ctx.list_id)
        confirmations.prefetch([w.contact_id for w in returning if w.contact_id])
    except DestinationError as exc:
        outcome.unknown += [Rejection(w.email, f"re-subscribe failed: {exc}") for w in returning]
        return None
    return confirmations


def _resubscribe(
    ctx: _Context,
    write: ContactWrite,
    confirmations: resubscribe.Confirmations | None,
    outcome: Settled,
) -> ContactWrite | None:
    """Re-subscribe; returns the KEEP write still to do (None when finished or failed)."""
    if confirmations is None:
        return None  # reported by _confirmations
    client = ctx.client
    gone = "contact no longer exists in ActiveCampaign"
    try:
        contact_id = write.contact_id or _contact_id(client, write.email)
        seen = None if contact_id is None else confirmations.evidence(contact_id)
        if contact_id is None or seen is None:
            outcome.rejected.append(Rejection(write.email, gone))
            return None
        refusal = seen.refusal()
        if refusal is not None:
            outcome.skipped.append(Rejection(write.email, refusal))
            return None
        if seen.status is not ListStatus.ACTIVE:
            resubscribe.subscribe(client, ctx.list_id, contact_id)
        if seen.marker_link is not None:
            resubscribe.drop_marker(client, seen.marker_link)
    except DestinationError as exc:
        outcome.unknown.append(Rejection(write.email, f"re-subscribe failed: {exc}"))
        return None
    if not write.values and not write.tags:
        outcome.applied.append(write.email)
        return None
    return replace(write, membership=Membership.KEEP, contact_id=None)


def _contact_id(client: Client, email: str) -> str | None:
    """The id of the contact with ``email`` (``GET /contacts?email=``), or None."""
    body = client.get("contacts", kind="contacts", params={"email": email})
    for contact in wire.items(body, "contacts"):
        if wire.normalise_email(contact.get("email")) == email:
            return wire.as_id(contact.get("id"))
    return None


def _set_status(ctx: _Context, contact_id: str, status: ListStatus) -> None:
    entry = {"list": ctx.list_id, "contact": contact_id, "status": status.value}
    ctx.client.request("POST", "contactLists", kind="contact_list", json={"contactList": entry})


def _write_one(ctx: _Context, write: ContactWrite, outcome: Settled) -> None:
    """The small path for one contact: sync, membership, tags."""
    problem = email_problem(write.email)
    if problem:
        outcome.rejected.append(Rejection(write.email, problem))
        return
    try:
        reply = ctx.client.request(
            "POST",
            "contact/sync",
            kind="contact_sync",
            json=_sync_body(ctx, write),
            accept=(400, 422),
        )
        contact = reply.body.get("contact") if isinstance(reply.body, dict) else None
        if reply.status >= 300 or not isinstance(contact, dict):
            reason = wire.error_message(reply.body) or f"contact/sync answered {reply.status}"
            outcome.rejected.append(Rejection(write.email, reason))
            return
        refusal = _membership(ctx, write, wire.as_id(contact.get("id")))
        if refusal:
            outcome.rejected.append(Rejection(write.email, refusal))
            return
    except DestinationError as exc:
        outcome.unknown.append(Rejection(write.email, f"not confirmed: {exc}"))
        return
    outcome.applied.append(write.email)


def _sync_body(ctx: _Context, write: ContactWrite) -> dict[str, object]:
    contact: dict[str, object] = {"email": write.email}
    contact.update((_SYNC_NAMES[k], v) for k, v in write.standard_values.items())
    custom = write.custom_values
    if custom:
        contact["fieldValues"] = [{"field": ctx.fields[p], "value": v} for p, v in custom.items()]
    return {"contact": contact}


def _membership(ctx: _Context, write: ContactWrite, contact_id: str) -> str | None:
    """Membership and tags of one contact; returns a refusal reason, or None when done."""
    tags = list(write.tags)
    match write.membership:
        case Membership.SUBSCRIBE:
            status = _list_status(ctx, contact_id)
            if status in (ListStatus.UNSUBSCRIBED, ListStatus.BOUNCED):
                what = status.name.lower()
                return f"{what} from the list since the plan was made; not re-subscribed"
            if status is not ListStatus.ACTIVE:
                _set_status(ctx, contact_id, ListStatus.ACTIVE)
        case Membership.UNSUBSCRIBE:
            _set_status(ctx, contact_id, ListStatus.UNSUBSCRIBED)
            tags.append(removal_marker(ctx.list_id))
        case Membership.KEEP | Membership.RESUBSCRIBE:
            pass
    for name in dict.fromkeys(tags):
        link = {"contactTag": {"contact": contact_id, "tag": ctx.tag_id(name)}}
        reply = ctx.client.request(
            "POST", "contactTags", kind="contact_tag", json=link, accept=(422,)
        )
        if reply.status == 422 and "exist" not in wire.error_message(reply.body).lower():
            return f"tag {name!r} not added: {wire.error_message(reply.body)}"
    return None


def _list_status(ctx: _Context, contact_id: str) -> ListStatus | None:
    body = ctx.client.get(f"contacts/{contact_id}/contactLists", kind="contact_lists")
    for entry in wire.items(body, "contactLists"):
        if wire.as_int(entry.get("list"), -1) == int(ctx.list_id):
            return ListStatus.parse(entry.get("status"))
    return None
