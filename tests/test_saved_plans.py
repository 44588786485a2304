"""Saved plans are exactly what was reviewed, or refused (issue 13, item 1).

A plan file edited in any way is refused with nothing sent; one whose digest was forged
too is still refused by the guards checked again on its content and the live list; a plan
made with ``--var`` (or ``--allow-removals``) applies without repeating it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.plan.file import content_digest

from .reconcile_fixtures import Workspace, counting, workspace

__all__ = ["workspace"]

Edit = Callable[[dict[str, Any]], None]


def _saved(ws: Workspace, *args: str, allow: bool = False) -> tuple[Path, dict[str, Any]]:
    path = ws.root / "vip.plan.json"
    more = ("--allow-removals",) if allow else ()
    made = ws.sync(*args, "plan", "-e", "vip", "--out", str(path), *more)
    assert made.exit_code == 0, made.output
    return path, json.loads(path.read_text())


def _vip(plan: dict[str, Any]) -> dict[str, Any]:
    (export,) = plan["exports"]
    assert export["export"] == "vip"
    return export


def _stranger(plan: dict[str, Any]) -> None:
    _vip(plan)["changes"].append({"action": "add", "email": "stranger@example.org"})


def _dropped(plan: dict[str, Any]) -> None:
    _vip(plan)["changes"].pop()


def _altered(plan: dict[str, Any]) -> None:
    change = next(c for c in _vip(plan)["changes"] if c.get("after"))
    change["after"]["first_name"] = "Mallory"


def _counts(plan: dict[str, Any]) -> None:
    _vip(plan)["active_members"] = 1_000_000  # makes any removal look small


def _no_digest(plan: dict[str, Any]) -> None:
    del plan["digest"]


@pytest.mark.parametrize(
    "edit",
    [_stranger, _dropped, _altered, _counts, _no_digest],
    ids=["change added", "change removed", "change altered", "guard counts", "no digest"],
)
def test_an_edited_plan_is_refused_with_nothing_sent(workspace: Workspace, edit: Edit) -> None:
    path, plan = _saved(workspace)
    edit(plan)
    path.write_text(json.dumps(plan, indent=2))
    sent = counting(workspace)
    result = workspace.sync("apply", str(path))
    assert result.exit_code == 1
    assert "nothing was applied" in result.output
    assert f"make the plan again with 'sync plan --out {path}'" in result.output
    assert sent == []
    assert workspace.sync("sandbox", "lists").stdout.count(" 0 active") == 2


def _removals_of_most_members(ws: Workspace) -> tuple[Path, int]:
    """After a converged apply: a no-change plan forged to remove 68 % of the active
    members, with its digest recomputed (what a careful forger would do)."""
    assert ws.sync("apply", "-e", "vip", "--yes").exit_code == 0
    path, plan = _saved(ws)
    listed = ws.sync("plan", "-e", "vip", "--format", "json").stdout
    active = _vip(json.loads(listed))["summary"]["unchanged"]
    members = _members(ws)
    victims = members[: active * 68 // 100]
    _vip(plan)["changes"] = [{"action": "remove", "email": e} for e in victims]
    plan["digest"] = content_digest(plan)
    path.write_text(json.dumps(plan, indent=2))
    return path, len(victims)


def _members(ws: Workspace) -> list[str]:
    from engine.activecampaign.sandbox import Store

    with Store(ws.sandbox) as store, store.read() as conn:
        rows = conn.execute(
            "SELECT lower(c.email) FROM contacts c JOIN memberships m ON m.contact_id = c.id"
            " WHERE m.list_id = 2 AND m.status = 1 ORDER BY c.email"
        ).fetchall()
    return [r[0] for r in rows]


def test_a_forged_plan_is_still_refused_by_the_guards(workspace: Workspace) -> None:
    path, victims = _removals_of_most_members(workspace)
    before = _members(workspace)
    sent = counting(workspace)
    result = workspace.sync("apply", str(path))
    assert result.exit_code == 1
    assert "the saved plan is refused when checked again, so nothing was applied" in result.output
    assert f"would unsubscribe {victims:,} contacts, more than limits.max_removals" in result.output
    assert "make the plan again with --allow-removals" in result.output
    assert [r for r in sent if not r.startswith("GET ")] == []  # it read the list, no more
    assert _members(workspace) == before


def test_allow_removals_cannot_be_added_to_a_saved_plan(workspace: Workspace) -> None:
    path, _ = _saved(workspace)
    result = workspace.sync("apply", str(path), "--allow-removals")
    assert result.exit_code == 1
    assert "--allow-removals is part of making a plan" in result.output
    assert f"sync plan --allow-removals --out {path}" in result.output


NARROWER = ("--var", "vip_threshold=900", "--var", "recent_since=2026-11-01")


def test_a_plan_made_with_vars_and_allow_removals_applies_without_them(
    workspace: Workspace,
) -> None:
    assert workspace.sync("apply", "-e", "vip", "--yes").exit_code == 0
    path, plan = _saved(workspace, *NARROWER, allow=True)
    assert plan["vars"] == {"vip_threshold": "900", "recent_since": "2026-11-01"}
    assert plan["allow_removals"] is True
    removals = _vip(plan)["summary"]["remove"]
    assert removals > 0 and not _vip(plan)["refusals"]

    applied = workspace.sync("apply", str(path))  # no --var, no --allow-removals
    assert applied.exit_code == 0, applied.output
    assert "applied" in applied.stdout
    after = workspace.sync(*NARROWER, "plan", "-e", "vip", "--detailed-exitcode")
    assert after.exit_code == 0, after.output


def test_a_different_var_on_apply_is_an_error_not_a_silent_choice(workspace: Workspace) -> None:
    path, _ = _saved(workspace, "--var", "vip_threshold=900")
    same = workspace.sync("--var", "vip_threshold=900", "apply", str(path))
    assert same.exit_code == 0, same.output
    path, _ = _saved(workspace, "--var", "vip_threshold=900")
    other = workspace.sync("--var", "vip_threshold=800", "apply", str(path))
    assert other.exit_code == 1
    assert "was made with vip_threshold=900" in other.output
    assert "drop --var, or make the plan again with it" in other.output
