"""Benchmark: write 10,000 new contacts to a sandbox list over loopback, with the real
limits (5 requests/s, 100 bulk requests/min) and 5 % injected 502/503/dropped connections.

    .venv/bin/python bench/bulk_write.py [--contacts 10000] [--fault-rate 0.05] [--seed 1]

Checks (exit 1 if any fails): no contact lost or duplicated (the list is read back through
the same client), no 429 answer, and bulk requests = ceil(N/250) + resends caused by faults.
Prints requests by kind, 429 count, retries and wall time.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from engine.activecampaign.client import Client
from engine.activecampaign.read import read_list
from engine.activecampaign.sandbox import SandboxSettings, Store, running_server
from engine.activecampaign.write.writer import write_contacts
from engine.apply import ContactWrite
from engine.plan import Membership

LIST = 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--bulk-delay", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sandbox.db"
        store = Store(data)
        store.create_list("Bench", LIST)
        store.close()
        settings = SandboxSettings(
            rate_limit=5,
            bulk_multi_per_minute=100,
            fault_rate=args.fault_rate,
            bulk_delay=args.bulk_delay,
            seed=args.seed,
        )
        with running_server(data, settings) as host:
            return run(host, settings.api_key, args)


def run(host: str, key: str, args: argparse.Namespace) -> int:
    writes = [
        ContactWrite(
            f"person{i:05d}@example.com", {"first_name": f"P{i}"}, ("bench",), Membership.SUBSCRIBE
        )
        for i in range(args.contacts)
    ]
    with Client(
        f"http://{host}/api/3", SecretStr(key), host=host, rng=random.Random(args.seed)
    ) as client:
        started = time.monotonic()
        report = write_contacts(client, LIST, writes, _progress)
        write_time = time.monotonic() - started
        write_stats = client.stats.snapshot()
        state = read_list(client, LIST, [], ["bench"])
        total_time = time.monotonic() - started
        stats = client.stats.snapshot()
    expected = {w.email for w in writes}
    bulk = write_stats.requests.get("bulk_import", 0)
    batches = math.ceil(args.contacts / 250)
    print(
        f"\ncontacts: {args.contacts}  applied: {len(report.applied)}  "
        f"rejected: {len(report.rejected)}  unknown: {len(report.unknown)}"
    )
    print(
        f"on the list after: {len(state.members)}  "
        f"missing: {len(expected - set(state.members))}  "
        f"unexpected: {len(set(state.members) - expected)}"
    )
    print(f"write requests by kind: {dict(sorted(write_stats.requests.items()))}")
    print(f"all requests by kind (incl. read-back): {dict(sorted(stats.requests.items()))}")
    faulted = write_stats.faults.get("bulk_import", 0)
    print(
        f"bulk requests: {bulk} = {batches} batches + {bulk - batches} resends "
        f"({faulted} bulk requests hit an injected fault)"
    )
    print(f"injected faults seen, by kind: {dict(sorted(stats.faults.items()))}")
    print(
        f"429 answers: {stats.rate_limited}  bulk rate-limit answers: {stats.bulk_rate_limited}"
        f"  retries: {stats.retries} (write: {write_stats.retries})"
    )
    print(f"wall time: write {write_time:.1f} s, write + read-back {total_time:.1f} s")
    ok = (
        report.ok
        and set(report.applied) == expected
        and set(state.members) == expected
        and all(m.contact.tags == frozenset({"bench"}) for m in state.members.values())
        and stats.rate_limited == 0
        and bulk == batches + faulted
    )
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def _progress(done: int, total: int) -> None:
    print(f"\r  written {done}/{total}", end="", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
