"""Run history (SPEC §6): one JSON line per export per apply, and the last rejections as CSV.

``.sync/history.jsonl`` gets one record per applied export: time, export, list, who (``git
config user.email``, else the CI actor, else the OS user), commit, counts, the contacts
rejected, not applied and skipped *by reason* (each reason once, with how many: an
interrupted 34,000-contact apply is one short line, not 34,000 copies of its reason),
duration, outcome, and the list's size after the run (its active members; a record written
before that field existed reads as ``None``: a gap in ``sync status``'s chart).
``.sync/rejected/<export>.csv`` holds those contacts one per row for the export's last run
(rewritten every run, removed when there were none). Both live under the git-ignored
``.sync/`` folder (0700), are 0600, and are written crash-safe (:mod:`engine.state.files`):
they hold personal data. A damaged history line is skipped by readers and reported by
``sync status``.
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .files import append_private, private_folder, remove_leftovers, write_private

HISTORY_FILE = "history.jsonl"


@dataclass(frozen=True, slots=True)
class RunRecord:
    time: str  # ISO 8601, UTC
    export: str
    connection: str
    list_id: str
    who: str
    commit: str | None
    outcome: str  # an engine.apply.Outcome value (applied, partial, ...)
    counts: Mapping[str, int] = field(default_factory=dict)
    rejected: Grouped = ()  # (reason, how many): ActiveCampaign refused them
    not_applied: Grouped = ()  # (why, how many): not attempted or not confirmed
    skipped: Grouped = ()  # (why, how many): deliberately not written
    duration_s: float = 0.0
    message: str | None = None
    requests: Mapping[str, int] = field(default_factory=dict)
    list_size: int | None = None  # active members after the run; None: recorded before it was

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in PROBLEM_KINDS:
            data[key] = [{"reason": r, "count": n} for r, n in getattr(self, key)]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        grouped = {key: _groups(data.get(key) or ()) for key in PROBLEM_KINDS}
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, **grouped, "list_size": _size(data.get("list_size"))})

    def total(self, kind: str) -> int:
        """How many contacts were ``rejected``, ``not_applied`` or ``skipped``."""
        return sum(count for _, count in getattr(self, kind))


Grouped = tuple[tuple[str, int], ...]
"""Contacts by reason: ``(reason, how many)``, in the order the reasons first came."""

PROBLEM_KINDS = ("rejected", "not_applied", "skipped")
CSV_STATUS = {"rejected": "rejected", "not_applied": "not applied", "skipped": "skipped"}

Problem = tuple[str, str, str]
"""One row of the rejected-contacts CSV: ``(email, status, reason)``."""


def group(pairs: Iterable[tuple[str, str]]) -> Grouped:
    """``(email, reason)`` pairs -> ``(reason, how many)``."""
    return tuple(Counter(reason for _, reason in pairs).items())


def _groups(raw: Iterable[Any]) -> Grouped:
    """Groups as stored, and the older per-contact form (``{"email", "reason"}``)."""
    counts: Counter[str] = Counter()
    for item in raw:
        if isinstance(item, Mapping) and "reason" in item:
            counts[str(item["reason"])] += int(item.get("count", 1))
    return tuple(counts.items())


def _size(raw: Any) -> int | None:
    """A recorded list size; absent (older records) or not a count: ``None``."""
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else None


def append(state_dir: Path, record: RunRecord, problems: Iterable[Problem] = ()) -> None:
    """Append one record to the history and rewrite the export's rejected-contacts CSV
    with ``problems`` (one row per contact rejected, not applied or skipped)."""
    private_folder(state_dir)
    line = json.dumps(record.to_json(), ensure_ascii=False) + "\n"
    append_private(state_dir / HISTORY_FILE, line)
    _write_rejected(state_dir / "rejected" / f"{record.export}.csv", list(problems))


def _write_rejected(path: Path, rows: list[Problem]) -> None:
    """``email,status,reason``: rejected by ActiveCampaign, not applied, or skipped."""
    if not rows:
        path.unlink(missing_ok=True)
        remove_leftovers(path)
        return
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["email", "status", "reason"])
    writer.writerows(rows)
    write_private(path, out.getvalue().encode("utf-8"))


def read(state_dir: Path) -> list[RunRecord]:
    """Every record, oldest first; a damaged line is skipped rather than hiding the rest."""
    return read_all(state_dir)[0]


def read_all(state_dir: Path) -> tuple[list[RunRecord], list[int]]:
    """Every record, oldest first, and the numbers of the damaged lines skipped."""
    path = state_dir / HISTORY_FILE
    if not path.exists():
        return [], []
    records, damaged = [], []
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(RunRecord.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError, AttributeError):
            damaged.append(number)
    return records, damaged


def latest_per_export(
    records: Iterable[RunRecord], per_export: int = 5
) -> dict[str, list[RunRecord]]:
    """The most recent ``per_export`` runs of each export, newest first."""
    grouped: dict[str, list[RunRecord]] = {}
    for record in records:
        grouped.setdefault(record.export, []).append(record)
    return {name: runs[::-1][:per_export] for name, runs in sorted(grouped.items())}


def who(root: Path, environ: Mapping[str, str] | None = None) -> str:
    """``git config user.email``, else the CI actor, else the OS user."""
    env = os.environ if environ is None else environ
    email = _git(root, "config", "user.email")
    if email:
        return email
    for name in ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_REQUESTEDFOR", "USER"):
        if env.get(name):
            return env[name]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def commit(root: Path) -> str | None:
    return _git(root, "rev-parse", "HEAD")


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None
