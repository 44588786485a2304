"""Merging an incremental read into the snapshot it started from (see :mod:`.lists`).

:class:`Merge` takes what the filtered status streams returned (a contact whose ``udate`` is
the snapshot's keeps the snapshot's values and tags; the rest are *fresh*), and makes the
statuses exact again while a member count disagrees (:meth:`Merge.settle`):

1. each disagreeing status is read again where it differs: :class:`Ranges` finds the id
   ranges whose counts differ by halving, or the whole status is read;
2. members a re-read no longer finds there are looked for in the other statuses (``ids[]``,
   100 at a time): a contact moved without a ``udate`` bump takes its new status (it may
   make that status disagree in turn: the next round reads it again); one found nowhere
   left the list (deleted, or status 91);
3. the counts are compared again; after :data:`ROUNDS` rounds a status that still disagrees
   (the list changing while it is read) is read in full.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from engine.activecampaign import wire
from engine.contacts import ListStatus, Member
from engine.snapshot import REREAD_MARGIN, Snapshot, count_change

from .members import READ_STATUSES, IdRange, Row, StatusRows

if TYPE_CHECKING:
    from .lists import Reading

OVERLAP = 86_400.0
"""Seconds asked before the watermark: ``filters[updated_after]`` may be day-granular."""

MARGIN = REREAD_MARGIN
"""A contact whose ``udate`` is within this of the last read is read again (same-second
changes, and clocks that differ between the ``Date`` header and ``udate``)."""


def overlap_for(updated_after: str) -> float:
    """Seconds asked before the watermark: :data:`MARGIN` where ``sync doctor`` measured
    that ``filters[updated_after]`` compares the instant (``"instant"``), else a whole
    :data:`OVERLAP` day (it may compare dates only)."""
    return MARGIN if updated_after == "instant" else OVERLAP


ROUNDS = 3
"""Rounds of re-reading where counts disagree before a status is read in full."""

IDS_PER_REQUEST = 100


class Merge:
    """Merging what an incremental read returned into the snapshot it started from."""

    def __init__(
        self, reading: Reading, base: Snapshot, cutoff: float, tagged: Mapping[str, set[str]]
    ) -> None:
        self.reading, self.base, self.cutoff, self.tagged = reading, base, cutoff, tagged
        self.members: dict[str, Member] = dict(base.members)
        self.udates: dict[str, str | None] = dict(base.udates)
        self.fresh: set[str] = set()
        self.dropped: dict[str, Member] = {}  # left their status in a re-read: now where?
        self.how = ""

    def settle(self, server: Mapping[ListStatus, int | None]) -> list[str]:
        """Re-read where the member counts disagree with the ``server``'s, until they agree
        (module docstring); returns what was done, for the plan."""
        reasons: dict[ListStatus, str] = {}
        for round_ in range(ROUNDS + 1):
            counted = Counter(m.status for m in self.members.values())
            differ = [s for s in READ_STATUSES if server[s] is None or server[s] != counted[s]]
            if not differ:
                break
            for status in differ:
                total = server[status]
                why = reasons.get(status) or (
                    count_change(status.value, counted[status], total)
                    if total is not None
                    else f"{status.name.lower()} count not given"
                )
                if total is None or round_ == ROUNDS:
                    reasons[status] = why + self.reread_all(status)
                else:
                    reasons[status] = why + self.reread(status, total)
            self.relocate()
        return [reasons[s] for s in READ_STATUSES if s in reasons]

    def take(self, streams: Mapping[ListStatus, StatusRows]) -> None:
        """Each returned contact takes its status; fresh ones get values and tags read."""
        seen: set[str] = set()
        fresh: list[tuple[ListStatus, Row]] = []
        for status in READ_STATUSES:
            for row in streams[status].rows:
                if row[0] in seen:
                    continue  # seen in an earlier status: the first wins, as in a full read
                seen.add(row[0])
                if not self._reuse(row, status):
                    fresh.append((status, row))
        self._fresh(fresh, streams.values())

    def reread(self, status: ListStatus, server: int) -> str:
        """Make ``status`` exact again after its count disagreed (``server`` members, by
        the server's count): only the id ranges whose counts disagree are read again
        when the server's counts honour id ranges, else the whole status. Returns what
        it did, for the plan (``: 3 ranges read again``, ``: read in full``)."""
        ids = sorted(int(c) for c, m in self.members.items() if m.status is status)
        ranges = Ranges(self.reading, status, ids)
        if self.reading.id_ranges == ID_RANGES_IGNORED or not ranges.locate(server):
            self.reading.id_ranges = ranges.verdict or self.reading.id_ranges
            return self.reread_all(status)
        self.reading.id_ranges = ID_RANGES_COUNTED
        for bounds, counted in ranges.found:
            stream = self.reading.stream(status, bounds) if counted else StatusRows()
            low = bisect_right(ids, bounds[0])
            high = len(ids) if bounds[1] is None else bisect_left(ids, bounds[1])
            self._replace(status, stream, ids[low:high])
        return f": {len(ranges.found):,} id range(s) read again"

    def reread_all(self, status: ListStatus) -> str:
        ids = sorted(int(c) for c, m in self.members.items() if m.status is status)
        self._replace(status, self.reading.stream(status), ids)
        return ": read in full"

    def relocate(self) -> None:
        """Where the members a re-read dropped are now: in another status (moved without a
        ``udate`` bump), or nowhere (they left the list)."""
        dropped = list(self.dropped)
        for start in range(0, len(dropped), IDS_PER_REQUEST):
            batch = dropped[start : start + IDS_PER_REQUEST]
            for status in READ_STATUSES:
                stream = self.reading.stream(status, only=batch)
                fresh = [(status, r) for r in stream.rows if not self._reuse(r, status)]
                self._fresh(fresh, [stream], filtered=False)
        for cid in dropped:
            if cid not in self.members:
                self.udates.pop(cid, None)
        self.dropped.clear()

    def _replace(self, status: ListStatus, stream: StatusRows, known: list[int]) -> None:
        """The members of ``status`` among ``known`` (the contact ids the merged snapshot
        had there) are exactly those in ``stream``; the others are looked for later."""
        returned = {row[0] for row in stream.rows}
        for number in known:
            cid = str(number)
            member = self.members.get(cid)
            if member is not None and member.status is status and cid not in returned:
                self.dropped[cid] = self.members.pop(cid)
        fresh = [(status, row) for row in stream.rows if not self._reuse(row, status)]
        self._fresh(fresh, [stream], filtered=False)

    def _reuse(self, row: Row, status: ListStatus) -> bool:
        """Keep the values and tags already known of an unchanged contact (in its new
        status): the snapshot's, when it is older than the snapshot's read, or this read's."""
        cid, udate = row[0], row[5]
        old = self.members.get(cid) or self.dropped.get(cid)
        if old is None or self.udates.get(cid) != udate:
            return False
        if cid not in self.fresh:
            moment = wire.instant(udate)
            if moment is None or moment >= self.base.watermark - MARGIN:
                return False
        self.members[cid] = old if old.status is status else replace(old, status=status)
        return True

    def _fresh(
        self,
        fresh: list[tuple[ListStatus, Row]],
        streams: Iterable[StatusRows],
        *,
        filtered: bool = True,
    ) -> None:
        """Fresh members: values read (side-loaded, or the documented way) and tags from the
        filtered tag streams (``filtered``: the rows came from streams with the same
        ``updated_after`` filter, so a tagged one is in them) or the contacts' own tags."""
        if not fresh:
            return
        ids = [row[0] for _, row in fresh]
        columns, how = self.reading.values(streams, ids)
        self.how = self.how or how
        old = [r[0] for _, r in fresh if not filtered or (wire.instant(r[5]) or 0.0) < self.cutoff]
        own = self.reading.tags_of(old) if old else {}
        lookups, assembler = self.reading.lookups, self.reading.assembler
        for status, row in fresh:
            cid = row[0]
            if cid in own:
                names = own[cid]
            else:
                names = {name for name, ids_ in self.tagged.items() if cid in ids_}
            values = {p: columns.get(p, {}).get(cid) for p in lookups.perstags}
            tags = assembler.tag_set(t for t in lookups.tags if t in names)
            member = assembler.member(row, status, values, tags, lookups.marker in names)
            self.members[cid] = member
            self.udates[cid] = row[5]
            self.fresh.add(cid)


ID_RANGES_COUNTED = "counted"
ID_RANGES_IGNORED = "ignored"
LEAF = 200
"""Members in an id range read rather than split further (two pages)."""


class Ranges:
    """Finding the id ranges of one status whose member counts disagree with the merged
    snapshot, by halving (``id_greater`` / ``id_less`` counts, 1 request a split).

    ``ids`` are the contact ids the merged snapshot has in the status, sorted. A range
    whose count matches is taken as right (a change that neither bumps ``udate`` nor
    changes a count is beyond any read but a full one: the weekly full read catches it).
    Counting ranges relies on ``meta.total`` honouring the id filters, which no document
    settles: the first split is checked (its halves must add up to the whole), and when
    they do not, :meth:`locate` says so and the status is read in full.
    """

    def __init__(self, reading: Reading, status: ListStatus, ids: list[int]) -> None:
        self.reading, self.status, self.ids = reading, status, ids
        self.found: list[tuple[IdRange, int]] = []  # (ids, the server's count there)
        self.verdict: str | None = None

    def locate(self, server: int) -> bool:
        """Fill :attr:`found`; False when id-range counts cannot be relied on."""
        if len(self.ids) < 2 * LEAF:
            self.found.append(((0, None), server))
            return True
        mid = len(self.ids) // 2
        split = self.ids[mid]
        left = self.reading.count(self.status, (0, split))
        right = self.reading.count(self.status, (split - 1, None))
        if left is None or right is None or left + right != server:
            self.verdict = ID_RANGES_IGNORED if left == right == server else None
            return False
        self._split(0, mid, (0, split), left, True)
        self._split(mid, len(self.ids), (split - 1, None), right, True)
        return True

    def _split(self, start: int, end: int, bounds: IdRange, server: int, measured: bool) -> None:
        """Our ids[start:end] lie within ``bounds``, where the server counts ``server``
        (``measured``: asked for, not derived)."""
        if end - start == server:
            return
        if end - start <= LEAF or server <= 0:
            # A measured 0 needs no read; a computed one (whole minus a half, counted at
            # different moments) is read to be sure.
            self.found.append((bounds, server if measured or server > 0 else 1))
            return
        mid = (start + end) // 2
        split = self.ids[mid]
        left = self.reading.count(self.status, (bounds[0], split))
        if left is None:
            self.found.append((bounds, server))
            return
        self._split(start, mid, (bounds[0], split), left, True)
        self._split(mid, end, (split - 1, bounds[1]), server - left, False)


def iso(seconds: float) -> str:
    """``filters[updated_after]``'s value: ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
