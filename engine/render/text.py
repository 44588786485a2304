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

Refusals are printed in their own block, marked ``REFUSED``, before the summary line.
The terminal is the user's own, so emails and values are shown in full.
"""

from __future__ import annotations

from engine.plan import Action, ExportPlan, Plan

from .lines import conflict_line, head, invalid_line, reentry_note, same, summary_line, value_lines

COLORS = {
    Action.ADD: "32",  # green
    Action.UPDATE: "33",  # yellow
    Action.REMOVE: "31",  # red
    Action.SKIP: "35",  # magenta
}
REFUSED = "1;31"  # bold red
CONFLICTS = (
    "  conflicting values (the first row in segment order wins; across exports, the higher "
    "priority):"
)


def paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def render_text(plan: Plan, *, color: bool = False) -> str:
    """The whole plan as terminal text; ``color`` adds ANSI colors."""
    if not plan.exports:
        return "No exports to plan.\n"
    return "\n".join(export_text(export, color=color) for export in plan.exports)


def _read(plan: ExportPlan) -> list[str]:
    """``  list read: incremental since ...`` and its notes (nothing when not recorded), and
    what the re-entries will cost."""
    reentry = reentry_note(plan)
    lines = [f"  note: {reentry}"] if reentry else []
    if plan.read is None:
        return lines
    read = [f"  list read: {plan.read.summary()}", *(f"  note: {n}" for n in plan.read.notes)]
    return read + lines


def export_text(plan: ExportPlan, *, color: bool = False) -> str:
    """One export: its changes, invalid rows, conflicts and refusals, one blank line apart."""
    changes: list[str] = []
    for change in (*plan.changes, *plan.skipped):
        changes.append("  " + paint(head(change, same), COLORS[change.action], color))
        changes.extend(f"      {line}" for line in value_lines(change))
    invalid = [f"    {invalid_line(row, values=True)}" for row in plan.invalid]
    conflicts = [f"    {conflict_line(c, same, values=True)}" for c in plan.conflicts]
    refusals = [paint("REFUSED: ", REFUSED, color) + refusal for refusal in plan.refusals]
    summary = summary_line(plan)
    if plan.refused:
        summary += " " + paint("(refused: will not be applied)", REFUSED, color)
    blocks = [
        [f"{plan.export} -> list {plan.list_id} on {plan.connection} ({plan.mode})", *_read(plan)],
        changes,
        ["  invalid rows (not sent):", *invalid] if invalid else [],
        [CONFLICTS, *conflicts] if conflicts else [],
        refusals,
        [summary],
    ]
    return "\n\n".join("\n".join(block) for block in blocks if block) + "\n"
