"""The pre-encoded page records are exactly what json.dumps of the dict renderers gives."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.activecampaign.sandbox import encode, render

BASES = ("https://sandbox/api/3", "http://127.0.0.1:8765/api/3")
ids = st.integers(min_value=1, max_value=10**12)
seconds = st.floats(min_value=0, max_value=4_000_000_000, allow_nan=False)
texts = st.text(max_size=30)  # any code point: quotes, backslashes, %, control, non-ASCII


def row(**values: Any) -> sqlite3.Row:
    return cast(sqlite3.Row, values)


def slow(renderer: encode.Renderer, values: sqlite3.Row, base: str) -> str:
    return json.dumps(renderer(values, base), separators=(",", ":"))


@settings(max_examples=300, deadline=None)
@given(
    ids,
    texts,
    st.none() | texts,
    texts,
    texts,
    st.sampled_from(["", "ACME %s"]) | texts,
    seconds,
    seconds,
    st.sampled_from(BASES),
)
def test_a_listed_contact_is_encoded_as_the_dict_renderer_says(
    cid: int,
    email: str,
    phone: str | None,
    first: str,
    last: str,
    orgname: str,
    cdate: float,
    udate: float,
    base: str,
) -> None:
    values = row(
        id=cid,
        email=email,
        phone=phone,
        first_name=first,
        last_name=last,
        orgname=orgname,
        cdate=cdate,
        udate=udate,
    )
    assert encode.contact_in_list(values, base) == slow(render.contact_in_list, values, base)


@settings(max_examples=200, deadline=None)
@given(ids, ids, ids, st.none() | texts | st.integers(), seconds, seconds, st.sampled_from(BASES))
def test_a_field_value_is_encoded_as_the_dict_renderer_says(
    fid: int, contact_id: int, field_id: int, value: object, c: float, u: float, base: str
) -> None:
    values = row(id=fid, contact_id=contact_id, field_id=field_id, value=value, cdate=c, udate=u)
    assert encode.field_value(values, base) == slow(render.field_value, values, base)


def test_rows_the_templates_do_not_cover_take_the_slow_way() -> None:
    odd = row(
        id="12", email="a@b.c", phone="", first_name="", last_name="", orgname=None, cdate=1.0,
        udate=2.0,
    )  # fmt: skip
    assert encode.contact_in_list(odd, BASES[0]) == slow(render.contact_in_list, odd, BASES[0])
    value = row(id=3, contact_id="4", field_id=5, value="x", cdate=1.0, udate=2.0)
    assert encode.field_value(value, BASES[0]) == slow(render.field_value, value, BASES[0])


def test_a_page_splices_encoded_members_into_the_object() -> None:
    items = [encode.dumps({"id": "1"}), encode.dumps({"id": "2"})]
    text = encode.obj(
        [("scoreValues", []), ("contacts", None), ("meta", {"total": "2"})],
        {"contacts": encode.array(items)},
    )
    assert json.loads(text) == {
        "scoreValues": [],
        "contacts": [{"id": "1"}, {"id": "2"}],
        "meta": {"total": "2"},
    }
