"""Fast JSON for the big collection pages (``GET /contacts``, ``GET /fieldValues``).

Reading a 1,000,000-member list pulls ~30,000 pages of 100 records; building each record
as a dict and ``json.dumps``-ing it was most of the sandbox's time. Here each record shape
is encoded *once*, from the very renderer in :mod:`.render` applied to a sample row whose
values are recognisable sentinels, and split into a ``%``-format template whose slots are
those values. A row is then one ``%`` away from its JSON text, which is spliced into the
page. What a client receives is the same text ``json.dumps(render.x(row, base),
separators=(",", ":"))`` gives (same keys, order, values and escaping): the shapes stay
defined in one place, :mod:`.render`.

Rows the templates cannot express exactly (a value that is not text where text is
expected, an empty organisation that is not ``""``) are rendered the slow way.
"""

from __future__ import annotations

import functools
import json
import operator
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from json.encoder import encode_basestring_ascii
from typing import Any, cast

from engine.activecampaign.sandbox import render

SAMPLE_IDS = {
    "id": 7_391_604_825_913,
    "contact_id": 8_264_019_375_102,
    "field_id": 9_502_718_463_028,
}
"""Ids no real row has; their digits mark where a row's ids go (in links too)."""
SAMPLE_CDATE = 1_111_111_111.0
SAMPLE_UDATE = 1_222_222_222.0
TEXT_COLUMNS = ("email", "phone", "first_name", "last_name", "orgname", "value")

Renderer = Callable[[sqlite3.Row, str], dict[str, Any]]


def dumps(value: object) -> str:
    """The JSON text the sandbox sends for any value (compact, ASCII-escaped)."""
    return json.dumps(value, separators=(",", ":"))


def text(value: object) -> str:
    """One value as JSON; strings (the common case) through the C escaper directly."""
    if value.__class__ is str:
        return encode_basestring_ascii(value)
    return dumps(value)


def _sentinel(column: str) -> str:
    return f"\x01{column}\x01"


class Template:
    """The JSON text of one record shape, with ``%s`` where a row's values go.

    Slots: ``id``, ``contact_id``, ``field_id`` (digits, wherever they appear), ``hash``
    (the contact hash, for contacts), each text column (a JSON value: a string or
    ``null``), and the dates as ``cdate``/``udate`` (ISO) and ``cstamp``/``ustamp`` (timestamps).
    """

    def __init__(self, renderer: Renderer, base: str, sample: Mapping[str, object]) -> None:
        encoded = dumps(renderer(cast(sqlite3.Row, sample), base))
        tokens = {str(number): slot for slot, number in SAMPLE_IDS.items()}
        for column in TEXT_COLUMNS:
            tokens[dumps(_sentinel(column))] = column
        if "email" in sample:
            tokens[render.contact_hash(SAMPLE_IDS["id"], _sentinel("email"))] = "hash"
        for slot, seconds in (("c", SAMPLE_CDATE), ("u", SAMPLE_UDATE)):
            tokens[dumps(render.iso(seconds))] = f"{slot}date"
            tokens[dumps(render.stamp(seconds))] = f"{slot}stamp"
        pattern = re.compile("|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)))
        self.slots: tuple[str, ...] = tuple(tokens[m.group()] for m in pattern.finditer(encoded))
        self.format = "%s".join(p.replace("%", "%%") for p in pattern.split(encoded))
        self._pick = operator.itemgetter(*self.slots)

    def fill(self, values: Mapping[str, str]) -> str:
        return self.format % self._pick(values)  # type: ignore[no-any-return]


def _sample(columns: Iterable[str], **fixed: object) -> dict[str, object]:
    row: dict[str, object] = {c: _sentinel(c) for c in columns}
    row.update(SAMPLE_IDS, cdate=SAMPLE_CDATE, udate=SAMPLE_UDATE)
    row.update(fixed)
    return row


CONTACT_COLUMNS = ("email", "phone", "first_name", "last_name")


@functools.lru_cache(maxsize=16)
def _contact_templates(base: str) -> tuple[Template, Template]:
    """``GET /contacts`` records: without an organisation (``orgname ""``) and with one."""
    without = Template(render.contact_in_list, base, _sample(CONTACT_COLUMNS, orgname=""))
    with_org = Template(render.contact_in_list, base, _sample((*CONTACT_COLUMNS, "orgname")))
    return without, with_org


def _dates(row: sqlite3.Row, values: dict[str, str]) -> bool:
    cdate, udate = row["cdate"], row["udate"]
    if not isinstance(cdate, int | float) or not isinstance(udate, int | float):
        return False
    values.update(_date_texts(cdate, udate))
    return True


@functools.lru_cache(maxsize=4096)  # rows written together share their dates
def _date_texts(cdate: float, udate: float) -> dict[str, str]:
    return {
        "cdate": text(render.iso(cdate)),
        "udate": text(render.iso(udate)),
        "cstamp": text(render.stamp(cdate)),
        "ustamp": text(render.stamp(udate)),
    }


def contact_in_list(row: sqlite3.Row, base: str) -> str:
    """``render.contact_in_list(row, base)`` as JSON text."""
    cid, email, orgname = row["id"], row["email"], row["orgname"]
    values = {"id": str(cid), "orgname": text(orgname)}
    if (
        cid.__class__ is not int
        or email.__class__ is not str
        or orgname.__class__ is not str
        or not _dates(row, values)
    ):
        return dumps(render.contact_in_list(row, base))
    for column in CONTACT_COLUMNS:
        values[column] = text(row[column])
    values["hash"] = render.contact_hash(cid, email)
    return _contact_templates(base)[1 if orgname else 0].fill(values)


@functools.lru_cache(maxsize=16)
def _field_value_template(base: str) -> Template:
    return Template(render.field_value, base, _sample(("value",)))


def field_value(row: sqlite3.Row, base: str) -> str:
    """``render.field_value(row, base)`` as JSON text."""
    fid, contact_id, field_id = row["id"], row["contact_id"], row["field_id"]
    if fid.__class__ is not int or contact_id.__class__ is not int or field_id.__class__ is not int:
        return dumps(render.field_value(row, base))
    values = {"id": str(fid), "contact_id": str(contact_id), "field_id": str(field_id)}
    values["value"] = text(row["value"])
    if not _dates(row, values):
        return dumps(render.field_value(row, base))
    return _field_value_template(base).fill(values)


def array(items: Sequence[str]) -> str:
    """A JSON array of already encoded items."""
    return "[" + ",".join(items) + "]"


def obj(members: Iterable[tuple[str, object]], encoded: Mapping[str, str]) -> str:
    """A JSON object: ``members`` in order; the value of a key in ``encoded`` is spliced
    in as it is (already JSON), any other value is encoded."""
    parts = [
        f"{text(key)}:{encoded[key] if key in encoded else dumps(value)}" for key, value in members
    ]
    return "{" + ",".join(parts) + "}"
