"""Each documented behaviour of the sandbox, in-process and over loopback HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx

from engine.activecampaign.sandbox import SandboxApp, SandboxSettings, Store

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


def test_rate_limit_answers_429_with_retry_after_and_headers(make_sandbox: Factory) -> None:
    harness = make_sandbox()  # default: 5 requests/s for the account
    answers = [harness.http.get("/lists") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [a.headers["RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    refused = answers[5]
    assert refused.headers["RateLimit-Limit"] == "5"
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert int(refused.headers["Retry-After"]) >= 1
    harness.clock.advance(int(refused.headers["Retry-After"]))
    assert harness.http.get("/lists").status_code == 200


def test_faults_are_decided_before_any_change(make_sandbox: Factory) -> None:
    import pytest

    harness = make_sandbox(rate_limit=None, fault_rate=1.0, fault_kinds=("drop",), seed=1)
    with pytest.raises(httpx.RemoteProtocolError):
        harness.sync("a@example.com")
    broken = make_sandbox(rate_limit=None, fault_rate=1.0, fault_kinds=("503",), seed=1)
    assert broken.sync("a@example.com").status_code == 503
    assert harness.store.list_summaries() == ()
    with harness.store.read() as conn, broken.store.read() as other:
        assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
        assert other.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0


def test_faults_are_reproducible_with_a_seed(make_sandbox: Factory) -> None:
    def statuses(harness: Harness) -> list[int]:
        return [harness.http.get("/lists").status_code for _ in range(30)]

    knobs = {"rate_limit": None, "fault_rate": 0.3, "fault_kinds": ("502", "503"), "seed": 7}
    first, second = statuses(make_sandbox(**knobs)), statuses(make_sandbox(**knobs))
    assert first == second
    assert {200, 502, 503} <= set(first)


def test_latency_is_added_through_the_injected_sleep(tmp_path: Path) -> None:
    slept: list[float] = []
    store = Store(tmp_path / "s.sqlite3")
    app = SandboxApp(store, SandboxSettings(rate_limit=None, latency=0.25), sleep=slept.append)
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://x/api/3") as http:
        assert http.get("/lists", headers={"Api-Token": "sandbox"}).status_code == 200
    assert slept == [0.25]
    app.close()
