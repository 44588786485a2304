"""``sync status``: recent runs per export, from the run history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.state.history import RunRecord

NO_RUNS = "No runs recorded yet (sync apply records each run in .sync/history.jsonl)."


def render_status(latest: Mapping[str, Iterable[RunRecord]], damaged: Iterable[int] = ()) -> str:
    """One block per export: its name, then a line per run, newest first; then the damaged
    history lines that were skipped, if any."""
    lines = [
        f"warning: .sync/history.jsonl line {n} is damaged (not a run record) and was skipped"
        for n in damaged
    ]
    if not latest:
        return "\n".join([*lines, NO_RUNS]) + "\n"
    for name, runs in latest.items():
        lines.append(name)
        lines += [run_line(r) for r in runs]
    return "\n".join(lines) + "\n"


def run_line(r: RunRecord) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in r.counts.items())
    rejected = f", {r.total('rejected')} rejected" if r.rejected else ""
    rejected += f", {r.total('not_applied')} not applied" if r.not_applied else ""
    rejected += f", {r.total('skipped')} skipped" if r.skipped else ""
    return (
        f"  {r.time}  {r.outcome:<11} list {r.list_id}  {counts}{rejected}  "
        f"{r.duration_s:.1f}s  by {r.who}" + (f" @ {r.commit[:8]}" if r.commit else "")
    )
