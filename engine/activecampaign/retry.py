"""When and how long to wait before trying a request again (SPEC §4).

Transient: 429 (waits as ``Retry-After`` says), the bulk importer's 400 "Rate limit
exceeded.", 502/503/504, timeouts and dropped connections. Everything else is permanent
and never retried.

Retrying *writes* is safe because every write the product makes is idempotent: contacts
are upserted by email (``contact/sync``, bulk import), a list status is *set*
(``contactLists`` status 1 or 2), a tag is *added* (adding it twice leaves one tag), and
deleting the removal-marker contactTag twice answers 404, which the writer reads as done.
A bulk batch sent twice (the first answer was lost) is imported twice with the same
values: the contacts end up exactly as after one import. The one non-idempotent request
(creating a tag) is sent with ``idempotent=False`` and never blindly resent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds for retrying one request.

    ``max_attempts`` bounds tries after 5xx/timeouts/dropped connections; 429s and bulk
    rate-limit answers are bounded by ``max_rate_limited`` waits instead (another
    integration may hold the account for a while); ``deadline`` bounds the whole thing,
    in seconds from the first attempt.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    deadline: float = 300.0
    default_retry_after: float = 5.0
    bulk_rate_limit_wait: float = 15.0
    max_rate_limited: int = 30

    def backoff(self, failures: int, rng: random.Random) -> float:
        """Capped exponential backoff with "equal jitter": half fixed, half random.

        ``failures`` counts from 1. The fixed half keeps a floor under the wait; the random
        half spreads clients that failed together (e.g. one 503 burst) apart.
        """
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (failures - 1))
        return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


def parse_retry_after(raw: str | None, default: float) -> float:
    """Seconds from a ``Retry-After`` header (delta-seconds form); ``default`` otherwise.

    The HTTP-date form is not used by ActiveCampaign as far as anyone recorded; it falls
    back to the default rather than guessing a clock offset.
    """
    if raw is None:
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        return default
    return value if value >= 0 else default
