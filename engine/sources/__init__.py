"""Segment sources: run segment queries read-only and turn their rows into desired state.

``desired_state(project, export)`` is the entry point; ``open_reader`` opens one source
connection for other uses (e.g. previewing a segment). See ``desired.py`` for the rules.
"""

from __future__ import annotations

from .base import CHUNK_ROWS, QueryError, Reader, Result
from .desired import desired_state
from .open import open_reader

__all__ = ["CHUNK_ROWS", "QueryError", "Reader", "Result", "desired_state", "open_reader"]
