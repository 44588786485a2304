"""Issue 6 acceptance: exact counts, minimal bulk writes, convergence, opt-outs respected."""

from __future__ import annotations

from pathlib import Path

from engine import pipeline
from engine.activecampaign.read import read_list
from engine.contacts import ListStatus

from .client_fakes import FakeClock
from .scenario import CHANGED, LEFT, LIST, NEW, SELF_UNSUBSCRIBED, build, open_scenario


def test_ten_thousand_member_scenario(tmp_path: Path) -> None:
    build(tmp_path)
    clock = FakeClock()
    scenario = open_scenario(tmp_path, clock, clock.sleep)
    with scenario.clients as clients:
        plan = pipeline.make_plan(scenario.project, clients=clients)
        club = plan.export("club")
        assert club.summary == {
            "add": NEW,
            "update": CHANGED,
            "remove": LEFT,
            "unchanged": 10_000 - LEFT - CHANGED,
            "skipped": SELF_UNSUBSCRIBED,
            "invalid": 0,
        }
        assert {s.reason for s in club.skipped} == {"unsubscribed"}
        updated = [c for c in club.changes if c.action.value == "update"]
        assert all(set(c.after) == {"first_name"} for c in updated)  # only what differs

        before = clients("ac").stats.snapshot().requests
        (report,) = pipeline.apply_plan(scenario.project, plan, clients)
        after = clients("ac").stats.snapshot().requests
        writes = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        assert report.outcome == "applied", report
        assert report.applied == {"add": NEW, "update": CHANGED, "remove": LEFT}
        assert writes.get("bulk_import", 0) <= 4  # ceil(1000 / 250)
        assert not {"contact_sync", "contact_lists"} & {k for k, v in writes.items() if v}

        again = pipeline.make_plan(scenario.project, clients=clients)
        assert not again.has_changes
        assert again.export("club").summary["skipped"] == SELF_UNSUBSCRIBED

        state = read_list(clients("ac"), LIST, ["LTV"], [])
        optouts = [m for e, m in state.members.items() if e.startswith("optout")]
        assert len(optouts) == SELF_UNSUBSCRIBED
        assert all(m.status is ListStatus.UNSUBSCRIBED and not m.removed_by_sync for m in optouts)
        leavers = [state.members[f"member{i}@example.com"] for i in range(LEFT)]
        assert all(m.status is ListStatus.UNSUBSCRIBED and m.removed_by_sync for m in leavers)
