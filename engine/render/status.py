"""``sync status``: recent runs per export, from the run history, with a chart of each.

Text (a terminal, a CI log): per export a header with the runs' first and last time, a
sparkline row per series (:mod:`engine.render.history_chart`) with its lowest and highest
value, then a line per run, newest first. Readable without colour; plain ASCII steps where
the output cannot encode Unicode blocks. Markdown (a job summary) is
:mod:`engine.render.status_markdown`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from engine.state.history import RunRecord

from .history_chart import ASCII_LEVELS, UNICODE_LEVELS, Series, series_of, span, sparkline, when

NO_RUNS = "No runs recorded yet (sync apply records each run in .sync/history.jsonl)."


def damaged_lines(damaged: Iterable[int]) -> list[str]:
    return [
        f"warning: .sync/history.jsonl line {n} is damaged (not a run record) and was skipped"
        for n in damaged
    ]


def render_status(
    latest: Mapping[str, Sequence[RunRecord]],
    damaged: Iterable[int] = (),
    *,
    unicode: bool = True,
) -> str:
    """One block per export: its name and chart, then a line per run, newest first; then
    the damaged history lines that were skipped, if any. ``latest``: newest first."""
    lines = damaged_lines(damaged)
    if not latest:
        return "\n".join([*lines, NO_RUNS]) + "\n"
    for name, runs in latest.items():
        lines += chart_lines(name, runs, unicode=unicode)
        lines += [run_line(r) for r in runs]
    return "\n".join(lines) + "\n"


def chart_lines(name: str, runs: Sequence[RunRecord], *, unicode: bool = True) -> list[str]:
    """``name``, how many runs from when to when, and a sparkline row per series."""
    oldest_first = list(runs)[::-1]
    levels = UNICODE_LEVELS if unicode else ASCII_LEVELS
    rows = [_row(s, levels) for s in series_of(oldest_first)]
    return [f"{name}  {_period(oldest_first, unicode)}", *rows]


def _period(runs: Sequence[RunRecord], unicode: bool) -> str:
    first, last = when(runs[0]), when(runs[-1])
    count = f"{len(runs)} {'run' if len(runs) == 1 else 'runs'}"
    if len(runs) == 1:
        return f"{count}, {first} UTC"
    return f"{count}, {first} {'→' if unicode else '->'} {last} UTC"


def _row(series: Series, levels: str) -> str:
    return f"  {series.name:<9}  {sparkline(series, levels)}  {span(series)}"


def run_line(r: RunRecord) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in r.counts.items())
    rejected = f", {r.total('rejected')} rejected" if r.rejected else ""
    rejected += f", {r.total('not_applied')} not applied" if r.not_applied else ""
    rejected += f", {r.total('skipped')} skipped" if r.skipped else ""
    return (
        f"  {r.time}  {r.outcome:<11} list {r.list_id}  {counts}{rejected}  "
        f"{r.duration_s:.1f}s  by {r.who}" + (f" @ {r.commit[:8]}" if r.commit else "")
    )
