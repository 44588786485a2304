"""Diff cases as data: every tests/cases/diff/*.yaml is one case (policy, desired, current,
expected changes / skipped / summary / refusals / writes), run by one parametrised test.

Case keys:
  export:          overrides merged over a base export (mapping keys merged one by one)
  allow_removals:  bool (default false)
  consent:         the connection's data_privacy_consent (default true)
  desired:         [{email, first_name, last_name, phone, fields: {TAG: v}, tags: [..]}]
  invalid:         [{segment, row, value, reason}]
  current:         [{email, status, removed_by_sync, ...same values as desired}]
  expected:        {summary, changes, skipped, refusals (substrings), writes (optional)}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.apply import ContactWrite, writes_of
from engine.contacts import Contact, CurrentState, DesiredState, InvalidRow, ListStatus, Member
from engine.diff import Policy
from engine.manifests.models import ActiveCampaignConnection, Export
from engine.plan.build import plan_export
from engine.plan.file import change_to_json

CASES = sorted((Path(__file__).parent / "cases" / "diff").glob("*.yaml"))
CASE_KEYS = {"description", "export", "allow_removals", "consent", "desired", "invalid"}
CASE_KEYS |= {"current", "expected"}
BASE_MAPPING = {
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "phone": "phone",
}


def _text(value: object, where: str) -> str | None:
    assert value is None or isinstance(value, str), f"{where}: quote {value!r} in the case"
    return value


def contact(raw: dict[str, Any]) -> Contact:
    email = raw["email"]
    fields = {tag: _text(v, f"{email} fields.{tag}") for tag, v in raw.get("fields", {}).items()}
    return Contact(
        email=email,
        first_name=_text(raw.get("first_name"), f"{email} first_name"),
        last_name=_text(raw.get("last_name"), f"{email} last_name"),
        phone=_text(raw.get("phone"), f"{email} phone"),
        fields=Contact.make_fields(fields),
        tags=frozenset(raw.get("tags", ())),
    )


def member(raw: dict[str, Any], index: int) -> Member:
    status = ListStatus[raw.get("status", "active").upper()]
    return Member(contact(raw), status, str(index + 1), bool(raw.get("removed_by_sync")))


def export_of(overrides: dict[str, Any]) -> Export:
    data: dict[str, Any] = {
        "name": "vip",
        "connection": "ac",
        "list_id": 12,
        "segments": ["high-value"],
    }
    overrides = dict(overrides)
    mapping = {**BASE_MAPPING, **overrides.pop("mapping", {})}
    data["mapping"] = {k: v for k, v in mapping.items() if v is not None}
    data.update(overrides)
    return Export.model_validate(data)


def write_to_json(write: ContactWrite) -> dict[str, Any]:
    out: dict[str, Any] = {"email": write.email, "membership": write.membership.value}
    if write.values:
        out["values"] = dict(write.values)
    if write.tags:
        out["tags"] = list(write.tags)
    return out


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_diff_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(case) <= CASE_KEYS, f"unknown keys {set(case) - CASE_KEYS}"
    export = export_of(case.get("export", {}))
    policy = Policy.of(export, allow_removals=case.get("allow_removals", False))
    connection = ActiveCampaignConnection(
        name="ac",
        type="activecampaign",
        host="sandbox",
        data_privacy_consent=case.get("consent", True),
    )
    wanted = [contact(c) for c in case.get("desired") or []]
    desired = DesiredState(
        {c.email: c for c in wanted},
        invalid=tuple(InvalidRow(**r) for r in case.get("invalid", [])),
    )
    current = CurrentState.of("12", [member(m, i) for i, m in enumerate(case.get("current") or [])])

    plan = plan_export(export.name, connection, desired, current, policy)

    expected = case["expected"]
    assert plan.summary == {**dict.fromkeys(plan.summary, 0), **expected["summary"]}
    assert [change_to_json(c) for c in plan.changes] == expected.get("changes", [])
    assert [change_to_json(c) for c in plan.skipped] == expected.get("skipped", [])
    refusals = expected.get("refusals", [])
    assert len(plan.refusals) == len(refusals), plan.refusals
    for message, fragment in zip(plan.refusals, refusals, strict=True):
        assert fragment in message
        assert "'vip'" in message and "list 12" in message
    if "writes" in expected:
        assert [write_to_json(w) for w in writes_of(plan)] == expected["writes"]


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30
