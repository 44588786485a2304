"""Build the vcrpy cassettes in this folder from the recorded real responses.

    .venv/bin/python -m tests.cassettes.make_cassettes

Each cassette is one scenario of the client (``get_list``, ``read_list``, ``bulk_write``,
``small_write``, ``errors``): the requests the client makes, answered with the *recorded
real* bodies, status codes and content types of ``tests/fixtures/activecampaign/`` (copied
from the API reference's fixtures). Where no recording exists the answer is marked
``derived`` in :data:`DERIVED` below (an empty collection in the recorded envelope, or the
documented ``import/info`` example); everything else is byte-for-byte what ActiveCampaign
sent, re-serialised. The cassettes hold no ``Api-Token`` header (recording mode filters
it; generated ones never had it).

Re-recording against a real account: see ``README.md`` in this folder.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml
from pydantic import SecretStr

HERE = Path(__file__).parent
FIXTURES = HERE.parent / "fixtures" / "activecampaign"
BASE = "https://example.api-us1.com/api/3/"

EMPTY_CONTACTS = {"contacts": [], "meta": {"total": "0"}}
EMPTY_TAGS = {"tags": [], "meta": {"total": "0"}}
IMPORT_INFO = {"status": "completed", "success": ["123"], "failure": ["someone@somewhere.com"]}
CONTACT_LISTS = {
    "contactLists": [{"contact": "113", "list": "3", "status": "1", "sourceid": "0", "id": "7"}]
}
DERIVED = {
    "EMPTY_CONTACTS": "empty collection, envelope as recorded for lists_list__200__1",
    "EMPTY_TAGS": "same",
    "IMPORT_INFO": "the documented example of GET /import/info (no recording exists)",
    "CONTACT_LISTS": "documented shape of GET /contacts/{id}/contactLists (no recording);"
    " the contact is on another list only",
}


def fixture(name: str) -> tuple[int, str, Any]:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    response = data["response"]
    return response["status"], response["content_type"], response["body"]


def interaction(
    method: str, path: str, query: dict[str, Any], answer: tuple[int, str, Any]
) -> dict[str, Any]:
    status, content_type, body = answer
    uri = BASE + path + ("?" + urlencode(query) if query else "")
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return {
        "request": {"method": method, "uri": uri, "body": None, "headers": {}},
        "response": {
            "status": {"code": status, "message": ""},
            "headers": {"Content-Type": [content_type]},
            "body": {"string": text},
        },
    }


def derived(body: Any, status: int = 200) -> tuple[int, str, Any]:
    return status, "application/json", body


def paging(**query: Any) -> dict[str, Any]:
    return {**query, "limit": 100, "orders[id]": "ASC", "id_greater": 0}


def read_list_scenario() -> list[dict[str, Any]]:
    """read_list(client, 3, ["PERSTAG"], ["Tag name"])."""
    contacts = fixture("contacts_list__200__3")
    steps = [
        interaction("GET", "lists/3", {}, fixture("lists_get__200__1")),
        interaction("GET", "fields", {"limit": 100, "offset": 0}, fixture("fields_list__200__1")),
        interaction("GET", "contacts", paging(listid=3, status=1), contacts),
    ]
    for status in (2, 0, 3):
        steps.append(
            interaction("GET", "contacts", paging(listid=3, status=status), derived(EMPTY_CONTACTS))
        )
    values = {"filters[fieldid]": "414", "limit": 100, "offset": 0}
    steps.append(interaction("GET", "fieldValues", values, fixture("fieldValues_list__200__8")))
    tag_query = {"search": "Tag name", "limit": 100, "offset": 0}
    steps.append(interaction("GET", "tags", tag_query, fixture("tags_list__200__1")))
    steps.append(interaction("GET", "contacts", paging(listid=3, tagid=28), contacts))
    marker = {"search": "sync-removed-list-3", "limit": 100, "offset": 0}
    steps.append(interaction("GET", "tags", marker, derived(EMPTY_TAGS)))
    return steps


def bulk_write_scenario() -> list[dict[str, Any]]:
    """write_contacts of 11 SUBSCRIBE writes: one bulk import, followed once."""
    return [
        interaction("POST", "import/bulk_import", {}, fixture("bulk_import__200__1")),
        interaction(
            "GET",
            "import/info",
            {"batchId": "3840817e-6908-41cc-92a6-469478d8994a"},
            derived(IMPORT_INFO),
        ),
    ]


def small_write_scenario() -> list[dict[str, Any]]:
    """write_contacts of one SUBSCRIBE write with tag "Tag name" to list 69."""
    return [
        interaction("POST", "contact/sync", {}, fixture("contact_sync__201__2")),
        interaction("GET", "contacts/113/contactLists", {}, derived(CONTACT_LISTS)),
        interaction("POST", "contactLists", {}, fixture("contactLists_create__201__2")),
        interaction(
            "GET",
            "tags",
            {"search": "Tag name", "limit": 100, "offset": 0},
            fixture("tags_list__200__1"),
        ),
        interaction("POST", "contactTags", {}, fixture("contactTags_create__201__1")),
    ]


def errors_scenario() -> list[dict[str, Any]]:
    return [
        interaction("GET", "tags/31", {}, fixture("tags_get__404__1")),
        interaction("POST", "contactTags", {}, fixture("contactTags_create__400__1")),
        interaction("POST", "groups", {}, fixture("groups_create__403__1")),
    ]


SCENARIOS = {
    "get_list": lambda: [interaction("GET", "lists/3", {}, fixture("lists_get__200__1"))],
    "read_list": read_list_scenario,
    "bulk_write": bulk_write_scenario,
    "small_write": small_write_scenario,
    "errors": errors_scenario,
}


def record() -> None:
    """Record the read-only scenarios against a real account (``--record``).

    Needs AC_HOST (the REST endpoint hostname) and AC_API_KEY, and AC_LIST_ID (a list to
    read; default 1). Only GET requests are made. The ``Api-Token`` header is filtered out
    before anything is written; the cassettes go to ``recorded/`` for review, and replace
    the generated ones only by hand (their hosts, ids and people differ).
    """
    import vcr  # a test dependency; only needed here

    from engine.activecampaign.client import Client
    from engine.activecampaign.read import read_list

    host, key = os.environ["AC_HOST"], os.environ["AC_API_KEY"]
    list_id = int(os.environ.get("AC_LIST_ID", "1"))
    out = HERE / "recorded"
    out.mkdir(exist_ok=True)
    recorder = vcr.VCR(
        cassette_library_dir=str(out), record_mode="all", filter_headers=["Api-Token"]
    )
    with Client(f"https://{host}/api/3", SecretStr(key), host=host, key_env="AC_API_KEY") as client:
        with recorder.use_cassette("get_list.yaml"):
            client.check_list(list_id)
        with recorder.use_cassette("read_list.yaml"):
            read_list(client, list_id, [], [])
    for path in out.glob("*.yaml"):
        if key in path.read_text():
            path.unlink()
            raise SystemExit(f"{path.name} contained the API key; deleted it")
        print(f"recorded {path}")


def main() -> None:
    if "--record" in sys.argv:
        record()
        return
    for name, build in SCENARIOS.items():
        cassette = {"interactions": build(), "version": 1}
        (HERE / f"{name}.yaml").write_text(yaml.safe_dump(cassette, sort_keys=False, width=100))
        print(f"wrote {name}.yaml")


if __name__ == "__main__":
    main()
