"""Checks across the exports that write one ActiveCampaign account: shared lists, shared
fields. An account is a connection's ``host`` (two connections with one host are one
account); only enabled exports count (a disabled one writes nothing).

- Two exports writing the same list of the same connection: an error when either mirrors
  (each run would unsubscribe the other's members, and the next would add them back), a
  warning otherwise (their values can overwrite each other).
- Fields belong to the contact, not to a list: two exports on one account that map the same
  field (``first_name``, ``last_name``, ``phone``, ``fields.PERSTAG``) would write a person
  in both with their two values in turn, every run. That is an error, at each of them,
  naming every shared field, until the rule that decides is declared: each such export gets
  a ``priority`` (a whole number), all different; for a person both want, the highest
  priority's value is written (:mod:`engine.ownership`). Priority is per export, not per
  field: one ranking of the account's exports, read at a glance, and no field left to
  nobody.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from engine.errors import Diagnostic, Severity

from .models import ActiveCampaignConnection, Export

if TYPE_CHECKING:
    from .references import Entry


def check_shared(exports: Sequence[Entry], connections: Mapping[str, Entry]) -> list[Diagnostic]:
    """Shared lists and shared fields of the (valid) exports, as diagnostics."""
    return _shared_lists(exports) + _shared_fields(exports, connections)


def account_of(connection: ActiveCampaignConnection) -> str:
    """The account a connection writes: its host, case-insensitive."""
    return connection.host.strip().lower()


def shared_fields(exports: Sequence[Export], accounts: Mapping[str, str]) -> dict[str, set[str]]:
    """Per export, the fields it maps that another enabled export on its account maps
    too. ``accounts`` maps each connection name to its account."""
    by_account: dict[str, list[Export]] = {}
    for export in exports:
        account = accounts.get(export.connection)
        if export.enabled and account is not None:
            by_account.setdefault(account, []).append(export)
    out: dict[str, set[str]] = {}
    for group in by_account.values():
        for export in group:
            mine = _fields(export)
            others = set().union(*(_fields(o) for o in group if o is not export))
            if mine & others:
                out[export.name] = mine & others
    return out


def _fields(export: Export) -> set[str]:
    return {name for name in export.mapping.columns() if name != "email"}


def _shared_fields(exports: Sequence[Entry], connections: Mapping[str, Entry]) -> list[Diagnostic]:
    models = [e.model for e in exports if isinstance(e.model, Export)]
    accounts = {
        name: account_of(entry.model)
        for name, entry in connections.items()
        if isinstance(entry.model, ActiveCampaignConnection)
    }
    shared = shared_fields(models, accounts)
    out: list[Diagnostic] = []
    for entry in exports:
        export = entry.model
        assert isinstance(export, Export)
        fields = shared.get(export.name)
        if not fields:
            continue
        rivals = [
            m
            for m in models
            if m is not export
            and m.enabled
            and accounts.get(m.connection) == accounts.get(export.connection)
            and _fields(m) & fields
        ]
        problem = _ranking_problem(export, rivals)
        if problem is None:
            continue
        names = ", ".join(sorted(fields))
        quoted = [f"'{m.name}'" for m in rivals]
        others = (
            f"export {quoted[0]} does"
            if len(quoted) == 1
            else f"exports {', '.join(quoted[:-1])} and {quoted[-1]} do"
        )
        where = entry.at(("priority",)) if export.priority is not None else entry.at(())
        out.append(
            Diagnostic(
                where,
                f"export '{export.name}' writes {names} on account "
                f"'{accounts[export.connection]}', as {others}: a person in both "
                f"would get their values in turn, every run. {problem}",
            )
        )
    return out


def _ranking_problem(export: Export, rivals: Sequence[Export]) -> str | None:
    """What is missing for one rule to decide between ``export`` and its rivals."""
    advice = (
        "Decide whose values win: set priority: on each of these exports, all different (a "
        "whole number, e.g. priority: 10; for a person both want, the higher one's values "
        "are written)"
    )
    if export.priority is None:
        return advice + "; this one has none"
    same = [m.name for m in rivals if m.priority == export.priority]
    if same:
        return advice + f"; this one and '{same[0]}' both have priority {export.priority}"
    return None  # a rival without one is told at its own file


def _shared_lists(exports: Sequence[Entry]) -> list[Diagnostic]:
    by_list: dict[tuple[str, int], list[Entry]] = {}
    for entry in exports:
        assert isinstance(entry.model, Export)
        by_list.setdefault((entry.model.connection, entry.model.list_id), []).append(entry)
    out: list[Diagnostic] = []
    for (connection, list_id), found in by_list.items():
        if len(found) < 2:
            continue
        models = [e.model for e in found if isinstance(e.model, Export)]
        mirror = any(m.mode == "mirror" for m in models)
        for entry, export in zip(found, models, strict=True):
            others = ", ".join(f"'{m.name}'" for m in models if m is not export)
            what = (
                "a mirror export would unsubscribe the other's members on every run: give "
                "each export its own list, or make one export with both exports' segments"
                if mirror
                else "their values can overwrite each other: give each export its own list, "
                "or make one export with both exports' segments"
            )
            out.append(
                Diagnostic(
                    entry.at(("list_id",)),
                    f"export '{export.name}' writes list {list_id} of '{connection}', as "
                    f"export {others} does; {what}",
                    Severity.ERROR if mirror else Severity.WARNING,
                )
            )
    return out
