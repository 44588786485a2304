"""Bulk import as documented: limits, all-or-nothing validation, asynchronous processing."""

from __future__ import annotations

import pytest

from .conftest import Factory, Harness

BULK_TYPE = "text/html; charset=UTF-8"


def members(h: Harness, list_id: int) -> dict[str, str]:
    """email -> list status (as a string) of the list's members, read over HTTP."""
    out: dict[str, str] = {}
    page = h.http.get("/contacts", params={"listid": list_id, "include": "contactLists"}).json()
    for row in page.get("contactLists", []):
        if row["list"] == str(list_id):
            email = next(c["email"] for c in page["contacts"] if c["id"] == row["contact"])
            out[email] = row["status"]
    return out


def run(h: Harness, *contacts: dict[str, object]) -> dict[str, object]:
    queued = h.bulk(*contacts)
    assert queued.status_code == 200, queued.text
    info: dict[str, object] = h.info(queued.json()["batchId"]).json()
    return info


def test_queued_answer_is_json_served_as_html(sandbox: Harness) -> None:
    answer = sandbox.bulk({"email": "a@example.com"}, {"email": "b@example.com"})
    assert answer.headers["content-type"] == BULK_TYPE
    body = answer.json()
    assert (body["success"], body["queued_contacts"], body["message"]) == (
        1,
        2,
        "Contact import queued",
    )


def test_progress_false_then_active_then_completed(make_sandbox: Factory) -> None:
    h = make_sandbox(rate_limit=None, bulk_delay=2.0)
    list_id = h.store.create_list("News")
    batch = h.bulk({"email": "a@example.com", "subscribe": [{"listid": list_id}]}).json()
    assert h.info(batch["batchId"]).json()["status"] is False
    h.clock.advance(1.5)
    assert h.info(batch["batchId"]).json()["status"] == "active"
    assert members(h, list_id) == {}  # not applied before completion
    h.clock.advance(1.0)
    done = h.info(batch["batchId"]).json()
    assert done["status"] == "completed"
    assert done["failure"] == []
    assert len(done["success"]) == 1 and isinstance(done["success"][0], str)
    assert members(h, list_id) == {"a@example.com": "1"}


def test_one_invalid_email_rejects_the_whole_request(sandbox: Harness) -> None:
    bad = ["", "no-at-sign.com", "@example.com", "a@b", "a@example.c", "a b@example.com"]
    contacts = [{"email": "ok@example.com"}] + [{"email": e} for e in bad]
    answer = sandbox.bulk(*contacts)
    assert answer.status_code == 400
    body = answer.json()
    assert body["success"] == 0 and "not queued" in body["message"]
    assert [r["contact"] for r in body["failureReasons"]] == list(range(2, 2 + len(bad)))
    assert all(isinstance(r["failureReason"], str) for r in body["failureReasons"])
    assert sandbox.http.get("/contacts").json()["meta"]["total"] == "0"


def test_size_limits(sandbox: Harness) -> None:
    too_many = sandbox.bulk(*({"email": f"p{i}@example.com"} for i in range(251)))
    assert too_many.status_code == 400 and isinstance(too_many.json()["failureReasons"][0], str)
    assert sandbox.bulk(*({"email": f"p{i}@example.com"} for i in range(250))).status_code == 200
    big = [{"email": f"q{i}@example.com", "first_name": "x" * 1700} for i in range(240)]
    assert sandbox.bulk(*big).status_code == 400


@pytest.mark.parametrize(("size", "limit"), [(2, 100), (1, 20)])
def test_per_minute_limits(make_sandbox: Factory, size: int, limit: int) -> None:
    h = make_sandbox(rate_limit=None)
    for i in range(limit):
        contacts = [{"email": f"c{i}-{j}@example.com"} for j in range(size)]
        assert h.bulk(*contacts).status_code == 200
    refused = h.bulk(*({"email": f"late{j}@example.com"} for j in range(size)))
    assert refused.status_code == 400
    assert refused.json()["message"] == "Rate limit exceeded."
    assert isinstance(refused.json()["failureReasons"][0], str)
    h.clock.advance(60)
    assert h.bulk(*({"email": f"late{j}@example.com"} for j in range(size))).status_code == 200


def test_never_resubscribes_an_unsubscribed_contact(sandbox: Harness) -> None:
    news = sandbox.lists["news"]
    run(sandbox, {"email": "u@example.com", "subscribe": [{"listid": news}]})
    run(sandbox, {"email": "u@example.com", "unsubscribe": [{"listid": news}]})
    assert members(sandbox, news) == {"u@example.com": "2"}
    info = run(
        sandbox, {"email": "U@example.com", "first_name": "X", "subscribe": [{"listid": news}]}
    )
    assert info["failure"] == ["U@example.com"]
    assert members(sandbox, news) == {"u@example.com": "2"}
    contact = sandbox.http.get("/contacts", params={"email": "u@example.com"}).json()["contacts"]
    assert contact[0]["firstName"] == ""  # a failed contact is not written at all


def test_tags_fields_and_case_insensitive_emails(sandbox: Harness) -> None:
    ltv = sandbox.store.ensure_field("LTV")
    first = run(
        sandbox,
        {"email": "Tag@Example.com", "tags": ["vip"], "fields": [{"id": ltv, "value": "10"}]},
    )
    again = run(sandbox, {"email": "tag@example.com", "tags": ["VIP", "new one"], "phone": "1"})
    assert len(first["success"]) == 1 and again["success"] == []  # updated, not created
    found = sandbox.http.get("/contacts", params={"email": "TAG@example.com"}).json()
    assert found["meta"]["total"] == "1"
    contact_id = found["contacts"][0]["id"]
    tags = sandbox.http.get(f"/contacts/{contact_id}/contactTags").json()["contactTags"]
    names = {t["id"]: t["tag"] for t in sandbox.http.get("/tags").json()["tags"]}
    assert sorted(names[t["tag"]] for t in tags) == ["new one", "vip"]
    values = sandbox.http.get(f"/contacts/{contact_id}/fieldValues").json()["fieldValues"]
    assert [(v["field"], v["value"]) for v in values] == [(str(ltv), "10")]
    assert found["contacts"][0]["phone"] == "1"


def test_import_info_needs_a_batch_id(sandbox: Harness) -> None:
    answer = sandbox.http.get("/import/info")
    assert (answer.status_code, answer.json()["success"]) == (400, 0)
