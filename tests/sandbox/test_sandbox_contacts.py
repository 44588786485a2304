"""Reading contacts and list membership: paging, filters, statuses, 404 bodies."""

from __future__ import annotations

from typing import Any

from .conftest import Harness


def ids(page: dict[str, Any]) -> list[int]:
    return [int(c["id"]) for c in page["contacts"]]


def load(h: Harness, statuses: list[int]) -> int:
    list_id = h.lists["news"]
    rows = [(f"m{i}@example.com", "F", "L", "", s) for i, s in enumerate(statuses)]
    h.store.load_members(list_id, rows)
    return list_id


def test_paging_limit_offset_id_greater_and_order(sandbox: Harness) -> None:
    list_id = load(sandbox, [1] * 130)
    get = sandbox.http.get
    first = get("/contacts").json()
    assert (len(first["contacts"]), first["meta"]["total"]) == (20, "130")
    assert len(get("/contacts", params={"limit": 500}).json()["contacts"]) == 100
    assert ids(get("/contacts", params={"offset": 125}).json()) == [126, 127, 128, 129, 130]
    page = {"listid": list_id, "orders[id]": "ASC", "id_greater": 120, "limit": 100}
    assert ids(get("/contacts", params=page).json()) == list(range(121, 131))
    assert ids(get("/contacts", params={"orders[id]": "DESC", "limit": 3}).json()) == [
        130,
        129,
        128,
    ]


def test_listid_status_is_the_list_subscription_status(sandbox: Harness) -> None:
    list_id = load(sandbox, [1, 2, 0, 3, 1])
    other = sandbox.store.create_list("Other")
    cid = sandbox.sync("x@example.com").json()["contact"]["id"]
    sandbox.http.post(
        "/contactLists", json={"contactList": {"list": other, "contact": cid, "status": 1}}
    )

    def members(**params: object) -> list[int]:
        return ids(sandbox.http.get("/contacts", params={"listid": list_id, **params}).json())

    assert members() == [1, 2, 3, 4, 5]  # status -1 (default): any status
    assert members(status=1) == [1, 5]
    assert members(status=2) == [2]
    assert members(status=0) == [3]
    assert members(status=3) == [4]


def test_email_tagid_and_updated_after_filters(sandbox: Harness) -> None:
    sandbox.sync("old@example.com")
    sandbox.clock.advance(86_400 * 3)
    newer = sandbox.sync("New@Example.com").json()["contact"]["id"]
    tag = sandbox.http.post("/tags", json={"tag": {"tag": "vip"}}).json()["tag"]["id"]
    sandbox.http.post("/contactTags", json={"contactTag": {"contact": newer, "tag": tag}})
    get = sandbox.http.get
    assert ids(get("/contacts", params={"email": "new@example.com"}).json()) == [int(newer)]
    assert ids(get("/contacts", params={"tagid": tag}).json()) == [int(newer)]
    since = "2023-11-16"  # the fake clock starts 2023-11-14; the newer contact is 3 days on
    assert ids(get("/contacts", params={"filters[updated_after]": since}).json()) == [int(newer)]


def test_contact_lists_resubscribe_and_unsubscribe(sandbox: Harness) -> None:
    news = sandbox.lists["news"]
    cid = sandbox.sync("r@example.com").json()["contact"]["id"]

    def post(status: int, **extra: object) -> dict[str, Any]:
        body = {"contactList": {"list": news, "contact": cid, "status": status, **extra}}
        answer = sandbox.http.post("/contactLists", json=body)
        assert answer.status_code == 201
        return dict(answer.json()["contactList"])

    assert post(1)["status"] == 1
    assert post(2)["status"] == 2
    again = post(1, sourceid=4)  # the real API re-subscribes, and so does the sandbox
    assert (again["status"], again["sourceid"]) == (1, 4)
    listed = sandbox.http.get(f"/contacts/{cid}/contactLists").json()["contactLists"]
    assert [(m["list"], m["status"]) for m in listed] == [(str(news), "1")]


def test_not_found_bodies(sandbox: Harness) -> None:
    get = sandbox.http.get
    assert get("/lists/77").json() == {"message": "No Result found for _List with id 77"}
    assert get("/contacts/5").json() == {"message": "No Result found for Subscriber with id 5"}
    assert get("/contacts/5/contactLists").status_code == 404
    gone = sandbox.http.delete("/contactTags/9")
    assert (gone.status_code, gone.json()) == (
        404,
        {"message": "No Result found for SubscriberTag with id 9"},
    )


def test_ids_and_totals_are_strings_and_tags_can_be_searched(sandbox: Harness) -> None:
    for name in ("vip", "very important", "other"):
        assert sandbox.http.post("/tags", json={"tag": {"tag": name}}).status_code == 201
    found = sandbox.http.get("/tags", params={"search": "V"}).json()
    assert [t["tag"] for t in found["tags"]] == ["vip", "very important"]
    assert found["meta"]["total"] == "2" and all(isinstance(t["id"], str) for t in found["tags"])
    created = sandbox.http.post("/lists", json={"list": {"name": "Fresh"}}).json()["list"]
    assert isinstance(created["id"], str)
    assert sandbox.http.get(f"/lists/{created['id']}").json()["list"]["name"] == "Fresh"


def test_field_values_page_by_field(sandbox: Harness) -> None:
    load(sandbox, [1] * 30)
    field = sandbox.store.ensure_field("SCORE")
    for i in range(1, 26):
        sandbox.sync(f"m{i}@example.com", fieldValues=[{"field": str(field), "value": str(i)}])
    page = {"filters[fieldid]": field, "limit": 10, "offset": 20}
    body = sandbox.http.get("/fieldValues", params=page).json()
    assert body["meta"]["total"] == "25"
    assert [v["value"] for v in body["fieldValues"]] == ["21", "22", "23", "24", "25"]
    fields = sandbox.http.get("/fields").json()["fields"]
    assert [f["perstag"] for f in fields] == ["SCORE"]


def test_id_greater_and_id_less_filter_the_page_and_its_total(make_sandbox: Any) -> None:
    for counted in (True, False):
        h = make_sandbox(rate_limit=None, total_counts_ids=counted)
        list_id = h.store.create_list("News")
        h.store.load_members(list_id, [(f"m{i}@example.com", "", "", "", 1) for i in range(50)])
        params = {"listid": list_id, "status": 1, "id_greater": 10, "id_less": 21}
        page = h.http.get("/contacts", params=params).json()
        assert ids(page) == list(range(11, 21))
        assert page["meta"]["total"] == ("10" if counted else "50")


def test_updated_after_and_the_day_granular_knob(make_sandbox: Any) -> None:
    for granularity, expected in (("instant", ["late@example.com"]), ("day", [])):
        h = make_sandbox(rate_limit=None, updated_after=granularity)
        h.clock.now = 1_796_036_400.0  # 2026-11-30 11:00 UTC
        h.sync("early@example.com")
        h.clock.now += 7_200
        h.sync("late@example.com")  # 13:00
        after = {"filters[updated_after]": "2026-11-30T12:00:00Z"}
        page = h.http.get("/contacts", params=after).json()
        assert [c["email"] for c in page["contacts"]] == expected  # "day": from 12-01 on
        earlier = {"filters[updated_after]": "2026-11-29T11:00:00Z"}
        page = h.http.get("/contacts", params=earlier).json()
        assert len(page["contacts"]) == 2


def test_quiet_changes_bump_nothing_and_touches_bump_only_udate(sandbox: Any) -> None:
    list_id = load(sandbox, [1, 1])
    before = sandbox.http.get("/contacts/1").json()["contact"]["udate"]
    sandbox.clock.advance(3_600)
    sandbox.store.set_status_quietly(list_id, 1, 2)
    contact = sandbox.http.get("/contacts/1").json()
    assert contact["contact"]["udate"] == before
    assert contact["contactLists"][0]["status"] == "2" and contact["contactLists"][0]["udate"]
    sandbox.store.touch([2])
    assert sandbox.http.get("/contacts/2").json()["contact"]["udate"] != before
    sandbox.store.delete_contact(2)
    assert sandbox.http.get("/contacts/2").status_code == 404
