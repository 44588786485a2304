"""The reconcile acceptance scenario (issue 6), shared by its test and bench/scenario_10k.py.

A sandbox list with 10,000 active members; the segment holds 500 new people, 300 members
with a changed first name, drops 200 members (mirror), and holds 20 people who had
unsubscribed themselves. Expected plan: 500 add, 300 update, 200 remove, 20 skipped.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from engine import pipeline
from engine.activecampaign.connect import Connector
from engine.activecampaign.retry import RetryPolicy
from engine.activecampaign.sandbox import (
    SandboxSettings,
    Store,
)
from engine.contacts import ListStatus
from engine.manifests.load import load_project
from engine.manifests.project import Project
from engine.state import sandbox_data

LIST = 7
MEMBERS, NEW, CHANGED, LEFT, SELF_UNSUBSCRIBED = 10_000, 500, 300, 200, 20

MANIFESTS = {
    "connections/ac.yaml": """
name: ac
type: activecampaign
host: sandbox
data_privacy_consent: true
""",
    "connections/warehouse.yaml": """
name: warehouse
type: duckdb
path: people.duckdb
""",
    "segments/club.yaml": """
name: club
source: warehouse
query: select email, first_name, last_name, phone, ltv from people order by n
""",
    "exports/club.yaml": """
name: club
connection: ac
list_id: 7
segments: [club]
mapping:
  email: email
  first_name: first_name
  last_name: last_name
  phone: phone
  fields:
    LTV: ltv
mode: mirror
limits:
  max_removals: 5%
""",
}


def member(i: int) -> tuple[str, str, str, str]:
    return (f"member{i}@example.com", f"First{i}", f"Last{i}", f"+1 555 {i:06d}")


def build(root: Path) -> None:
    """Write the workspace, the warehouse and the sandbox list in ``root``."""
    for name, text in MANIFESTS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.lstrip())
    store = Store(sandbox_data(root))
    store.create_list("Club", LIST)
    rows = [(*member(i), ListStatus.ACTIVE.value) for i in range(MEMBERS)]
    rows += [
        (f"optout{i}@example.com", "Opt", "Out", "", ListStatus.UNSUBSCRIBED.value)
        for i in range(SELF_UNSUBSCRIBED)
    ]
    store.load_members(LIST, rows, {"LTV": [str(i % 997) for i in range(len(rows))]})
    store.close()
    with duckdb.connect(str(root / "people.duckdb")) as db:
        db.execute(PEOPLE_SQL.format(left=LEFT, changed=LEFT + CHANGED, members=MEMBERS))
        db.execute(
            f"insert into people select {MEMBERS} + i, 'member' || ({MEMBERS} + i) || "
            f"'@example.com', 'First' || ({MEMBERS} + i), 'Last' || ({MEMBERS} + i), "
            f"'+1 555 ' || lpad(({MEMBERS} + i)::varchar, 6, '0'), i from range({NEW}) t(i)"
        )
        db.execute(
            f"insert into people select 2 * {MEMBERS} + i, 'optout' || i || '@example.com', 'Opt', "
            f"'Out', '', 0 from range({SELF_UNSUBSCRIBED}) t(i)"
        )


# Members LEFT.. stay in the segment (the first LEFT left it); the next CHANGED were renamed.
PEOPLE_SQL = """
create table people as
select i as n, 'member' || i || '@example.com' as email,
       case when i < {changed} then 'Renamed' || i else 'First' || i end as first_name,
       'Last' || i as last_name, '+1 555 ' || lpad(i::varchar, 6, '0') as phone,
       i % 997 as ltv
from range({left}, {members}) t(i)
"""


@dataclass
class Scenario:
    project: Project
    clients: pipeline.Clients


def open_scenario(
    root: Path, clock: Callable[[], float], sleep: Callable[[float], None]
) -> Scenario:
    """The project plus clients on the in-process sandbox with ActiveCampaign's real limits."""
    project = load_project(root)
    connector = Connector(
        clock=clock,
        sleep=sleep,
        rng=random.Random(5),
        retry=RetryPolicy(max_attempts=8),
        sandbox=SandboxSettings(seed=11),
        sandbox_clock=clock,
        wall_clock=clock,
    )
    return Scenario(project, pipeline.Clients(project, {}, connector))
