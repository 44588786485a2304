"""Guards: what makes a plan refused (SPEC §2).

Each guard is a pure function that returns a refusal message, or None. A refused plan is
still computed and shown (so the user sees why), but apply never runs it. Messages name
the export, the list and what to do.

- ``data_privacy_consent`` missing on the connection: nothing may be exported.
- More desired profiles than ``limits.max_profiles``.
- Mirror mode, segments came back empty and the plan would unsubscribe *every* active
  member: refused unless ``--allow-removals`` (an empty result is far more often a broken
  query or source than an intended wipe). When this guard fires, the removal-limit guard
  is not repeated for the same plan. When the segments did return rows but every one was
  invalid, the message says so (``no valid emails: all 1,590 rows invalid (...)``): that is
  a mapping or query mistake, not an empty segment.
- Mirror mode, removals above ``limits.max_removals`` (a percentage of the list's active
  members, or a count): refused unless ``--allow-removals``.

The last guard of SPEC §2 (the list does not exist) needs the network; the pipeline
raises it while reading the list.

A saved plan is checked again when it is applied (:func:`recheck`): on its own content (the
removals it holds, the people it wants) and the live list (its active members now), with
``--allow-removals`` as the plan was made. What to do is said the same way for both: make
the plan again with ``--allow-removals`` (a saved plan cannot be given it afterwards).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from engine.diff import Policy
from engine.manifests.models import ActiveCampaignConnection
from engine.plan import Action, ExportPlan


def _contacts(count: int) -> str:
    return f"{count:,} contact" if count == 1 else f"{count:,} contacts"


def _where(plan: ExportPlan) -> str:
    return f"export '{plan.export}' (list {plan.list_id} on '{plan.connection}')"


def consent_guard(plan: ExportPlan, connection: ActiveCampaignConnection) -> str | None:
    if connection.data_privacy_consent:
        return None
    return (
        f"{_where(plan)}: connection '{connection.name}' does not have "
        "data_privacy_consent: true. Exporting sends personal data outside your compliance "
        "boundary; someone allowed to agree must set data_privacy_consent: true on the "
        "connection before anything is exported."
    )


def profiles_guard(plan: ExportPlan, policy: Policy) -> str | None:
    if plan.desired_count <= policy.max_profiles:
        return None
    return (
        f"{_where(plan)}: the segments hold {plan.desired_count:,} profiles, more than "
        f"limits.max_profiles ({policy.max_profiles:,}). Narrow the segments, or raise "
        "limits.max_profiles in the export if your ActiveCampaign contract allows it."
    )


def empty_mirror_guard(plan: ExportPlan, policy: Policy) -> str | None:
    removals = plan.count(Action.REMOVE)
    if not policy.mirror or policy.allow_removals or plan.desired_count or not removals:
        return None
    if removals < plan.active_members:
        return None
    if plan.invalid:
        what = f"no valid emails: {_all_invalid(plan)}"
        check = "Check the export's mapping.email column and the segments' queries"
    else:
        what, check = "the segments came back empty", "Check the segments' queries and source"
    return (
        f"{_where(plan)}: {what}, so this mirror plan would unsubscribe all {removals:,} "
        f"active member(s) of the list. {check}; if emptying the list is really intended, "
        "make the plan again with --allow-removals (sync plan --allow-removals, or sync "
        "apply --allow-removals)."
    )


def _all_invalid(plan: ExportPlan) -> str:
    """``all 1,590 rows invalid (invalid email: the email column holds numbers, not text)``:
    the most common reason, and how many more there are."""
    reasons = Counter(row.reason for row in plan.invalid).most_common()
    top, count = reasons[0]
    rows = len(plan.invalid)
    share = "" if count == rows else f"{count:,} rows: "
    more = f"; {len(reasons) - 1} other reason(s)" if len(reasons) > 1 else ""
    noun = "row" if rows == 1 else "rows"
    segments = ", ".join(dict.fromkeys(row.segment for row in plan.invalid))
    return f"all {rows:,} {noun} of segment(s) {segments} are invalid ({share}{top}{more})"


def removals_guard(plan: ExportPlan, policy: Policy) -> str | None:
    removals = plan.count(Action.REMOVE)
    if not policy.mirror or policy.allow_removals:
        return None
    if policy.removal_limit.allows(removals, plan.active_members):
        return None
    limit = policy.removal_limit
    of_what = f" of {plan.active_members:,} active members" if limit.percent else ""
    return (
        f"{_where(plan)}: this mirror plan would unsubscribe {_contacts(removals)}, more "
        f"than limits.max_removals ({limit}{of_what}). Check the segments; if these "
        "removals are intended, make the plan again with --allow-removals (sync plan "
        "--allow-removals, or sync apply --allow-removals), or raise limits.max_removals "
        "in the export."
    )


def check(
    plan: ExportPlan, policy: Policy, connection: ActiveCampaignConnection
) -> tuple[str, ...]:
    """Every refusal for this plan, in a fixed order (empty tuple: the plan may be applied)."""
    empty = empty_mirror_guard(plan, policy)
    found = [
        consent_guard(plan, connection),
        profiles_guard(plan, policy),
        empty if empty is not None else removals_guard(plan, policy),
    ]
    return tuple(message for message in found if message is not None)


def recheck(
    plan: ExportPlan,
    policy: Policy,
    connection: ActiveCampaignConnection,
    live_active: int,
) -> tuple[str, ...]:
    """Every guard again on a saved plan at apply time: the people it wants are counted from
    its own changes (never fewer than it says), its removals against the list's
    ``live_active`` members now. ``policy.allow_removals`` is the plan's own."""
    wanted = plan.count(Action.ADD) + plan.count(Action.UPDATE) + plan.unchanged
    wanted += len(plan.skipped)
    seen = replace(plan, desired_count=max(plan.desired_count, wanted), active_members=live_active)
    return check(seen, policy, connection)
