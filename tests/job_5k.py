"""The 5,000-person job (issue 12): a mirrored list, then a second run with 3 changed names
and 2 leavers. Shared by its test and ``bench/second_run_5k.py``.

Timeline on one fake clock (ActiveCampaign's real limits, so "paced time" is what pacing
costs against a real account): the members were loaded 30 days ago; the first run, a day
ago, read the list in full and kept its snapshot; then the warehouse changed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import duckdb

from engine import pipeline
from engine.activecampaign.connect import Connector
from engine.activecampaign.retry import RetryPolicy
from engine.activecampaign.sandbox import SandboxSettings, Store
from engine.apply import ApplyReport
from engine.manifests.load import load_project
from engine.plan import Plan
from engine.state import sandbox_data

from .client_fakes import FakeClock

DAY = 86_400.0
NOW = 1_796_040_000.0  # 2026-11-30 12:00 UTC
PEOPLE = 5_000
LIST = 3

MANIFESTS = {
    "connections/ac.yaml": "name: ac\ntype: activecampaign\nhost: sandbox\n"
    "data_privacy_consent: true\n",
    "connections/warehouse.yaml": "name: warehouse\ntype: duckdb\npath: people.duckdb\n",
    "segments/club.yaml": "name: club\nsource: warehouse\n"
    "query: select email, first_name, last_name, tier from people where member\n",
    "exports/club.yaml": "name: club\nconnection: ac\nlist_id: 3\nsegments: [club]\n"
    "mapping:\n  email: email\n  first_name: first_name\n  last_name: last_name\n"
    "  fields:\n    TIER: tier\nmode: mirror\n",
}


@dataclass(frozen=True, slots=True)
class Run:
    plan: Plan
    reports: tuple[ApplyReport, ...]
    requests: dict[str, int]
    paced_s: float


def build(root: Path) -> None:
    """The workspace, the warehouse and the list (converged), loaded 30 days ago."""
    for name, text in MANIFESTS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    people = [(f"person{i}@example.com", f"First{i}", f"Last{i}", "gold" if i % 9 else "silver")
              for i in range(PEOPLE)]  # fmt: skip
    with duckdb.connect(str(root / "people.duckdb")) as db:
        db.execute(
            "create table people (n int, email text, first_name text, last_name text, "
            "tier text, member bool)"
        )
        db.executemany(
            "insert into people values (?, ?, ?, ?, ?, true)",
            [(i, *p) for i, p in enumerate(people)],
        )
    with Store(sandbox_data(root), clock=lambda: NOW - 30 * DAY) as store:
        store.create_list("Club", LIST)
        store.load_members(
            LIST, [(e, f, la, "", 1) for e, f, la, _ in people], {"TIER": [t for *_, t in people]}
        )


def change_the_warehouse(root: Path) -> None:
    """3 people renamed, 2 leave the club."""
    with duckdb.connect(str(root / "people.duckdb")) as db:
        db.execute("update people set first_name = 'Renamed' || n where n in (10, 20, 30)")
        db.execute("update people set member = false where n in (40, 50)")


def run(root: Path, start: float) -> Run:
    """``sync apply --yes`` at ``start``: plan, then apply, at the real limits."""
    clock = FakeClock(start)
    connector = Connector(
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(4),
        retry=RetryPolicy(max_attempts=8),
        sandbox=SandboxSettings(seed=4),
        sandbox_clock=clock,
        wall_clock=clock,
    )
    project = load_project(root)
    with pipeline.Clients(project, {}, connector) as clients:
        done = pipeline.plan_and_apply(project, clients, lambda p: p.has_changes or p.refused)
        requests = dict(clients("ac").stats.snapshot().requests)
    return Run(done.plan, done.reports, requests, clock.now - start)
