"""``sync status``'s charts: sparklines on a terminal (ASCII where blocks cannot be encoded),
Mermaid ``xychart-beta`` and a table in markdown; the list size recorded going forward and
read as a gap from older history lines."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from engine.cli import app
from engine.render.status import NO_RUNS, render_status
from engine.render.status_markdown import render_status_markdown
from engine.state import history

from .reconcile_fixtures import Workspace, workspace

__all__ = ["workspace"]


def run(
    time: str, size: int | None, add: int = 0, update: int = 0, remove: int = 0
) -> history.RunRecord:
    applied = {k: n for k, n in {"add": add, "update": update, "remove": remove}.items() if n}
    return history.RunRecord(
        time=time,
        export="vip",
        connection="ac",
        list_id="2",
        who="dev@example.com",
        commit="0123456789ab",
        outcome="applied",
        counts={"planned": add + update + remove, **applied},
        list_size=size,
    )


FIRST = run("2026-11-27T10:00:00+00:00", None, add=1200)  # recorded before list_size existed
SECOND = run("2026-11-28T10:00:00+00:00", 1200, update=12)
THIRD = run("2026-11-29T10:05:00+00:00", 1240, add=43, remove=3)
NEWEST_FIRST = {"vip": [THIRD, SECOND, FIRST]}
RUN_LINES = [
    "  2026-11-29T10:05:00+00:00  applied     list 2  planned 46, add 43, remove 3  0.0s  "
    "by dev@example.com @ 01234567",
    "  2026-11-28T10:00:00+00:00  applied     list 2  planned 12, update 12  0.0s  "
    "by dev@example.com @ 01234567",
    "  2026-11-27T10:00:00+00:00  applied     list 2  planned 1200, add 1200  0.0s  "
    "by dev@example.com @ 01234567",
]


def test_terminal_chart_with_a_gap_where_the_list_size_was_not_recorded() -> None:
    assert render_status(NEWEST_FIRST).splitlines() == [
        "vip  3 runs, 2026-11-27 10:00 → 2026-11-29 10:05 UTC",
        "  list size   ▁█  1,200 to 1,240 (1 run not recorded)",
        "  add        █▁▂  0 to 1,200",  # 43 of 1,200: small, yet above none
        "  update     ▁█▁  0 to 12",
        "  remove     ▁▁█  0 to 3",
        *RUN_LINES,
    ]


def test_terminal_chart_of_one_run() -> None:
    assert render_status({"vip": [THIRD]}).splitlines() == [
        "vip  1 run, 2026-11-29 10:05 UTC",
        "  list size  ▄  1,240",
        "  add        █  43",
        "  update     ▁  0",
        "  remove     █  3",
        RUN_LINES[0],
    ]


def test_ascii_chart_where_the_output_cannot_encode_blocks() -> None:
    text = render_status(NEWEST_FIRST, unicode=False)
    assert text.isascii()
    assert text.splitlines()[:5] == [
        "vip  3 runs, 2026-11-27 10:00 -> 2026-11-29 10:05 UTC",
        "  list size   _#  1,200 to 1,240 (1 run not recorded)",
        "  add        #_.  0 to 1,200",
        "  update     _#_  0 to 12",
        "  remove     __#  0 to 3",
    ]


def test_counts_are_drawn_from_zero_so_any_change_stands_above_none() -> None:
    runs = [run(f"2026-11-2{d}T10:00:00+00:00", 100, add=n) for d, n in enumerate([0, 1, 50, 100])]
    chart = render_status({"vip": runs[::-1]}).splitlines()
    assert chart[2] == "  add        ▁▂▅█  0 to 100"
    assert chart[1] == "  list size  ▄▄▄▄  100"  # flat: mid-way, not mistaken for empty


MARKDOWN = """
## sync status

### `vip`

_Oldest run first, times UTC. List size: active members after the run. Changes applied per \
run: add (green), update (amber), remove (red)._

```mermaid
---
config:
  themeVariables:
    xyChart:
      plotColorPalette: "#0969da"
---
xychart-beta
    title "vip: list size"
    x-axis "run (UTC)" ["11-28 10:00", "11-29 10:05"]
    y-axis "active members" 1200 --> 1240
    line "list size" [1200, 1240]
```

```mermaid
---
config:
  themeVariables:
    xyChart:
      plotColorPalette: "#1a7f37, #9a6700, #cf222e"
---
xychart-beta
    title "vip: changes per run"
    x-axis "run (UTC)" ["11-27 10:00", "11-28 10:00", "11-29 10:05"]
    y-axis "contacts" 0 --> 1200
    line "add" [1200, 0, 43]
    line "update" [0, 12, 0]
    line "remove" [0, 0, 3]
```

| run (UTC) | outcome | list size | add | update | remove | not done |
|---|---|---:|---:|---:|---:|---|
| 2026-11-29 10:05 | applied | 1,240 | 43 | 0 | 3 |  |
| 2026-11-28 10:00 | applied | 1,200 | 0 | 12 | 0 |  |
| 2026-11-27 10:00 | applied | — | 1,200 | 0 | 0 |  |
"""


def test_markdown_is_mermaid_charts_and_a_table() -> None:
    assert render_status_markdown(NEWEST_FIRST) == MARKDOWN


def test_markdown_of_one_run_is_the_table_and_says_why_there_is_no_chart() -> None:
    text = render_status_markdown({"vip": [THIRD]}, damaged=[4])
    assert "```mermaid" not in text
    assert "_One run so far: the charts begin with the second._" in text
    assert "> warning: .sync/history.jsonl line 4 is damaged" in text
    assert text.endswith("| 2026-11-29 10:05 | applied | 1,240 | 43 | 0 | 3 |  |\n")


def test_markdown_labels_are_quoted_and_cannot_break_out() -> None:
    """Mermaid strings have no escape: a ``"`` would end the label, a backtick the fence."""
    odd = 'we"ird`name'
    runs = [run("2026-11-28T10:00:00+00:00", 5), run("2026-11-28T10:00:40+00:00", 6)]
    text = render_status_markdown({odd: runs[::-1]})
    assert "title \"we'ird'name: list size\"" in text
    assert "### `we\"ird'name`" in text
    assert '["11-28 10:00", "11-28 10:00 #2"]' in text  # categories must differ


def test_markdown_without_runs() -> None:
    text = render_status_markdown({})
    assert text == f"\n## sync status\n\n_{NO_RUNS}_\n"


def test_old_history_lines_without_list_size_read_as_a_gap(tmp_path: Path) -> None:
    old = SECOND.to_json()
    del old["list_size"]
    weird = {**THIRD.to_json(), "list_size": "many"}
    lines = [json.dumps(old), json.dumps(weird), json.dumps(THIRD.to_json())]
    (tmp_path / "history.jsonl").write_text("\n".join(lines) + "\n")
    records, damaged = history.read_all(tmp_path)
    assert damaged == []
    assert [r.list_size for r in records] == [None, None, 1240]
    chart = render_status(history.latest_per_export(records)).splitlines()
    assert chart[1] == "  list size    ▄  1,240 (2 runs not recorded)"


def write_history(root: Path, *records: history.RunRecord) -> None:
    for record in records:
        history.append(root / ".sync", record)


def test_cli_runs_exports_and_formats(tmp_path: Path) -> None:
    newsletter = run("2026-11-29T11:00:00+00:00", 7, add=7)
    write_history(tmp_path, FIRST, SECOND, THIRD, replace(newsletter, export="news"))
    runner = CliRunner()
    base = ["--workspace", str(tmp_path), "status"]

    two = runner.invoke(app, [*base, "-n", "2", "-e", "vip"])
    assert two.exit_code == 0, two.output
    assert two.stdout.splitlines()[0] == "vip  2 runs, 2026-11-28 10:00 → 2026-11-29 10:05 UTC"
    assert "news" not in two.stdout

    both = runner.invoke(app, [*base, "--format", "markdown"])
    assert both.exit_code == 0, both.output
    assert "### `news`" in both.stdout and "### `vip`" in both.stdout
    assert both.stdout.count("xychart-beta") == 2  # news has one run: its table only

    missing = runner.invoke(app, [*base, "-e", "vipp"])
    assert missing.exit_code == 0
    assert "No runs recorded yet" in missing.stdout
    assert "note: export 'vipp' has no runs in .sync/history.jsonl" in missing.stderr


def test_cli_draws_ascii_where_stdout_cannot_encode_blocks(tmp_path: Path) -> None:
    write_history(tmp_path, SECOND, THIRD)
    done = CliRunner(charset="ascii").invoke(app, ["--workspace", str(tmp_path), "status"])
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[1] == "  list size  _#  1,200 to 1,240"


def test_an_apply_records_the_lists_size_after_it(workspace: Workspace) -> None:
    assert workspace.sync("apply", "--yes").exit_code == 0
    after = workspace.sync("plan", "--format", "json")
    active = {e["export"]: e["active_members"] for e in json.loads(after.stdout)["exports"]}
    recorded = {r.export: r.list_size for r in history.read(workspace.root / ".sync")}
    assert recorded == active and all(recorded.values())
    status = workspace.sync("status", "-e", "vip")
    assert f"  list size  ▄  {active['vip']:,}" in status.stdout
