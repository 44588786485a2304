"""Applying ContactWrites to one list, and reporting per contact what really happened.

Routing (decisions, SPEC §4 and the API reference §5-§7):

- RESUBSCRIBE (someone the product itself removed comes back), UNMARK and REMARK (an active
  member carrying a stale removal marker stays or leaves) are done per contact on live
  evidence read 100 people a request (:mod:`.marked`, :mod:`.resubscribe`): bulk import
  refuses to re-subscribe an unsubscribed contact, and cannot delete a tag. About 2 requests
  a person; their value and tag changes then go with the others as KEEP writes.
- Small change sets (at most 10 contacts, as ActiveCampaign's docs advise) go through the
  contact endpoints: ``contact/sync`` (camelCase; only the keys to change), ``contactLists``
  for the membership, ``contactTags`` for tags (tag ids resolved, missing tags created). A
  removal adds the marker *before* it unsubscribes: a run killed in between leaves an
  active member with the marker (which the next plan finishes), never an unsubscribed one
  without it (whom no plan would ever add back).
  Before a SUBSCRIBE the contact's list status is read: someone who unsubscribed (or
  bounced) since the plan was made is rejected, never re-subscribed.
- Everything else goes through bulk import (:mod:`engine.activecampaign.write.bulk`); on
  an account whose importer re-subscribes (``sync doctor --write``), the opt-outs since the
  plan are read first and not sent (:mod:`.optouts`).

Every write is idempotent (see :mod:`engine.activecampaign.retry`), so retries are safe.
Custom fields are resolved from perstags first: an unknown perstag is a ConfigError raised
before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.lookup import ensure_tag, field_ids
from engine.activecampaign.stats import StatsSnapshot
from engine.apply import ContactWrite, Rejection, Settled, WriteReport
from engine.contacts import ListStatus, removal_marker
from engine.emails import email_problem
from engine.errors import DestinationError
from engine.facts import BULK_RESUBSCRIBES_FACT, YES, failure_base, reentry_confirmable
from engine.plan import Membership
from engine.progress import Step, Tally

from .bulk import import_all, prepare
from .marked import MARKED, write_marked
from .optouts import OptOuts

SMALL = 10
_SYNC_NAMES = {"first_name": "firstName", "last_name": "lastName", "phone": "phone"}


@dataclass(frozen=True, slots=True)
class WriteFacts:
    """What writing adapts to on an account (its facts, :mod:`engine.facts`): where a
    refused bulk import's ``failureReasons[].contact`` counts from, whether a re-entry can
    be confirmed (else it is skipped), and whether bulk import re-subscribes (then the
    opt-outs since the plan are read first: :mod:`.optouts`)."""

    failure_base: int = 1
    reentry: bool = True
    opt_outs: OptOuts | None = None  # where bulk import re-subscribes: read before adds

    @classmethod
    def of(cls, client: Client, list_id: int, facts: Mapping[str, object]) -> WriteFacts:
        """What writing to ``list_id`` adapts to, from the account's ``facts``."""
        resubscribes = facts.get(BULK_RESUBSCRIBES_FACT) == YES
        return cls(
            failure_base=failure_base(facts),
            reentry=reentry_confirmable(facts),
            opt_outs=OptOuts(client, list_id) if resubscribes else None,
        )


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
    facts: WriteFacts | None = None,
) -> WriteReport:
    """Apply ``writes`` to list ``list_id``; per contact: applied, rejected or unknown."""
    facts = facts or WriteFacts()
    before = client.stats.snapshot()
    perstags = sorted({perstag for w in writes for perstag in w.custom_values})
    ctx = _Context(client, list_id, field_ids(client, perstags, list_id))
    outcome = Settled()
    tally = Tally(progress, len(writes))

    rest = [w for w in writes if w.membership not in MARKED]
    marked = [w for w in writes if w.membership in MARKED]
    if marked:
        follow_ups, finished = write_marked(
            client, list_id, marked, outcome, ctx.tag_id, reentry=facts.reentry
        )
        tally.add(finished)
        rest += follow_ups
    if len(rest) <= SMALL:
        for write in rest:
            _write_one(ctx, write, outcome)
            tally.add(1)
    else:
        if facts.opt_outs is not None:
            sending = facts.opt_outs.without(rest, outcome)
            tally.add(len(rest) - len(sending))
            rest = sending
        encoded = prepare(rest, list_id, ctx.fields, outcome)
        import_all(client, encoded, outcome, tally, base=facts.failure_base)
    return _report(client, before, outcome)


def _report(client: Client, before: StatsSnapshot, outcome: Settled) -> WriteReport:
    after = client.stats.snapshot()
    requests = {
        kind: count - before.requests.get(kind, 0)
        for kind, count in after.requests.items()
        if count - before.requests.get(kind, 0)
    }
    return outcome.report(requests, after.retries - before.retries)


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
            tags.append(removal_marker(ctx.list_id))  # the marker first: fails safe
        case _:
            pass  # KEEP; the marker writes were done by .marked
    for name in dict.fromkeys(tags):
        link = {"contactTag": {"contact": contact_id, "tag": ctx.tag_id(name)}}
        reply = ctx.client.request(
            "POST", "contactTags", kind="contact_tag", json=link, accept=(422,)
        )
        if reply.status == 422 and "exist" not in wire.error_message(reply.body).lower():
            return f"tag {name!r} not added: {wire.error_message(reply.body)}"
    if write.membership is Membership.UNSUBSCRIBE:
        _set_status(ctx, contact_id, ListStatus.UNSUBSCRIBED)  # after the marker
    return None


def _list_status(ctx: _Context, contact_id: str) -> ListStatus | None:
    body = ctx.client.get(f"contacts/{contact_id}/contactLists", kind="contact_lists")
    for entry in wire.items(body, "contactLists"):
        if wire.as_int(entry.get("list"), -1) == int(ctx.list_id):
            return ListStatus.parse(entry.get("status"))
    return None
