"""What ``sync doctor --write`` probes, as the sandbox answers it in each of its modes, and
the deletes it cleans up with (in-process and over loopback HTTP)."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import Factory, Harness


def _contact(h: Harness, email: str, list_id: int, status: int = 1) -> str:
    cid = str(h.sync(email).json()["contact"]["id"])
    entry = {"list": list_id, "contact": cid, "status": status}
    assert h.http.post("/contactLists", json={"contactList": entry}).status_code == 201
    return cid


def _udate(h: Harness, cid: str) -> str:
    return str(h.http.get(f"/contacts/{cid}").json()["contact"]["udate"])


def _membership(h: Harness, cid: str, list_id: int) -> dict[str, Any]:
    for entry in h.http.get(f"/contacts/{cid}/contactLists").json()["contactLists"]:
        if entry["list"] == str(list_id):
            return dict(entry)
    raise AssertionError("not on the list")


def _imported(h: Harness, *contacts: dict[str, object]) -> None:
    queued = h.bulk(*contacts)
    assert queued.status_code == 200, queued.text
    assert h.info(queued.json()["batchId"]).json()["status"] == "completed"


def test_refused_import_positions_count_from_the_configured_base(make_sandbox: Factory) -> None:
    for base in (1, 0):
        h = make_sandbox(rate_limit=None, failure_base=base)
        answer = h.bulk({"email": "a@example.com"}, {"email": "nope"}, {"email": "b@example.com"})
        assert answer.status_code == 400
        assert [r["contact"] for r in answer.json()["failureReasons"]] == [1 + base]


def test_bulk_import_refuses_or_re_subscribes_an_unsubscribed_contact(
    make_sandbox: Factory,
) -> None:
    for resubscribes, expected in ((False, "2"), (True, "1")):
        h = make_sandbox(rate_limit=None, bulk_resubscribes=resubscribes)
        news = h.store.create_list("News")
        cid = _contact(h, "gone@example.com", news, status=2)
        _imported(h, {"email": "gone@example.com", "subscribe": [{"listid": news}]})
        assert str(_membership(h, cid, news)["status"]) == expected


def test_which_writes_move_udate_is_configurable(make_sandbox: Factory) -> None:
    h = make_sandbox(rate_limit=None, udate_bumps=("status",))
    news = h.store.create_list("News")
    field_id = h.store.ensure_field("NOTE")
    cid = _contact(h, "u@example.com", news)
    before = _udate(h, cid)
    h.clock.advance(5)
    h.sync("u@example.com", fieldValues=[{"field": str(field_id), "value": "x"}])
    tag = h.http.post("/tags", json={"tag": {"tag": "t", "tagType": "contact"}}).json()
    link = {"contactTag": {"contact": cid, "tag": tag["tag"]["id"]}}
    assert h.http.post("/contactTags", json=link).status_code == 201
    assert _udate(h, cid) == before  # neither the value nor the tag moved it
    h.clock.advance(5)
    entry = {"list": news, "contact": cid, "status": 2}
    h.http.post("/contactLists", json={"contactList": entry})
    assert _udate(h, cid) != before


def test_a_resent_unsubscribe_keeps_or_moves_its_date(make_sandbox: Factory) -> None:
    for mode, moves in (("kept", False), ("moved", True)):
        h = make_sandbox(rate_limit=None, resent_unsubscribe=mode)
        news = h.store.create_list("News")
        cid = _contact(h, "twice@example.com", news, status=1)
        entry = {"list": news, "contact": cid, "status": 2}
        h.http.post("/contactLists", json={"contactList": entry})
        first = _membership(h, cid, news)["udate"]
        h.clock.advance(60)
        h.http.post("/contactLists", json={"contactList": entry})
        assert (_membership(h, cid, news)["udate"] != first) is moves


def test_deletes_take_what_hangs_on_them_and_404_once_gone(sandbox: Harness) -> None:
    news = sandbox.lists["news"]
    cid = _contact(sandbox, "del@example.com", news)
    other = _contact(sandbox, "stays@example.com", news)
    assert sandbox.http.delete(f"/contacts/{cid}").json() == {}
    again = sandbox.http.delete(f"/contacts/{cid}")
    assert (again.status_code, again.json()) == (
        404,
        {"message": f"No Result found for Subscriber with id {cid}"},
    )
    assert sandbox.http.delete(f"/lists/{news}").status_code == 200
    assert sandbox.http.get(f"/contacts/{other}").status_code == 200  # the contact stays
    assert sandbox.http.get(f"/contacts/{other}/contactLists").json()["contactLists"] == []
    assert sandbox.http.delete(f"/lists/{news}").status_code == 404


def test_email_like_keeps_contacts_whose_email_contains_it(sandbox: Harness) -> None:
    for email in ("sync-doctor-1@example.com", "Sync-Doctor-2@example.com", "x@example.com"):
        sandbox.sync(email)
    found = sandbox.http.get("/contacts", params={"email_like": "sync-doctor-"}).json()
    assert sorted(c["email"] for c in found["contacts"]) == [
        "Sync-Doctor-2@example.com",
        "sync-doctor-1@example.com",
    ]
    assert found["meta"]["total"] == "2"


def test_deleting_a_tag_unlinks_it(sandbox: Harness) -> None:
    cid = _contact(sandbox, "t@example.com", sandbox.lists["news"])
    tag = sandbox.http.post("/tags", json={"tag": {"tag": "gone", "tagType": "contact"}}).json()
    link = {"contactTag": {"contact": cid, "tag": tag["tag"]["id"]}}
    sandbox.http.post("/contactTags", json=link)
    assert sandbox.http.delete(f"/tags/{tag['tag']['id']}").status_code == 200
    tags: httpx.Response = sandbox.http.get(f"/contacts/{cid}/contactTags")
    assert tags.json()["contactTags"] == []
