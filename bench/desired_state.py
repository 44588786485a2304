"""Benchmark: a 1,000,000-row DuckDB segment -> desired state; prints wall time and peak memory.

    .venv/bin/python bench/desired_state.py [--rows 1000000] [--seed 7] [--keep DIR]

The sample database is generated first (not measured); the measured part (open the source,
run the segment, map, validate, de-duplicate) runs in a fresh process, so its peak RSS
(``ru_maxrss``) is its own. Target on a 2-core machine: <= 15 s and <= 1 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 15.0
TARGET_MB = 1024.0

QUERY = """
select email, first_name, last_name, phone, lifetime_value, last_order_date, country,
       marketing_opt_in, signup_at
from profiles
"""


def measure(root: Path) -> dict[str, float | int]:
    """The measured part: runs in its own process (see ``main``)."""
    from engine.manifests.models import DuckDBSource, Export, FieldMapping, Segment, Settings
    from engine.manifests.project import Project
    from engine.sources import desired_state

    export = Export(
        name="bench",
        connection="ac",
        list_id=1,
        segments=("everyone",),
        mapping=FieldMapping(
            email="email",
            first_name="first_name",
            last_name="last_name",
            phone="phone",
            fields={
                "LIFETIME_VALUE": "lifetime_value",
                "LAST_ORDER": "last_order_date",
                "COUNTRY": "country",
                "OPT_IN": "marketing_opt_in",
                "SIGNUP_AT": "signup_at",
            },
            tags=("bench",),
        ),
    )
    project = Project(
        root=root,
        settings=Settings(),
        destinations={},
        sources={"warehouse": DuckDBSource(name="warehouse", type="duckdb", path="p.duckdb")},
        segments={"everyone": Segment(name="everyone", source="warehouse", query=QUERY)},
        exports={"bench": export},
    )
    started = time.perf_counter()
    state = desired_state(project, export)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": round(seconds, 2),
        "peak_mb": round(peak_mb, 1),
        "rows": state.rows_read,
        "contacts": len(state.contacts),
        "invalid": len(state.invalid),
        "conflicts": len(state.conflicts),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="folder to keep the sample database in")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    from engine.scaffold.sample_data import generate

    with tempfile.TemporaryDirectory(prefix="bench-desired-") as tmp:
        root = args.keep or Path(tmp)
        database = root / "p.duckdb"
        if not database.exists():
            summary = generate(database, rows=args.rows, seed=args.seed)
            print(f"sample: {summary.rows:,} rows generated in {summary.seconds:.1f} s")
        run = subprocess.run(
            [sys.executable, __file__, "--measure", str(root)],
            check=True,
            capture_output=True,
            text=True,
        )
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    print(
        f"desired state: {figures['rows']:,} rows -> {figures['contacts']:,} contacts, "
        f"{figures['invalid']:,} invalid, {figures['conflicts']:,} conflicts"
    )
    ok = figures["seconds"] <= TARGET_SECONDS and figures["peak_mb"] <= TARGET_MB
    print(
        f"wall time {figures['seconds']:.2f} s (target <= {TARGET_SECONDS:.0f} s), "
        f"peak memory {figures['peak_mb']:.0f} MB (target <= {TARGET_MB:.0f} MB): "
        f"{'OK' if ok else 'OVER TARGET'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
