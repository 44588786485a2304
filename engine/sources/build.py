"""The desired-state builder: rows in, de-duplicated contacts out (rules: ``desired.py``).

This is the hot loop of a million-row export, written for speed and memory:

- one :class:`Contact` (slots) per person and nothing else per row: no per-row dicts;
- every mapped column has a bounded memo, raw value -> formatted value (for custom
  fields, the whole ``(PERSTAG, value)`` pair), so the values a column repeats (countries,
  dates, first names, flags) are formatted once and stored once, shared by every contact.
  It is sound because values that compare equal format alike (``True == 1 == 1.0`` all
  give ``"1"``; ``Decimal("1.50") == 1.5`` both give ``"1.5"``);
- the first row of each contact is remembered as one packed int in an ``array`` in the
  contacts' insertion order; the few conflicts that need it look it up at the end.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time
from decimal import Decimal
from itertools import repeat
from typing import Any

from engine.contacts import (
    FIELD_PREFIX,
    STANDARD_FIELDS,
    Conflict,
    Contact,
    DesiredState,
    InvalidRow,
)
from engine.emails import email_problem, is_valid, normalise_email
from engine.values import format_value, formatter_for

MEMO_LIMIT = 20_000  # distinct values remembered per column: bounds the memo's memory
_ROW_BITS = 40  # origin = segment index << 40 | row number (a segment of < 10**12 rows)
_FIRST_ROW = -1  # in a pending conflict: "the contact's first row", looked up at the end


class Memo(dict[Any, Any]):
    """Raw value -> formatted value (or ``(tag, value)`` pair), up to ``MEMO_LIMIT`` entries.

    A column whose values keep missing once the memo is full (timestamps, amounts) is
    switched to ``direct`` formatting: the memo would only cost a lookup per value.
    """

    def __init__(self, tag: str | None = None) -> None:
        super().__init__()
        self.tag = tag
        self.direct = False
        self.misses_when_full = 0

    def __missing__(self, raw: Any) -> Any:
        text = format_value(raw)
        made = text if self.tag is None else (self.tag, text)
        if len(self) < MEMO_LIMIT:
            self[raw] = made
        else:
            self.misses_when_full += 1
            self.direct = self.misses_when_full > MEMO_LIMIT
        return made


@dataclass(frozen=True, slots=True)
class Layout:
    """Positions of the mapped values in one segment's rows (-1: not mapped)."""

    segment: str
    index: int  # the segment's position in the export
    email: int
    names: tuple[int, int, int]  # first_name, last_name, phone
    fields: tuple[tuple[str, int], ...]  # (PERSTAG, position), sorted by perstag
    key: tuple[str, int] | None = None  # the segment's key column: (name, position)

    @classmethod
    def of(
        cls,
        segment: str,
        index: int,
        positions: Mapping[str, int],
        key: tuple[str, int] | None = None,
    ) -> Layout:
        first, last, phone = (positions.get(key, -1) for key in STANDARD_FIELDS)
        fields = sorted(
            (key.removeprefix(FIELD_PREFIX), pos)
            for key, pos in positions.items()
            if key.startswith(FIELD_PREFIX)
        )
        email = positions["email"]
        return cls(segment, index, email, (first, last, phone), tuple(fields), key)


@dataclass(slots=True)
class _Pending:
    """A conflict whose kept value's origin may still be 'the first row' (see ``build``)."""

    email: str
    name: str
    kept: str | None
    kept_from: int
    dropped: str | None
    dropped_from: int


@dataclass(slots=True)
class Builder:
    """Accumulates rows, segment after segment, into a :class:`DesiredState`."""

    tags: frozenset[str]
    rows_read: int = 0
    _contacts: dict[str, Contact] = field(default_factory=dict)
    _first_rows: array[int] = field(default_factory=lambda: array("q"))  # insertion order
    _filled: dict[tuple[str, str], int] = field(default_factory=dict)  # origin of each fill
    _invalid: list[InvalidRow] = field(default_factory=list)
    _pending: list[_Pending] = field(default_factory=list)
    _segments: dict[int, str] = field(default_factory=dict)
    _rows: dict[int, int] = field(default_factory=dict)  # segment index -> rows read
    _memos: dict[str, Memo] = field(default_factory=dict)  # plan field -> memo

    def add(self, layout: Layout, rows: Sequence[Sequence[Any]]) -> None:
        """Add one chunk of ``layout.segment``'s rows (chunks in order).

        Column by column (``zip(*rows)``, ``map``) so the per-value work runs in C where it
        can; the one loop in Python is the de-duplication.
        """
        if not rows:
            return
        self._segments[layout.index] = layout.segment
        start = self._rows.get(layout.index, 0)
        self._rows[layout.index] = start + len(rows)
        self.rows_read += len(rows)
        columns = list(zip(*rows, strict=True))
        raw_emails = columns[layout.email]
        emails = [
            raw.strip().lower() if raw.__class__ is str else normalise_email(raw) or ""
            for raw in raw_emails
        ]
        names = [
            self._column(key, None, columns, at)
            for key, at in zip(STANDARD_FIELDS, layout.names, strict=True)
        ]
        pairs = [self._column(f"fields.{tag}", tag, columns, at) for tag, at in layout.fields]
        made = map(
            Contact,
            emails,
            *names,
            zip(*pairs, strict=True) if pairs else repeat(()),
            repeat(self.tags),
        )
        contacts, first_rows, base = self._contacts, self._first_rows, layout.index << _ROW_BITS
        for offset, (email, valid, contact) in enumerate(
            zip(emails, map(is_valid, emails), made, strict=True), start + 1
        ):
            if valid is None:
                at = offset - start - 1
                key = None if layout.key is None else (layout.key[0], columns[layout.key[1]][at])
                self._reject(layout.segment, offset, raw_emails[at], email, key)
                continue
            kept = contacts.setdefault(email, contact)
            if kept is contact:
                first_rows.append(base | offset)
            else:
                self._merge(kept, contact, base | offset)

    def _column(self, key: str, tag: str | None, columns: list[Any], at: int) -> Iterable[Any]:
        """One mapped column of a chunk, formatted (as ``(tag, value)`` pairs for fields)."""
        if at < 0:
            return repeat(None)
        memo = self._memos.get(key)
        if memo is None:
            memo = self._memos[key] = Memo(tag)
        values = columns[at]
        if not memo.direct:
            try:
                return list(map(memo.__getitem__, values))
            except TypeError:  # an unhashable value (an array column): no memo for it
                memo.direct = True
        texts = _format_column(values)
        return texts if tag is None else list(zip(repeat(tag), texts))

    def _reject(
        self, segment: str, row: int, raw: object, email: str, key: tuple[str, Any] | None
    ) -> None:
        if raw is not None and not isinstance(raw, str):
            problem: str | None = f"invalid email: {_not_text(raw)}"
        else:
            problem = email_problem(email) if email else "missing email"
        raw_text = None if raw is None else str(raw)
        shown = None if key is None else f"{key[0]}={format_value(key[1])}"
        invalid = InvalidRow(segment, row, raw_text, problem or "invalid email", shown)
        self._invalid.append(invalid)

    def _merge(self, kept: Contact, new: Contact, origin: int) -> None:
        """Same person again: fill unknown values, report differing known ones."""
        updates: dict[str, Any] = {}
        for name in STANDARD_FIELDS:
            value = self._settle(kept.email, name, getattr(kept, name), getattr(new, name), origin)
            if value is not None:
                updates[name] = value
        fields = dict(kept.fields)
        filled = False
        for tag, value in new.fields:
            fill = self._settle(kept.email, f"fields.{tag}", fields.get(tag), value, origin)
            if fill is not None:
                fields[tag], filled = fill, True
        if filled:
            updates["fields"] = Contact.make_fields(fields)
        if updates:
            self._contacts[kept.email] = replace(kept, **updates)

    def _settle(
        self, email: str, name: str, kept: str | None, new: str | None, origin: int
    ) -> str | None:
        """The value to fill in (``None``: keep as is); records a conflict when they differ."""
        if new is None or kept == new:
            return None
        if kept is None:
            self._filled[(email, name)] = origin
            return new
        kept_from = self._filled.get((email, name), _FIRST_ROW)
        self._pending.append(_Pending(email, name, kept, kept_from, new, origin))
        return None

    def _where(self, origin: int) -> str:
        row = origin & ((1 << _ROW_BITS) - 1)
        return f"{self._segments[origin >> _ROW_BITS]}:{row}"

    def _conflicts(self) -> tuple[Conflict, ...]:
        """Resolve 'first row' origins with one pass over the contacts, only if needed."""
        wanted = {p.email for p in self._pending if p.kept_from == _FIRST_ROW}
        first: dict[str, int] = {}
        if wanted:
            for position, email in enumerate(self._contacts):
                if email in wanted:
                    first[email] = self._first_rows[position]
        return tuple(
            Conflict(
                p.email,
                p.name,
                p.kept,
                self._where(first[p.email] if p.kept_from == _FIRST_ROW else p.kept_from),
                p.dropped,
                self._where(p.dropped_from),
            )
            for p in self._pending
        )

    def build(self) -> DesiredState:
        return DesiredState(
            contacts=self._contacts,
            invalid=tuple(self._invalid),
            conflicts=self._conflicts(),
            rows_read=self.rows_read,
        )


def _not_text(raw: object) -> str:
    """Why a value that is not text is no email: what the email column holds instead."""
    if isinstance(raw, bool):
        kind = "true/false values"
    elif isinstance(raw, int | float | Decimal):
        kind = "numbers"
    elif isinstance(raw, date | time):
        kind = "dates or times"
    elif isinstance(raw, bytes | bytearray | memoryview):
        kind = "bytes"
    else:
        kind = f"{type(raw).__name__} values"
    return f"the email column holds {kind}, not text"


def _format_column(values: Sequence[Any]) -> list[str | None]:
    """Format a column, with one formatter for the whole chunk when it holds one type."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) != 1:
        return list(map(format_value, values))
    formatter = formatter_for(kinds.pop())
    if None in values:
        return [None if value is None else formatter(value) for value in values]
    return list(map(formatter, values))
