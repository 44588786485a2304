"""Property: applying a plan as ActiveCampaign would converges, and the next plan is empty.

The simulator below applies ContactWrites the way ActiveCampaign's bulk import does: keys
sent overwrite, keys omitted are kept, ``""`` blanks (read back as ``""`` or as null: both
are tried), tags are added, a plain subscribe of an unsubscribed or bounced contact is
refused, RESUBSCRIBE works and drops the removal marker, UNSUBSCRIBE sets status 2 and the
marker, UNMARK drops a stale marker, REMARK sets status 2 with a fresh marker.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.apply import ContactWrite, write_of
from engine.contacts import (
    STANDARD_FIELDS,
    Contact,
    CurrentState,
    DesiredState,
    ListStatus,
    Member,
    removal_marker,
)
from engine.diff import Policy, diff, value_of
from engine.plan import Membership

LIST_ID = "12"
MARKER = removal_marker(LIST_ID)
EMAILS = [f"p{i}@example.com" for i in range(8)]
ALL_FIELDS = (*STANDARD_FIELDS, "fields.LTV", "fields.TIER")
VALUES = st.sampled_from([None, "", "a", "b", "Zoë", " a"])
TAGS = st.frozensets(st.sampled_from(["vip", "news", "other"]), max_size=3)


def make_contact(email: str, values: dict[str, str | None], tags: frozenset[str]) -> Contact:
    custom = {k.removeprefix("fields."): v for k, v in values.items() if k.startswith("fields.")}
    return Contact(
        email,
        values.get("first_name"),
        values.get("last_name"),
        values.get("phone"),
        Contact.make_fields(custom),
        tags,
    )


@st.composite
def contacts(draw: st.DrawFn, email: str) -> Contact:
    values = {name: draw(VALUES) for name in ALL_FIELDS}
    return make_contact(email, values, draw(TAGS))


@st.composite
def members(draw: st.DrawFn, email: str) -> Member:
    contact = draw(contacts(email))
    removed = draw(st.booleans())
    if removed:
        contact = replace(contact, tags=contact.tags | {MARKER})
    status = draw(st.sampled_from(list(ListStatus)))
    return Member(contact, status, email, removed_by_sync=removed)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    mapped = draw(st.lists(st.sampled_from(ALL_FIELDS), unique=True))
    return Policy(
        mode=draw(st.sampled_from(["upsert", "mirror"])),
        fields=tuple(mapped),
        clear_nulls=draw(st.booleans()),
        tags=draw(st.frozensets(st.sampled_from(["vip", "news"]))),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Policy, DesiredState, CurrentState]:
    policy = draw(policies())
    wanted = draw(st.lists(st.sampled_from(EMAILS), unique=True))
    present = draw(st.lists(st.sampled_from(EMAILS), unique=True))
    desired = {
        e: replace(draw(contacts(e)), tags=frozenset())
        if draw(st.booleans())
        else draw(contacts(e))
        for e in wanted
    }
    current = CurrentState.of(LIST_ID, [draw(members(e)) for e in present])
    return policy, DesiredState(desired), current


def simulate(current: CurrentState, writes: list[ContactWrite], blank: str | None) -> CurrentState:
    """ActiveCampaign's answer to the writes, as a new CurrentState."""
    members = dict(current.members)
    for write in writes:
        old = members.get(write.email)
        contact = old.contact if old else Contact(write.email)
        status = old.status if old else ListStatus.OTHER
        removed = old.removed_by_sync if old else False
        tags = set(contact.tags) | set(write.tags)
        match write.membership:
            case Membership.SUBSCRIBE:
                if status in (ListStatus.UNSUBSCRIBED, ListStatus.BOUNCED):
                    continue  # bulk import refuses to re-subscribe them
                status = ListStatus.ACTIVE
            case Membership.RESUBSCRIBE:
                status, removed = ListStatus.ACTIVE, False
                tags.discard(MARKER)
            case Membership.UNSUBSCRIBE | Membership.REMARK:
                assert (write.membership is Membership.REMARK) == removed
                status, removed = ListStatus.UNSUBSCRIBED, True
                tags.add(MARKER)
            case Membership.UNMARK:
                assert removed
                if status not in (ListStatus.UNSUBSCRIBED, ListStatus.BOUNCED):
                    status = ListStatus.ACTIVE
                removed = False
                tags.discard(MARKER)
            case Membership.KEEP:
                assert status is ListStatus.ACTIVE, "values-only write to a non-member"
        values = {name: value_of(contact, name) for name in ALL_FIELDS}
        values.update({k: (blank if v == "" else v) for k, v in write.values.items()})
        new = make_contact(write.email, values, frozenset(tags))
        members[write.email] = Member(new, status, write.email, removed)
    return CurrentState.of(current.list_id, members.values())


def blank(value: str | None) -> bool:
    return value is None or value == ""


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.sampled_from(["", None]))
def test_apply_converges_and_next_plan_is_empty(
    scenario: tuple[Policy, DesiredState, CurrentState], stored_blank: str | None
) -> None:
    policy, desired, current = scenario
    first = diff(desired, current, policy)
    writes = [w for c in first.changes if (w := write_of(c)) is not None]
    after = simulate(current, writes, stored_blank)

    second = diff(desired, after, policy)
    assert second.changes == ()
    assert [c.email for c in second.skipped] == [c.email for c in first.skipped]

    skipped = {c.email for c in first.skipped}
    for email, want in desired.contacts.items():
        now, was = after.members[email], current.members.get(email)
        if email in skipped:
            assert now == was
            continue
        assert now.status is ListStatus.ACTIVE
        assert (policy.tags | want.tags) <= now.contact.tags
        for name in ALL_FIELDS:
            new, stored = value_of(want, name), value_of(now.contact, name)
            old = value_of(was.contact, name) if was else None
            if name not in policy.fields or (blank(new) and not policy.clear_nulls):
                assert stored == old
            elif blank(new):
                assert blank(stored)
            else:
                assert stored == new
    for email, member in after.members.items():
        if email not in desired.contacts:
            if policy.mirror:
                assert member.status is not ListStatus.ACTIVE
            else:
                assert member == current.members[email]
