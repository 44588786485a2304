"""What a list held when it was last read, and how a list was read: pure values, no I/O.

A :class:`Snapshot` is a cache of one list (one account host, one list id): every member by
contact id, with the ``udate`` ActiveCampaign sent for it, the *mapping* its values were
read with, the *watermark* (the server's clock when that read began) and when the list was
last read in full. It lets the next read ask only for what changed since
(``engine.activecampaign.read``); it never decides anything itself, and deleting it only
costs a full read. :class:`ListRead` says how a plan read its list, for the plan's output.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .contacts import CurrentState, ListStatus, Member

FORMAT = 1
"""Version of the snapshot's content; a snapshot of another version is not used."""


def mapping_digest(fields: Mapping[str, str], tags: Iterable[str]) -> str:
    """What a list's values were read with: mapped perstag -> field id, and the tags read
    (the mapped ones and the removal marker)."""
    text = repr((sorted(fields.items()), sorted(tags)))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One list as read (see the module docstring). ``members`` and ``udates`` are keyed
    by contact id; ``perstags`` and ``tags`` are the mapped ones, in the order the members'
    ``Contact.fields`` and the stored tag columns use."""

    account: str
    list_id: str
    mapping: str
    perstags: tuple[str, ...]
    tags: tuple[str, ...]
    tag_ids: Mapping[str, str | None]
    watermark: float
    full_read_at: float
    members: Mapping[str, Member]
    udates: Mapping[str, str | None]

    @property
    def counts(self) -> dict[int, int]:
        """Members per list status value (``{1: 966086, 2: 1020}``)."""
        return dict(Counter(m.status.value for m in self.members.values()))

    def current(self) -> CurrentState:
        """The list's state for the diff (keyed by email, with the fingerprint)."""
        return CurrentState.of(self.list_id, self.members.values())

    def age(self, now: float) -> float:
        """Seconds since the last full read."""
        return now - self.full_read_at

    def unusable_with(self, digest: str, tag_ids: Mapping[str, str | None]) -> str | None:
        """Why this snapshot cannot be read from with the current mapping (None: it can).

        The mapping must be the same (perstags, their field ids, the tags); a tag may have
        been created since (none of the snapshot's members had it, and tagging bumps a
        contact's ``udate``), but one deleted or created anew is another tag.
        """
        if digest != self.mapping:
            return "mapping changed"
        for name, tag_id in tag_ids.items():
            before = self.tag_ids.get(name)
            if before is not None and before != tag_id:
                return f"tag {name!r} changed (it was deleted or created again)"
        return None


def status_name(status: int) -> str:
    try:
        return ListStatus(status).name.lower()
    except ValueError:
        return f"status {status}"


def utc_text(seconds: float) -> str:
    """``2026-12-01 06:07 UTC``."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


REREAD_MARGIN = 3_600.0
"""Seconds before the last read whose updates an incremental read reads again."""


@dataclass(frozen=True, slots=True)
class ListRead:
    """How a list was read for a plan.

    - ``full``: read in full, for ``reasons`` (no snapshot, snapshot 8 days old, mapping
      changed, ``--refresh full``, ...).
    - ``incremental``: only contacts changed since the snapshot's watermark (``since``):
      ``changed`` of them; ``reasons`` then names the statuses read in full because their
      member count did not match the snapshot (``unsubscribed 1,020 -> 1,021``).
    - ``values``: how custom field values were read: ``with the contact pages``
      (``include=fieldValues``, verified on the account), ``by field``, ``by member``, or
      ``none mapped``. ``notes``: what else a reader should know (a check that failed).
    """

    mode: str  # "full" | "incremental"
    reasons: tuple[str, ...] = ()
    since: float | None = None
    changed: int = 0
    requests: int = 0
    values: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def incremental(self) -> bool:
        return self.mode == "incremental"

    def summary(self) -> str:
        """``incremental since 2026-12-01 06:07 UTC: 1,240 contacts read again (updated
        from 05:07 on), counts match (212 requests)`` or ``full read: no snapshot (9,700
        requests)``. Those updated within :data:`REREAD_MARGIN` before the last read are
        read again whether or not they changed since."""
        requests = f"{self.requests:,} request" + ("" if self.requests == 1 else "s")
        if not self.incremental:
            why = "; ".join(self.reasons) or "no snapshot"
            return f"full read: {why} ({requests})"
        since = utc_text(self.since) if self.since is not None else "the last read"
        counts = "; ".join(self.reasons) if self.reasons else "counts match"
        changed = f"{self.changed:,} contact" + ("" if self.changed == 1 else "s")
        if self.since is not None:
            start = datetime.fromtimestamp(self.since - REREAD_MARGIN, UTC).strftime("%H:%M")
            changed += f" read again (updated from {start} on)"
        else:
            changed += " read again"
        return f"incremental since {since}: {changed}, {counts} ({requests})"


def count_change(status: int, before: int, after: int) -> str:
    """``unsubscribed count 1,020 -> 1,021``: why a status was read in full."""
    return f"{status_name(status)} count {before:,} -> {after:,}"


def members_by_status(members: Sequence[Member]) -> dict[int, list[Member]]:
    out: dict[int, list[Member]] = {}
    for member in members:
        out.setdefault(member.status.value, []).append(member)
    return out
