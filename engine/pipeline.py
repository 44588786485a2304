"""Orchestration of validate / plan / apply: where real or sandbox clients are wired.

::

    load_project ─► Project ─┬─ sources.desired_state ──► desired
                             └─ reader.read_list ───────► current (+ fingerprint)
                  guards.plan_export(desired, current) ─► ExportPlan ─► Plan
                  apply.apply_export(plan, writer) ─────► ApplyReport ─► history

Plan-time code gets read-only use of the client (``read_list``); only :func:`apply_plan`
writes. Every export of a run shares one client per connection, so one pacer per account.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.activecampaign.client import Client
from engine.activecampaign.read.members import read_list
from engine.activecampaign.write.writer import write_contacts
from engine.manifests.models import ActiveCampaignConnection, Export
from engine.manifests.project import Project
from engine.manifests.secrets import ENV_REF, resolve_env
from engine.plan.build import plan_export
from engine.state.lock import export_lock

from .apply import ApplyReport, ContactWrite, WriteReport, apply_export
from .contacts import CurrentState, DesiredState
from .diff import Policy
from .errors import ConfigError, NotFoundError, StalePlanError
from .plan import ExportPlan, Plan, digest_manifests
from .progress import Progress, Silent
from .sources import desired_state
from .state import history

STATE_DIR = ".sync"
SANDBOX_FILE = "sandbox.sqlite3"

ClientFactory = Callable[[Project, ActiveCampaignConnection], Client]


def state_dir(project: Project) -> Path:
    return project.root / STATE_DIR


def select_exports(project: Project, names: Sequence[str] = ()) -> list[Export]:
    """The named exports (every enabled one when none is named), in name order."""
    if not names:
        return [e for _, e in sorted(project.exports.items()) if e.enabled]
    chosen = []
    for name in dict.fromkeys(names):
        export = project.exports.get(name)
        if export is None:
            known = ", ".join(sorted(project.exports)) or "none"
            raise ConfigError(f"there is no export '{name}' (exports: {known})")
        if not export.enabled:
            where = project.where("exports", name, "enabled")
            raise ConfigError(f"{where}: export '{name}' is disabled (enabled: false)")
        chosen.append(export)
    return sorted(chosen, key=lambda e: e.name)


def default_client(
    project: Project, connection: ActiveCampaignConnection, environ: Mapping[str, str]
) -> Client:
    """A client for the connection: the embedded sandbox in-process, or the real account."""
    if connection.is_sandbox:
        from engine.activecampaign.sandbox import SANDBOX_DEFAULT_KEY, sandbox_transport

        transport = sandbox_transport(state_dir(project) / SANDBOX_FILE)
        return Client(
            "https://sandbox/api/3",
            SANDBOX_DEFAULT_KEY,
            host="sandbox",
            rate_limit=connection.rate_limit,
            transport=transport,
        )
    assert connection.api_key is not None  # the model requires it unless sandbox
    where = str(project.where("connections", connection.name, "api_key"))
    key = resolve_env(connection.api_key, environ, where)
    ref = ENV_REF.fullmatch(connection.api_key)
    return Client(
        connection.base_url,
        key,
        host=connection.host,
        key_env=ref.group(1) if ref else None,
        rate_limit=connection.rate_limit,
    )


class Clients:
    """One client per connection for a whole run (one pacer per account), closed at the end."""

    def __init__(
        self,
        project: Project,
        environ: Mapping[str, str] | None = None,
        factory: ClientFactory | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self._factory = factory or (lambda p, c: default_client(p, c, env))
        self._project = project
        self._open: dict[str, Client] = {}

    def __call__(self, connection: str) -> Client:
        if connection not in self._open:
            self._open[connection] = self._factory(
                self._project, self._project.destinations[connection]
            )
        return self._open[connection]

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *exc: object) -> None:
        for client in self._open.values():
            client.close()
        self._open.clear()


# ---------------------------------------------------------------------------------- plan


def manifests_of(project: Project, exports: Sequence[Export]) -> dict[str, Any]:
    """The rendered manifests the exports depend on, keyed ``kind/name`` (secrets as refs)."""
    keys: list[tuple[str, str]] = []
    for export in exports:
        keys.append(("exports", export.name))
        keys.append(("connections", export.connection))
        for name in export.segments:
            keys.append(("segments", name))
            segment = project.segments.get(name)
            if segment is not None:
                keys.append(("connections", segment.source))
    return {f"{k}/{n}": dict(project.rendered.get((k, n), {})) for k, n in sorted(set(keys))}


def read_current(
    project: Project, export: Export, client: Client, progress: Progress
) -> CurrentState:
    label = f"{export.name}: reading list {export.list_id}"
    try:
        return read_list(
            client,
            export.list_id,
            perstags=tuple(export.mapping.fields),
            tags=export.mapping.tags,
            progress=lambda done, total: progress.step(label, done, total),
        )
    except NotFoundError as exc:
        where = project.where("exports", export.name, "list_id")
        raise NotFoundError(f"{where}: export '{export.name}': {exc}") from exc


def plan_one(
    project: Project,
    export: Export,
    clients: Clients,
    *,
    environ: Mapping[str, str] | None,
    allow_removals: bool,
    progress: Progress,
) -> ExportPlan:
    label = f"{export.name}: reading segments"
    desired = desired_state(
        project, export, environ, progress=lambda rows: progress.step(label, rows)
    )
    current = read_current(project, export, clients(export.connection), progress)
    return decide(project, export, desired, current, allow_removals=allow_removals)


def decide(
    project: Project,
    export: Export,
    desired: DesiredState,
    current: CurrentState,
    *,
    allow_removals: bool = False,
) -> ExportPlan:
    """Diff and guards, with both states frozen out of the garbage collector's sight.

    The two states are millions of long-lived objects; without ``gc.freeze`` every
    collection the diff triggers would walk them all again (at 1,000,000 contacts the diff
    spent most of its time there). They are unfrozen afterwards, so nothing leaks.
    """
    connection = project.destinations[export.connection]
    gc.freeze()
    try:
        return plan_export(
            export.name, connection, desired, current, Policy.of(export, allow_removals)
        )
    finally:
        gc.unfreeze()


def make_plan(
    project: Project,
    names: Sequence[str] = (),
    *,
    environ: Mapping[str, str] | None = None,
    allow_removals: bool = False,
    progress: Progress | None = None,
    clients: Clients | None = None,
) -> Plan:
    """The plan of the named (or every enabled) export: reads sources and lists, writes nothing."""
    exports = select_exports(project, names)
    report = progress or Silent()
    with ExitStack() as stack:
        pool = clients or stack.enter_context(Clients(project, environ))
        plans = [
            plan_one(
                project, e, pool, environ=environ, allow_removals=allow_removals, progress=report
            )
            for e in exports
        ]
    return Plan.create(plans, manifests_of(project, exports))


# ---------------------------------------------------------------------------------- apply


@contextmanager
def locked(project: Project, names: Sequence[str]) -> Iterator[None]:
    """Hold every named export's lock (fails fast, naming the holder)."""
    with ExitStack() as stack:
        for name in sorted(set(names)):
            stack.enter_context(export_lock(state_dir(project), name))
        yield


def check_stale(project: Project, plan: Plan, clients: Clients, progress: Progress) -> None:
    """Refuse a saved plan whose manifests or lists changed since it was made."""
    exports = [_export_of(project, p.export) for p in plan.exports]
    now = manifests_of(project, exports)
    if digest_manifests(now) != digest_manifests(dict(plan.manifests)):
        raise StalePlanError(
            "the manifests changed since this plan was made, so it is not applied:\n"
            + _manifest_changes(plan.manifests, now)
            + "\nRun 'sync plan' again, review it, and apply the new plan."
        )
    for export_plan, export in zip(plan.exports, exports, strict=True):
        current = read_current(project, export, clients(export.connection), progress)
        if current.fingerprint != export_plan.current_fingerprint:
            raise StalePlanError(
                f"export '{export.name}': list {export.list_id} on '{export.connection}' "
                "changed since this plan was made (someone or something else wrote to it), "
                "so the plan is stale and nothing was applied. Run 'sync plan' again."
            )


def _export_of(project: Project, name: str) -> Export:
    export = project.exports.get(name)
    if export is None:
        raise StalePlanError(
            f"the plan is for export '{name}', which no longer exists in the workspace; "
            "run 'sync plan' again"
        )
    return export


def _manifest_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    from deepdiff import DeepDiff

    changes = DeepDiff(dict(before), dict(after), ignore_order=True, verbose_level=2)
    lines = changes.pretty().splitlines() if changes else ["(the manifests differ)"]
    return "\n".join(
        "  " + line.replace("root['", "").replace("']['", ".").replace("']", "") for line in lines
    )


@dataclass(frozen=True, slots=True)
class RunContext:
    """Who and what a run records in the history."""

    who: str
    commit: str | None

    @classmethod
    def of(cls, project: Project, environ: Mapping[str, str] | None = None) -> RunContext:
        return cls(history.who(project.root, environ), history.commit(project.root))


def apply_plan(
    project: Project,
    plan: Plan,
    clients: Clients,
    *,
    progress: Progress | None = None,
    run: RunContext | None = None,
) -> list[ApplyReport]:
    """Execute every export of ``plan`` and record each in the run history."""
    report = progress or Silent()
    context = run or RunContext.of(project)
    results = []
    for export_plan in plan.exports:
        client = clients(export_plan.connection)
        list_id = int(export_plan.list_id)

        def write(
            writes: Sequence[ContactWrite],
            step: Callable[[int, int], None] | None,
            client: Client = client,
            list_id: int = list_id,
        ) -> WriteReport:
            return write_contacts(client, list_id, writes, step)

        started = datetime.now(UTC)
        result = apply_export(export_plan, write, _stepper(report, export_plan.export))
        results.append(result)
        if export_plan.has_changes or export_plan.refused:
            history.append(state_dir(project), _record(result, started, context))
        if result.interrupted:
            break  # Ctrl-C: later exports are not started (the report says which)
    return results


def _stepper(report: Progress, export: str) -> Callable[[int, int], None]:
    label = f"{export}: applying"
    return lambda done, total: report.step(label, done, total)


def _record(result: ApplyReport, started: datetime, run: RunContext) -> history.RunRecord:
    return history.RunRecord(
        time=started.isoformat(timespec="seconds"),
        export=result.export,
        connection=result.connection,
        list_id=result.list_id,
        who=run.who,
        commit=run.commit,
        outcome=result.outcome,
        counts={"planned": sum(result.planned.values()), **result.applied},
        rejected=tuple((r.email, r.reason) for r in result.rejected),
        not_applied=tuple((r.email, r.reason) for r in result.not_done),
        duration_s=round(result.duration_s, 3),
        message=result.error or ("; ".join(result.refused) or None),
        requests=dict(result.requests),
    )
