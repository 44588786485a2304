"""How a database value becomes the string ActiveCampaign stores: what makes plans converge.

ActiveCampaign keeps every contact value as a string. A plan compares the desired string
with the stored one, so the same warehouse value must always give the same string, whatever
the source (DuckDB, SQLite, PostgreSQL, any SQL database) and the column type, or every run
would show changes that are not changes. The rules, in one place:

======================  =====================================  ==============================
value (Python type)     string sent                            why
======================  =====================================  ==============================
``None``                ``None`` ("unknown")                   a NULL never means "erase"
``str``                 trimmed; ``""`` after trimming ->      blanks are not values
                        ``None``
``bool``                ``"1"`` / ``"0"``                      ActiveCampaign's own spelling
                                                               of flags; SQLite has no
                                                               boolean and stores 1/0, so
                                                               every source agrees
``int``                 plain digits, ``"-12"``
``Decimal``             no exponent, no trailing zeros:        ``DECIMAL(12,2)`` 1.50 and a
                        ``1.50`` -> ``"1.5"``, ``100.00`` ->   REAL 1.5 (SQLite) give the
                        ``"100"``, ``-0.00`` -> ``"0"``        same string: no 1.50/1.5 flap
``float``               shortest round-trip digits, then as    ``1.0`` -> ``"1"``,
                        for ``Decimal``                        ``1e-7`` -> ``"0.0000001"``
NaN, +-infinity         ``None``                               not a value anyone can use
``date``                ``YYYY-MM-DD``                         ActiveCampaign date fields
``datetime`` (naive)    ``YYYY-MM-DD HH:MM:SS``                SQLite's own text form, so
                                                               text and typed timestamps agree
``datetime`` (aware)    converted to UTC,                      one instant, one string
                        ``YYYY-MM-DD HH:MM:SS+00:00``
``time``                ``HH:MM:SS``
``timedelta``           ``[-]HH:MM:SS``; hours may pass 24:    MySQL/MariaDB ``TIME`` (and
                        1 day 2 h -> ``"26:00:00"``            intervals): 09:05 is spelled
                                                               as a ``time`` value's
``set``, ``frozenset``  as ``list``, items sorted              MySQL ``SET``: one spelling
``list`` / ``tuple``    ``||a||b||`` of the formatted items    ActiveCampaign's multi-value
                        (``None`` items dropped; empty ->      form (checkbox, listbox)
                        ``None``)
``dict`` (STRUCT, MAP,  compact JSON, keys sorted              one spelling per value
JSON object)
``bytes``               UTF-8 text, trimmed (hex if not        rare; never a crash
                        UTF-8)
anything else           ``str(value)``, trimmed (UUID, ...)
======================  =====================================  ==============================

Sub-second parts of times are dropped: ActiveCampaign date-time fields hold seconds.
Emails are not formatted here; :mod:`engine.emails` owns them. Phones are strings like any
other (trimmed, otherwise verbatim: ActiveCampaign stores phones as sent).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

Formatter = Callable[[object], "str | None"]


def format_value(value: object) -> str | None:
    """The string ActiveCampaign stores for ``value``; ``None`` means unknown (see module doc)."""
    if value is None:
        return None
    return formatter_for(type(value))(value)


def formatter_for(kind: type) -> Formatter:
    """The formatter for values of type ``kind``: lets hot loops skip the dispatch per value."""
    found = _BY_TYPE.get(kind)
    if found is not None:
        return found
    for base, formatter in _BY_BASE:
        if issubclass(kind, base):
            return formatter
    return _format_other


def _format_str(value: object) -> str | None:
    return str(value).strip() or None


def _format_bool(value: object) -> str | None:
    return "1" if value else "0"


def _format_int(value: object) -> str | None:
    return str(int(value))  # type: ignore[call-overload]


def _format_decimal(value: object) -> str | None:
    assert isinstance(value, Decimal)
    text = str(value)
    if "E" in text or not value.is_finite():  # exponent form, NaN, Infinity: the slow way
        return _format_decimal_slow(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _format_decimal_slow(value: Decimal) -> str | None:
    if not value.is_finite():
        return None
    if value == value.to_integral_value():
        return str(int(value))  # also turns 1E+2 into 100
    return format(value, "f").rstrip("0")


def _format_float(value: object) -> str | None:
    assert isinstance(value, float)
    if not math.isfinite(value):
        return None
    text = repr(value)  # the shortest string that reads back as the same float
    if "e" in text:
        return _format_decimal_slow(Decimal(text))
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _format_date(value: object) -> str | None:
    assert isinstance(value, dt.date)
    return value.isoformat()


def _format_datetime(value: object) -> str | None:
    assert isinstance(value, dt.datetime)
    if value.tzinfo is not None and value.utcoffset() is not None:
        value = value.astimezone(dt.UTC)
    if value.microsecond:
        value = value.replace(microsecond=0)
    return value.isoformat(sep=" ")


def _format_time(value: object) -> str | None:
    assert isinstance(value, dt.time)
    return value.replace(microsecond=0, tzinfo=None).isoformat()


def _format_timedelta(value: object) -> str | None:
    assert isinstance(value, dt.timedelta)
    seconds = int(value.total_seconds())  # towards zero: sub-seconds dropped
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _format_set(value: object) -> str | None:
    assert isinstance(value, set | frozenset)
    return _format_sequence(sorted(value, key=lambda item: format_value(item) or ""))


def _format_sequence(value: object) -> str | None:
    assert isinstance(value, list | tuple)
    items = [text for text in map(format_value, value) if text is not None]
    return "||" + "||".join(items) + "||" if items else None


def _format_mapping(value: object) -> str | None:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _format_bytes(value: object) -> str | None:
    raw = bytes(value)  # type: ignore[call-overload]
    try:
        return raw.decode("utf-8").strip() or None
    except UnicodeDecodeError:
        return raw.hex() or None


def _format_other(value: object) -> str | None:
    return str(value).strip() or None


_BY_TYPE: dict[type, Formatter] = {
    str: _format_str,
    bool: _format_bool,
    int: _format_int,
    Decimal: _format_decimal,
    float: _format_float,
    dt.datetime: _format_datetime,
    dt.date: _format_date,
    dt.time: _format_time,
    dt.timedelta: _format_timedelta,
    list: _format_sequence,
    tuple: _format_sequence,
    set: _format_set,
    frozenset: _format_set,
    dict: _format_mapping,
    bytes: _format_bytes,
    bytearray: _format_bytes,
    memoryview: _format_bytes,
    UUID: _format_other,
}

# Subclasses (order matters: bool before int, datetime before date).
_BY_BASE: tuple[tuple[type, Formatter], ...] = (
    (bool, _format_bool),
    (str, _format_str),
    (int, _format_int),
    (Decimal, _format_decimal),
    (float, _format_float),
    (dt.datetime, _format_datetime),
    (dt.date, _format_date),
    (dt.time, _format_time),
    (dt.timedelta, _format_timedelta),
    (list, _format_sequence),
    (tuple, _format_sequence),
    (dict, _format_mapping),
)
