"""``sync status``: recent runs per export, from the run history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.state.history import RunRecord

NO_RUNS = "No runs recorded yet (sync apply records each run in .sync/history.jsonl)."


def render_status(latest: Mapping[str, Iterable[RunRecord]]) -> str:
    """One block per export: its name, then a line per run, newest first."""
    if not latest:
        return NO_RUNS + "\n"
    lines: list[str] = []
    for name, runs in latest.items():
        lines.append(name)
        lines += [run_line(r) for r in runs]
    return "\n".join(lines) + "\n"


def run_line(r: RunRecord) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in r.counts.items())
    rejected = f", {len(r.rejected)} rejected" if r.rejected else ""
    rejected += f", {len(r.not_applied)} not applied" if r.not_applied else ""
    return (
        f"  {r.time}  {r.outcome:<11} list {r.list_id}  {counts}{rejected}  "
        f"{r.duration_s:.1f}s  by {r.who}" + (f" @ {r.commit[:8]}" if r.commit else "")
    )
