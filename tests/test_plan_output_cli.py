"""What ``sync plan`` and ``sync apply`` print (issue 15): the summary last, with one grand
total directly above the question; the compact form past the rule, ``--full`` and
``--show-invalid``. End to end through the CLI against the in-process sandbox."""

from __future__ import annotations

import re

import pytest

from engine.render.text import FULL_HINT, LISTED
from engine.scaffold.sample_data import generate

from .reconcile_fixtures import Workspace, workspace

__all__ = ["workspace"]

PROMPT = "Apply these changes to ActiveCampaign? [y/N]: "
TOTAL = re.compile(
    r"Plan: ([\d,]+) to add, ([\d,]+) to update, ([\d,]+) to remove, ([\d,]+) skipped, "
    r"([\d,]+) invalid — (\d+) exports?"
)


def number(text: str) -> int:
    return int(text.replace(",", ""))


def total(out: str) -> re.Match[str]:
    """The grand total: the last line."""
    found = TOTAL.fullmatch(out.splitlines()[-1])
    assert found, out[-300:]
    return found


def changes_listed(out: str) -> int:
    return len(re.findall(r"^  [+~!-] \S+@", out, re.MULTILINE))


def test_plan_ends_with_the_summaries_and_one_grand_total(workspace: Workspace) -> None:
    result = workspace.sync("plan")
    assert result.exit_code == 0, result.output
    *_, newsletter, vip, _ = result.stdout.splitlines()
    assert newsletter.startswith("newsletter: ") and vip.startswith("vip: ")
    adds = [number(line.split(": ")[1].split(" ")[0]) for line in (newsletter, vip)]
    found = total(result.stdout)
    assert number(found[1]) == sum(adds) and found[6] == "2"
    assert result.stdout.count("Plan: ") == 1
    # 400 profiles: more than 200 to add to the newsletter, so it is compact
    assert adds[0] > 200 and f"more to add\n  {FULL_HINT}\n" in result.stdout
    assert changes_listed(result.stdout) < sum(adds)


def test_full_prints_every_change(workspace: Workspace) -> None:
    full = workspace.sync("plan", "--full")
    assert full.exit_code == 0, full.output
    counts = total(full.stdout)
    assert changes_listed(full.stdout) == sum(number(counts[i]) for i in (1, 2, 3, 4))
    assert FULL_HINT not in full.stdout and "--show-invalid" not in full.stdout


def test_show_invalid_prints_every_invalid_row(workspace: Workspace) -> None:
    generate(workspace.root / "data" / "profiles.duckdb", rows=3_000, seed=7)
    compact = workspace.sync("plan")
    invalid = number(total(compact.stdout)[5])
    assert invalid > 2 * LISTED
    rows = re.compile(r"^    \S+:\d+[ :]", re.MULTILINE)  # segment:row of an invalid row
    assert len(rows.findall(compact.stdout)) < invalid
    assert "more invalid rows (sync plan --show-invalid for all)" in compact.stdout
    shown = workspace.sync("plan", "--show-invalid")
    assert len(rows.findall(shown.stdout)) == invalid
    assert "--show-invalid" not in shown.stdout
    assert FULL_HINT in shown.stdout  # the changes stay compact


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A person at a terminal answers the question (CliRunner's stdin is not a tty)."""
    monkeypatch.setattr("engine.cli.apply.on_terminal", lambda: True)


@pytest.mark.usefixtures("terminal")
def test_apply_asks_directly_below_the_grand_total(workspace: Workspace) -> None:
    declined = workspace.sync("apply", input="n\n")
    assert declined.exit_code == 1, declined.output
    before, prompt, after = declined.stdout.rpartition(PROMPT)
    assert prompt, declined.stdout[-500:]
    total(before)
    assert (
        before.endswith("\n") and after == "n\nNothing applied.\n"
    )  # the runner echoes the answer

    accepted = workspace.sync("apply", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    before, prompt, report = accepted.stdout.rpartition(PROMPT)
    planned = total(before)
    changes = sum(number(planned[i]) for i in (1, 2, 3))
    assert report.splitlines()[-1] == (
        f"Applied: {changes:,} of {changes:,} ({planned[1]} add, {planned[2]} update, "
        f"{planned[3]} remove); 0 skipped, 0 rejected, 0 not applied — 2 exports"
    )

    again = workspace.sync("apply", input="y\n")  # converged: nothing to ask about
    assert again.exit_code == 0, again.output
    assert PROMPT not in again.stdout
    lines = again.stdout.splitlines()
    assert lines[-1] == "Nothing to apply." and lines[-2].startswith("Plan: 0 to add, 0 to update")


@pytest.mark.usefixtures("terminal")
def test_apply_full_prints_every_change_before_asking(workspace: Workspace) -> None:
    result = workspace.sync("apply", "--full", input="n\n")
    before = result.stdout.rpartition(PROMPT)[0]
    counts = total(before)
    assert FULL_HINT not in before
    assert changes_listed(before) == sum(number(counts[i]) for i in (1, 2, 3, 4))
