"""Two clients hammering one sandbox over loopback HTTP, with the default 5 requests/s.

Usage: .venv/bin/python bench/sandbox_concurrency.py [SECONDS]   (default 3)
Runs once with the default limit and once with the limit off. Each thread syncs its own
contacts as fast as it can (no pacing, no retry on 429). Prints
how many answers were 2xx and 429 per thread, the admitted rate, and checks that every
admitted write is in the data and no refused one is.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from engine.activecampaign.sandbox import SandboxSettings, running_server


def hammer(
    host: str, name: str, until: float, out: dict[str, Counter[int]], ok: dict[str, set[str]]
) -> None:
    counts: Counter[int] = Counter()
    written: set[str] = set()
    with httpx.Client(base_url=f"http://{host}/api/3", headers={"Api-Token": "sandbox"}) as client:
        i = 0
        while time.monotonic() < until:
            email = f"{name}-{i}@example.com"
            answer = client.post("/contact/sync", json={"contact": {"email": email}})
            counts[answer.status_code] += 1
            if answer.status_code in (200, 201):
                written.add(email)
            i += 1
    out[name], ok[name] = counts, written


def main(seconds: float) -> None:
    for rate_limit in (5.0, None):
        print(f"rate_limit={rate_limit}")
        run(seconds, SandboxSettings(rate_limit=rate_limit))


def run(seconds: float, settings: SandboxSettings) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "bench.sqlite3"
        with running_server(data, settings) as host:
            until = time.monotonic() + seconds
            out: dict[str, Counter[int]] = {}
            ok: dict[str, set[str]] = {}
            threads = [
                threading.Thread(target=hammer, args=(host, n, until, out, ok)) for n in "ab"
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            with httpx.Client(
                base_url=f"http://{host}/api/3", headers={"Api-Token": "sandbox"}
            ) as client:
                time.sleep(1.1)
                stored = int(client.get("/contacts").json()["meta"]["total"])
        admitted = sum(c[200] + c[201] for c in out.values())
        for name, counts in sorted(out.items()):
            print(f"  client {name}: {dict(sorted(counts.items()))}")
        print(
            f"  admitted {admitted} in {seconds:.1f}s = {admitted / seconds:.2f}/s; "
            f"contacts stored {stored}; written == stored: {admitted == stored}"
        )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
