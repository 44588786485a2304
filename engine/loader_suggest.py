""" "Did you mean ...?" suggestions for near-miss keys and names (difflib)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word`` (case-insensitive), if one is close enough."""
    options = {str(c).lower(): str(c) for c in candidates}
    matches = difflib.get_close_matches(word.lower(), list(options), n=1, cutoff=0.6)
    return options[matches[0]] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` or an empty string."""
    match = closest(word, candidates)
    return f"; did you mean '{match}'?" if match else ""
