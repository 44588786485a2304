"""Exports that write the same person converge (issue 13, item 2).

Two exports on one account that map the same fields with different values for the same
person: ``validate`` says so until a priority is declared; then the higher one's values
are written for a person both want, the lower one's plan reports the difference as a
conflict, and apply -> plan shows no changes (it flipped back and forth before).
"""

from __future__ import annotations

import json
from typing import Any

from engine.contacts import Contact, DesiredState
from engine.ownership import claims_of, settle

from .reconcile_fixtures import Workspace, workspace

__all__ = ["workspace"]


def _other_phones(ws: Workspace) -> None:
    """The newsletter's segment gives everyone a phone of its own (as a second source of
    the same people would): every person in both exports has two phones."""
    segment = ws.root / "segments" / "newsletter-opt-in.yaml"
    segment.write_text(
        segment.read_text().replace(
            "select email, first_name, last_name, phone,",
            "select email, first_name, last_name, '+1 555 0' || customer_id as phone,",
        )
    )


def _without_priorities(ws: Workspace) -> None:
    for name in ("vip", "newsletter"):
        path = ws.root / "exports" / f"{name}.yaml"
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(ln for ln in lines if not ln.startswith("priority:")))


def _plan(ws: Workspace) -> dict[str, Any]:
    made = ws.sync("plan", "--format", "json")
    assert made.exit_code == 0, made.output
    data: dict[str, Any] = json.loads(made.stdout)
    return {e["export"]: e for e in data["exports"]}


def test_shared_fields_need_a_priority_before_anything_runs(workspace: Workspace) -> None:
    _without_priorities(workspace)
    checked = workspace.sync("validate")
    assert checked.exit_code == 1
    for name, other in (("vip", "newsletter"), ("newsletter", "vip")):
        assert (
            f"export '{name}' writes fields.COUNTRY, first_name, last_name, phone on account "
            f"'sandbox', as export '{other}' does" in checked.output
        )
    assert "set priority: on each of these exports, all different" in checked.output
    assert workspace.sync("plan").exit_code == 1


def test_two_overlapping_exports_converge_after_one_apply(workspace: Workspace) -> None:
    _other_phones(workspace)
    first = _plan(workspace)
    across = [c for c in first["newsletter"]["conflicts"] if c["kept_from"] == "export vip"]
    assert len(across) > 5  # people in both exports, with two different phones
    for conflict in across:
        assert conflict["field"] == "phone" and conflict["dropped_from"] == "export newsletter"
        assert conflict["dropped"].startswith("+1 555 0")
    assert not [c for c in first["vip"]["conflicts"] if c["kept_from"].startswith("export")]

    applied = workspace.sync("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    again = workspace.sync("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output  # nothing flips back
    assert "0 to update" in again.stdout

    alone = workspace.sync("plan", "-e", "newsletter", "--detailed-exitcode")  # vip not planned
    assert alone.exit_code == 0, alone.output
    assert "vip: reading segments (it owns shared fields)" in alone.output


def test_a_person_only_the_lower_export_wants_gets_its_values() -> None:
    vip = DesiredState({"a@x.co": Contact("a@x.co", phone="1")})
    news = DesiredState(
        {"a@x.co": Contact("a@x.co", phone="2"), "b@x.co": Contact("b@x.co", phone="3")}
    )
    claims = claims_of("vip", 20, vip, ["phone"], clear_nulls=False)
    settled = settle("newsletter", ["phone"], news, [claims])
    assert settled.contacts["a@x.co"].phone == "1"
    assert settled.contacts["b@x.co"].phone == "3"
    (conflict,) = settled.conflicts
    assert (conflict.kept, conflict.dropped, conflict.kept_from) == ("1", "2", "export vip")


def test_a_blank_owner_value_is_no_opinion_unless_it_clears() -> None:
    vip = DesiredState({"a@x.co": Contact("a@x.co", phone=None, fields=(("TIER", "gold"),))})
    news = DesiredState({"a@x.co": Contact("a@x.co", phone="2", fields=(("TIER", "x"),))})
    keeps = claims_of("vip", 20, vip, ["phone", "fields.TIER"], clear_nulls=False)
    settled = settle("newsletter", ["phone", "fields.TIER"], news, [keeps])
    assert settled.contacts["a@x.co"].phone == "2"  # vip has no phone: no opinion
    assert settled.contacts["a@x.co"].field("TIER") == "gold"
    clears = claims_of("vip", 20, vip, ["phone"], clear_nulls=True)
    cleared = settle("newsletter", ["phone"], news, [clears])
    assert cleared.contacts["a@x.co"].phone is None  # vip clears it: newsletter leaves it


def test_the_highest_of_several_owners_decides() -> None:
    news = DesiredState({"a@x.co": Contact("a@x.co", first_name="N")})
    high = claims_of(
        "vip", 30, DesiredState({"a@x.co": Contact("a@x.co", "V")}), ["first_name"], False
    )
    mid = claims_of(
        "crm", 20, DesiredState({"a@x.co": Contact("a@x.co", "C")}), ["first_name"], False
    )
    settled = settle("newsletter", ["first_name"], news, [mid, high])
    assert settled.contacts["a@x.co"].first_name == "V"
