"""Scale and concurrency: a 100,000-member list pages completely; two clients at once."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from engine.activecampaign.sandbox import SandboxSettings, Store, running_server, sandbox_transport

from .conftest import FakeClock


def test_a_100000_member_list_pages_completely_and_in_order(tmp_path: Path) -> None:
    data = tmp_path / "big.sqlite3"
    store = Store(data)
    list_id = store.create_list("Big")
    statuses = [2 if i % 10 == 0 else 1 for i in range(100_000)]
    store.load_members(
        list_id, ((f"p{i}@example.com", "", "", "", s) for i, s in enumerate(statuses))
    )
    store.close()
    transport = sandbox_transport(data, SandboxSettings(rate_limit=None))
    seen: list[int] = []
    with httpx.Client(
        transport=transport, base_url="https://sandbox/api/3", headers={"Api-Token": "sandbox"}
    ) as client:
        while True:
            params = {"listid": list_id, "status": 1, "orders[id]": "ASC", "limit": 100}
            page = client.get(
                "/contacts", params={**params, "id_greater": seen[-1] if seen else 0}
            ).json()
            if not page["contacts"]:
                break
            # meta.total counts the id_greater filter like the others: what is left to page
            assert page["meta"]["total"] == str(90_000 - len(seen))
            seen.extend(int(c["id"]) for c in page["contacts"])
    assert seen == [i + 1 for i, s in enumerate(statuses) if s == 1]


def test_two_concurrent_clients_share_one_rate_limit(tmp_path: Path) -> None:
    clock = FakeClock()  # frozen: the account may admit 5 requests in total
    answers: list[int] = []
    lock = threading.Lock()

    def client(host: str, name: str) -> None:
        with httpx.Client(
            base_url=f"http://{host}/api/3", headers={"Api-Token": "sandbox"}
        ) as http:
            for i in range(20):
                status = http.post(
                    "/contact/sync", json={"contact": {"email": f"{name}{i}@example.com"}}
                ).status_code
                with lock:
                    answers.append(status)

    with running_server(tmp_path / "s.sqlite3", SandboxSettings(), clock=clock) as host:
        threads = [threading.Thread(target=client, args=(host, n)) for n in "ab"]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(answers) == [201] * 5 + [429] * 35
    with Store(tmp_path / "s.sqlite3") as store, store.read() as conn:
        assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 5


def test_two_concurrent_writers_without_limit_lose_nothing(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def client(host: str, name: str) -> None:
        try:
            with httpx.Client(
                base_url=f"http://{host}/api/3", headers={"Api-Token": "sandbox"}
            ) as http:
                for i in range(60):
                    contact = {
                        "email": "shared@example.com" if i % 3 == 0 else f"{name}{i}@example.com"
                    }
                    assert http.post("/contact/sync", json={"contact": contact}).status_code in (
                        200,
                        201,
                    )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with running_server(tmp_path / "s.sqlite3", SandboxSettings(rate_limit=None)) as host:
        threads = [threading.Thread(target=client, args=(host, n)) for n in "ab"]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with httpx.Client(
            base_url=f"http://{host}/api/3", headers={"Api-Token": "sandbox"}
        ) as http:
            total = http.get("/contacts").json()["meta"]["total"]
    assert errors == []
    assert total == str(2 * 40 + 1)  # 40 own contacts each, one shared
