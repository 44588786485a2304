"""Making one export's plan: the diff, then the guards (the pure core of ``sync plan``)."""

from __future__ import annotations

from dataclasses import replace

from engine.contacts import CurrentState, DesiredState, ListStatus
from engine.diff import Policy, diff
from engine.manifests.models import ActiveCampaignConnection
from engine.plan import ExportPlan

from .guards import check


def plan_export(
    export_name: str,
    connection: ActiveCampaignConnection,
    desired: DesiredState,
    current: CurrentState,
    policy: Policy,
) -> ExportPlan:
    """Diff one export and attach the guards' refusals: the pure core of ``sync plan``."""
    result = diff(desired, current, policy)
    active = sum(1 for m in current.members.values() if m.status is ListStatus.ACTIVE)
    plan = ExportPlan(
        export=export_name,
        connection=connection.name,
        list_id=current.list_id,
        mode=policy.mode,
        changes=result.changes,
        skipped=result.skipped,
        unchanged=result.unchanged,
        invalid=desired.invalid,
        conflicts=desired.conflicts,
        current_fingerprint=current.fingerprint,
        desired_count=len(desired.contacts),
        active_members=active,
    )
    return replace(plan, refusals=check(plan, policy, connection))
