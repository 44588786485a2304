"""``sync status --format markdown``: each export's recent runs as Mermaid charts that GitHub
draws (``xychart-beta``), and a table that reads without them (no JavaScript, an email).

Per export, oldest run first (times UTC): a line chart of the list's size (the runs that
recorded one; drawn from two of them) and one of the adds, updates and removes each run
applied (drawn from two runs). Mermaid's xychart has one y-axis, so the size (thousands) and
the changes (often tens) get a chart each rather than flattening the changes to a line at
zero. Series are named (newer Mermaid shows a legend) and coloured by a fixed palette, which
the line above the charts spells out. Labels are always quoted, with no ``"`` or backtick
inside (Mermaid strings have no escape); numbers are plain digits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from engine.state.history import RunRecord

from .history_chart import Series, run_labels, series_of, when
from .status import NO_RUNS, damaged_lines

SIZE_PALETTE = "#0969da"  # blue
COUNT_PALETTE = "#1a7f37, #9a6700, #cf222e"  # add green, update amber, remove red
LEGEND = (
    "_Oldest run first, times UTC. List size: active members after the run. Changes "
    "applied per run: add (green), update (amber), remove (red)._"
)
NOT_RECORDED = "—"


def render_status_markdown(
    latest: Mapping[str, Sequence[RunRecord]], damaged: Iterable[int] = ()
) -> str:
    """A ``## sync status`` section: per export its charts and a table of its runs, newest
    first. ``latest``: newest first. Starts with a blank line, to follow other markdown (an
    HTML block such as ``</details>`` only ends at one)."""
    out = ["", "## sync status", ""]
    warnings = damaged_lines(damaged)
    out += [*(f"> {line}" for line in warnings), *([""] if warnings else [])]
    if not latest:
        return "\n".join([*out, f"_{NO_RUNS}_"]) + "\n"
    for name, runs in latest.items():
        out += _export(name, runs)
    return "\n".join(out).rstrip("\n") + "\n"


def _export(name: str, runs: Sequence[RunRecord]) -> list[str]:
    oldest = list(runs)[::-1]
    size, *counts = series_of(oldest)
    labels = run_labels(oldest)
    out = [f"### `{_plain(name)}`", "", LEGEND, ""]
    if len(size.known) >= 2:
        sized = [label for label, v in zip(labels, size.values, strict=True) if v is not None]
        out += mermaid(f"{name}: list size", sized, [size], SIZE_PALETTE, "active members")
    if len(oldest) >= 2:
        out += mermaid(f"{name}: changes per run", labels, counts, COUNT_PALETTE, "contacts")
    else:
        out += ["_One run so far: the charts begin with the second._", ""]
    return [*out, *table(runs), ""]


def mermaid(
    title: str, labels: Sequence[str], lines: Sequence[Series], palette: str, y_title: str
) -> list[str]:
    """A fenced ``xychart-beta`` block: ``labels`` on the x-axis, a named line per series
    (only its recorded values: the labels are the runs that have one)."""
    values = [s.known for s in lines]
    return [
        "```mermaid",
        "---",
        "config:",
        "  themeVariables:",
        "    xyChart:",
        f'      plotColorPalette: "{palette}"',
        "---",
        "xychart-beta",
        f"    title {_quoted(title)}",
        f"    x-axis {_quoted('run (UTC)')} [{', '.join(_quoted(x) for x in labels)}]",
        f"    y-axis {_quoted(y_title)} {_y_range(lines, values)}",
        *(
            f"    line {_quoted(s.name)} [{', '.join(str(v) for v in vs)}]"
            for s, vs in zip(lines, values, strict=True)
        ),
        "```",
        "",
    ]


def _y_range(lines: Sequence[Series], values: Sequence[Sequence[int]]) -> str:
    """Counts from 0; a size from its lowest value; never an empty range (a flat series)."""
    every = [v for vs in values for v in vs]
    low = 0 if any(s.from_zero for s in lines) else min(every)
    high = max(every)
    if high == low:
        low, high = max(0, low - 1), high + 1
    return f"{low} --> {high}"


def table(runs: Sequence[RunRecord]) -> list[str]:
    """A row per run, newest first: when, outcome, list size, changes applied, problems."""
    rows = [
        "| run (UTC) | outcome | list size | add | update | remove | not done |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        size = NOT_RECORDED if r.list_size is None else f"{r.list_size:,}"
        counts = " | ".join(f"{r.counts.get(k, 0):,}" for k in ("add", "update", "remove"))
        rows.append(
            f"| {_cell(when(r))} | {_cell(r.outcome)} | {size} | {counts} | {_problems(r)} |"
        )
    return rows


def _problems(r: RunRecord) -> str:
    kinds = (("rejected", "rejected"), ("not_applied", "not applied"), ("skipped", "skipped"))
    return ", ".join(f"{r.total(k):,} {label}" for k, label in kinds if getattr(r, k))


def _quoted(text: str) -> str:
    """A Mermaid string: quoted, one line, without the ``"`` it cannot escape."""
    return '"' + " ".join(_plain(text).replace('"', "'").split()) + '"'


def _plain(text: str) -> str:
    return text.replace("`", "'")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")
