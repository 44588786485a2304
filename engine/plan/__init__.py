"""A plan's types: the immutable decision of what a sync would change (SPEC §2, §3.1).

- :class:`Action` is what happens to one contact: ``+`` add, ``~`` update, ``-`` remove,
  ``!`` skipped (never re-subscribed).
- :class:`Change` is one contact's decision. ``before`` / ``after`` map plan field names
  (``first_name``, ``last_name``, ``phone``, ``fields.<PERSTAG>``, ``tags``) to values in
  the form ActiveCampaign stores them:

  * ``after[name] = None`` means *cleared*: the value is blanked (``""`` is sent). It only
    happens when the export sets ``clear_nulls: true``.
  * ``after["tags"]`` lists the tags the change *adds* (sorted). Tags are only ever added,
    never removed, so ``before`` never holds ``tags``.
  * ``before`` holds the current value of every field in ``after`` when the contact is
    already on the list (any status); it is empty for a brand-new contact and for removes.

- :class:`ExportPlan` is one export's plan: its changes, skipped people, invalid rows,
  conflicts, the guards' refusals (a refused plan is shown but never applied), and the
  fingerprint of the list it was made against (a saved plan is stale when it changed).
- :class:`Plan` is every export's plan plus the rendered manifests it was made from.

The JSON form and plan files are in :mod:`engine.plan.file`; making a plan (diff + guards)
is :mod:`engine.plan.build`, the guards :mod:`engine.plan.guards`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, assert_never

from engine.contacts import Conflict, InvalidRow
from engine.snapshot import ListRead

FORMAT_VERSION = 1

Value = str | None | tuple[str, ...]
"""A field's value in a change: a stored string, None (unknown / cleared), or tag names."""


class Membership(Enum):
    """What to do with the contact's subscription to the list."""

    KEEP = "keep"  # update values only
    SUBSCRIBE = "subscribe"  # add: new contact, or existing contact not on the list
    RESUBSCRIBE = "resubscribe"  # add back someone the product itself removed (marker tag)
    UNSUBSCRIBE = "unsubscribe"  # mirror remove: status 2, plus the removal marker tag
    UNMARK = "unmark"  # a wanted member carrying a stale removal marker: subscribed, unmarked
    REMARK = "remark"  # remove an active member carrying a stale marker: a fresh marker first


class Action(Enum):
    ADD = "add"
    UPDATE = "update"
    REMOVE = "remove"
    SKIP = "skip"

    @property
    def symbol(self) -> str:
        match self:
            case Action.ADD:
                return "+"
            case Action.UPDATE:
                return "~"
            case Action.REMOVE:
                return "-"
            case Action.SKIP:
                return "!"
            case _:
                assert_never(self)

    @property
    def default_membership(self) -> Membership:
        match self:
            case Action.ADD:
                return Membership.SUBSCRIBE
            case Action.REMOVE:
                return Membership.UNSUBSCRIBE
            case Action.UPDATE | Action.SKIP:
                return Membership.KEEP
            case _:
                assert_never(self)


ACTION_ORDER = {action: index for index, action in enumerate(Action)}


@dataclass(frozen=True, slots=True)
class Change:
    """One contact's decision on one list (see the module docstring for before/after)."""

    action: Action
    email: str
    before: Mapping[str, Value] = field(default_factory=dict)
    after: Mapping[str, Value] = field(default_factory=dict)
    reason: str | None = None
    membership: Membership = Membership.KEEP  # KEEP on an add or remove means its default
    contact_id: str | None = None  # RESUBSCRIBE: the contact as read (spares a lookup)

    def __post_init__(self) -> None:
        if self.membership is Membership.KEEP:
            object.__setattr__(self, "membership", self.action.default_membership)

    @property
    def sort_key(self) -> tuple[int, str]:
        return ACTION_ORDER[self.action], self.email

    @property
    def added_tags(self) -> tuple[str, ...]:
        tags = self.after.get("tags")
        return tags if isinstance(tags, tuple) else ()


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """One export's plan against one list. ``refusals`` non-empty: shown, never applied."""

    export: str
    connection: str
    list_id: str
    mode: str
    changes: tuple[Change, ...] = ()  # adds, updates, removes; sorted by action, then email
    skipped: tuple[Change, ...] = ()  # Action.SKIP with a reason; sorted by email
    unchanged: int = 0
    invalid: tuple[InvalidRow, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    refusals: tuple[str, ...] = ()
    current_fingerprint: str = ""
    desired_count: int = 0
    active_members: int = 0
    read: ListRead | None = None  # how the list was read (None: not recorded)

    def count(self, action: Action) -> int:
        changes = self.skipped if action is Action.SKIP else self.changes
        return sum(1 for change in changes if change.action is action)

    @property
    def summary(self) -> dict[str, int]:
        return {
            "add": self.count(Action.ADD),
            "update": self.count(Action.UPDATE),
            "remove": self.count(Action.REMOVE),
            "unchanged": self.unchanged,
            "skipped": len(self.skipped),
            "invalid": len(self.invalid),
        }

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


def utc_now() -> datetime:
    return datetime.now(UTC)


def digest_manifests(manifests: Mapping[str, Any]) -> str:
    """A stable digest of rendered manifests: changes whenever any manifest does."""
    canonical = json.dumps(manifests, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Plan:
    """Every export's plan, with the rendered manifests it was made from."""

    exports: tuple[ExportPlan, ...]
    created_at: str
    manifests: Mapping[str, Any] = field(default_factory=dict)
    workspace_digest: str = ""
    format_version: int = FORMAT_VERSION
    vars: Mapping[str, str] = field(default_factory=dict)  # the --var values it was made with
    allow_removals: bool = False  # made with --allow-removals

    @classmethod
    def create(
        cls,
        exports: Iterable[ExportPlan],
        manifests: Mapping[str, Any],
        *,
        workspace_digest: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        vars: Mapping[str, str] | None = None,
        allow_removals: bool = False,
    ) -> Plan:
        """A plan made now; the digest defaults to :func:`digest_manifests` of ``manifests``."""
        created = clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        digest = digest_manifests(manifests) if workspace_digest is None else workspace_digest
        return cls(
            tuple(exports),
            created,
            dict(manifests),
            digest,
            vars=dict(vars or {}),
            allow_removals=allow_removals,
        )

    @property
    def has_changes(self) -> bool:
        return any(export.has_changes for export in self.exports)

    @property
    def refused(self) -> bool:
        return any(export.refused for export in self.exports)

    def export(self, name: str) -> ExportPlan:
        for export in self.exports:
            if export.export == name:
                return export
        raise KeyError(name)
