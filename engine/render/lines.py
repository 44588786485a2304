"""Shared pieces of the text and markdown renderers: value display, email masking,
the one-line-per-contact (or few-lines-per-contact) form of a change."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from engine.activecampaign.write import resubscribe
from engine.contacts import Conflict, InvalidRow
from engine.manifests.models import DEFAULT_RATE_LIMIT as RATE
from engine.plan import Change, ExportPlan, Membership, Value

Mask = Callable[[str], str]


def mask_email(email: str) -> str:
    """``jane.doe@example.com`` -> ``j***@example.com``; no ``@``: ``***``.

    The first character of the local part and the domain stay, so a reviewer can tell
    contacts apart and spot a wrong domain, without the address being readable.
    """
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def mask_emails_in(text: str) -> str:
    """Every email address in free text masked (database messages may quote rows)."""
    return EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)


def same(email: str) -> str:
    return email


def show(value: Value, *, cleared: bool = False) -> str:
    """A value as the reader sees it: quoted strings, ``(none)`` / ``(cleared)`` for null."""
    if value is None:
        return "(cleared)" if cleared else "(none)"
    if isinstance(value, tuple):
        return ", ".join(value)
    return json.dumps(value, ensure_ascii=False)


def summary_line(plan: ExportPlan) -> str:
    s = plan.summary
    return (
        f"{plan.export}: {s['add']:,} to add, {s['update']:,} to update, "
        f"{s['remove']:,} to remove, {s['unchanged']:,} unchanged, {s['skipped']:,} skipped, "
        f"{s['invalid']:,} invalid"
    )


def reentry_note(plan: ExportPlan) -> str | None:
    """What the re-entries of a plan cost (they are confirmed and written one by one)."""
    people = sum(1 for c in plan.changes if c.membership is Membership.RESUBSCRIBE)
    if not people:
        return None
    requests = resubscribe.requests_for(people)
    return (
        f"{people:,} {'person' if people == 1 else 'people'} removed earlier by sync "
        f"{'comes' if people == 1 else 'come'} back: confirmed live, then re-subscribed "
        f"one by one (about {requests:,} requests, {requests / RATE:,.0f} s at "
        f"{RATE:g} requests/s)"
    )


def head(change: Change, mask: Mask) -> str:
    """``+ email``, with the reason in parentheses for skips and re-subscribes."""
    line = f"{change.action.symbol} {mask(change.email)}"
    return f"{line} ({change.reason})" if change.reason else line


def value_lines(change: Change) -> list[str]:
    """``field: old -> new`` (or ``field: new`` for a new contact), tags as ``tags: + a, b``."""
    out = []
    for name, new in change.after.items():
        if name == "tags":
            out.append(f"tags: + {show(new)}")
        elif name in change.before:
            out.append(f"{name}: {show(change.before[name])} -> {show(new, cleared=True)}")
        else:
            out.append(f"{name}: {show(new, cleared=True)}")
    return out


def field_names(change: Change) -> str:
    """Changed fields without values (masked output): ``phone (cleared), tags +vip``."""
    parts = []
    for name, new in change.after.items():
        if name == "tags":
            parts.append(f"tags +{show(new)}")
        else:
            parts.append(f"{name} (cleared)" if new is None else name)
    return ", ".join(parts)


def invalid_line(row: InvalidRow, *, values: bool) -> str:
    where = f"{row.segment}:{row.row}" + (f" {row.key}" if row.key else "")
    if values and row.value is not None:
        return f"{where} {show(row.value)}: {row.reason}"
    return f"{where}: {row.reason}"


def conflict_line(conflict: Conflict, mask: Mask, *, values: bool) -> str:
    who = f"{mask(conflict.email)} {conflict.field}"
    if values:
        return (
            f"{who}: kept {show(conflict.kept)} ({conflict.kept_from}), "
            f"dropped {show(conflict.dropped)} ({conflict.dropped_from})"
        )
    return f"{who}: kept {conflict.kept_from}, dropped {conflict.dropped_from}"
