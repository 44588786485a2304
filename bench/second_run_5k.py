"""The second run of a 5,000-person job (issue 12): 3 changed names, 2 leavers.

On the sandbox, in-process, at ActiveCampaign's real limits on a fake clock: the first run
(a day ago) read the list in full and kept its snapshot; the second reads only what changed
since. Prints both runs' requests by kind and the time pacing costs against a real account.

    .venv/bin/python -m bench.second_run_5k
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from tests import job_5k


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        job_5k.build(root)
        runs = []
        for name, start in (("first run", job_5k.NOW - job_5k.DAY), ("second run", job_5k.NOW)):
            if name == "second run":
                job_5k.change_the_warehouse(root)
            wall = time.perf_counter()
            result = job_5k.run(root, start)
            runs.append((name, result, time.perf_counter() - wall))
    for name, result, wall in runs:
        plan = result.plan.exports[0]
        read = plan.read.summary() if plan.read is not None else "?"
        applied = [dict(r.applied) for r in result.reports]
        print(f"{name}: {plan.summary}; applied {applied or 'nothing'}")
        print(f"  list read: {read}")
        print(
            f"  requests {sum(result.requests.values())}: {dict(sorted(result.requests.items()))}"
        )
        print(
            f"  paced time at the real limits: {result.paced_s:.1f} s; wall time here: {wall:.1f} s"
        )


if __name__ == "__main__":
    main()
