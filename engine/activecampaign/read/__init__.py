"""Reading one list's current state for the plan: read-only (GET requests only).

:func:`read_list_state` (:mod:`.lists`) reads a list in full or, from its snapshot, only
what changed since; :func:`read_list` is a full read the documented way. :mod:`.members`
has the paged streams (and the cost of a full read), :mod:`.values` the documented ways to
read custom field values, :mod:`.sideload` the verified ``include=fieldValues``, and
:mod:`.streams` runs independent streams at once and counts progress.
"""

from __future__ import annotations

from .lists import ReadResult, read_list, read_list_state

__all__ = ["ReadResult", "read_list", "read_list_state"]
