"""Apply executes a plan, and only a plan: ExportPlan -> client writes -> ApplyReport.

It never decides anything: what to change was decided by the diff and frozen in the plan.
Writes go to the client in chunks (a whole number of bulk batches each), so that if the
destination fails for good part-way (the key is revoked, the host goes away), the report
still says exactly which contacts were applied, which were rejected and why, and which were
not attempted or could not be confirmed. Nothing is reported applied that the client did not
confirm.

The writer port
---------------

What apply asks the client to write, and what the client reports back.

A :class:`ContactWrite` is one contact's minimal change on one list, in the product's
terms (plan field names, not ActiveCampaign's JSON keys). The client turns a batch of them
into bulk imports (and, where bulk import cannot do it, per-contact requests), follows
them to the end, and answers with a :class:`WriteReport` that says per contact whether it
was applied or rejected and why. Nothing is reported applied that was not confirmed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import assert_never

from .contacts import FIELD_PREFIX, STANDARD_FIELDS
from .errors import DestinationError
from .plan import Action, Change, ExportPlan, Membership
from .progress import Step


@dataclass(frozen=True, slots=True)
class ContactWrite:
    """One contact's change on one list.

    ``values`` maps plan field names (``first_name``, ``last_name``, ``phone``,
    ``fields.PERSTAG``) to the value to store; ``""`` blanks a value (only sent when the
    export sets ``clear_nulls``). Keys not present are left as they are in ActiveCampaign.
    ``tags`` are tag names to add; the product never removes a user's tags (only its own
    removal marker, on RESUBSCRIBE).
    """

    email: str
    values: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    membership: Membership = Membership.KEEP
    contact_id: str | None = None  # a RESUBSCRIBE's contact, as the plan read it

    @property
    def standard_values(self) -> dict[str, str]:
        """``first_name``, ``last_name`` and ``phone`` from ``values``, in their order."""
        return {k: v for k, v in self.values.items() if k in STANDARD_FIELDS}

    @property
    def custom_values(self) -> dict[str, str]:
        """``{PERSTAG: value}`` of the ``fields.PERSTAG`` keys of ``values``, in their order."""
        return {
            k.removeprefix(FIELD_PREFIX): v
            for k, v in self.values.items()
            if k.startswith(FIELD_PREFIX)
        }


@dataclass(frozen=True, slots=True)
class Rejection:
    """A contact ActiveCampaign refused, with its reason (as ActiveCampaign gave it)."""

    email: str
    reason: str


@dataclass(slots=True)
class Settled:
    """A builder of per-contact outcomes (frozen into a :class:`WriteReport`)."""

    applied: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    unknown: list[Rejection] = field(default_factory=list)
    skipped: list[Rejection] = field(default_factory=list)

    def add(self, report: WriteReport) -> None:
        self.applied += report.applied
        self.rejected += report.rejected
        self.unknown += report.unknown
        self.skipped += report.skipped

    def report(self, requests: Mapping[str, int], retries: int) -> WriteReport:
        return WriteReport(
            tuple(self.applied),
            tuple(self.rejected),
            tuple(self.unknown),
            tuple(self.skipped),
            dict(requests),
            retries,
        )


@dataclass(frozen=True, slots=True)
class WriteReport:
    """The outcome of writing a batch of ContactWrites to one list.

    ``applied`` holds emails confirmed done; ``rejected`` those refused with a reason;
    ``unknown`` those whose fate could not be confirmed (e.g. a bulk batch that did not
    finish before its deadline): never counted as applied. ``requests`` counts HTTP
    requests by kind (``bulk_import``, ``import_info``, ``contact_sync``, ...).
    """

    applied: tuple[str, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    unknown: tuple[Rejection, ...] = ()
    skipped: tuple[Rejection, ...] = ()  # deliberately not written (an unconfirmed re-subscribe)
    requests: Mapping[str, int] = field(default_factory=dict)
    retries: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.unknown


class Outcome(StrEnum):
    """How one export's apply ended (written to the run history as its value)."""

    APPLIED = "applied"  # every planned change confirmed
    NO_CHANGES = "no-changes"
    PARTIAL = "partial"  # some applied; some rejected, not confirmed, or an error
    FAILED = "failed"  # an error, nothing applied
    REFUSED = "refused"  # a guard refused the plan: nothing attempted
    INTERRUPTED = "interrupted"  # Ctrl-C / SIGTERM

    @property
    def ok(self) -> bool:
        return self in SUCCESSFUL


SUCCESSFUL = frozenset({Outcome.APPLIED, Outcome.NO_CHANGES})
"""The outcomes of an apply that did everything it was asked (a scheduled run's success)."""


CHUNK = 2500  # ten bulk batches of 250
INTERRUPTED = (
    "not confirmed: the run was interrupted (batches already sent may still be processed by "
    "ActiveCampaign; run 'sync plan' to see where the list stands)"
)

Writer = Callable[[Sequence[ContactWrite], Step | None], WriteReport]


def write_of(change: Change) -> ContactWrite | None:
    """The ContactWrite that carries out one change (None for a skipped person)."""
    values = {
        name: "" if value is None else value
        for name, value in change.after.items()
        if name != "tags" and not isinstance(value, tuple)
    }
    match change.action:
        case Action.ADD | Action.UPDATE:
            return ContactWrite(
                change.email, values, change.added_tags, change.membership, change.contact_id
            )
        case Action.REMOVE:
            return ContactWrite(
                change.email, membership=change.membership, contact_id=change.contact_id
            )
        case Action.SKIP:
            return None
        case _:
            assert_never(change.action)


def writes_of(plan: ExportPlan) -> list[ContactWrite]:
    """The ContactWrites that carry out a plan, in the plan's order."""
    return [w for change in plan.changes if (w := write_of(change)) is not None]


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """What happened to one export's plan."""

    export: str
    connection: str
    list_id: str
    planned: Mapping[str, int]
    applied: Mapping[str, int]
    rejected: tuple[Rejection, ...] = ()
    not_done: tuple[Rejection, ...] = ()  # not attempted or not confirmed, with why
    skipped: tuple[Rejection, ...] = ()  # deliberately not written, with why
    refused: tuple[str, ...] = ()
    error: str | None = None
    duration_s: float = 0.0
    requests: Mapping[str, int] = field(default_factory=dict)
    retries: int = 0
    interrupted: bool = False  # Ctrl-C: the rest of the run was not attempted
    active_before: int = 0  # the list's active members when the plan read it

    @property
    def list_size(self) -> int:
        """The list's active members after this apply, as far as it knows: those it read at
        plan time, plus the adds and minus the removes confirmed applied (an update keeps a
        member active; an add subscribes one; a mirror remove unsubscribes one)."""
        return self.active_before + self.applied.get("add", 0) - self.applied.get("remove", 0)

    @property
    def outcome(self) -> Outcome:
        if self.refused:
            return Outcome.REFUSED
        if self.interrupted:
            return Outcome.INTERRUPTED
        if not sum(self.planned.values()):
            return Outcome.NO_CHANGES
        if self.error and not sum(self.applied.values()):
            return Outcome.FAILED
        if self.error or self.rejected or self.not_done:
            return Outcome.PARTIAL
        return Outcome.APPLIED

    @property
    def ok(self) -> bool:
        return self.outcome.ok


def apply_export(
    plan: ExportPlan,
    write: Writer,
    progress: Step | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ApplyReport:
    """Execute one export's plan through ``write`` (the client bound to the plan's list)."""
    started = clock()
    actions = {c.email: c.action for c in plan.changes if c.action is not Action.SKIP}
    report = ApplyReport(
        export=plan.export,
        connection=plan.connection,
        list_id=plan.list_id,
        planned=dict(Counter(a.value for a in actions.values())),
        applied={},
        active_before=plan.active_members,
    )
    if plan.refusals:
        return replace(report, refused=tuple(plan.refusals))
    written = _write_in_chunks(writes_of(plan), write, progress)
    settled = written.settled
    applied = Counter(actions[e].value for e in settled.applied if e in actions)
    return replace(
        report,
        applied=dict(applied),
        rejected=tuple(settled.rejected),
        not_done=tuple(settled.unknown),
        skipped=tuple(settled.skipped),
        error=written.error,
        duration_s=clock() - started,
        requests=dict(written.requests),
        retries=written.retries,
        interrupted=written.interrupted,
    )


@dataclass(slots=True)
class _Written:
    settled: Settled = field(default_factory=Settled)
    requests: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    error: str | None = None
    interrupted: bool = False


def _write_in_chunks(
    writes: Sequence[ContactWrite],
    write: Writer,
    progress: Step | None,
) -> _Written:
    """Chunk after chunk; a destination failure marks the rest not applied, with why."""
    done = _Written()
    total = len(writes)
    for start in range(0, total, CHUNK):
        try:
            report = write(writes[start : start + CHUNK], _offset(progress, start, total))
        except DestinationError as exc:
            done.error = str(exc)
            reason = f"not applied: the run stopped ({exc})"
            done.settled.unknown += [Rejection(w.email, reason) for w in writes[start:]]
            break
        except KeyboardInterrupt:
            done.error, done.interrupted = INTERRUPTED, True
            done.settled.unknown += [Rejection(w.email, INTERRUPTED) for w in writes[start:]]
            break
        done.settled.add(report)
        done.requests.update(report.requests)
        done.retries += report.retries
    return done


def _offset(progress: Step | None, start: int, total: int) -> Step | None:
    if progress is None:
        return None
    return lambda done, _chunk_total: progress(start + done, total)
