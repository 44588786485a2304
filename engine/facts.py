"""Account facts: what reading, writing and ``sync doctor`` found out about an account.

Stored with the account's list state (:meth:`engine.state.lists.ListState.put_fact`), as
strings, and read back by later runs to choose their strategy. A fact never measured is
absent: the product then does what is safe without it.
"""

from __future__ import annotations

from collections.abc import Mapping

SIDELOAD_FACT = "include_field_values"
"""The ``include=fieldValues`` verdict (``read.sideload``)."""
UPDATED_AFTER_FACT = "updated_after_granularity"
"""Whether ``filters[updated_after]`` compares the instant or only the date (``sync
doctor`` measures it; "instant" shortens an incremental read's overlap to an hour)."""
LIST_STATUS_FACT = "status_with_listid"
"""What ``status`` does with ``listid`` on ``GET /contacts`` (``sync doctor``): "list" as
assumed, or "ignored" — then no list of the account can be read by status, and plans stop."""
ID_RANGES_FACT = "total_counts_id_ranges"
"""Whether ``meta.total`` counts ``id_greater``/``id_less`` on the account (``read.lists``)."""

FAILURE_BASE_FACT = "bulk_failure_position_base"
"""Where a refused bulk import's ``failureReasons[].contact`` counts from: "1" (assumed)
or "0" (``sync doctor --write``); the writer names the contact it rejects by it."""
BULK_RESUBSCRIBES_FACT = "bulk_import_resubscribes"
"""Whether bulk import subscribes a contact unsubscribed from the list: "no" (as
documented) or "yes" (``sync doctor --write``)."""
RESENT_UNSUBSCRIBE_FACT = "resent_unsubscribe_date"
"""What a re-sent unsubscribe does to the contactList's unsubscribe date: "kept" (as
assumed) or "moved" — then re-entries cannot be confirmed and are skipped."""
UDATE_FACTS = {
    "field": "udate_bumped_by_field_value",
    "tag": "udate_bumped_by_tag",
    "status": "udate_bumped_by_list_status",
}
"""Per kind of write, whether it moves a contact's ``udate``: "yes" or "no" (``sync doctor
--write``). Incremental reads find value and tag changes by ``udate``."""

YES, NO = "yes", "no"
ONE_BASED, ZERO_BASED = "1", "0"
KEPT, MOVED = "kept", "moved"

UNCONFIRMABLE = (
    "unsubscribed (removed by sync earlier, but sync doctor found that a re-sent "
    "unsubscribe moves its date on this account, so it cannot be told from their own; "
    "add them back by hand if they asked to be)"
)
"""Why someone sync removed, back in the segments, is skipped on such an account."""


def failure_base(facts: Mapping[str, object]) -> int:
    """0 where ``failureReasons[].contact`` was measured 0-based, else 1."""
    return 0 if facts.get(FAILURE_BASE_FACT) == ZERO_BASED else 1


def reentry_confirmable(facts: Mapping[str, object]) -> bool:
    """False where a re-sent unsubscribe moves its date: someone's own unsubscribe, re-sent
    by a stale removal, would then look like the product's."""
    return facts.get(RESENT_UNSUBSCRIBE_FACT) != MOVED


def unseen_writes(
    facts: Mapping[str, object], *, values: bool = True, tags: bool = True
) -> tuple[str, ...]:
    """The writes measured not to move ``udate`` that an incremental read of a list would
    miss: a custom field value where it maps ``values``, a tag where it maps ``tags``; a
    list status is found by the status counts whatever ``udate`` does."""
    relevant = (("field", values), ("tag", tags))
    return tuple(k for k, read in relevant if read and facts.get(UDATE_FACTS[k]) == NO)


def write_probes_ran(facts: Mapping[str, object]) -> bool:
    """Whether ``sync doctor --write`` measured what incremental reads rely on."""
    return all(UDATE_FACTS[k] in facts for k in ("field", "tag"))
