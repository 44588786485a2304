"""Plan: the SPEC §3.1 JSON shape, exact round trip, saved files 0600, clear errors."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.apply import ContactWrite, write_of, writes_of
from engine.contacts import Conflict, InvalidRow
from engine.errors import ConfigError
from engine.plan import Action, Change, ExportPlan, Membership, Plan
from engine.plan.file import load_plan, plan_from_json, plan_to_json, save_plan

SPEC_EXAMPLE: dict[str, Any] = {
    "format_version": 1,
    "exports": [
        {
            "export": "vip-newsletter",
            "connection": "ac-prod",
            "list_id": "12",
            "mode": "mirror",
            "summary": {
                "add": 2, "update": 1, "remove": 1, "unchanged": 40, "skipped": 1, "invalid": 1,
            },
            "changes": [
                {"action": "add", "email": "ana@example.com", "after": {"first_name": "Ana"}},
                {"action": "update", "email": "bo@example.com",
                 "before": {"phone": "555-0100"}, "after": {"phone": "555-0199"}},
                {"action": "remove", "email": "cy@example.com"},
            ],
            "skipped": [{"email": "di@example.com", "reason": "unsubscribed"}],
            "invalid": [{"segment": "high-value", "row": 17, "value": "not-an-email",
                         "reason": "invalid email"}],
        }
    ],
}  # fmt: skip


def example_plan() -> Plan:
    """The §3.1 example as a Plan (its summary says 2 adds; the example lists one change
    per kind, so a second add is included here and dropped before comparing)."""
    export = ExportPlan(
        export="vip-newsletter",
        connection="ac-prod",
        list_id="12",
        mode="mirror",
        changes=(
            Change(Action.ADD, "ana@example.com", after={"first_name": "Ana"}),
            Change(Action.ADD, "eve@example.com", after={"tags": ("vip",)}),
            Change(Action.UPDATE, "bo@example.com", {"phone": "555-0100"}, {"phone": "555-0199"}),
            Change(Action.REMOVE, "cy@example.com"),
        ),
        skipped=(Change(Action.SKIP, "di@example.com", reason="unsubscribed"),),
        unchanged=40,
        invalid=(InvalidRow("high-value", 17, "not-an-email", "invalid email"),),
        current_fingerprint="abc123",
        desired_count=44,
        active_members=42,
    )
    return Plan.create(
        [export],
        {"exports/vip-newsletter": {"name": "vip-newsletter", "list_id": 12}},
        clock=lambda: datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    )


def test_json_has_the_spec_shape() -> None:
    data = plan_to_json(example_plan())
    export = data["exports"][0]
    export["changes"] = [c for c in export["changes"] if c["email"] != "eve@example.com"]
    spec_export = SPEC_EXAMPLE["exports"][0]
    for key, value in spec_export.items():
        assert export[key] == value, key
    extras = set(export) - set(spec_export)
    assert extras <= {
        "conflicts",
        "refusals",
        "fingerprint",
        "desired_count",
        "active_members",
        "read",
    }
    assert data["format_version"] == 1
    assert data["created_at"] == "2024-05-01T12:00:00Z"
    assert next(iter(data)) == "format_version"


def test_json_round_trip_is_exact_through_text() -> None:
    plan = example_plan()
    conflicted = ExportPlan(
        "other", "ac", "7", "upsert",
        changes=(
            Change(Action.ADD, "cy@example.com", {"phone": "5"}, {"phone": None},
                   "removed earlier by sync", Membership.RESUBSCRIBE),
        ),
        conflicts=(Conflict("x@example.com", "first_name", "A", "s:1", "B", "s:4"),),
        refusals=("export 'other' (list 7 on 'ac'): refused",),
    )  # fmt: skip
    plan = Plan((*plan.exports, conflicted), plan.created_at, plan.manifests, "digest")
    again = plan_from_json(json.loads(json.dumps(plan_to_json(plan))))
    assert again == plan
    assert plan_to_json(again) == plan_to_json(plan)
    assert again.export("other").changes[0].membership is Membership.RESUBSCRIBE


def test_digest_follows_the_manifests() -> None:
    a = Plan.create([], {"exports/x": {"list_id": 1}})
    b = Plan.create([], {"exports/x": {"list_id": 2}})
    assert a.workspace_digest and a.workspace_digest != b.workspace_digest
    assert Plan.create([], {"exports/x": {"list_id": 1}}).workspace_digest == a.workspace_digest


def test_saved_plan_is_private_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("old")
    os.chmod(path, 0o644)
    plan = example_plan()
    save_plan(plan, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_plan(path) == plan
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("not json at all", "not JSON"),
        ('{"hello": 1}', "no format_version"),
        ("[1, 2]", "no format_version"),
        ('{"format_version": 2, "exports": []}', "format_version 2 is not supported"),
        ('{"format_version": 1, "exports": [{"export": "x"}]}', "not a valid plan"),
    ],
)
def test_a_file_that_is_not_a_plan_says_so(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_plan(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_missing_plan_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read plan file .*nope\.json"):
        load_plan(tmp_path / "nope.json")


def test_writes_carry_out_the_changes() -> None:
    export = example_plan().exports[0]
    assert writes_of(export) == [
        ContactWrite("ana@example.com", {"first_name": "Ana"}, (), Membership.SUBSCRIBE),
        ContactWrite("eve@example.com", {}, ("vip",), Membership.SUBSCRIBE),
        ContactWrite("bo@example.com", {"phone": "555-0199"}, (), Membership.KEEP),
        ContactWrite("cy@example.com", {}, (), Membership.UNSUBSCRIBE),
    ]
    cleared = Change(Action.UPDATE, "a@example.com", {"phone": "5"}, {"phone": None})
    assert write_of(cleared) == ContactWrite("a@example.com", {"phone": ""})
    assert write_of(Change(Action.SKIP, "d@example.com", reason="bounced")) is None


def test_has_changes_and_summary() -> None:
    plan = example_plan()
    assert plan.has_changes and not plan.refused
    assert plan.exports[0].summary == {
        "add": 2, "update": 1, "remove": 1, "unchanged": 40, "skipped": 1, "invalid": 1,
    }  # fmt: skip
    quiet = ExportPlan("q", "ac", "1", "upsert", unchanged=3)
    assert not quiet.has_changes
    assert not Plan((quiet,), "2024-01-01T00:00:00Z").has_changes
