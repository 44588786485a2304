"""The typed page decoders read exactly what the generic JSON reading reads, faster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.activecampaign import wire

FIXTURES = Path(__file__).parent / "fixtures" / "activecampaign"


def recorded_body(name: str) -> bytes:
    return json.dumps(json.loads((FIXTURES / name).read_text())["response"]["body"]).encode()


def generic_contacts(raw: bytes) -> wire.Page[wire.ContactValues]:
    """The reference: ``json.loads`` and parse's helpers, as every page was read before
    (side-loaded ``fieldValues``: a list when the answer has the key, else None)."""
    body = wire.json_value(raw)
    side = body.get("fieldValues") if isinstance(body, dict) else None
    values = None
    if side is not None:
        values = [
            (wire.as_id(v.get("contact")), wire.as_id(v.get("field")), wire.text(v.get("value")))
            for v in wire.items(body, "fieldValues")
        ]
    return wire.Page(
        [wire.contact_values(c) for c in wire.items(body, "contacts")], wire.total(body), values
    )


def generic_field_values(raw: bytes) -> wire.Page[wire.FieldValueRow]:
    body = wire.json_value(raw)
    rows = [
        (wire.as_id(v.get("contact")), wire.as_id(v.get("field")), wire.text(v.get("value")))
        for v in wire.items(body, "fieldValues")
    ]
    return wire.Page(rows, wire.total(body))


@pytest.fixture
def typed_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if a page falls back to the generic (slow) reading."""

    def refuse(*args: object) -> None:
        raise AssertionError("fell back to generic decoding")

    monkeypatch.setattr(wire, "_generic", refuse)


def test_real_contacts_page_is_read_by_the_typed_decoder(typed_only: None) -> None:
    raw = recorded_body("contacts_list__200__3.json")
    page = wire.contacts(raw)
    assert page.items, "the recording lists contacts"
    cid, email, *_ = page.items[0]
    assert cid.isdigit() and "@" in email and email == email.lower()
    assert page.total == len(page.items)


def test_real_field_values_page_is_read_by_the_typed_decoder(typed_only: None) -> None:
    page = wire.field_values(recorded_body("fieldValues_list__200__4.json"))
    assert page.items[0] == ("216", "137", "Text field value")


@pytest.mark.parametrize(
    "name",
    ["contacts_list__200__2.json", "contacts_list__200__3.json", "contacts_get__200__1.json"],
)
def test_recorded_contact_answers_read_as_before(name: str) -> None:
    raw = recorded_body(name)
    assert wire.contacts(raw) == generic_contacts(raw)


def test_values_are_normalised_like_the_rest_of_the_product() -> None:
    raw = json.dumps(
        {
            "contacts": [
                {"id": 7, "email": " Ann@Example.COM ", "firstName": "", "lastName": None},
                {
                    "id": "8",
                    "email": "bo@example.com",
                    "phone": 5551234,
                    "udate": "2026-11-30T10:00:00-05:00",
                },
            ],
            "meta": {"total": "2"},
        }
    ).encode()
    assert wire.contacts(raw) == wire.Page(
        [
            ("7", "ann@example.com", None, None, None, None),
            ("8", "bo@example.com", None, None, "5551234", "2026-11-30T10:00:00-05:00"),
        ],
        2,
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"<html>Not Found</html>",
        b'{"contacts": [1, {"id": "2", "email": "a@b.co"}]}',  # junk entry: dropped
        b'{"contacts": [{"id": {"nested": 1}, "email": "a@b.co"}]}',
        b'{"contacts": null, "meta": []}',
        b'{"contacts": [{"id": "3", "email": "c@d.co", "firstName": NaN}]}',
        b'{"contacts": [{"id": "\\ud800", "email": "e@f.co"}]}',
        b'{"contacts": [], "meta": {"total": Infinity}}',  # a total that is no integer
        b'{"contacts": [], "meta": {"total": "1e999"}}',
        b"[" * 100_000,
    ],
)
def test_answers_that_do_not_fit_the_schema_read_as_before(raw: bytes) -> None:
    assert wire.contacts(raw) == generic_contacts(raw)
    assert wire.field_values(raw) == generic_field_values(raw)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.text(max_size=12),
)
junk: st.SearchStrategy[Any] = st.one_of(scalars, st.lists(scalars, max_size=2))
values = st.one_of(scalars, scalars, scalars, junk, st.dictionaries(st.text(max_size=3), scalars))


def entries(keys: list[str]) -> st.SearchStrategy[Any]:
    record = st.fixed_dictionaries(
        {},
        optional={
            **{k: values for k in keys},
            "links": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
            "cdate": st.text(max_size=5),
        },
    )
    return st.one_of(record, record, record, junk)


def bodies(key: str, keys: list[str]) -> st.SearchStrategy[bytes]:
    body = st.fixed_dictionaries(
        {},
        optional={
            key: st.one_of(st.lists(entries(keys), max_size=4), junk),
            "meta": st.one_of(st.fixed_dictionaries({}, optional={"total": values}), junk),
            "scoreValues": st.lists(scalars, max_size=2),
        },
    )
    encoded = st.builds(
        lambda b, ascii_only: json.dumps(b, ensure_ascii=ascii_only).encode(), body, st.booleans()
    )
    return st.one_of(encoded, encoded, encoded, st.binary(max_size=20))


@settings(max_examples=400, deadline=None)
@given(bodies("contacts", ["id", "email", "firstName", "lastName", "phone"]))
def test_contacts_pages_decode_as_generic_json_does(raw: bytes) -> None:
    assert wire.contacts(raw) == generic_contacts(raw)


@settings(max_examples=400, deadline=None)
@given(bodies("fieldValues", ["contact", "field", "value"]))
def test_field_value_pages_decode_as_generic_json_does(raw: bytes) -> None:
    assert wire.field_values(raw) == generic_field_values(raw)
