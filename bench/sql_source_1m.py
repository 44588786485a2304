"""Benchmark: a 1,000,000-row segment -> desired state, native PostgreSQL vs the SQL source.

    .venv/bin/python -m bench.sql_source_1m [--rows 1000000] [--repeat 3]

Starts its own PostgreSQL and MariaDB servers (the tests' helpers: tests/pg.py,
tests/mariadb.py), loads the same generated profiles into both (not measured), then runs the
segment through the native PostgreSQL source (psycopg), the SQL source on PostgreSQL
(``postgresql+psycopg``) and the SQL source on MariaDB (``mysql+pymysql``), each time in a
fresh child process, and prints the median wall time, CPU time (of the sync process; the
database server's own work is not in it), rows and peak RSS (VmHWM of that child): streaming
keeps memory bounded by the chunk, not by the segment: each source is measured twice, for
the desired state (which holds every contact) and for its rows only (read, kept nowhere).

On the 2-core machine (median of 3): desired state native PostgreSQL 6.1 s / 659 MB,
SQL postgresql+psycopg 6.7 s / 671 MB, SQL MariaDB 12.6 s / 666 MB; rows only 1.3 s / 68 MB,
2.6 s / 83 MB, 8.4 s / 75 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.memory import peak_rss_mb

QUERY = """
select email, first_name, last_name, phone, lifetime_value, last_order_date, country,
       marketing_opt_in, signup_at
from profiles
"""
FIELDS = {
    "LIFETIME_VALUE": "lifetime_value",
    "LAST_ORDER": "last_order_date",
    "COUNTRY": "country",
    "OPT_IN": "marketing_opt_in",
    "SIGNUP_AT": "signup_at",
}
ENV = "BENCH_DB_PASSWORD"


def measure(kind: str, url: str, stream_only: bool) -> dict[str, float | int]:
    """The measured part, in its own process: open the source, run the segment, map, dedupe
    (or, ``stream_only``, only read its rows chunk by chunk and keep none)."""
    from engine.manifests.models import (
        Export,
        FieldMapping,
        PostgresSource,
        Segment,
        Settings,
        SQLSource,
    )
    from engine.manifests.project import Project
    from engine.sources import desired_state, open_reader

    source = (
        PostgresSource(name="db", type="postgres", url=url)
        if kind == "postgres"
        else SQLSource(name="db", type="sql", url=url)
    )
    export = Export(
        name="bench",
        connection="ac",
        list_id=1,
        segments=("everyone",),
        mapping=FieldMapping(
            email="email", first_name="first_name", last_name="last_name", phone="phone",
            fields=FIELDS, tags=("bench",),
        ),
    )  # fmt: skip
    project = Project(
        root=Path.cwd(),
        settings=Settings(),
        destinations={},
        sources={"db": source},
        segments={"everyone": Segment(name="everyone", source="db", query=QUERY)},
        exports={"bench": export},
    )
    started, cpu = time.perf_counter(), time.process_time()
    if stream_only:
        reader = open_reader(project, "db", os.environ)
        try:
            rows = sum(len(chunk) for chunk in reader.query(QUERY).chunks())
        finally:
            reader.close()
    else:
        rows = desired_state(project, export).rows_read
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu": round(time.process_time() - cpu, 2),
        "peak_mb": peak_rss_mb(),
        "rows": rows,
    }


def _load(rows: int, seed: int, pg: Any, maria: Any) -> None:
    """The same generated profiles into PostgreSQL (COPY) and MariaDB (batched INSERTs)."""
    import contextlib as cl

    from engine.scaffold.sample_data import generate
    from tests.sources_support import mariadb_profiles, postgres_profiles, profile_rows

    with tempfile.TemporaryDirectory(prefix="bench-sql-") as tmp:
        database = generate(Path(tmp) / "p.duckdb", rows=rows, seed=seed).files[0]
        data = profile_rows(database)
    started = time.perf_counter()
    with pg.connect() as connection:
        postgres_profiles(connection, data)
    with cl.closing(maria.connect()) as connection:
        mariadb_profiles(connection, data)
    seconds = time.perf_counter() - started
    print(f"loaded {len(data):,} rows into PostgreSQL and MariaDB in {seconds:.0f} s")


def _run(kind: str, url: str, password: str, stream: bool) -> dict[str, float | int]:
    command = [sys.executable, "-m", "bench.sql_source_1m", "--measure", kind, "--url", url]
    run = subprocess.run(
        [*command, *(["--stream-only"] if stream else [])],
        check=True, capture_output=True, text=True, env={**os.environ, ENV: password},
    )  # fmt: skip
    return dict(json.loads(run.stdout.strip().splitlines()[-1]))


def _report(label: str, runs: list[dict[str, float | int]]) -> None:
    median = {k: statistics.median(r[k] for r in runs) for k in ("seconds", "cpu", "peak_mb")}
    walls = ", ".join(f"{r['seconds']:.1f}" for r in runs)
    print(
        f"{label:41} {runs[0]['rows']:>9,} rows  wall {median['seconds']:5.1f} s ({walls})  "
        f"CPU {median['cpu']:5.1f} s  peak {median['peak_mb']:4.0f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--stream-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.url, args.stream_only)))
        return 0
    from tests import mariadb, pg

    ref = f"${{env:{ENV}}}"
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(pg.running_server())
        maria = stack.enter_context(mariadb.running_server())
        _load(args.rows, args.seed, postgres, maria)
        cases = {
            "native postgres (psycopg)": ("postgres", postgres.url(ref), postgres.password),
            "sql: postgresql+psycopg": (
                "sql", postgres.url(ref).replace("postgresql://", "postgresql+psycopg://"),
                postgres.password,
            ),
            "sql: mysql+pymysql (MariaDB)": ("sql", maria.url(ref), maria.password),
        }  # fmt: skip
        print(f"median of {args.repeat}; CPU is the sync process's; peak RSS is VmHWM")
        for label, (kind, url, password) in cases.items():
            for stream in (False, True):
                runs = [_run(kind, url, password, stream) for _ in range(args.repeat)]
                _report(f"{label}{', rows only' if stream else ''}", runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
