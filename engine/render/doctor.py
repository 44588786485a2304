"""``sync doctor``'s report as text: a block per check, the scratch objects, the facts."""

from __future__ import annotations

from engine.doctor import WRITE_CHECKS, Cleaned, Probed, Report


def render_doctor(report: Report) -> str:
    how = "read-only" if report.probed is None else "read-only checks, then write probes"
    lines = [f"Doctor: connection '{report.connection}' ({report.host}), {how}", ""]
    for check in report.checks:
        lines.append(f"{check.name}: {check.verdict}")
        if check.asked:
            lines.append(f"  asked:    {check.asked}")
        lines.append(f"  answered: {check.answered}")
        lines.append(f"  product:  {check.action}")
        lines.append("")
    if report.probed is not None:
        lines += _scratch(report.connection, report.probed)
    if report.facts:
        stored = ", ".join(f"{k} = {v}" for k, v in report.facts.items())
        lines.append(f"Stored as account facts (later plans use them): {stored}")
    else:
        lines.append("No account facts stored.")
    return "\n".join(lines) + "\n"


def _scratch(connection: str, probed: Probed) -> list[str]:
    lines = []
    clean = f"'sync doctor --clean -c {connection}'"
    if probed.interrupted:
        ran = f"{len(probed.checks)} of {len(WRITE_CHECKS)} write probes ran"
        lines.append(f"Interrupted ({ran}).")
    if probed.earlier is not None:
        lines.append(f"Left by earlier runs: deleted {probed.earlier.deleted.describe()}.")
        lines += _left(probed.earlier)
    if probed.in_use.count():
        lines.append(
            f"Left alone: {probed.in_use.describe()} of a run started less than 15 minutes "
            f"ago (it may still be probing); {clean} deletes them."
        )
    cleaned = probed.cleaned
    if cleaned.deleted.count() or cleaned.left:
        lines.append(f"Scratch objects ({probed.scratch}): deleted {cleaned.deleted.describe()}.")
    else:
        lines.append(f"Scratch objects ({probed.scratch}): none were made.")
    lines += _left(cleaned)
    if cleaned.search_failed:
        lines.append(
            f"  Could not search the account for scratch objects ({cleaned.search_failed}): "
            "some made without an answer (an import's contacts) may be left."
        )
    if probed.pending:
        lines.append(
            "A probe's bulk import may not have finished: contacts it creates later are left."
        )
    if not probed.complete or probed.pending:
        lines.append(f"Run {clean} to delete what is left (it is found by name).")
    return [*lines, ""]


def _left(cleaned: Cleaned) -> list[str]:
    return [
        f"  NOT deleted: {kind} {ident} ({name}): {why}" for kind, ident, name, why in cleaned.left
    ]


def render_cleaned(connection: str, cleaned: Cleaned) -> str:
    """``sync doctor --clean``: what was deleted, what was not."""
    if not cleaned.deleted.count() and not cleaned.left:
        return f"No scratch objects (sync-doctor-*) found on '{connection}'.\n"
    lines = [f"Deleted scratch objects on '{connection}': {cleaned.deleted.describe()}."]
    lines += _left(cleaned)
    if not cleaned.complete:
        lines.append("What is left is deleted by the next 'sync doctor --clean'.")
    return "\n".join(lines) + "\n"
