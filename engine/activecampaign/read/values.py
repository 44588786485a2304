"""Custom field values of a list's members, the cheaper of two documented ways.

See step 4 of :mod:`engine.activecampaign.read.members`' docstring: after the first page of each
mapped field has told its total, the rest is read by field (``GET /fieldValues``, the whole
account's values) or by member (``GET /contacts/{id}/fieldValues``, every field of one
contact), whichever takes fewer requests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.lookup import PAGE, offset_pages
from engine.activecampaign.wire import FieldValueRow

from .streams import Pages, Shared, for_each, run, share_value

FieldValues = dict[str, str | None]
"""Contact id -> value of one custom field."""


def first_values(
    client: Client, field_id: str, pages: Pages, shared: Shared
) -> tuple[FieldValues, int | None]:
    """The first page of a field's values, and how many pages remain after it (0: none;
    None: unknown, when a full page came without ``meta.total``)."""
    page = client.get_as(
        "fieldValues",
        wire.field_values,
        kind="field_values",
        params={"filters[fieldid]": field_id, "limit": PAGE, "offset": 0},
    )
    pages.tick(f"values:{field_id}")
    values: FieldValues = {}
    _take(values, page.items, field_id, shared)
    if len(page.items) < PAGE:
        return values, 0
    total = page.total
    return values, (max(0, math.ceil(total / PAGE) - 1) if total is not None else None)


BY_FIELD = "by field"
BY_MEMBER = "by member"


def read_values(
    client: Client,
    fields: Mapping[str, str],
    first: Mapping[str, tuple[FieldValues, int | None]],
    members: Sequence[str],
    pages: Pages,
    shared: Shared,
    workers: int,
) -> tuple[dict[str, FieldValues], str]:
    """Every mapped field's values (perstag -> contact id -> value) for ``members``, the
    cheaper way, and which it was (:data:`BY_FIELD` or :data:`BY_MEMBER`); ``first`` holds
    each field's :func:`first_values`."""
    remaining = [left for _, left in first.values()]
    if None not in remaining and len(members) < sum(r or 0 for r in remaining):
        for field_id in fields.values():  # their first pages are all there is of them
            pages.expect(f"values:{field_id}", 1)
        pages.expect("by-member", len(members))
        return _values_by_member(client, fields, members, pages, shared, workers), BY_MEMBER
    for perstag, (_, left) in first.items():
        pages.expect(f"values:{fields[perstag]}", None if left is None else 1 + left)
    more = [p for p, (_, left) in first.items() if left != 0]
    found = run(
        {p: partial(_rest_of_field, client, fields[p], first[p][0], pages, shared) for p in more},
        workers,
    )
    return {p: found.get(p, first[p][0]) for p in fields}, BY_FIELD


def _rest_of_field(
    client: Client, field_id: str, values: FieldValues, pages: Pages, shared: Shared
) -> FieldValues:
    """A field's values after its first page (``GET /fieldValues``, offset paging)."""
    params = {"filters[fieldid]": field_id}
    for page in offset_pages(
        client, "fieldValues", wire.field_values, kind="field_values", params=params, start=PAGE
    ):
        pages.tick(f"values:{field_id}")
        _take(values, page, field_id, shared)
    return values


def _take(values: FieldValues, page: list[FieldValueRow], field_id: str, shared: Shared) -> None:
    share = partial(share_value, shared)  # a hot loop
    for contact, field, value in page:
        if field in ("", field_id):
            values[contact] = share(value)


def _values_by_member(
    client: Client,
    fields: Mapping[str, str],
    members: Sequence[str],
    pages: Pages,
    shared: Shared,
    workers: int,
) -> dict[str, FieldValues]:
    """``GET /contacts/{id}/fieldValues`` for each member: every mapped field at once."""
    perstag_of = {field_id: perstag for perstag, field_id in fields.items()}
    columns: dict[str, FieldValues] = {p: {} for p in fields}

    def one(cid: str) -> None:
        page = client.get_as(
            f"contacts/{cid}/fieldValues", wire.field_values, kind="contact_field_values"
        )
        pages.tick("by-member")
        for _, field, value in page.items:
            perstag = perstag_of.get(field)
            if perstag is not None:
                columns[perstag][cid] = share_value(shared, value)

    for_each(one, list(dict.fromkeys(members)), workers)
    return columns
