"""Four ActiveCampaign accounts in one ``sync apply`` (issue 14): wall time against one alone.

Four sandboxes served on loopback, each enforcing ActiveCampaign's real limits (5
requests/s, 100 bulk imports a minute), each with a 5,000-member list that the warehouse
changes a little (100 renamed members, 20 newcomers: ``tests/accounts_fixture.py``). The
product runs with real time, so pacing really waits: the wall time *is* the API time.

Measured, each from a fresh set-up (no snapshot yet: the list is read in full):

1. one account alone: ``sync apply --yes -e list-1``;
2. all four accounts: ``sync apply --yes`` (default ``--parallel``: one thread each);
3. all four, one after the other: ``sync apply --yes --parallel 1`` (what it was before).

Target: (2) <= 1.3 x (1).

    .venv/bin/python -m bench.accounts_parallel [--people 5000] [--repeat 3]

Prints requests by kind per account, wall and CPU time, and peak RSS (VmHWM) of each run
(each in a fresh process).

Measured here (2 cores, ``--repeat 3``): one account 14.3 s (65 requests: 54 contacts
pages, 5 field-value pages, 1 bulk import, ...; 0.5 s CPU, 127 MB); four accounts 14.4 s
(65 requests each; 1.8 s CPU, 195 MB): 1.01x, target met; one after the other 56.5 s,
3.95x.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.memory import peak_rss_mb

ACCOUNTS = 4
TARGET = 1.3
RUNS = {
    "one account": ("-e", "list-1"),
    "four accounts": (),
    "four, --parallel 1": ("--parallel", "1"),
}


def measure(name: str, people: int) -> dict[str, Any]:
    """One run of ``RUNS[name]`` from a fresh set-up, in this (fresh) process."""
    from engine import pipeline
    from engine.manifests.load import load_project
    from tests.accounts_fixture import served_accounts

    args = RUNS[name]
    names = [args[1]] if args[:1] == ("-e",) else []
    parallel = int(args[1]) if args[:1] == ("--parallel",) else None
    with tempfile.TemporaryDirectory() as tmp, served_accounts(Path(tmp), ACCOUNTS, people) as ws:
        project = load_project(ws.root)
        with pipeline.Clients(project, ws.environ) as clients:
            wall, cpu = time.perf_counter(), time.process_time()
            done = pipeline.plan_and_apply(
                project, clients, lambda plan: True, names=names, parallel=parallel
            )
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            requests = {
                p.connection: dict(sorted(clients(p.connection).stats.snapshot().requests.items()))
                for p in done.plan.exports
            }
        applied = {r.export: dict(r.applied) for r in done.reports}
        ok = all(r.ok for r in done.reports)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_mb": peak_rss_mb(),
        "requests": requests,
        "applied": applied,
        "ok": ok,
    }


def run_child(name: str, people: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.accounts_parallel", "--child", name, "--people", str(people)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", choices=sorted(RUNS))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.people)))
        return
    medians: dict[str, float] = {}
    for name in RUNS:
        results = [run_child(name, args.people) for _ in range(args.repeat)]
        walls = [r["wall_s"] for r in results]
        medians[name] = statistics.median(walls)
        last = results[-1]
        print(f"{name}: wall {', '.join(f'{w:.1f}' for w in walls)} s (median {medians[name]:.1f})")
        for connection, kinds in last["requests"].items():
            print(f"  {connection}: {sum(kinds.values())} requests {kinds}")
        print(f"  applied: {last['applied']}; ok: {last['ok']}")
        print(f"  CPU {last['cpu_s']:.1f} s; peak RSS {last['rss_mb']:,.0f} MB")
    ratio = medians["four accounts"] / medians["one account"]
    serial = medians["four, --parallel 1"] / medians["one account"]
    print(f"four accounts / one account: {ratio:.2f}x (one after the other: {serial:.2f}x)")
    print(f"target four <= {TARGET}x one: {'met' if ratio <= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
