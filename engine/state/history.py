"""Run history (SPEC §6): one JSON line per export per apply, and the last rejections as CSV.

``.sync/history.jsonl`` gets one record per applied export: time, export, list, who (``git
config user.email``, else the CI actor, else the OS user), commit, counts, rejected contacts
with reasons, duration and outcome. ``.sync/rejected/<export>.csv`` holds the rejected
contacts of the export's last run (rewritten every run, removed when nothing was rejected).
Both live under the git-ignored ``.sync/`` folder: they hold personal data.
"""

from __future__ import annotations

import csv
import getpass
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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
    rejected: tuple[tuple[str, str], ...] = ()  # (email, reason): ActiveCampaign refused them
    not_applied: tuple[tuple[str, str], ...] = ()  # (email, why): not attempted/confirmed
    skipped: tuple[tuple[str, str], ...] = ()  # (email, why): deliberately not written
    duration_s: float = 0.0
    message: str | None = None
    requests: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected"] = [{"email": e, "reason": r} for e, r in self.rejected]
        data["not_applied"] = [{"email": e, "reason": r} for e, r in self.not_applied]
        data["skipped"] = [{"email": e, "reason": r} for e, r in self.skipped]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        pairs = {
            key: tuple((r["email"], r["reason"]) for r in data.get(key, ()))
            for key in ("rejected", "not_applied", "skipped")
        }
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, **pairs})


def append(state_dir: Path, record: RunRecord) -> None:
    """Append one record to the history and rewrite the export's rejected-contacts CSV."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / HISTORY_FILE).open("a", encoding="utf-8") as out:
        out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    rows = [(e, "rejected", r) for e, r in record.rejected]
    rows += [(e, "not applied", r) for e, r in record.not_applied]
    rows += [(e, "skipped", r) for e, r in record.skipped]
    _write_rejected(state_dir / "rejected" / f"{record.export}.csv", rows)


def _write_rejected(path: Path, rows: Iterable[tuple[str, str, str]]) -> None:
    """``email,status,reason``: rejected by ActiveCampaign, or not applied (and why)."""
    rows = list(rows)
    if not rows:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "status", "reason"])
        writer.writerows(rows)


def read(state_dir: Path) -> list[RunRecord]:
    """Every record, oldest first; a damaged line is skipped rather than hiding the rest."""
    path = state_dir / HISTORY_FILE
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(RunRecord.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue
    return records


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
