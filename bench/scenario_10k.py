"""Issue 6 acceptance scenario, with request counts per phase and wall time.

10,000 active members; the segment brings 500 new people, 300 changed members, 200 leavers
(mirror) and 20 self-unsubscribed people. Runs in-process against the sandbox with
ActiveCampaign's real limits, on a fake clock (so "paced time" is what the pacing would
have cost against a real account, and wall time is the product's own CPU time).

    .venv/bin/python -m bench.scenario_10k
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from engine import pipeline
from tests.client_fakes import FakeClock
from tests.scenario import build, open_scenario


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in sorted(after.items()) if v - before.get(k, 0)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root)
        clock = FakeClock()
        scenario = open_scenario(root, clock, clock.sleep)
        with scenario.clients as clients:
            phases = []
            plan = None
            for name in ("plan", "apply", "plan again"):
                before = dict(clients("ac").stats.snapshot().requests)
                paced, wall = clock.now, time.perf_counter()
                if name == "apply":
                    assert plan is not None
                    (report,) = pipeline.apply_plan(scenario.project, plan, clients)
                    outcome = f"{report.outcome} {dict(report.applied)}"
                else:
                    plan = pipeline.make_plan(scenario.project, clients=clients)
                    outcome = str(plan.export("club").summary)
                after = dict(clients("ac").stats.snapshot().requests)
                phases.append(
                    (
                        name,
                        delta(after, before),
                        clock.now - paced,
                        time.perf_counter() - wall,
                        outcome,
                    )
                )
            stats = clients("ac").stats.snapshot()
    for name, requests, paced, wall, outcome in phases:
        print(f"{name}: {outcome}")
        print(f"  requests {sum(requests.values())}: {requests}")
        print(f"  paced time at 5 req/s: {paced:.1f} s; wall time here: {wall:.1f} s")
    print(f"429 answers: {stats.rate_limited}; retries: {stats.retries}")


if __name__ == "__main__":
    main()
