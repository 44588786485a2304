"""Custom field values of a list's members, the cheaper of two documented ways.

See step 4 of ``engine.activecampaign.reader``'s docstring: after the first page of each
mapped field has told its total, the rest is read by field (``GET /fieldValues``, the whole
account's values) or by member (``GET /contacts/{id}/fieldValues``, every field of one
contact), whichever takes fewer requests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from . import parse
from .client import Client
from .lookup import PAGE, offset_pages
from .streams import Pages, Shared, for_each, run, share_value

FieldValues = dict[str, str | None]
"""Contact id -> value of one custom field."""


def first_values(
    client: Client, field_id: str, pages: Pages, shared: Shared
) -> tuple[FieldValues, int | None]:
    """The first page of a field's values, and how many pages remain after it (0: none;
    None: unknown, when a full page came without ``meta.total``)."""
    body = client.get(
        "fieldValues",
        kind="field_values",
        params={"filters[fieldid]": field_id, "limit": PAGE, "offset": 0},
    )
    pages.tick()
    page = parse.items(body, "fieldValues")
    values: FieldValues = {}
    _take(values, page, field_id, shared)
    if len(page) < PAGE:
        return values, 0
    total = parse.total(body)
    return values, (max(0, math.ceil(total / PAGE) - 1) if total is not None else None)


def read_values(
    client: Client,
    fields: Mapping[str, str],
    done: Mapping[str, Any],
    members: Sequence[str],
    pages: Pages,
    shared: Shared,
    workers: int,
) -> dict[str, FieldValues]:
    """Every mapped field's values (``field:PERSTAG`` -> contact id -> value), the cheaper
    way; ``done`` holds each field's :func:`first_values` under ``field:PERSTAG``."""
    first: dict[str, tuple[FieldValues, int | None]] = {p: done[f"field:{p}"] for p in fields}
    remaining = [left for _, left in first.values()]
    if None not in remaining and len(members) < sum(r or 0 for r in remaining):
        pages.expect("by-member", len(members))
        return _values_by_member(client, fields, members, pages, shared, workers)
    more = [p for p, (_, left) in first.items() if left != 0]
    found = run(
        {p: partial(_rest_of_field, client, fields[p], first[p][0], pages, shared) for p in more},
        workers,
    )
    return {f"field:{p}": found.get(p, first[p][0]) for p in fields}


def _rest_of_field(
    client: Client, field_id: str, values: FieldValues, pages: Pages, shared: Shared
) -> FieldValues:
    """A field's values after its first page (``GET /fieldValues``, offset paging)."""
    params = {"filters[fieldid]": field_id}
    for page in offset_pages(
        client, "fieldValues", "fieldValues", kind="field_values", params=params, start=PAGE
    ):
        pages.tick()
        _take(values, page, field_id, shared)
    return values


def _take(values: FieldValues, page: list[parse.JSONObject], field_id: str, shared: Shared) -> None:
    as_id, text, share = parse.as_id, parse.text, partial(share_value, shared)  # a hot loop
    for raw in page:
        if as_id(raw.get("field")) in ("", field_id):
            values[as_id(raw.get("contact"))] = share(text(raw.get("value")))


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
        body = client.get(f"contacts/{cid}/fieldValues", kind="contact_field_values")
        pages.tick()
        for raw in parse.items(body, "fieldValues"):
            perstag = perstag_of.get(parse.as_id(raw.get("field")))
            if perstag is not None:
                columns[perstag][cid] = share_value(shared, parse.text(raw.get("value")))

    for_each(one, list(dict.fromkeys(members)), workers)
    return {f"field:{p}": column for p, column in columns.items()}
