"""Bulk import: encode, batch, submit, follow (SPEC §4, API reference §7).

- A contact is encoded in the importer's snake_case (``first_name``, ``fields[].id``,
  ``subscribe[].listid``); custom fields by numeric id, tags by name.
- A batch holds at most 250 contacts and its encoded body is at most 399,999 bytes,
  measured on the exact bytes sent.
- A 400 naming contacts (``failureReasons: [{contact, failureReason}]``) means nothing was
  queued: the named contacts are rejected with their reason and the rest is sent again.
  ``contact`` is read as the 1-based position in the batch's ``contacts`` array (the only
  evidence, a third-party guide, says 1-based; the official page does not say: UNCERTAIN;
  0-based where ``sync doctor --write`` measured that: ``base``), or as an email when it
  is one.
- A queued batch is followed through ``GET /import/info`` with growing poll intervals
  until ``completed`` (or ``failed``/``interrupted``), within a deadline. Contacts listed in
  ``failure`` are rejected; the others of a completed batch are applied. A batch that
  fails, is interrupted, or outlives the deadline leaves its contacts *unknown*, never
  applied.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.apply import ContactWrite, Rejection, Settled
from engine.contacts import removal_marker
from engine.emails import email_problem
from engine.errors import DestinationError
from engine.plan import Membership
from engine.progress import Tally

MAX_CONTACTS = 250
MAX_BYTES = 399_999
MAX_RESENDS = 10
MAX_PENDING = 20

FAILED_REASON = (
    "ActiveCampaign's import did not create or update this contact (listed as a failure by "
    "import/info: e.g. invalid email, exclusion or bounce list, or unsubscribed from the list)"
)


@dataclass(frozen=True, slots=True)
class Encoded:
    email: str
    data: bytes  # one contact object, JSON


def encode(write: ContactWrite, list_id: int, fields: Mapping[str, str]) -> dict[str, Any]:
    """One contact of a bulk import body. ``fields`` maps perstag -> field id."""
    contact: dict[str, Any] = {"email": write.email, **write.standard_values}
    custom = write.custom_values
    if custom:
        contact["fields"] = [{"id": int(fields[p]), "value": v} for p, v in custom.items()]
    tags = list(write.tags)
    match write.membership:
        case Membership.SUBSCRIBE:
            contact["subscribe"] = [{"listid": int(list_id)}]
        case Membership.UNSUBSCRIBE:
            contact["unsubscribe"] = [{"listid": int(list_id)}]
            tags.append(removal_marker(list_id))
        case Membership.KEEP | Membership.RESUBSCRIBE:
            pass  # RESUBSCRIBE is done by contactLists before; values come here as KEEP
    if tags:
        contact["tags"] = list(dict.fromkeys(tags))
    return contact


def body_of(batch: Sequence[Encoded]) -> bytes:
    """The exact bytes sent: ``{"contacts":[...]}`` (no callback; batches are followed)."""
    return b'{"contacts":[' + b",".join(e.data for e in batch) + b"]}"


EMPTY_BODY = len(body_of([]))


def batches(encoded: Sequence[Encoded]) -> Iterator[list[Encoded]]:
    """Greedy batches of at most MAX_CONTACTS and MAX_BYTES (the caller drops contacts
    too large for any batch beforehand)."""
    batch: list[Encoded] = []
    size = EMPTY_BODY
    for item in encoded:
        extra = len(item.data) + (1 if batch else 0)
        if batch and (len(batch) >= MAX_CONTACTS or size + extra > MAX_BYTES):
            yield batch
            batch, size, extra = [], EMPTY_BODY, len(item.data)
        batch.append(item)
        size += extra
    if batch:
        yield batch


def prepare(
    writes: Sequence[ContactWrite], list_id: int, fields: Mapping[str, str], outcome: Settled
) -> list[Encoded]:
    """Encode the writes; contacts that cannot be sent are rejected into ``outcome``."""
    encoded = []
    for write in writes:
        problem = email_problem(write.email)
        data = json.dumps(encode(write, list_id, fields), separators=(",", ":")).encode()
        if problem is None and EMPTY_BODY + len(data) > MAX_BYTES:
            problem = f"too large for a bulk import ({len(data)} bytes encoded)"
        if problem:
            outcome.rejected.append(Rejection(write.email, problem))
        else:
            encoded.append(Encoded(write.email, data))
    return encoded


@dataclass(frozen=True, slots=True)
class Queued:
    batch_id: str
    emails: tuple[str, ...]
    queued_at: float


def submit(client: Client, batch: list[Encoded], outcome: Settled, base: int = 1) -> Queued | None:
    """Send one batch until it is queued; named contacts are rejected and dropped
    (positions counted from ``base``)."""
    for _ in range(MAX_RESENDS):
        if not batch:
            return None
        reply = client.request(
            "POST",
            "import/bulk_import",
            kind="bulk_import",
            content=body_of(batch),
            accept=(400, 422),
            bulk_contacts=len(batch),
        )
        batch_id = wire.as_id(reply.body.get("batchId")) if isinstance(reply.body, dict) else ""
        if reply.status < 300 and wire.success_flag(reply.body) and batch_id:
            return Queued(batch_id, tuple(e.email for e in batch), client.clock())
        named = named_failures(reply.body, batch, base)
        if not named:
            reason = wire.error_message(reply.body) or f"bulk import answered {reply.status}"
            outcome.rejected += [Rejection(e.email, reason) for e in batch]
            return None
        outcome.rejected += [Rejection(batch[i].email, why) for i, why in named.items()]
        batch = [e for i, e in enumerate(batch) if i not in named]
    outcome.unknown += [Rejection(e.email, "bulk import kept refusing the batch") for e in batch]
    return None


def named_failures(body: object, batch: Sequence[Encoded], base: int = 1) -> dict[int, str]:
    """``{index in batch: reason}`` from a 400's ``failureReasons`` objects (a position
    counted from ``base``, or an email)."""
    reasons = body.get("failureReasons") if isinstance(body, dict) else None
    if not isinstance(reasons, list):
        return {}
    by_email = {e.email: i for i, e in enumerate(batch)}
    named: dict[int, str] = {}
    for item in reasons:
        if not isinstance(item, dict):
            continue
        ref = item.get("contact")
        why = str(item.get("failureReason") or item.get("reason") or "rejected by bulk import")
        if isinstance(ref, dict):
            ref = ref.get("email")
        if isinstance(ref, str) and "@" in ref:
            index = by_email.get(wire.normalise_email(ref), -1)
        else:
            index = wire.as_int(ref, default=-1) - base
        if 0 <= index < len(batch):
            named[index] = why.strip()
    return named


@dataclass(frozen=True, slots=True)
class FollowPolicy:
    first_poll: float = 1.0
    max_interval: float = 15.0
    deadline: float = 900.0


def follow(client: Client, queued: Queued, policy: FollowPolicy, outcome: Settled) -> None:
    """Poll ``import/info`` until the batch ends or the deadline passes."""
    interval = policy.first_poll
    next_poll = queued.queued_at + policy.first_poll
    while True:
        wait = min(next_poll, queued.queued_at + policy.deadline) - client.clock()
        if wait > 0:
            client.sleep(wait)
        try:
            body = client.get(
                "import/info", kind="import_info", params={"batchId": queued.batch_id}
            )
        except DestinationError as exc:
            reason = f"could not follow bulk import batch {queued.batch_id}: {exc}"
            outcome.unknown += [Rejection(e, reason) for e in queued.emails]
            return
        status = str(body.get("status")).lower() if isinstance(body, dict) else ""
        if status in ("completed", "failed", "interrupted"):
            _record(queued, status, body, outcome)
            return
        if client.clock() - queued.queued_at >= policy.deadline:
            reason = (
                f"bulk import batch {queued.batch_id} had not finished ({status or 'no status'})"
            )
            outcome.unknown += [
                Rejection(e, reason + " before the deadline") for e in queued.emails
            ]
            return
        interval = min(interval * 2, policy.max_interval)
        next_poll = client.clock() + interval


def _record(queued: Queued, status: str, body: dict[str, Any], outcome: Settled) -> None:
    failed = _failed_emails(body.get("failure"))
    for email in queued.emails:
        if email in failed:
            outcome.rejected.append(Rejection(email, failed[email]))
        elif status == "completed":
            outcome.applied.append(email)
        else:
            outcome.unknown.append(
                Rejection(email, f"bulk import batch {queued.batch_id} ended '{status}'")
            )


def _failed_emails(raw: object) -> dict[str, str]:
    failed: dict[str, str] = {}
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict):
            email = wire.normalise_email(item.get("email"))
            reason = str(item.get("reason") or item.get("failureReason") or FAILED_REASON)
            failed[email] = reason
        else:
            failed[wire.normalise_email(item)] = FAILED_REASON
    return failed


def import_all(
    client: Client,
    encoded: Sequence[Encoded],
    outcome: Settled,
    progress: Tally,
    policy: FollowPolicy | None = None,
    *,
    base: int = 1,
) -> None:
    """Submit every batch and follow it; at most MAX_PENDING batches in flight (the number
    of simultaneous imports ActiveCampaign tolerates is undocumented).

    If a batch cannot be sent (ActiveCampaign unavailable past the retries, key rejected),
    that batch is *unknown* (it may have been queued), the batches not yet sent are
    rejected as not sent, and the batches already queued are still followed: the report
    stays true about what was done.
    """
    policy = policy or FollowPolicy()
    pending: deque[Queued] = deque()
    todo = deque(batches(encoded))
    while todo:
        batch = todo.popleft()
        before = len(outcome.rejected)
        unknown_before = len(outcome.unknown)
        try:
            queued = submit(client, batch, outcome, base)
        except DestinationError as exc:
            progress.add(_give_up(exc, batch, todo, outcome, outcome.rejected[before:]))
            break
        progress.add(len(outcome.rejected) - before + len(outcome.unknown) - unknown_before)
        if queued is not None:
            pending.append(queued)
        while len(pending) >= MAX_PENDING:
            _follow_one(client, pending.popleft(), policy, outcome, progress)
    while pending:
        _follow_one(client, pending.popleft(), policy, outcome, progress)


def _give_up(
    exc: DestinationError,
    batch: list[Encoded],
    todo: deque[list[Encoded]],
    outcome: Settled,
    named: Sequence[Rejection],
) -> int:
    """After ``batch`` could not be sent: its contacts are unknown (it may have been queued)
    but for those ``named`` rejected before the failure; the batches in ``todo`` are
    rejected as not sent (and taken out). Returns how many contacts this settled."""
    rejected = {r.email for r in named}
    outcome.unknown += [
        Rejection(e.email, f"bulk import failed: {exc}") for e in batch if e.email not in rejected
    ]
    rest = [e for b in todo for e in b]
    outcome.rejected += [Rejection(e.email, f"not sent: {exc}") for e in rest]
    todo.clear()
    return len(batch) + len(rest)


def _follow_one(
    client: Client,
    queued: Queued,
    policy: FollowPolicy,
    outcome: Settled,
    progress: Tally,
) -> None:
    follow(client, queued, policy, outcome)
    progress.add(len(queued.emails))
