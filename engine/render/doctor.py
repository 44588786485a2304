"""``sync doctor``'s report as text: a block per check, then the facts stored."""

from __future__ import annotations

from engine.doctor import Report


def render_doctor(report: Report) -> str:
    lines = [f"Doctor: connection '{report.connection}' ({report.host}), read-only", ""]
    for check in report.checks:
        lines.append(f"{check.name}: {check.verdict}")
        if check.asked:
            lines.append(f"  asked:    {check.asked}")
        lines.append(f"  answered: {check.answered}")
        lines.append(f"  product:  {check.action}")
        lines.append("")
    if report.facts:
        stored = ", ".join(f"{k} = {v}" for k, v in report.facts.items())
        lines.append(f"Stored as account facts (later plans use them): {stored}")
    else:
        lines.append("No account facts stored.")
    return "\n".join(lines) + "\n"
