"""engine.values: database values -> the strings ActiveCampaign stores (rules: module doc)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.values import format_value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("  Ana ", "Ana"),
        ("", None),
        (" \t\n", None),
        ("Zoë", "Zoë"),
        (True, "1"),
        (False, "0"),
        (0, "0"),
        (-12, "-12"),
        (10**20, "100000000000000000000"),
        (Decimal("1.50"), "1.5"),
        (Decimal("100.00"), "100"),
        (Decimal("-0.00"), "0"),
        (Decimal("0.10"), "0.1"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1.5E-7"), "0.00000015"),
        (Decimal("NaN"), None),
        (Decimal("Infinity"), None),
        (1.0, "1"),
        (1.5, "1.5"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (1e-7, "0.0000001"),
        (1e16, "10000000000000000"),
        (float("nan"), None),
        (float("inf"), None),
        (dt.date(2026, 6, 1), "2026-06-01"),
        (dt.datetime(2026, 6, 1, 9, 5, 3), "2026-06-01 09:05:03"),
        (dt.datetime(2026, 6, 1, 9, 5, 3, 999_999), "2026-06-01 09:05:03"),
        (
            dt.datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("America/Chicago")),
            "2026-06-01 14:00:00+00:00",
        ),
        (dt.time(7, 30, 15, 12), "07:30:15"),
        (["a", None, " b "], "||a||b||"),
        ([], None),
        ((1, 2.5), "||1||2.5||"),
        ({"b": 1, "a": [1, "é"]}, '{"a":[1,"é"],"b":1}'),
        (b"  bytes ", "bytes"),
        (b"\xff\x00", "ff00"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
    ],
)
def test_format_value(value: object, expected: str | None) -> None:
    assert format_value(value) == expected


def test_the_same_instant_in_two_zones_is_one_string() -> None:
    utc = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    assert format_value(utc) == format_value(utc.astimezone(ZoneInfo("Asia/Tokyo")))


def test_subclasses_format_like_their_base() -> None:
    class Name(str):
        pass

    class Flag(int):
        pass

    assert format_value(Name(" x ")) == "x"
    assert format_value(Flag(3)) == "3"


decimals = st.decimals(
    allow_nan=False, allow_infinity=False, places=2, min_value=-(10**10), max_value=10**10
)  # DECIMAL(12,2)


@given(decimals)
def test_decimals_have_no_trailing_zeros_no_exponent_and_keep_their_value(value: Decimal) -> None:
    text = format_value(value)
    assert text is not None
    assert "e" not in text.lower()
    assert not ("." in text and text.endswith(("0", ".")))
    assert Decimal(text) == value


@given(decimals)
def test_a_decimal_and_its_float_give_the_same_string(value: Decimal) -> None:
    # SQLite keeps DECIMAL(12,2) as REAL: 12.50 in DuckDB/PostgreSQL is 12.5 in SQLite.
    assert format_value(value) == format_value(float(value))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_read_back_as_the_same_float(value: float) -> None:
    text = format_value(value)
    assert text is not None and "e" not in text.lower()
    assert float(text) == value


@given(st.integers(min_value=-(10**20), max_value=10**20))
def test_ints_are_plain_and_equal_values_format_alike(value: int) -> None:
    assert format_value(value) == str(value)
    assert format_value(Decimal(value)) == str(value)
    assert format_value(Decimal(value).scaleb(0) + Decimal("0.00")) == str(value)


@given(st.text())
def test_strings_are_trimmed_and_blanks_are_unknown(value: str) -> None:
    assert format_value(value) == (value.strip() or None)


@given(st.datetimes(timezones=st.timezones()))
def test_aware_datetimes_are_utc(value: dt.datetime) -> None:
    text = format_value(value)
    assert text is not None
    if value.utcoffset() is not None:
        assert text.endswith("+00:00")
        utc = value.astimezone(dt.UTC).replace(microsecond=0)
        assert dt.datetime.fromisoformat(text) == utc


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.timedelta(hours=9, minutes=5), "09:05:00"),  # MySQL TIME '09:05:00'
        (dt.timedelta(days=1, hours=2, seconds=3, microseconds=9), "26:00:03"),
        (dt.timedelta(hours=-838, minutes=-59, seconds=-59), "-838:59:59"),
        (dt.timedelta(0), "00:00:00"),
        ({"b", "a"}, "||a||b||"),  # MySQL SET: the same string whatever the order
        (frozenset(), None),
    ],
)
def test_mysql_times_and_sets(value: object, text: str | None) -> None:
    assert format_value(value) == text
