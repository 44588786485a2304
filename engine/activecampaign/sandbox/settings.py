"""The sandbox's knobs: one frozen value, deterministic when ``seed`` is set."""

from __future__ import annotations

from dataclasses import dataclass

SANDBOX_DEFAULT_KEY = "sandbox"
"""The API key the sandbox accepts unless told otherwise (``host: sandbox`` needs none)."""

FAULT_KINDS = ("502", "503", "drop")
UPDATED_AFTER = ("instant", "day")
SIDELOADS = ("complete", "ignored", "stale", "slow")
LIST_STATUSES = ("list", "ignored")
UDATE_WRITES = ("field", "tag", "status")
RESENT_UNSUBSCRIBES = ("kept", "moved")


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    """How the sandbox behaves.

    - ``api_key``: the only ``Api-Token`` accepted; anything else gets 403.
    - ``rate_limit``: requests per second for the whole account (every client of this
      sandbox), answered with 429 beyond it; ``None`` turns the limit off.
    - ``bulk_multi_per_minute`` / ``bulk_single_per_minute``: bulk-import requests a
      minute with several / one contact; beyond them HTTP 400 "Rate limit exceeded."
      (``None`` = no limit).
    - ``fault_rate``: probability that a request fails with one of ``fault_kinds``
      (``"502"``, ``"503"`` or ``"drop"`` = the connection closes without an answer). The
      fault is decided before anything else, so a failed request never changed anything.
    - ``latency``: seconds added to every answer.
    - ``bulk_delay``: seconds a bulk batch takes; it reads ``false`` for the first half,
      ``active`` for the second, then ``completed``. With 0 a batch completes on the next
      request (an ``import/info`` poll at the latest).
    - ``seed``: makes faults and batch ids reproducible.
    - ``updated_after``: how ``filters[updated_after]`` compares: ``"instant"`` (a contact
      whose ``udate`` is at or after the given time) or ``"day"`` (the value read as a
      date, as the documented ``format: date`` suggests: only contacts updated on a later
      UTC day; a read asking for "after the watermark" would miss that day's changes).
    - ``total_counts_ids``: whether ``meta.total`` of ``GET /contacts`` counts the
      ``id_greater`` / ``id_less`` filters like every other filter (the documented "Only
      include contacts with an ID greater/less than"; UNCERTAIN on the real service, so
      the product checks it before relying on it) or ignores them (False).
    - ``sideload``: what ``include=fieldValues`` on ``GET /contacts`` does:
      ``"complete"`` (every value of the page's contacts), ``"ignored"`` (no array at
      all), ``"stale"`` (values that disagree with ``GET /contacts/{id}/fieldValues``),
      ``"slow"`` (the answer takes longer than a client waits: a time-out).
    - ``list_status``: what ``status`` does together with ``listid`` on ``GET /contacts``:
      ``"list"`` (the subscription's status on that list, as the product assumes) or
      ``"ignored"`` (every member of the list, whatever the status: the alternative
      ``sync doctor`` must tell apart).
    - ``failure_base``: where a refused bulk import's ``failureReasons[].contact`` counts
      from: 1 (the 1-based position the only evidence gives) or 0.
    - ``bulk_resubscribes``: False (the documented "Contacts may not be subscribed to lists
      which they have previously unsubscribed from": such a contact fails) or True (the
      importer re-subscribes them).
    - ``udate_bumps``: which writes move a contact's ``udate``: ``"field"`` (a custom field
      value), ``"tag"`` (a tag added or removed), ``"status"`` (a list status). Names and
      the email always do.
    - ``resent_unsubscribe``: what unsubscribing someone already unsubscribed does to the
      contactList's ``udate`` (the unsubscribe date): ``"kept"`` or ``"moved"`` to now.
    """

    api_key: str = SANDBOX_DEFAULT_KEY
    rate_limit: float | None = 5.0
    bulk_multi_per_minute: int | None = 100
    bulk_single_per_minute: int | None = 20
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    latency: float = 0.0
    bulk_delay: float = 0.0
    seed: int | None = None
    updated_after: str = "instant"
    total_counts_ids: bool = True
    sideload: str = "complete"
    list_status: str = "list"
    failure_base: int = 1
    bulk_resubscribes: bool = False
    udate_bumps: tuple[str, ...] = UDATE_WRITES
    resent_unsubscribe: str = "kept"

    def __post_init__(self) -> None:
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        unknown = set(self.fault_kinds) - set(FAULT_KINDS)
        if unknown or not self.fault_kinds:
            raise ValueError(f"fault_kinds must be some of {FAULT_KINDS}")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError("rate_limit must be positive (or None for no limit)")
        if self.updated_after not in UPDATED_AFTER:
            raise ValueError(f"updated_after must be one of {UPDATED_AFTER}")
        if self.sideload not in SIDELOADS:
            raise ValueError(f"sideload must be one of {SIDELOADS}")
        if self.list_status not in LIST_STATUSES:
            raise ValueError(f"list_status must be one of {LIST_STATUSES}")
        if self.failure_base not in (0, 1):
            raise ValueError("failure_base must be 0 or 1")
        if set(self.udate_bumps) - set(UDATE_WRITES):
            raise ValueError(f"udate_bumps must be some of {UDATE_WRITES}")
        if self.resent_unsubscribe not in RESENT_UNSUBSCRIBES:
            raise ValueError(f"resent_unsubscribe must be one of {RESENT_UNSUBSCRIBES}")

    def __repr__(self) -> str:  # the key is a secret in spirit: never shown
        return (
            f"SandboxSettings(api_key='***', rate_limit={self.rate_limit}, "
            f"fault_rate={self.fault_rate}, bulk_delay={self.bulk_delay}, seed={self.seed})"
        )
