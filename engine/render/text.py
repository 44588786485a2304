"""Terminal output of a plan, read like Terraform's (SPEC §3).

::

    vip-newsletter -> list 12 on ac-prod (mirror)

      + ana@example.com
          first_name: "Ana"
      ~ bo@example.com
          phone: "555-0100" -> "555-0199"
      - cy@example.com
      ! di@example.com (unsubscribed)

      invalid rows (not sent):
        high-value:17 "not-an-email": invalid email

    vip-newsletter: 1 to add, 1 to update, 1 to remove, 40 unchanged, 1 skipped, 1 invalid
    Plan: 1 to add, 1 to update, 1 to remove, 1 skipped, 1 invalid — 1 export

Summary last, so that it is what the screen shows when the plan ends (and what ``sync
apply`` shows directly above its question): the details of every export, then one summary
line per export, then the grand total (:func:`total_line`), always the last line.

The compact rule (details on purpose): an export with more than :data:`COMPACT_ABOVE`
changes and skipped people shows the first :data:`SAMPLE` of each kind, then ``... and N
more to add`` and how to see them all (``--full``). Invalid rows and conflicts show the
first :data:`LISTED` unless ``show_invalid`` (or ``full``). Piped output follows the same
rule: a log or a pager is no better at 250,000 lines than a terminal. Refusals are printed
in their own block, marked ``REFUSED``. The terminal is the user's own, so emails and
values are shown in full.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from engine.plan import Action, Change, ExportPlan, Plan

from .lines import conflict_line, head, invalid_line, reentry_note, same, summary_line, value_lines

COMPACT_ABOVE = 200  # an export with more changes + skipped than this is shown compact
SAMPLE = 10  # compact: the changes of each kind shown (10 adds, 10 updates, ...)
LISTED = 10  # invalid rows, and conflicts, shown without --show-invalid
FULL_HINT = (
    "(sync plan --full for every change, --format json or --out FILE for the machine-readable plan)"
)
INVALID_HINT = "(sync plan --show-invalid for all)"

COLORS = {
    Action.ADD: "32",  # green
    Action.UPDATE: "33",  # yellow
    Action.REMOVE: "31",  # red
    Action.SKIP: "35",  # magenta
}
MORE = {
    Action.ADD: "to add",
    Action.UPDATE: "to update",
    Action.REMOVE: "to remove",
    Action.SKIP: "skipped",
}
REFUSED = "1;31"  # bold red
CONFLICTS = (
    "  conflicting values (the first row in segment order wins; across exports, the higher "
    "priority):"
)
TOTALED = ("add", "update", "remove", "skipped", "invalid")

T = TypeVar("T")


def paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def render_text(
    plan: Plan, *, color: bool = False, full: bool = False, show_invalid: bool = False
) -> str:
    """The whole plan as terminal text; ``color`` adds ANSI colors; ``full`` shows every
    change, invalid row and conflict; ``show_invalid`` every invalid row and conflict."""
    if not plan.exports:
        return "No exports to plan.\n"
    details = [
        export_text(export, color=color, full=full, show_invalid=show_invalid or full)
        for export in plan.exports
    ]
    summaries = [_summary(export, color) for export in plan.exports]
    return "\n".join(details) + "\n" + "\n".join([*summaries, total_line(plan)]) + "\n"


def total_line(plan: Plan) -> str:
    """``Plan: 46,012 to add, 58 to update, 363 to remove, 0 skipped, 12 invalid — 2 exports``.

    A refused export will not be applied, so its counts are not in the total; the line says
    how many were left out."""
    counted = [export.summary for export in plan.exports if not export.refused]
    sums = {key: sum(summary[key] for summary in counted) for key in TOTALED}
    counts = (
        f"{sums['add']:,} to add, {sums['update']:,} to update, {sums['remove']:,} to remove, "
        f"{sums['skipped']:,} skipped, {sums['invalid']:,} invalid"
    )
    exports = len(plan.exports)
    line = f"Plan: {counts} — {exports:,} export{'' if exports == 1 else 's'}"
    refused = exports - len(counted)
    return line + (f", {refused:,} refused (not counted)" if refused else "")


def _summary(plan: ExportPlan, color: bool) -> str:
    summary = summary_line(plan)
    if plan.refused:
        summary += " " + paint("(refused: will not be applied)", REFUSED, color)
    return summary


def _read(plan: ExportPlan) -> list[str]:
    """``  list read: incremental since ...`` and its notes (nothing when not recorded), and
    what the re-entries will cost."""
    reentry = reentry_note(plan)
    lines = [f"  note: {reentry}"] if reentry else []
    if plan.read is None:
        return lines
    read = [f"  list read: {plan.read.summary()}", *(f"  note: {n}" for n in plan.read.notes)]
    return read + lines


def export_text(
    plan: ExportPlan, *, color: bool = False, full: bool = False, show_invalid: bool = False
) -> str:
    """One export's details: changes, invalid rows, conflicts and refusals, one blank line
    apart (its summary line is printed with the others at the end, by :func:`render_text`)."""
    invalid = _listed(
        plan.invalid, show_invalid, "invalid rows", lambda row: invalid_line(row, values=True)
    )
    conflicts = _listed(
        plan.conflicts, show_invalid, "conflicts", lambda c: conflict_line(c, same, values=True)
    )
    blocks = [
        [f"{plan.export} -> list {plan.list_id} on {plan.connection} ({plan.mode})", *_read(plan)],
        _changes(plan, full, color),
        ["  invalid rows (not sent):", *invalid] if invalid else [],
        [CONFLICTS, *conflicts] if conflicts else [],
        [paint("REFUSED: ", REFUSED, color) + refusal for refusal in plan.refusals],
    ]
    return "\n\n".join("\n".join(block) for block in blocks if block) + "\n"


def _change_lines(change: Change, color: bool) -> list[str]:
    first = "  " + paint(head(change, same), COLORS[change.action], color)
    return [first, *(f"      {line}" for line in value_lines(change))]


def _changes(plan: ExportPlan, full: bool, color: bool) -> list[str]:
    """Every change and skipped person; compact (see the module docstring) past the rule."""
    entries = (*plan.changes, *plan.skipped)
    if full or len(entries) <= COMPACT_ABOVE:
        return [line for change in entries for line in _change_lines(change, color)]
    lines: list[str] = []
    for action in Action:
        kind = [change for change in entries if change.action is action]
        for change in kind[:SAMPLE]:
            lines.extend(_change_lines(change, color))
        if len(kind) > SAMPLE:
            more = f"... and {len(kind) - SAMPLE:,} more {MORE[action]}"
            lines.append("  " + paint(more, COLORS[action], color))
    return [*lines, f"  {FULL_HINT}"]


def _listed(items: Sequence[T], show_all: bool, what: str, line: Callable[[T], str]) -> list[str]:
    """The lines of invalid rows or conflicts: the first :data:`LISTED` unless ``show_all``."""
    shown = items if show_all else items[:LISTED]
    lines = [f"    {line(item)}" for item in shown]
    if len(items) > len(shown):
        lines.append(f"    ... and {len(items) - len(shown):,} more {what} {INVALID_HINT}")
    return lines
