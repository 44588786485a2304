"""Markdown of a plan, for pull-request comments and job summaries (SPEC §3).

A summary table comes first (one row per export), then refusals, then each export's
details folded in ``<details>``, as a ``diff`` code block.

Personal data (decisions): unless ``show_emails``, every email address is masked
(``j***@example.com``: in changes, skipped people and conflicts), and *no contact value*
is printed: changes list the fields that change (``~ b***@example.com: phone``), invalid
rows give segment, row and reason but not the raw value (it is usually a malformed email),
conflicts give where the rows came from but not the values. Names and phone numbers are
personal data as much as emails, and a pull request is no place for them. Tags are the
export's own configuration, so the tags a change adds are shown. ``show_emails=True``
shows addresses and values as the text renderer does.

Size: the result stays within ``max_chars`` (default 65,000, under GitHub's 65,536-character
comment limit, with room for a caller's heading). The table and refusals are always kept;
details are filled in export order until the budget is spent, and each export that was cut
says how many entries are not shown and points at the JSON artifact.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from engine.plan import ExportPlan, Plan

from .lines import (
    Mask,
    conflict_line,
    field_names,
    head,
    invalid_line,
    mask_email,
    reentry_note,
    same,
    summary_line,
    value_lines,
)

GITHUB_COMMENT_LIMIT = 65_536
DEFAULT_MAX_CHARS = 65_000
NOTE_ALLOWANCE = 160  # the longest truncation note, with its newlines
COLUMNS = ("Add", "Update", "Remove", "Unchanged", "Skipped", "Invalid")


def render_markdown(
    plan: Plan, *, show_emails: bool = False, max_chars: int = DEFAULT_MAX_CHARS
) -> str:
    """The plan as markdown, within ``max_chars`` characters (see the module docstring)."""
    header = _header(plan)
    frames = [_Frame.of(export) for export in plan.exports]
    budget = max_chars - len(header) - sum(f.overhead + NOTE_ALLOWANCE for f in frames)
    blocks = []
    for frame in frames:
        body, budget = _fill(frame.export, show_emails, budget)
        blocks.append(frame.wrap(body))
    return header + "".join(blocks)


def _result(export: ExportPlan) -> str:
    if export.refused:
        return "⛔ refused"
    return "changes" if export.has_changes else "no changes"


def _header(plan: Plan) -> str:
    if not plan.exports:
        return "### Sync plan\n\nNo exports to plan.\n"
    lines = [
        "### Sync plan",
        "",
        "| Export | List | Mode | " + " | ".join(COLUMNS) + " | Result |",
        "|---|---|---|" + "---:|" * len(COLUMNS) + "---|",
    ]
    for export in plan.exports:
        counts = " | ".join(f"{n:,}" for n in export.summary.values())
        lines.append(
            f"| `{export.export}` | {export.list_id} | {export.mode} | {counts} "
            f"| {_result(export)} |"
        )
    reads = [(e.export, e.read) for e in plan.exports if e.read is not None]
    if reads:
        lines += ["", "Lists read:", ""]
        for name, read in reads:
            lines.append(f"- `{name}`: {read.summary()}")
            lines += [f"  - {note}" for note in read.notes]
    reentries = [(e.export, reentry_note(e)) for e in plan.exports]
    if any(note for _, note in reentries):
        lines += ["", "Re-entries:", ""]
        lines += [f"- `{name}`: {note}" for name, note in reentries if note]
    refusals = [(e.export, r) for e in plan.exports for r in e.refusals]
    if refusals:
        lines += ["", "**⛔ Refused: these exports will not be applied.**", ""]
        lines += [f"- `{name}`: {message}" for name, message in refusals]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class _Frame:
    """The fixed parts around one export's details, measured before filling."""

    export: ExportPlan
    opening: str
    closing: str

    @classmethod
    def of(cls, export: ExportPlan) -> _Frame:
        summary = summary_line(export).removeprefix(f"{export.export}: ")
        opening = f"\n<details><summary><code>{export.export}</code>: {summary}</summary>\n\n"
        return cls(export, opening, "</details>\n")

    @property
    def overhead(self) -> int:
        return len(self.opening) + len(self.closing) + 2 * len("`" * 12 + "diff\n")

    def wrap(self, body: str) -> str:
        return self.opening + body + self.closing


def _entries(export: ExportPlan, show_emails: bool) -> Iterator[str]:
    """One text entry per change, skipped person, invalid row and conflict, lazily."""
    mask: Mask = same if show_emails else mask_email
    for change in (*export.changes, *export.skipped):
        if show_emails:
            yield "\n".join([head(change, mask), *(f"    {v}" for v in value_lines(change))])
        else:
            names = field_names(change)
            yield f"{head(change, mask)}: {names}" if names else head(change, mask)
    for row in export.invalid:
        yield f"# invalid {invalid_line(row, values=show_emails)}"
    for conflict in export.conflicts:
        yield f"# conflict {conflict_line(conflict, mask, values=show_emails)}"


def _fill(export: ExportPlan, show_emails: bool, budget: int) -> tuple[str, int]:
    """The export's details within ``budget`` characters; returns (text, budget left)."""
    total = len(export.changes) + len(export.skipped) + len(export.invalid)
    total += len(export.conflicts)
    if total == 0:
        return "No changes.\n\n", budget
    shown: list[str] = []
    for entry in _entries(export, show_emails):
        if len(entry) + 1 > budget:
            break
        shown.append(entry)
        budget -= len(entry) + 1
    body = "\n".join(shown)
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    text = f"{fence}diff\n{body}\n{fence}\n\n" if shown else ""
    hidden = total - len(shown)
    if hidden:
        changes_hidden = max(0, len(export.changes) - len(shown))
        others = hidden - changes_hidden
        what = f"{changes_hidden:,} more changes" if changes_hidden else ""
        if others:
            what += (" and " if what else "") + f"{others:,} more skipped/invalid/conflict entries"
        text += f"_{what} not shown; see the JSON artifact (`sync plan --format json`)._\n\n"
    return text, budget


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest
