"""What an apply did, per export: text for terminals, markdown for job summaries.

The report never claims more than the client confirmed: applied counts come from the
client's per-contact outcomes; rejected and not-done contacts are listed with reasons.
Markdown masks emails unless ``show_emails`` (job summaries are visible to the repository).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from engine.apply import ApplyReport, Outcome

from .lines import Mask, mask_email, same

ACTIONS = ("add", "update", "remove")
LISTED = 20  # rejected contacts shown per export; the rest are in .sync/rejected/<export>.csv


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{counts.get(a, 0):,} {a}" for a in ACTIONS)


def outcome_line(report: ApplyReport) -> str:
    planned = sum(report.planned.values())
    applied = sum(report.applied.values())
    match report.outcome:
        case Outcome.NO_CHANGES:
            return f"{report.export}: no changes"
        case Outcome.REFUSED:
            return f"{report.export}: REFUSED, nothing applied"
        case Outcome.APPLIED:
            done = _counts(report.applied)
            skipped = f"; {len(report.skipped):,} skipped" if report.skipped else ""
            return f"{report.export}: applied {applied:,} of {planned:,} ({done}){skipped}"
        case _:
            return (
                f"{report.export}: {report.outcome.upper()}: applied {applied:,} of {planned:,} "
                f"({_counts(report.applied)}); {len(report.rejected):,} rejected, "
                f"{len(report.not_done):,} not applied"
            )


def _problem_lines(report: ApplyReport, mask: Mask) -> list[str]:
    lines = [f"error: {report.error}"] if report.error else []
    lines += [f"refused: {message}" for message in report.refused]
    problems = [*report.rejected, *report.not_done, *report.skipped]
    lines += [f"{mask(p.email)}: {p.reason}" for p in problems[:LISTED]]
    if len(problems) > LISTED:
        lines.append(
            f"... {len(problems) - LISTED:,} more; all in .sync/rejected/{report.export}.csv"
        )
    return lines


def total_line(reports: Sequence[ApplyReport]) -> str:
    """``Applied: 46,012 of 46,433 (46,012 add, 0 update, 0 remove); 12 skipped, 421 rejected,
    0 not applied — 2 exports (1 partial)``: the run's grand total, the report's last line.
    Exports that did not end applied (or with no changes) are counted by outcome."""
    applied: Counter[str] = Counter()
    for report in reports:
        applied.update(report.applied)
    done = sum(applied.values())
    planned = sum(sum(r.planned.values()) for r in reports)
    skipped = sum(len(r.skipped) for r in reports)
    rejected = sum(len(r.rejected) for r in reports)
    not_done = sum(len(r.not_done) for r in reports)
    problems = f"{skipped:,} skipped, {rejected:,} rejected, {not_done:,} not applied"
    exports = len(reports)
    line = (
        f"Applied: {done:,} of {planned:,} ({_counts(applied)}); {problems} — "
        f"{exports:,} export{'' if exports == 1 else 's'}"
    )
    unwell = Counter(r.outcome.value for r in reports if not r.ok)
    if unwell:
        line += " (" + ", ".join(f"{n:,} {outcome}" for outcome, n in sorted(unwell.items())) + ")"
    return line


def render_report_text(reports: Sequence[ApplyReport]) -> str:
    """One outcome line per export (with its problems), then :func:`total_line`."""
    out: list[str] = []
    for report in reports:
        out.append(outcome_line(report))
        out.extend(f"    {line}" for line in _problem_lines(report, same))
    return "\n".join([*out, total_line(reports)]) + "\n"


def render_report_markdown(reports: Sequence[ApplyReport], *, show_emails: bool = False) -> str:
    mask = same if show_emails else mask_email
    rows = [
        "| export | list | outcome | add | update | remove | rejected | not applied |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        a = dict(r.applied)
        p = dict(r.planned)
        cells = [f"{a.get(k, 0):,}/{p.get(k, 0):,}" for k in ACTIONS]
        rows.append(
            f"| `{r.export}` | {r.list_id} | **{r.outcome}** | {' | '.join(cells)} | "
            f"{len(r.rejected):,} | {len(r.not_done):,} |"
        )
    details = []
    for r in reports:
        problems = _problem_lines(r, mask)
        if problems:
            body = "\n".join(f"- {line}" for line in problems)
            details.append(f"<details><summary>{r.export}</summary>\n\n{body}\n\n</details>")
    # A blank line first: the report follows the plan's markdown, whose last line is
    # ``</details>``, and an HTML block only ends at a blank line (else the heading is raw text).
    head = "\n## sync apply\n\nCounts are applied/planned.\n\n"
    return head + "\n".join(rows) + "\n\n" + "\n\n".join(details) + ("\n" if details else "")
