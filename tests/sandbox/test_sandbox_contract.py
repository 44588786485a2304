"""Contract: the sandbox answers a recorded request like real ActiveCampaign did.

For every recording (tests/fixtures/activecampaign/) of an endpoint the sandbox
implements, the same request (ids mapped to the sandbox's own) gets the same status,
content type, keys and JSON value types, compared recursively. Lists may differ in
length; each item the sandbox returns must have the shape of a recorded item.

Tolerated, because real ActiveCampaign itself disagrees between recordings of the same
endpoint: ``OPTIONAL_KEYS`` may be missing on either side (2020 vs 2021 recordings), and
``TYPE_VARIANTS`` may take any of the listed types (``email_empty`` is ``false`` in one
recording and ``"0"`` in another).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import Harness

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "activecampaign"
OPTIONAL_KEYS = {"email_empty", "hash", "created_by", "updated_by"}
TYPE_VARIANTS: dict[str, tuple[type, ...]] = {"email_empty": (bool, str)}

Request = tuple[str, str, dict[str, str], Any]


def recording(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def recorded_request(name: str) -> Request:
    req = recording(name)["request"]
    return req["method"], req["path"].removeprefix("/api/3"), req["query"], req["body"]


def contact(h: Harness) -> str:
    body = h.sync("daniel@example.net", firstName="Daniel", lastName="Lindqvist", phone="+4930")
    return str(body.json()["contact"]["id"])


def tag(h: Harness) -> str:
    body = {"tag": {"tag": "Tag name", "tagType": "contact", "description": "Tag description"}}
    return str(h.http.post("/tags", json=body).json()["tag"]["id"])


def contact_tag(h: Harness) -> str:
    body = {"contactTag": {"contact": contact(h), "tag": tag(h)}}
    return str(h.http.post("/contactTags", json=body).json()["contactTag"]["id"])


def text_field(h: Harness) -> str:
    return str(h.store.ensure_field("PERSTAG", "Custom text"))


def field_value(h: Harness, value: str = "Text field value") -> str:
    field_id = text_field(h)
    h.sync("owner@example.com", fieldValues=[{"field": field_id, "value": value}])
    return field_id


def as_recorded(name: str) -> Callable[[Harness], Request]:
    return lambda h: recorded_request(name)


def with_path(
    name: str, path: Callable[[Harness], str], query: dict[str, str] | None = None
) -> Callable[[Harness], Request]:
    def build(h: Harness) -> Request:
        method, _, recorded_query, body = recorded_request(name)
        return method, path(h), query if query is not None else recorded_query, body

    return build


def contact_list(h: Harness) -> Request:
    body = {
        "contactList": {"list": str(h.store.create_list("L")), "contact": contact(h), "status": 1}
    }
    return "POST", "/contactLists", {}, body


def tag_contact(h: Harness) -> Request:
    return "POST", "/contactTags", {}, {"contactTag": {"contact": contact(h), "tag": tag(h)}}


def listed(setup: Callable[[Harness], object], name: str) -> Callable[[Harness], Request]:
    def build(h: Harness) -> Request:
        setup(h)
        return recorded_request(name)

    return build


def field_values_by_field(h: Harness, *, with_value: bool) -> Request:
    field_id = field_value(h) if with_value else text_field(h)
    return "GET", "/fieldValues", {"filters[fieldid]": field_id}, None


CASES: dict[str, Callable[[Harness], Request]] = {
    "lists_list__200__1": listed(
        lambda h: h.store.create_list("Awesome List"), "lists_list__200__1"
    ),
    "lists_list__200__3": listed(
        lambda h: [h.store.create_list(n) for n in "ab"], "lists_list__200__3"
    ),
    "lists_get__200__1": with_path(
        "lists_get__200__1", lambda h: f"/lists/{h.store.create_list('A')}"
    ),
    "lists_get__200__3": with_path(
        "lists_get__200__3", lambda h: f"/lists/{h.store.create_list('B')}"
    ),
    "lists_create__201__1": as_recorded("lists_create__201__1"),
    "lists_create__201__3": as_recorded("lists_create__201__3"),
    "contacts_list__200__2": listed(contact, "contacts_list__200__2"),
    "contacts_list__200__3": listed(contact, "contacts_list__200__3"),
    "contacts_get__200__1": with_path("contacts_get__200__1", lambda h: f"/contacts/{contact(h)}"),
    "contacts_get__200__3": with_path("contacts_get__200__3", lambda h: f"/contacts/{contact(h)}"),
    "contact_sync__201__1": as_recorded("contact_sync__201__1"),
    "contact_sync__201__2": as_recorded("contact_sync__201__2"),
    "contactLists_create__201__2": contact_list,
    "bulk_import__200__1": as_recorded("bulk_import__200__1"),
    "contactTags_create__201__1": tag_contact,
    "contactTags_create__201__3": tag_contact,
    "contactTags_create__400__1": as_recorded("contactTags_create__400__1"),
    "contactTags_delete__200__1": with_path(
        "contactTags_delete__200__1", lambda h: f"/contactTags/{contact_tag(h)}"
    ),
    "contactTags_delete__404__1": as_recorded("contactTags_delete__404__1"),
    "contacts_contactTags_list__200__1": lambda h: (
        "GET",
        f"/contacts/{contact_tag(h) and contact(h)}/contactTags",
        {},
        None,
    ),
    "fields_list__200__1": listed(text_field, "fields_list__200__1"),
    "fields_create__201__1": as_recorded("fields_create__201__1"),
    "fields_create__201__3": as_recorded("fields_create__201__3"),
    "fields_create__201__5": as_recorded("fields_create__201__5"),
    "fieldValues_list__200__1": listed(field_value, "fieldValues_list__200__1"),
    "fieldValues_list__200__7": listed(field_value, "fieldValues_list__200__7"),
    "fieldValues_list__200__3": lambda h: field_values_by_field(h, with_value=False),
    "fieldValues_list__200__8": lambda h: field_values_by_field(h, with_value=True),
    "fieldValues_list__200__4": listed(field_value, "fieldValues_list__200__4"),
    "fieldValues_list__200__5": listed(field_value, "fieldValues_list__200__5"),
    "fieldValues_list__200__10": listed(field_value, "fieldValues_list__200__10"),
    "tags_list__200__1": listed(tag, "tags_list__200__1"),
    "contacts_delete__200__1": with_path(
        "contacts_delete__200__1", lambda h: f"/contacts/{contact(h)}"
    ),
    "contacts_delete__200__2": with_path(
        "contacts_delete__200__2", lambda h: f"/contacts/{contact(h)}"
    ),
    "lists_delete__200__1": with_path(
        "lists_delete__200__1", lambda h: f"/lists/{h.store.create_list('Gone')}"
    ),
    "lists_delete__404__1": with_path("lists_delete__404__1", lambda h: "/lists/4"),
    "tags_delete__200__1": with_path("tags_delete__200__1", lambda h: f"/tags/{tag(h)}"),
    "tags_delete__404__1": as_recorded("tags_delete__404__1"),
    "fields_delete__200__1": with_path(
        "fields_delete__200__1", lambda h: f"/fields/{text_field(h)}"
    ),
    "fields_delete__404__1": as_recorded("fields_delete__404__1"),
    "fieldRels_create__201__1": lambda h: (
        "POST",
        "/fieldRels",
        {},
        {"fieldRel": {"field": text_field(h), "relid": "0"}},
    ),
    "fieldValues_create__201__1": lambda h: (
        "POST",
        "/fieldValues",
        {},
        {"fieldValue": {"contact": contact(h), "field": text_field(h), "value": "Text"}},
    ),
    "tags_create__201__1": as_recorded("tags_create__201__1"),
}


def shape_errors(recorded: Any, actual: Any, path: str = "$") -> list[str]:
    """Differences in keys and JSON value types between two bodies (empty: same shape)."""
    key = path.rsplit(".", 1)[-1]
    if key in TYPE_VARIANTS and isinstance(actual, TYPE_VARIANTS[key]):
        return []
    if type(recorded) is not type(actual):
        return [f"{path}: recorded {type(recorded).__name__}, sandbox {type(actual).__name__}"]
    if isinstance(recorded, dict):
        errors = [
            f"{path}: key '{k}' {'missing' if k in recorded else 'unexpected'}"
            for k in sorted(set(recorded) ^ set(actual))
            if k not in OPTIONAL_KEYS
        ]
        for k in sorted(set(recorded) & set(actual)):
            errors += shape_errors(recorded[k], actual[k], f"{path}.{k}")
        return errors
    if isinstance(recorded, list) and recorded:
        errors = []
        for i, item in enumerate(actual):
            options = [shape_errors(r, item, f"{path}[{i}]") for r in recorded]
            if all(options):
                errors += options[0]
        return errors
    return []


def test_shape_comparison_catches_differences() -> None:
    recorded = {"a": "1", "b": [{"c": None}], "email_empty": False}
    assert shape_errors(recorded, {"a": "1", "b": [], "email_empty": "0"}) == []
    assert shape_errors(recorded, {"a": 1, "b": [{"c": None, "d": 1}]}) == [
        "$.a: recorded str, sandbox int",
        "$.b[0]: key 'd' unexpected",
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_sandbox_answers_like_the_recording(sandbox: Harness, name: str) -> None:
    method, path, query, body = CASES[name](sandbox)
    response = sandbox.http.request(method, path, params=query, json=body)
    expected = recording(name)["response"]
    assert response.status_code == expected["status"]
    assert response.headers["content-type"] == expected["content_type"]
    assert shape_errors(expected["body"], response.json()) == []
