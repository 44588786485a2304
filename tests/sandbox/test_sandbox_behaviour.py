"""Each documented behaviour of the sandbox, in-process and over loopback HTTP."""

from __future__ import annotations

from .conftest import Factory, Harness


def test_sync_creates_201_then_updates_200_and_keeps_omitted_keys(sandbox: Harness) -> None:
    created = sandbox.sync("Ana@Example.com", firstName="Ana", lastName="Lee", phone="555")
    assert created.status_code == 201
    contact_id = created.json()["contact"]["id"]
    assert isinstance(contact_id, str)

    updated = sandbox.sync("ana@example.com", firstName="Anna")  # case-insensitive match
    assert updated.status_code == 200
    record = updated.json()["contact"]
    assert record["id"] == contact_id
    assert (record["firstName"], record["lastName"], record["phone"]) == ("Anna", "Lee", "555")

    blanked = sandbox.sync("ANA@example.com", phone="")
    assert blanked.json()["contact"]["phone"] == ""
    assert blanked.json()["contact"]["lastName"] == "Lee"
    listing = sandbox.http.get("/contacts").json()
    assert listing["meta"]["total"] == "1"


def test_unknown_path_is_an_html_404(sandbox: Harness) -> None:
    response = sandbox.http.get("/bulkImport")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>404 Not Found</title>" in response.text


def test_wrong_api_key_is_403(make_sandbox: Factory) -> None:
    harness = make_sandbox()
    lists = harness.http.get("/lists", headers={"Api-Token": "wrong"})
    assert lists.status_code == 403
    assert lists.json()["errors"][0]["title"] == "Forbidden"
    contacts = harness.http.get("/contacts", headers={"Api-Token": ""})
    assert (contacts.status_code, contacts.json()) == (403, {"message": "Forbidden"})
