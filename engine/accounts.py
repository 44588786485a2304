"""The account each export writes, and choosing exports by account (``--account HOST``).

An export's *account* is its ActiveCampaign connection's host, lowercased
(:func:`engine.manifests.shared.account_of`): two connections with one host are one
account, sharing its 5 requests/s and the ranking of shared fields. That makes the account
the unit of fan-out: one GitHub Actions job per account runs side by side with the others
without taking from their request budget, and every export whose fields need an owner's
values (:mod:`engine.ownership`) is planned in the same job as its owner.

Everything here is offline: it reads the loaded manifests, never the network or a secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.errors import ConfigError
from engine.manifests.models import Export
from engine.manifests.project import Project
from engine.manifests.shared import account_of


def account_of_export(project: Project, export: Export) -> str:
    """The account ``export`` writes (its connection's host, lowercased)."""
    return account_of(project.destinations[export.connection])


def on_account(
    project: Project, exports: Sequence[Export], account: str, *, named: bool = False
) -> list[Export]:
    """Those of ``exports`` that write ``account`` (any case). Exports named with ``-e``
    (``named``) must each be on it; when none is, the error names the accounts that have
    enabled exports (and the account's disabled exports, if that is why)."""
    wanted = account.strip().lower()
    chosen = []
    for export in exports:
        found = account_of_export(project, export)
        if found == wanted:
            chosen.append(export)
        elif named:
            where = project.where("exports", export.name, "connection")
            raise ConfigError(
                f"{where}: export '{export.name}' writes account '{found}' (connection "
                f"'{export.connection}'), not '{account}': drop --account or -e {export.name}"
            )
    if not chosen:
        raise ConfigError(_no_export_message(project, account, wanted))
    return chosen


def accounts_of(project: Project, exports: Sequence[Export]) -> dict[str, list[str]]:
    """The accounts ``exports`` write, sorted, each with its exports' names (sorted)."""
    found: dict[str, list[str]] = {}
    for export in sorted(exports, key=lambda e: e.name):
        found.setdefault(account_of_export(project, export), []).append(export.name)
    return dict(sorted(found.items()))


def enabled_accounts(project: Project) -> dict[str, list[str]]:
    """Every account with an enabled export, sorted, with its enabled exports' names."""
    return accounts_of(project, [e for e in project.exports.values() if e.enabled])


def _no_export_message(project: Project, account: str, wanted: str) -> str:
    known = ", ".join(enabled_accounts(project)) or "none"
    disabled = sorted(
        name
        for name, e in project.exports.items()
        if not e.enabled and account_of_export(project, e) == wanted
    )
    why = f" (its exports {', '.join(disabled)} are disabled)" if disabled else ""
    return (
        f"--account {account}: no enabled export writes this account{why}; accounts with "
        f"enabled exports: {known} (an account is a connection's host; see `sync exports`)"
    )


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One line of ``sync exports``: an export, where it goes, when it runs."""

    name: str
    account: str
    connection: str
    list_id: str
    mode: str
    schedule: str | None
    enabled: bool

    @classmethod
    def of(cls, project: Project, export: Export) -> ExportRow:
        return cls(
            name=export.name,
            account=account_of_export(project, export),
            connection=export.connection,
            list_id=str(export.list_id),
            mode=export.mode,
            schedule=export.schedule,
            enabled=export.enabled,
        )


def export_rows(project: Project, exports: Sequence[Export] | None = None) -> list[ExportRow]:
    """The rows of ``exports`` (default: every export, disabled ones too), in name order."""
    chosen = project.exports.values() if exports is None else exports
    return [ExportRow.of(project, e) for e in sorted(chosen, key=lambda e: e.name)]
