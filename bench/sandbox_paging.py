"""Time to page a large sandbox list in-process with id_greater (rate limit off).

Usage: .venv/bin/python bench/sandbox_paging.py [CONTACTS]   (default 100000)
Prints the load time (Store.load_members) and the paging time through the real HTTP stack
(httpx client -> WSGI transport -> sandbox), 100 per page, orders[id]=ASC.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx

from engine.activecampaign.sandbox import SandboxSettings, Store, sandbox_transport


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "bench.sqlite3"
        store = Store(data)
        list_id = store.create_list("Big")
        started = time.perf_counter()
        rows = ((f"p{i}@example.com", "First", "Last", "555", 1) for i in range(count))
        store.load_members(list_id, rows)
        loaded = time.perf_counter() - started
        store.close()

        transport = sandbox_transport(data, SandboxSettings(rate_limit=None))
        headers = {"Api-Token": "sandbox"}
        with httpx.Client(
            transport=transport, base_url="https://sandbox/api/3", headers=headers
        ) as client:
            started = time.perf_counter()
            seen, last, pages = 0, 0, 0
            while True:
                params = {
                    "listid": list_id,
                    "status": 1,
                    "orders[id]": "ASC",
                    "limit": 100,
                    "id_greater": last,
                }
                page = client.get("/contacts", params=params).json()["contacts"]
                if not page:
                    break
                pages += 1
                seen += len(page)
                last = int(page[-1]["id"])
            paged = time.perf_counter() - started
        assert seen == count, (seen, count)
        print(
            f"contacts={count} load={loaded:.2f}s pages={pages} paging={paged:.2f}s "
            f"({count / paged:,.0f} contacts/s, {paged / pages * 1000:.2f} ms/page)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
