"""Reading a list for a plan: in full, or only what changed since its snapshot.

A **full read** (:mod:`.members`' docstring has its cost) reads every member of every
status. An **incremental read** starts from the :class:`~engine.snapshot.Snapshot` of the
last read and asks only for what changed since its watermark ``W`` (the server's clock
when that read began):

1. ``GET /contacts?listid=L&status=S&filters[updated_after]=W-1d`` for each status S (the
   filter is documented as a date and may be day-granular, so it is asked with a day of
   overlap), with ``include=fieldValues`` once that is verified on the account;
   ``GET /contacts?listid=L&tagid=T&filters[updated_after]=W-1d`` for each mapped tag and
   the removal marker. Deleted contacts never show up here, and some changes may not bump
   ``udate``; hence:
2. ``GET /contacts?listid=L&status=S&limit=1`` for each status: its ``meta.total`` is
   compared with the merged snapshot's count. A status whose count differs is read again
   in full (the plan says which, and the two counts).

A contact returned by step 1 whose ``udate`` is the one the snapshot holds, and older than
the snapshot's read (by :data:`MARGIN`), is unchanged since: its values and tags are the
snapshot's. Every other returned contact is *fresh*: its values come with the pages
(side-loaded) or the documented way (by member or by field), and its tags from the tag
streams of step 1 (or, for a contact older than the overlap, from its own contactTags).

Either way the result is the same :class:`~engine.contacts.CurrentState` a full read would
give for every change that bumps ``udate`` or a status count: the snapshot only saves
requests (``tests/test_incremental.py`` checks it against full reads).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.contacts import CurrentState, ListStatus, Member
from engine.errors import TransientError
from engine.memory import young_collections_only
from engine.progress import Step
from engine.snapshot import ListRead, Snapshot, mapping_digest

from . import sideload
from .incremental import MARGIN, Merge, iso, overlap_for
from .members import (
    READ_STATUSES,
    Assembler,
    Columns,
    IdRange,
    Lookups,
    StatusRows,
    assemble_columns,
    count,
    status_stream,
    tag_stream,
)
from .streams import Pages, Shared, for_each, run
from .values import first_values, read_values

STREAMS = 3
"""Paged streams read at once (threads); the client's pacer caps the rate whatever this is."""

WITH_PAGES = "with the contact pages"
NONE_MAPPED = "none mapped"


@dataclass(frozen=True, slots=True)
class ReadResult:
    """A list as read: its new snapshot, how it was read, and the side-loading verdict."""

    snapshot: Snapshot
    info: ListRead
    sideload: str
    id_ranges: str = "unknown"  # whether meta.total counts id ranges on this account


def read_list(
    client: Client,
    list_id: int,
    perstags: Iterable[str],
    tags: Iterable[str],
    progress: Step | None = None,
    *,
    workers: int | None = None,
) -> CurrentState:
    """Every member of the list (all statuses), mapped values and the fingerprint: a full
    read the documented way (no snapshot, values never side-loaded)."""
    result = read_list_state(client, list_id, perstags, tags, progress=progress, workers=workers)
    return result.snapshot.current()


def read_list_state(
    client: Client,
    list_id: int,
    perstags: Iterable[str],
    tags: Iterable[str],
    *,
    base: Snapshot | None = None,
    full_reasons: tuple[str, ...] = (),
    sideload_verdict: str = sideload.OFF,
    id_ranges: str = "unknown",
    updated_after: str = "unknown",
    progress: Step | None = None,
    workers: int | None = None,
    clock: Callable[[], float] = time.time,
) -> ReadResult:
    """Read the list: incrementally from ``base`` when given (and read with the same
    mapping), else in full (for ``full_reasons``). ``sideload_verdict`` is the account's
    ``include=fieldValues`` verdict (:mod:`.sideload`; OFF: never ask for it)."""
    if workers is None:
        workers = STREAMS if client.parallel_reads else 1
    before = client.stats.snapshot()
    with young_collections_only() as collect:
        pages = Pages(progress, collect)
        started = client.check_list(list_id)
        watermark = started if started is not None else clock() - MARGIN
        lookups = Lookups.read(client, list_id, tuple(perstags), tuple(tags))
        digest = mapping_digest(lookups.fields, lookups.tag_ids)
        reasons = list(full_reasons)
        unusable = base.unusable_with(digest, lookups.tag_ids) if base is not None else None
        if unusable is not None:
            base, reasons = None, [*reasons, unusable]
        reading = Reading(client, list_id, lookups, pages, workers, sideload_verdict)
        reading.id_ranges = id_ranges
        reading.overlap = overlap_for(updated_after)
        outcome = reading.incremental(base) if base is not None else reading.full()
    after = client.stats.snapshot()
    requests = sum(after.requests.values()) - sum(before.requests.values())
    full = base is None
    snapshot = Snapshot(
        account=client.host.lower(),
        list_id=str(list_id),
        mapping=digest,
        perstags=lookups.perstags,
        tags=lookups.tags,
        tag_ids=dict(lookups.tag_ids),
        watermark=watermark,
        full_read_at=watermark if base is None else base.full_read_at,
        members=outcome.members,
        udates=outcome.udates,
    )
    info = ListRead(
        mode="full" if full else "incremental",
        reasons=tuple(reasons if full else outcome.reasons),
        since=None if base is None else base.watermark,
        changed=outcome.changed,
        requests=requests,
        values=outcome.values if lookups.fields else NONE_MAPPED,
        notes=tuple(n for n in [sideload.note(reading.verdict)] if n),
    )
    return ReadResult(snapshot, info, reading.verdict, reading.id_ranges)


@dataclass(slots=True)
class _Outcome:
    members: dict[str, Member]
    udates: dict[str, str | None]
    values: str = ""
    changed: int = 0
    reasons: list[str] = field(default_factory=list)


class Reading:
    """One list read in progress (the mutable part; what it returns is frozen)."""

    def __init__(
        self,
        client: Client,
        list_id: int,
        lookups: Lookups,
        pages: Pages,
        workers: int,
        verdict: str,
    ) -> None:
        self.client, self.list_id, self.lookups = client, list_id, lookups
        self.pages, self.workers, self.verdict = pages, workers, verdict
        self.shared: Shared = {}
        self.assembler = Assembler(lookups)
        self.id_ranges = "unknown"
        self.overlap = overlap_for("unknown")  # how far before the watermark to ask

    # -------------------------------------------------------------------------- full

    def full(self) -> _Outcome:
        """Every member of every status."""
        jobs: dict[str, Callable[[], Any]] = {}
        for name, tag_id in self._tags():
            jobs[f"tagged:{name}"] = partial(
                tag_stream, self.client, self.list_id, name, tag_id, self.pages
            )
        done = self._run_streams(jobs, lambda: self._status_jobs(None))
        streams = {s: done[f"status:{s.value}"] for s in READ_STATUSES}
        ids = [row[0] for s in READ_STATUSES for row in streams[s].rows]
        columns, how = self.values(streams.values(), ids)
        tagged = {name: done.get(f"tagged:{name}", set()) for name, _ in self._tags()}
        rows = {s: streams[s].rows for s in READ_STATUSES}
        members, udates = assemble_columns(self.assembler, rows, columns, tagged)
        return _Outcome(members, udates, how, changed=len(members))

    # -------------------------------------------------------------------------- incremental

    def incremental(self, base: Snapshot) -> _Outcome:
        """What changed since ``base``, merged into it; statuses whose counts disagree
        are read again in full."""
        cutoff = base.watermark - self.overlap
        since = iso(cutoff)
        jobs: dict[str, Callable[[], Any]] = {}
        for status in READ_STATUSES:
            jobs[f"count:{status.value}"] = partial(count, self.client, self.list_id, status)
        for name, tag_id in self._tags():
            jobs[f"tagged:{name}"] = partial(
                tag_stream, self.client, self.list_id, name, tag_id, self.pages, since=since
            )
        done = self._run_streams(jobs, lambda: self._status_jobs(since))
        tagged = {name: done.get(f"tagged:{name}", set()) for name, _ in self._tags()}
        merge = Merge(self, base, cutoff, tagged)
        merge.take({s: done[f"status:{s.value}"] for s in READ_STATUSES})
        reasons = merge.settle({s: done[f"count:{s.value}"] for s in READ_STATUSES})
        return _Outcome(merge.members, merge.udates, merge.how, len(merge.fresh), reasons)

    # -------------------------------------------------------------------------- shared

    def _tags(self) -> list[tuple[str, str]]:
        return [(name, tid) for name, tid in self.lookups.tag_ids.items() if tid is not None]

    @property
    def include(self) -> Lookups | None:
        """The lookups to side-load values with, when that is asked for at all."""
        wanted = self.lookups.fields and sideload.usable(self.verdict)
        return self.lookups if wanted else None

    def _status_jobs(
        self,
        since: str | None,
        statuses: Iterable[ListStatus] = READ_STATUSES,
        ids: IdRange | None = None,
        only: Sequence[str] = (),
    ) -> dict[str, Callable[[], Any]]:
        """Each status's stream (changed since ``since``, among ``ids``, when given)."""
        jobs: dict[str, Callable[[], Any]] = {}
        for status in statuses:
            key = f"status:{status.value}"
            self.pages.expect(key, None)
            jobs[key] = partial(
                status_stream,
                self.client,
                self.list_id,
                status,
                self.pages,
                self.shared,
                since=since,
                include=self.include,
                ids=ids,
                only=only,
            )
        return jobs

    def _run_streams(
        self,
        jobs: Mapping[str, Callable[[], Any]],
        status_jobs: Callable[[], Mapping[str, Callable[[], Any]]],
    ) -> dict[str, Any]:
        """Run ``jobs`` and the status streams ``status_jobs`` makes; a time-out while
        side-loading stops asking for it (the status streams are made and read again)."""
        try:
            return run({**jobs, **status_jobs()}, self.workers)
        except TransientError as exc:
            if self.include is None or not isinstance(exc.__cause__, httpx.TimeoutException):
                raise
        self.verdict = sideload.TIMED_OUT
        return run({**jobs, **status_jobs()}, self.workers)

    def stream(
        self, status: ListStatus, ids: IdRange | None = None, only: Sequence[str] = ()
    ) -> StatusRows:
        """One status in full, or its members among ``ids``, or among the contacts ``only``
        names (a re-read after its count disagreed)."""
        done = self._run_streams({}, lambda: self._status_jobs(None, (status,), ids, only))
        result: StatusRows = done[f"status:{status.value}"]
        return result

    def count(self, status: ListStatus, ids: IdRange) -> int | None:
        return count(self.client, self.list_id, status, ids)

    def values(self, streams: Iterable[StatusRows], ids: list[str]) -> tuple[Columns, str]:
        """Mapped values of ``ids``: side-loaded when verified (verifying them first when
        the account's verdict is unknown), else the cheaper documented way."""
        fields = self.lookups.fields
        if not fields or not ids:
            return {p: {} for p in fields}, ""
        streams = list(streams)
        if self.include is not None:
            if any(s.sideload_missing for s in streams):
                self.verdict = sideload.DISAGREES
            else:
                columns = _union(streams, self.lookups.perstags)
                if self.verdict == sideload.UNKNOWN:
                    self.verdict = sideload.verify(self.client, self.lookups, columns, ids)
                if self.verdict == sideload.VERIFIED:
                    return columns, WITH_PAGES
        first = run(
            {
                p: partial(first_values, self.client, field_id, self.pages, self.shared)
                for p, field_id in fields.items()
            },
            self.workers,
        )
        return read_values(self.client, fields, first, ids, self.pages, self.shared, self.workers)

    def tags_of(self, ids: list[str]) -> dict[str, set[str]]:
        """Each contact's tags (of the mapped ones and the marker), one request each."""
        names = {tid: name for name, tid in self._tags()}
        found: dict[str, set[str]] = {cid: set() for cid in ids}

        def one(cid: str) -> None:
            body = self.client.get(f"contacts/{cid}/contactTags", kind="contact_tags")
            for link in wire.items(body, "contactTags"):
                name = names.get(wire.as_id(link.get("tag")))
                if name is not None:
                    found[cid].add(name)

        for_each(one, ids, self.workers)
        return found


def _union(streams: Iterable[StatusRows], perstags: Iterable[str]) -> Columns:
    columns: Columns = {p: {} for p in perstags}
    for stream in streams:
        for perstag, column in (stream.values or {}).items():
            columns.setdefault(perstag, {}).update(column)
    return columns
