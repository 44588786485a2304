"""Reading one list's current state for the plan: read-only (GET requests only).

:func:`read_list` (:mod:`.members`) reads members by status, tags and the removal marker;
:mod:`.values` reads custom field values the cheaper documented way; :mod:`.streams` runs
the independent paged streams and counts progress.
"""

from __future__ import annotations

from .members import read_list

__all__ = ["read_list"]
