"""``sync doctor``'s report as text: a header, a block per check (printed as each is done),
then what became of the scratch objects and the facts stored. Lines wrap at 100 columns."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime

from engine.doctor import IN_USE, WRITE_CHECKS, Check, Cleaned, Probed, Report, Scratch

WIDTH = 100
LABEL = 12  # "  answered: "


def render_doctor(report: Report) -> str:
    """The whole report (what the CLI prints in three parts as the run goes)."""
    head = render_header(report.connection, report.host, write=report.probed is not None)
    return head + "".join(render_check(c) for c in report.checks) + render_tail(report)


def render_header(connection: str, host: str, *, write: bool) -> str:
    how = "read-only checks, then write probes" if write else "read-only"
    return f"Doctor: connection '{connection}' ({host}), {how}\n\n"


def render_check(check: Check) -> str:
    lines = [f"{check.name}: {check.verdict}"]
    for label, text in (("asked", check.asked), ("answered", check.answered)):
        if text:
            lines.append(_wrapped(label, text))
    lines.append(_wrapped("product", check.action))
    return "\n".join(lines) + "\n\n"


def _wrapped(label: str, text: str) -> str:
    return textwrap.fill(
        text,
        WIDTH,
        initial_indent=f"  {label + ':':<{LABEL - 2}}",
        subsequent_indent=" " * LABEL,
        break_long_words=False,
        break_on_hyphens=False,
    )


def render_tail(report: Report) -> str:
    lines = [] if report.probed is None else _scratch(report.connection, report.probed)
    lines += [f"warning: {warning}" for warning in report.warnings]
    if report.facts:
        lines.append("Stored as account facts (later plans use them):")
        lines += [f"  {name} = {value}" for name, value in report.facts.items()]
    else:
        lines.append("No account facts stored.")
    return "\n".join(lines) + "\n"


def _clean_hint(connection: str) -> str:
    return f"'sync doctor --clean -c {connection}' (with --yes where nobody can answer)"


def _scratch(connection: str, probed: Probed) -> list[str]:
    lines = []
    if probed.interrupted:
        finished = sum(c.name in WRITE_CHECKS for c in probed.checks)
        lines.append(
            f"Interrupted: {finished} of {len(WRITE_CHECKS)} write probes finished; run "
            "'sync doctor --write' again to settle the rest."
        )
    if probed.earlier is not None:
        lines.append(f"Left by earlier runs: deleted {probed.earlier.deleted.describe()}.")
        lines += _left(probed.earlier)
    if probed.incomplete:
        lines.append(
            _fill(
                f"The search for earlier runs' objects may have missed some: {probed.incomplete}."
            )
        )
    if probed.in_use.count():
        lines.append(_fill(_in_use(connection, probed.in_use)))
    cleaned = probed.cleaned
    if cleaned.deleted.count() or cleaned.left:
        lines.append(f"Scratch objects ({probed.scratch}): deleted {cleaned.deleted.describe()}.")
    else:
        lines.append(f"Scratch objects ({probed.scratch}): none were made.")
    lines += _left(cleaned)
    if cleaned.search_failed:
        lines.append(
            _fill(
                f"Could not search the account for scratch objects ({cleaned.search_failed}):"
                " some made without an answer (an import's contacts) may be left."
            )
        )
    if probed.pending:
        lines.append(
            "A probe's bulk import may not have finished: contacts it creates later are left."
        )
    if not probed.complete or probed.pending:
        lines.append(_fill(f"Run {_clean_hint(connection)} to delete anything left over."))
    return [*lines, ""]


def _in_use(connection: str, in_use: Scratch) -> str:
    runs = in_use.runs()
    free = datetime.fromtimestamp(max(runs.values()) + IN_USE, UTC).strftime("%H:%M UTC")
    many = f"{len(runs)} runs" if len(runs) > 1 else "a run"
    return (
        f"Left alone: {in_use.describe()} of {many} started less than "
        f"{_span(IN_USE)} ago ({', '.join(sorted(runs))}), which may still be "
        f"probing; the first --write after {free} deletes them, {_clean_hint(connection)} "
        "now."
    )


def _span(seconds: float) -> str:
    return "an hour" if seconds == 3_600 else f"{seconds / 60:.0f} minutes"


def _fill(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, WIDTH, subsequent_indent=indent, break_on_hyphens=False)


def _left(cleaned: Cleaned) -> list[str]:
    return [
        _fill(f"  NOT deleted: {kind} {ident} ({name}): {why}", "    ")
        for kind, ident, name, why in cleaned.left
    ]


def render_cleaned(connection: str, cleaned: Cleaned) -> str:
    """``sync doctor --clean``: what was deleted, what was not."""
    lines = [f"Deleted scratch objects on '{connection}': {cleaned.deleted.describe()}."]
    lines += _left(cleaned)
    if not cleaned.complete:
        lines.append("What is left is deleted by the next 'sync doctor --clean'.")
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    """The report as one JSON object (``sync doctor --format json``)."""
    checks = [
        {
            "name": c.name,
            "verdict": c.verdict,
            "asked": c.asked,
            "answered": c.answered,
            "product": c.action,
        }
        for c in report.checks
    ]
    body: dict[str, object] = {
        "connection": report.connection,
        "host": report.host,
        "checks": checks,
        "facts": dict(report.facts),
        "warnings": list(report.warnings),
        "scratch": None if report.probed is None else _scratch_json(report.probed),
        "interrupted": report.interrupted,
        "failed": report.failed,
    }
    return json.dumps(body, indent=2) + "\n"


def _scratch_json(probed: Probed) -> dict[str, object]:
    def left(cleaned: Cleaned | None) -> list[dict[str, str]]:
        rows = [] if cleaned is None else cleaned.left
        return [{"kind": k, "id": i, "name": n, "why": w} for k, i, n, w in rows]

    return {
        "name": probed.scratch,
        "deleted": probed.cleaned.deleted.describe(),
        "left": left(probed.cleaned),
        "earlier_deleted": None if probed.earlier is None else probed.earlier.deleted.describe(),
        "earlier_left": left(probed.earlier),
        "in_use": sorted(probed.in_use.runs()),
        "search_failed": probed.cleaned.search_failed or probed.incomplete,
        "pending_import": probed.pending,
        "complete": probed.complete,
    }
