"""A plan: the immutable decision of what a sync would change, per export (SPEC §2, §3.1).

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

JSON (:meth:`Plan.to_json`) is the SPEC §3.1 shape; keys whose value is empty
(``before``/``after`` of a change, ``reason``) are omitted, and ``membership`` is written
only where it is not implied by the action (``resubscribe``). Saved plans hold personal
data, so :func:`save_plan` creates them readable by their owner only (0600).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, assert_never

from .activecampaign.model import ContactWrite, Membership
from .contacts import Conflict, InvalidRow
from .errors import ConfigError

FORMAT_VERSION = 1

Value = str | None | tuple[str, ...]
"""A field's value in a change: a stored string, None (unknown / cleared), or tag names."""


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

    def write(self) -> ContactWrite | None:
        """The ContactWrite that carries out this change (None for a skipped person)."""
        values = {
            name: "" if value is None else value
            for name, value in self.after.items()
            if name != "tags" and not isinstance(value, tuple)
        }
        match self.action:
            case Action.ADD | Action.UPDATE:
                return ContactWrite(self.email, values, self.added_tags, self.membership)
            case Action.REMOVE:
                return ContactWrite(self.email, membership=Membership.UNSUBSCRIBE)
            case Action.SKIP:
                return None
            case _:
                assert_never(self.action)


SUMMARY_KEYS = ("add", "update", "remove", "unchanged", "skipped", "invalid")


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

    def writes(self) -> list[ContactWrite]:
        """The ContactWrites that carry out this plan, in the plan's order."""
        return [w for change in self.changes if (w := change.write()) is not None]


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

    @classmethod
    def create(
        cls,
        exports: Iterable[ExportPlan],
        manifests: Mapping[str, Any],
        *,
        workspace_digest: str | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> Plan:
        """A plan made now; the digest defaults to :func:`digest_manifests` of ``manifests``."""
        created = clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        digest = digest_manifests(manifests) if workspace_digest is None else workspace_digest
        return cls(tuple(exports), created, dict(manifests), digest)

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

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "created_at": self.created_at,
            "workspace_digest": self.workspace_digest,
            "exports": [_export_to_json(export) for export in self.exports],
            "manifests": dict(self.manifests),
        }

    @classmethod
    def from_json(cls, data: object) -> Plan:
        """Rebuild a plan; raises ConfigError naming what is wrong when it is not a plan."""
        if not isinstance(data, dict) or "format_version" not in data:
            raise ConfigError(
                "not a plan file (no format_version); save one with `sync plan --out FILE`"
            )
        version = data["format_version"]
        if version != FORMAT_VERSION:
            raise ConfigError(
                f"plan format_version {version!r} is not supported (this version reads "
                f"{FORMAT_VERSION}); make the plan again with this version's `sync plan --out`"
            )
        try:
            return cls(
                exports=tuple(_export_from_json(item) for item in data["exports"]),
                created_at=str(data["created_at"]),
                manifests=dict(data.get("manifests") or {}),
                workspace_digest=str(data.get("workspace_digest", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"not a valid plan file ({type(exc).__name__}: {exc}); "
                "save one again with `sync plan --out FILE`"
            ) from exc


# ----------------------------------------------------------------------------- JSON


def _values_to_json(values: Mapping[str, Value]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def _values_from_json(raw: Mapping[str, Any]) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for name, value in raw.items():
        if isinstance(value, list):
            out[str(name)] = tuple(str(v) for v in value)
        elif value is None or isinstance(value, str):
            out[str(name)] = value
        else:
            raise ValueError(f"field {name!r} holds {value!r}, expected a string or null")
    return out


def change_to_json(change: Change) -> dict[str, Any]:
    """One change in the §3.1 shape; a skipped person is ``{"email", "reason"}``."""
    if change.action is Action.SKIP:
        return {"email": change.email, "reason": change.reason}
    out: dict[str, Any] = {"action": change.action.value, "email": change.email}
    if change.before:
        out["before"] = _values_to_json(change.before)
    if change.after:
        out["after"] = _values_to_json(change.after)
    if change.reason is not None:
        out["reason"] = change.reason
    if change.membership is not change.action.default_membership:
        out["membership"] = change.membership.value
    return out


def change_from_json(raw: Mapping[str, Any], action: Action | None = None) -> Change:
    act = action or Action(raw["action"])
    membership = Membership(raw.get("membership", Membership.KEEP.value))
    return Change(
        act,
        str(raw["email"]),
        _values_from_json(raw.get("before") or {}),
        _values_from_json(raw.get("after") or {}),
        raw.get("reason"),
        membership,
    )


def _export_to_json(plan: ExportPlan) -> dict[str, Any]:
    return {
        "export": plan.export,
        "connection": plan.connection,
        "list_id": plan.list_id,
        "mode": plan.mode,
        "summary": plan.summary,
        "changes": [change_to_json(change) for change in plan.changes],
        "skipped": [change_to_json(change) for change in plan.skipped],
        "invalid": [
            {"segment": r.segment, "row": r.row, "value": r.value, "reason": r.reason}
            for r in plan.invalid
        ],
        "conflicts": [
            {
                "email": c.email,
                "field": c.field,
                "kept": c.kept,
                "kept_from": c.kept_from,
                "dropped": c.dropped,
                "dropped_from": c.dropped_from,
            }
            for c in plan.conflicts
        ],
        "refusals": list(plan.refusals),
        "fingerprint": plan.current_fingerprint,
        "desired_count": plan.desired_count,
        "active_members": plan.active_members,
    }


def _export_from_json(raw: Mapping[str, Any]) -> ExportPlan:
    return ExportPlan(
        export=str(raw["export"]),
        connection=str(raw["connection"]),
        list_id=str(raw["list_id"]),
        mode=str(raw["mode"]),
        changes=tuple(change_from_json(c) for c in raw["changes"]),
        skipped=tuple(change_from_json(c, Action.SKIP) for c in raw.get("skipped", ())),
        unchanged=int(raw["summary"]["unchanged"]),
        invalid=tuple(
            InvalidRow(str(r["segment"]), int(r["row"]), r.get("value"), str(r["reason"]))
            for r in raw.get("invalid", ())
        ),
        conflicts=tuple(
            Conflict(
                c["email"], c["field"], c["kept"], c["kept_from"], c["dropped"], c["dropped_from"]
            )
            for c in raw.get("conflicts", ())
        ),
        refusals=tuple(str(r) for r in raw.get("refusals", ())),
        current_fingerprint=str(raw.get("fingerprint", "")),
        desired_count=int(raw.get("desired_count", 0)),
        active_members=int(raw.get("active_members", 0)),
    )


def save_plan(plan: Plan, path: Path | str) -> None:
    """Write the plan as JSON, readable by its owner only (0600: it holds personal data).

    Written to a temporary file beside ``path`` (created 0600) and renamed over it, so a
    crash never leaves half a plan, and an existing file's wider permissions are not kept.
    """
    target = Path(path)
    text = json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot write plan file {target}: {exc.strerror or exc}") from exc


def load_plan(path: Path | str) -> Plan:
    """Read a plan saved by :func:`save_plan`; errors name the file and what to do."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read plan file {source}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source} is not a plan file (not UTF-8 text)") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{source} is not a plan file (not JSON: {exc.msg} at line {exc.lineno}); "
            "save one with `sync plan --out FILE`"
        ) from exc
    try:
        return Plan.from_json(data)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
