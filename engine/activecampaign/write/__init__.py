"""Writing ContactWrites to one list: small change sets per contact, the rest by bulk import.

:func:`write_contacts` (:mod:`.writer`) routes the writes; :mod:`.bulk` encodes, batches,
submits and follows bulk imports.
"""

from __future__ import annotations

from .optouts import OptOuts
from .writer import WriteFacts, write_contacts

__all__ = ["OptOuts", "WriteFacts", "write_contacts"]
