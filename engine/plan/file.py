"""A plan (SPEC §2, §3.1): its JSON form and its files (the types are
in :mod:`engine.plan`).

JSON (:func:`plan_to_json`) is the SPEC §3.1 shape; keys whose value is empty
(``before``/``after`` of a change, ``reason``) are omitted, and ``membership`` is written
only where it is not implied by the action (``resubscribe``, with the ``contact_id`` the
list read found, so the apply need not look the contact up). Saved plans hold personal
data, so :func:`save_plan` creates them readable by their owner only (0600).

A plan also carries what it was made with (``vars``: the ``--var`` values;
``allow_removals``) and a ``digest``: SHA-256 over everything else in it (its decisions,
counts, the manifests and their digest, each list's fingerprint), in a canonical form
(:func:`content_digest`). :func:`load_plan` refuses a file whose digest does not match its
content, so a saved plan is applied exactly as it was reviewed. The digest makes any edit
or damage evident; it is not a signature (someone who can write the plan file and
recompute the digest could as well edit the manifests), which is why the apply also
checks every guard again on the plan's content and the live list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.contacts import Conflict, InvalidRow
from engine.errors import ConfigError, TamperedPlanError
from engine.plan import (
    ACTION_ORDER,
    FORMAT_VERSION,
    Action,
    Change,
    ExportPlan,
    Membership,
    Plan,
    Value,
    digest_manifests,
    utc_now,
)
from engine.snapshot import ListRead
from engine.state.files import write_private

__all__ = [
    "ACTION_ORDER",
    "FORMAT_VERSION",
    "Action",
    "Change",
    "ExportPlan",
    "Plan",
    "Value",
    "change_from_json",
    "change_to_json",
    "digest_manifests",
    "load_plan",
    "plan_from_json",
    "plan_text",
    "plan_to_json",
    "save_plan",
    "utc_now",
]


def plan_to_json(plan: Plan) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format_version": plan.format_version,
        "created_at": plan.created_at,
        "workspace_digest": plan.workspace_digest,
        "vars": dict(plan.vars),
        "allow_removals": plan.allow_removals,
        "exports": [_export_to_json(export) for export in plan.exports],
        "manifests": dict(plan.manifests),
    }
    data["digest"] = content_digest(data)
    return data


def content_digest(data: Mapping[str, Any]) -> str:
    """SHA-256 of a plan's JSON form without its ``digest`` key, canonical (sorted keys, no
    spaces, UTF-8): any change to a decision, a count, a var or a manifest changes it."""
    content = {k: v for k, v in data.items() if k != "digest"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def plan_text(plan: Plan) -> str:
    """The plan file's text: :func:`plan_to_json`, indented; key order is fixed (stable)."""
    return json.dumps(plan_to_json(plan), indent=2, ensure_ascii=False) + "\n"


def plan_from_json(data: object) -> Plan:
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
        return Plan(
            exports=tuple(_export_from_json(item) for item in data["exports"]),
            created_at=str(data["created_at"]),
            manifests=dict(data.get("manifests") or {}),
            workspace_digest=str(data.get("workspace_digest", "")),
            vars={str(k): str(v) for k, v in (data.get("vars") or {}).items()},
            allow_removals=data.get("allow_removals") is True,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"not a valid plan file ({type(exc).__name__}: {exc}); "
            "save one again with `sync plan --out FILE`"
        ) from exc


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
    if change.contact_id is not None:
        out["contact_id"] = change.contact_id
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
        None if raw.get("contact_id") is None else str(raw["contact_id"]),
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
            | ({"key": r.key} if r.key is not None else {})
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
        "read": _read_to_json(plan.read),
    }


def _read_to_json(read: ListRead | None) -> dict[str, Any] | None:
    """How the list was read: ``mode`` (full | incremental), ``reasons``, ``since`` (ISO,
    incremental), ``changed``, ``requests``, ``values``, ``notes``, ``summary`` (as shown)."""
    if read is None:
        return None
    since = None if read.since is None else datetime.fromtimestamp(read.since, UTC).isoformat()
    return {
        "mode": read.mode,
        "reasons": list(read.reasons),
        "since": since,
        "changed": read.changed,
        "requests": read.requests,
        "values": read.values,
        "notes": list(read.notes),
        "summary": read.summary(),
    }


def _read_from_json(raw: object) -> ListRead | None:
    if not isinstance(raw, Mapping):
        return None
    since = raw.get("since")
    return ListRead(
        mode=str(raw.get("mode", "full")),
        reasons=tuple(str(r) for r in raw.get("reasons") or ()),
        since=datetime.fromisoformat(since).timestamp() if isinstance(since, str) else None,
        changed=int(raw.get("changed", 0)),
        requests=int(raw.get("requests", 0)),
        values=str(raw.get("values", "")),
        notes=tuple(str(n) for n in raw.get("notes") or ()),
    )


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
            InvalidRow(
                str(r["segment"]), int(r["row"]), r.get("value"), str(r["reason"]), r.get("key")
            )
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
        read=_read_from_json(raw.get("read")),
    )


def save_plan(plan: Plan, path: Path | str) -> None:
    """Write the plan as JSON, readable by its owner only (0600: it holds personal data).

    Written to a temporary file beside ``path`` (created 0600), fsynced and renamed over it
    (:func:`engine.state.files.write_private`), so a crash never leaves half a plan, an
    existing file's wider permissions are not kept, and the temporary file a killed earlier
    save left behind is removed.
    """
    target = Path(path)
    try:
        write_private(target, plan_text(plan).encode("utf-8"), folder_private=False)
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
        plan = plan_from_json(data)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    _check_digest(source, data)
    return plan


def _check_digest(source: Path, data: Mapping[str, Any]) -> None:
    """Refuse a plan file whose content is not what was saved (nothing is sent)."""
    again = f"make the plan again with 'sync plan --out {source}', review it, and apply that"
    recorded = data.get("digest")
    if not isinstance(recorded, str):
        raise TamperedPlanError(
            f"{source} has no digest (saved by an older version, or the key was removed), "
            f"so it cannot be shown to be the plan that was reviewed; nothing was applied: "
            f"{again}"
        )
    if recorded != content_digest(data):
        raise TamperedPlanError(
            f"{source} was changed after it was saved (its digest does not match its "
            "content: a change, a count or a value was added, removed or edited), so "
            f"nothing was applied; a saved plan is applied exactly as reviewed: {again}"
        )
