"""A saved plan against the workspace and the live lists: the manifests a plan depends on,
and the check that refuses a saved plan before anything is sent (stale manifests or lists,
or a guard that refuses it when checked again). Its digest was checked when it was loaded
(:func:`engine.plan.file.load_plan`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.accounts import account_of_export
from engine.contacts import ListStatus
from engine.diff import Policy
from engine.errors import RefusedPlanError, StalePlanError
from engine.manifests.models import Export
from engine.manifests.project import Project
from engine.parallel import by_account
from engine.plan import ExportPlan, Plan, digest_manifests
from engine.plan.guards import recheck
from engine.progress import Progress
from engine.run import Clients, read_current


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


def check_stale(
    project: Project,
    plan: Plan,
    clients: Clients,
    progress: Progress,
    refresh: str = "auto",
    *,
    parallel: int | None = None,
) -> None:
    """Refuse a saved plan whose manifests or lists changed since it was made, or that a
    guard refuses when checked again on its own content and the live list (its digest was
    checked when it was loaded: :func:`engine.plan.file.load_plan`). Every export is checked
    before anything is sent; accounts at the same time (:mod:`engine.parallel`)."""
    exports = [_export_of(project, p.export) for p in plan.exports]
    now = manifests_of(project, exports)
    if digest_manifests(now) != digest_manifests(dict(plan.manifests)):
        raise StalePlanError(
            "the manifests changed since this plan was made, so it is not applied:\n"
            + _manifest_changes(plan.manifests, now)
            + "\nRun 'sync plan' again, review it, and apply the new plan."
        )

    def check(pair: tuple[ExportPlan, Export]) -> Sequence[str]:
        export_plan, export = pair
        current, _ = read_current(project, export, clients, progress, refresh)
        if current.fingerprint != export_plan.current_fingerprint:
            raise StalePlanError(
                f"export '{export.name}': list {export.list_id} on '{export.connection}' "
                "changed since this plan was made (someone or something else wrote to it), "
                "so the plan is stale and nothing was applied. Run 'sync plan' again."
            )
        if export_plan.refused:  # a refused export is not applied anyway
            return ()
        return recheck(
            export_plan,
            Policy.of(export, plan.allow_removals),
            project.destinations[export.connection],
            sum(1 for m in current.members.values() if m.status is ListStatus.ACTIVE),
        )

    checked = by_account(
        list(zip(plan.exports, exports, strict=True)),
        lambda pair: account_of_export(project, pair[1]),
        check,
        cancelled=clients.cancelled,
        parallel=parallel,
    )
    if any(found is None for found in checked):  # not started: the run was stopped
        raise KeyboardInterrupt
    refusals = [refusal for found in checked for refusal in found or ()]
    if refusals:
        raise RefusedPlanError(
            "the saved plan is refused when checked again, so nothing was applied:\n"
            + "\n".join(f"  {r}" for r in refusals)
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
