"""Peak memory of this process, as benchmarks report it.

``VmHWM`` (the resident set's high-water mark of the current program) rather than
``ru_maxrss``: Linux carries ``ru_maxrss`` over from the parent across ``fork`` + ``exec``, so
a measurement child started by a benchmark that has just built a million-row set-up would
report the parent's peak instead of its own.
"""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
