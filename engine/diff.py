"""The reconcile: a pure function of (desired, current, policy) -> changes (SPEC §2).

No I/O. Each desired contact is decided by the member's status on the list:

==================================  =========================================================
not on the list                     ``add`` (Membership.SUBSCRIBE)
UNCONFIRMED, or OTHER (e.g. 91)     ``add`` (SUBSCRIBE): not subscribed, and nobody opted out;
                                    a bulk subscribe makes them active
UNSUBSCRIBED with the product's     ``add`` (Membership.RESUBSCRIBE): the product removed them
removal marker (removed_by_sync)    earlier (mirror mode) and they re-entered the segments;
                                    ``skipped`` where the account cannot confirm that
                                    (``Policy.reentry``, from ``engine.facts``)
UNSUBSCRIBED without the marker     ``skipped``, reason ``unsubscribed``: they opted out
                                    themselves; never re-subscribed
BOUNCED                             ``skipped``, reason ``bounced`` (even with the marker)
ACTIVE                              ``update`` with only the differing fields, or unchanged
ACTIVE with the removal marker      ``update`` (Membership.UNMARK): the marker is stale, and
                                    is dropped (with any differing fields)
UNCONFIRMED or OTHER with the       ``add`` (Membership.UNMARK): subscribed, and the stale
marker                              marker dropped
==================================  =========================================================

In ``mirror`` mode an ACTIVE member who is not desired is a ``remove`` (unsubscribed; nothing
is ever deleted); one carrying a stale marker is removed with a fresh one
(Membership.REMARK: the old marker's date would not match the unsubscribe, and a later
re-entry would be refused). Members in any other status who are not desired are left alone.

An active member with the marker is what a run killed half-way through a two-step write
leaves (a small-path removal adds the marker *before* unsubscribing; a re-subscribe
subscribes *before* dropping the marker), or someone who came back by other means (a form)
after the product removed them: either way the next plan finishes the job from what the
list shows, and nobody is ever left unsubscribed without the marker by the product.

Values (decisions where the spec is silent):

- Only the fields the export maps are compared (``Policy.fields``); a field the export does
  not map is never touched, even with ``clear_nulls``.
- Both sides are already in ActiveCampaign's stored form (strings; emails normalised), and
  are compared exactly: ``"Ana "`` differs from ``"Ana"``, ``"+1 555"`` from ``"1555"``.
- ``None`` and ``""`` both mean *blank*, on either side. A blank desired value never
  changes anything, unless ``clear_nulls``: then a blank desired value over a non-blank
  current one is a change whose ``after`` is ``None`` (cleared; ``""`` is sent).
- Tags: the export's tags (``Policy.tags``) and any tags on the desired contact are
  wanted; those the member lacks are added. Tags are never removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import assert_never

from engine.manifests.models import DEFAULT_MAX_PROFILES, Export, RemovalLimit

from .contacts import (
    FIELD_PREFIX,
    STANDARD_FIELDS,
    Contact,
    CurrentState,
    DesiredState,
    ListStatus,
    Member,
)
from .facts import UNCONFIRMABLE
from .plan import Action, Change, Membership, Value

DEFAULT_REMOVAL_LIMIT = RemovalLimit(10.0, percent=True)  # limits.max_removals: 10%
STALE_MARKER = "drops a stale removal marker"
RENEWED_MARKER = "with a fresh removal marker"


@dataclass(frozen=True, slots=True)
class Policy:
    """How an export reconciles: mode, mapped fields, null handling, tags and limits."""

    mode: str = "upsert"  # "upsert" | "mirror"
    fields: tuple[str, ...] = STANDARD_FIELDS  # mapped plan field names (not "email")
    clear_nulls: bool = False
    tags: frozenset[str] = frozenset()
    max_profiles: int = DEFAULT_MAX_PROFILES
    removal_limit: RemovalLimit = DEFAULT_REMOVAL_LIMIT
    allow_removals: bool = False
    reentry: bool = True  # False: the account cannot confirm re-entries (engine.facts)

    @classmethod
    def of(cls, export: Export, allow_removals: bool = False, reentry: bool = True) -> Policy:
        mapped = tuple(name for name in export.mapping.columns() if name != "email")
        return cls(
            mode=export.mode,
            fields=mapped,
            clear_nulls=export.clear_nulls,
            tags=frozenset(export.mapping.tags),
            max_profiles=export.limits.max_profiles,
            removal_limit=export.limits.removal_limit,
            allow_removals=allow_removals,
            reentry=reentry,
        )

    @property
    def mirror(self) -> bool:
        return self.mode == "mirror"


@dataclass(frozen=True, slots=True)
class DiffResult:
    """What the diff decided: changes (sorted by action, then email), skipped, unchanged."""

    changes: tuple[Change, ...]
    skipped: tuple[Change, ...]
    unchanged: int


def value_of(contact: Contact, name: str) -> str | None:
    """A contact's value for a plan field name (``first_name``, ``fields.TAG``, ...)."""
    if name.startswith(FIELD_PREFIX):
        return contact.field(name.removeprefix(FIELD_PREFIX))
    if name in STANDARD_FIELDS:
        value: str | None = getattr(contact, name)
        return value
    raise ValueError(f"unknown plan field name {name!r}")


def diff(desired: DesiredState, current: CurrentState, policy: Policy) -> DiffResult:
    """Decide every desired contact, then (mirror) every active member not desired."""
    changes: list[Change] = []
    skipped: list[Change] = []
    unchanged = 0
    for email, want in desired.contacts.items():
        change = decide(want, current.members.get(email), policy)
        if change is None:
            unchanged += 1
        elif change.action is Action.SKIP:
            skipped.append(change)
        else:
            changes.append(change)
    if policy.mirror:
        changes.extend(_removals(desired.contacts, current.members))
    changes.sort(key=lambda change: change.sort_key)
    skipped.sort(key=lambda change: change.email)
    return DiffResult(tuple(changes), tuple(skipped), unchanged)


def decide(want: Contact, member: Member | None, policy: Policy) -> Change | None:
    """One desired contact against its member (if any); None when nothing changes."""
    if member is None:
        return _add(want, None, policy, Membership.SUBSCRIBE)
    match member.status:
        case ListStatus.ACTIVE if member.removed_by_sync:
            return _unmark(want, member, policy, Action.UPDATE)
        case ListStatus.ACTIVE:
            return _update(want, member.contact, policy)
        case ListStatus.BOUNCED:
            return Change(Action.SKIP, want.email, reason="bounced")
        case ListStatus.UNSUBSCRIBED if member.removed_by_sync and not policy.reentry:
            return Change(Action.SKIP, want.email, reason=UNCONFIRMABLE)
        case ListStatus.UNSUBSCRIBED if member.removed_by_sync:
            change = _add(want, member.contact, policy, Membership.RESUBSCRIBE)
            return replace(change, contact_id=member.contact_id)
        case ListStatus.UNSUBSCRIBED:
            return Change(Action.SKIP, want.email, reason="unsubscribed")
        case ListStatus.UNCONFIRMED | ListStatus.OTHER if member.removed_by_sync:
            return _unmark(want, member, policy, Action.ADD)
        case ListStatus.UNCONFIRMED | ListStatus.OTHER:
            return _add(want, member.contact, policy, Membership.SUBSCRIBE)
        case _:
            assert_never(member.status)


def _unmark(want: Contact, member: Member, policy: Policy, action: Action) -> Change:
    """A wanted member with a stale marker: an update (active) or an add (not subscribed)."""
    before, after = differences(want, member.contact, policy)
    return Change(
        action, want.email, before, after, STALE_MARKER, Membership.UNMARK, member.contact_id
    )


def _add(want: Contact, have: Contact | None, policy: Policy, membership: Membership) -> Change:
    before, after = differences(want, have, policy)
    reason = "removed earlier by sync" if membership is Membership.RESUBSCRIBE else None
    return Change(Action.ADD, want.email, before, after, reason, membership)


def _update(want: Contact, have: Contact, policy: Policy) -> Change | None:
    if want == have and policy.tags <= have.tags:
        return None  # the common case, quickly: equal values change nothing
    before, after = differences(want, have, policy)
    if not after:
        return None
    return Change(Action.UPDATE, want.email, before, after)


def _blank(value: str | None) -> bool:
    return value is None or value == ""


def differences(
    want: Contact, have: Contact | None, policy: Policy
) -> tuple[dict[str, Value], dict[str, Value]]:
    """(before, after) of the mapped fields that would change, plus the tags to add."""
    before: dict[str, Value] = {}
    after: dict[str, Value] = {}
    for name in policy.fields:
        new = value_of(want, name)
        old = value_of(have, name) if have is not None else None
        if _blank(new):
            if not (policy.clear_nulls and not _blank(old)):
                continue
            new = None
        elif new == old:
            continue
        if have is not None:
            before[name] = old
        after[name] = new
    missing = (policy.tags | want.tags) - (have.tags if have is not None else frozenset())
    if missing:
        after["tags"] = tuple(sorted(missing))
    return before, after


def _removals(desired: Mapping[str, Contact], members: Mapping[str, Member]) -> list[Change]:
    return [
        _removal(email, member)
        for email, member in members.items()
        if member.status is ListStatus.ACTIVE and email not in desired
    ]


def _removal(email: str, member: Member) -> Change:
    if not member.removed_by_sync:
        return Change(Action.REMOVE, email)
    return Change(
        Action.REMOVE,
        email,
        reason=RENEWED_MARKER,
        membership=Membership.REMARK,
        contact_id=member.contact_id,
    )
