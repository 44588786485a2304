"""Orchestration of plan, apply and scheduled runs (a saved plan's checks: :mod:`engine.saved`;
shared fields' owners: :mod:`engine.owners`; the run's clients: :mod:`engine.run`).

::

    manifests.load_project ─► Project ─┬─ sources.desired_state ─────────► desired
                                       └─ activecampaign.read.read_list ─► current
    plan.build.plan_export(desired, current, policy) ─► ExportPlan ─► Plan (plan.file)
    apply.apply_export(plan, activecampaign.write) ───► ApplyReport ─► state.history

Plan-time code gets read-only use of the client (``read_list``); only :func:`apply_plan`
writes. A run owns its clients (:class:`engine.run.Clients`): one per connection, and one
set of pacers per account, shared by every export on it. Exports on different accounts
are planned, checked and applied at the same time (:mod:`engine.parallel`: ``parallel``
threads, results in a stable order). Nothing here prints: results are
returned, progress goes to a :class:`engine.progress.Progress`, and where a person has a
say (reviewing a plan before it is applied) the CLI passes a callback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from engine.accounts import account_of_export, on_account
from engine.activecampaign.write import WriteFacts, write_contacts
from engine.apply import ApplyReport, ContactWrite, WriteReport, apply_export
from engine.contacts import CurrentState, DesiredState
from engine.diff import Policy
from engine.errors import ConfigError, UnknownFieldError
from engine.facts import (
    reentry_confirmable,
)
from engine.manifests.models import Export
from engine.manifests.project import Project
from engine.manifests.shared import account_of
from engine.memory import frozen
from engine.owners import Owners
from engine.parallel import by_account
from engine.plan import ExportPlan, Plan
from engine.plan.build import plan_export
from engine.plan.guards import consent_guard
from engine.progress import Progress, Silent, Step, task
from engine.run import Clients, located, read_current
from engine.saved import check_stale, manifests_of
from engine.schedule import DueExport, last_successes
from engine.schedule import due_exports as schedule_due
from engine.sources import desired_state
from engine.state import history, state_dir
from engine.state.lock import export_lock

__all__ = [
    "Applied",
    "Clients",
    "Review",
    "RunContext",
    "apply_plan",
    "check_stale",
    "decide",
    "due_exports",
    "locked",
    "make_plan",
    "manifests_of",
    "plan_and_apply",
    "plan_one",
    "read_current",
    "select_exports",
]


def select_exports(
    project: Project, names: Sequence[str] = (), *, account: str | None = None
) -> list[Export]:
    """The named exports (every enabled one when none is named), in name order; with
    ``account``, only those that write it (:func:`engine.accounts.on_account`)."""
    chosen = _named_exports(project, names)
    return chosen if account is None else on_account(project, chosen, account, named=bool(names))


def _named_exports(project: Project, names: Sequence[str]) -> list[Export]:
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


# ---------------------------------------------------------------------------------- plan


def plan_one(
    project: Project,
    export: Export,
    clients: Clients,
    *,
    environ: Mapping[str, str] | None,
    allow_removals: bool,
    progress: Progress,
    refresh: str = "auto",
    owners: Owners | None = None,
) -> ExportPlan:
    """One export's plan. What can be refused offline is refused before anything is read
    (a connection without consent: no segment query, no request to ActiveCampaign). The
    fields it shares with higher-priority exports on its account take their values
    (:mod:`engine.ownership`)."""
    offline = offline_refusal(project, export)
    if offline is not None:
        return offline
    step = task(progress, f"{export.name}: reading segments")
    desired = desired_state(project, export, environ, progress=step)
    if owners is not None:
        desired = owners.settle(export, desired)
    current, read = read_current(project, export, clients, progress, refresh)
    facts = clients.state().facts(clients(export.connection).host.lower())
    plan = decide(
        project,
        export,
        desired,
        current,
        allow_removals=allow_removals,
        reentry=reentry_confirmable(facts),
    )
    return replace(plan, read=read)


def offline_refusal(project: Project, export: Export) -> ExportPlan | None:
    """The refused plan of an export whose connection lacks ``data_privacy_consent``, made
    without reading its segments or its list (None: nothing refuses it offline)."""
    connection = project.destinations[export.connection]
    plan = ExportPlan(export.name, connection.name, str(export.list_id), export.mode)
    refusal = consent_guard(plan, connection)
    return None if refusal is None else replace(plan, refusals=(refusal,))


def decide(
    project: Project,
    export: Export,
    desired: DesiredState,
    current: CurrentState,
    *,
    allow_removals: bool = False,
    reentry: bool = True,
) -> ExportPlan:
    """Diff and guards, with both states out of the garbage collector's sight
    (:func:`engine.memory.frozen`: millions of long-lived objects it would walk again and
    again)."""
    connection = project.destinations[export.connection]
    with frozen():
        return plan_export(
            export.name, connection, desired, current, Policy.of(export, allow_removals, reentry)
        )


def make_plan(
    project: Project,
    names: Sequence[str] = (),
    *,
    environ: Mapping[str, str] | None = None,
    allow_removals: bool = False,
    progress: Progress | None = None,
    clients: Clients | None = None,
    refresh: str = "auto",
    parallel: int | None = None,
) -> Plan:
    """The plan of the named (or every enabled) export: reads sources and lists, writes
    nothing in ActiveCampaign (it saves each list's new snapshot). Accounts are planned at
    the same time, up to ``parallel`` (:mod:`engine.parallel`)."""
    exports = select_exports(project, names)
    report = progress or Silent()
    owners = Owners(project, environ, report)
    with ExitStack() as stack:
        pool = clients or stack.enter_context(Clients(project, environ))
        for export in exports:  # a missing API key stops the run before anything is read
            pool.key(project.destinations[export.connection])

        def one(export: Export) -> ExportPlan:
            return plan_one(
                project,
                export,
                pool,
                environ=environ,
                allow_removals=allow_removals,
                progress=report,
                refresh=refresh,
                owners=owners,
            )

        ordered = sorted(exports, key=owners.rank)  # an owner's values are known first
        done = by_account(
            ordered,
            lambda e: account_of_export(project, e),
            one,
            cancelled=pool.cancelled,
            parallel=parallel,
        )
    planned = {p.export: p for p in done if p is not None}
    if len(planned) < len(exports):  # not started: the run was stopped
        raise KeyboardInterrupt
    plans = [planned[e.name] for e in exports]
    return Plan.create(
        plans, manifests_of(project, exports), vars=project.vars, allow_removals=allow_removals
    )


# ---------------------------------------------------------------------------------- apply


@contextmanager
def locked(project: Project, names: Sequence[str]) -> Iterator[None]:
    """Hold every named export's lock (fails fast, naming the holder)."""
    with ExitStack() as stack:
        for name in sorted(set(names)):
            stack.enter_context(export_lock(state_dir(project.root), name))
        yield


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
    parallel: int | None = None,
) -> list[ApplyReport]:
    """Execute every export of ``plan`` (accounts at the same time, up to ``parallel``) and
    record each in the run history. A report per export started, in the plan's order: fewer
    than the plan's exports only when the run was interrupted (Ctrl-C: nothing more is
    started; the interrupted exports' reports say what was and was not done)."""
    report = progress or Silent()
    context = run or RunContext.of(project)
    recording = threading.Lock()  # one history line at a time

    def one(export_plan: ExportPlan) -> ApplyReport:
        client = clients(export_plan.connection)
        list_id = int(export_plan.list_id)
        how = WriteFacts.of(client, list_id, clients.state().facts(client.host.lower()))

        def write(writes: Sequence[ContactWrite], step: Step | None) -> WriteReport:
            try:
                return write_contacts(client, list_id, writes, step, how)
            except UnknownFieldError as exc:  # deleted since the plan was made
                raise located(project, export_plan.export, exc) from exc

        started = datetime.now(UTC)
        applying = task(report, f"{export_plan.export}: applying")
        client.on_wait = applying.note  # "vip: applying: waiting 17 s for ... bulk limit"
        result = apply_export(export_plan, write, applying)
        if export_plan.has_changes or export_plan.refused:
            with recording:
                history.append(
                    state_dir(project.root), _record(result, started, context), _problems(result)
                )
        return result

    results = by_account(
        plan.exports,
        lambda p: account_of(project.destinations[p.connection]),
        one,
        cancelled=clients.cancelled,
        parallel=parallel,
        stop=lambda r: r.interrupted,
    )
    return [r for r in results if r is not None]


Review = Callable[[Plan], bool]
"""Shown the plan about to be applied; says whether to apply it (the CLI asks a person)."""


@dataclass(frozen=True, slots=True)
class Applied:
    """What :func:`plan_and_apply` did: the plan it chose, and a report per export applied
    (none when the review said no, e.g. because there was nothing to apply)."""

    plan: Plan
    reports: tuple[ApplyReport, ...] = ()
    approved: bool = False  # the review said yes: applying began

    @property
    def interrupted(self) -> bool:
        """Applying began and was interrupted: an export's report says so, or some exports
        were never started."""
        return self.approved and (
            len(self.reports) < len(self.plan.exports) or any(r.interrupted for r in self.reports)
        )


def plan_and_apply(
    project: Project,
    clients: Clients,
    review: Review,
    *,
    saved: Plan | None = None,
    names: Sequence[str] = (),
    allow_removals: bool = False,
    progress: Progress | None = None,
    refresh: str = "auto",
    parallel: int | None = None,
) -> Applied:
    """Under the exports' locks: the saved plan (:func:`engine.plan.file.load_plan`; refused
    when stale or a guard refuses it) or a new plan of the named exports, reviewed, then
    applied."""
    report = progress or Silent()
    if saved is not None:
        exports = [p.export for p in saved.exports]
    else:
        exports = [e.name for e in select_exports(project, names)]
    with locked(project, exports):
        if saved is not None:
            check_stale(project, saved, clients, report, refresh, parallel=parallel)
            chosen = saved
        else:
            chosen = make_plan(
                project,
                names,
                allow_removals=allow_removals,
                progress=report,
                clients=clients,
                refresh=refresh,
                parallel=parallel,
            )
        if clients.cancelled.is_set():  # interrupted while planning: nothing is applied
            raise KeyboardInterrupt
        if not review(chosen):
            return Applied(chosen)
        reports = apply_plan(project, chosen, clients, progress=report, parallel=parallel)
        return Applied(chosen, tuple(reports), approved=True)


def due_exports(
    project: Project, named: Sequence[str], since: datetime | None, now: datetime
) -> list[DueExport]:
    """The exports a scheduled run started at ``now`` applies (rule: :mod:`engine.schedule`),
    among ``named`` if any. Their windows reach back to their last successful apply in the
    run history, or to ``since`` when it is given (what the user says wins)."""
    last = last_successes(history.read(state_dir(project.root)))
    if since is not None:
        last = last | {name: since for name in project.exports}
    due = schedule_due(project, now, last_runs=last)
    return [item for item in due if not named or item.name in named]


def _problems(result: ApplyReport) -> list[history.Problem]:
    """One CSV row per contact rejected, not applied or skipped."""
    rows = [(r.email, "rejected", r.reason) for r in result.rejected]
    rows += [(r.email, "not applied", r.reason) for r in result.not_done]
    rows += [(r.email, "skipped", r.reason) for r in result.skipped]
    return rows


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
        rejected=history.group((r.email, r.reason) for r in result.rejected),
        not_applied=history.group((r.email, r.reason) for r in result.not_done),
        skipped=history.group((r.email, r.reason) for r in result.skipped),
        duration_s=round(result.duration_s, 3),
        message=result.error or ("; ".join(result.refused) or None),
        requests=dict(result.requests),
        list_size=result.list_size,
    )
