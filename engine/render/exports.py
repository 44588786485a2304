"""``sync exports``: the exports with their account, list and schedule, as a table or JSON.

JSON (``--json``) is for machines, a stable contract like the JSON plan: an array of
objects in export-name order, with exactly these keys (more may be added; these keep their
meaning)::

    [{"name": "vip", "account": "mycompany.api-us1.com", "connection": "ac-prod",
      "list_id": "12", "mode": "mirror", "schedule": "0 6 * * *", "enabled": true}]

``account`` is the connection's host lowercased (one account: one 5 requests/s budget);
``list_id`` is a string as in the JSON plan; ``schedule`` is null for an export run on
demand only. ``--accounts --json`` is what a workflow's matrix needs: an array of the
accounts that have enabled exports, sorted, e.g. ``["eu.api-us1.com", "sandbox"]``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict

from engine.accounts import ExportRow

HEADINGS = ("NAME", "ACCOUNT", "CONNECTION", "LIST", "MODE", "SCHEDULE", "ENABLED")


def render_exports_json(rows: Sequence[ExportRow]) -> str:
    return json.dumps([asdict(row) for row in rows], indent=2) + "\n"


def render_exports_text(rows: Sequence[ExportRow]) -> str:
    if not rows:
        return "No exports (exports/*.yaml).\n"
    cells = [
        (r.name, r.account, r.connection, r.list_id, r.mode, r.schedule or "on demand", _yes(r))
        for r in rows
    ]
    return _table([HEADINGS, *cells])


def _yes(row: ExportRow) -> str:
    return "yes" if row.enabled else "no"


def render_accounts_json(accounts: Mapping[str, Sequence[str]]) -> str:
    return json.dumps(list(accounts)) + "\n"


def render_accounts_text(accounts: Mapping[str, Sequence[str]]) -> str:
    if not accounts:
        return "No enabled exports, so no accounts.\n"
    return _table([("ACCOUNT", "EXPORTS"), *((a, ", ".join(n)) for a, n in accounts.items())])


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "".join(line.rstrip() + "\n" for line in lines)
