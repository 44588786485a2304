"""Several ActiveCampaign accounts at once (issue 14): one sandbox per account, each served
on its own loopback port with ActiveCampaign's real limits, and a workspace with one
export per account (plus, optionally, a second export on the first account). Shared by
``tests/test_accounts_parallel.py`` and ``bench/accounts_parallel.py``.

Every list starts with ``people`` members; the warehouse then differs from it by
``people // 50`` changed first names and ``people // 250`` newcomers per account, so a run
has the same, small amount of work on every account.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from engine.activecampaign.sandbox import SandboxSettings, Store, running_server

KEY = "accounts-key-123"
KEY_ENV = "SYNC_TEST_ACCOUNTS_KEY"
LIST = 1

SEGMENT = (
    "name: people\nsource: warehouse\n"
    "query: select email, first_name, last_name, tier from people where account = {n}\n"
)
EXPORT = (
    "name: {name}\nconnection: acct-{n}\nlist_id: {list_id}\nsegments: [people-{n}]\n"
    "mapping:\n  email: email\n  first_name: first_name\n  last_name: last_name\n"
    "  fields:\n    TIER: tier\nmode: upsert\npriority: {priority}\n"
)
CONNECTION = (
    "name: acct-{n}\ntype: activecampaign\nhost: '{host}'\n"
    "api_key: \"{{{{ env_var('" + KEY_ENV + "') }}}}\"\ndata_privacy_consent: true\n"
)


@dataclass(frozen=True, slots=True)
class Accounts:
    root: Path
    hosts: tuple[str, ...]
    data: tuple[Path, ...]
    people: int

    @property
    def environ(self) -> dict[str, str]:
        return {KEY_ENV: KEY}

    def export(self, n: int) -> str:
        return f"list-{n}"


def _people(account: int, people: int) -> list[tuple[str, str, str, str]]:
    return [
        (f"p{i}.a{account}@example.com", f"First{i}", f"Last{i}", "gold" if i % 3 else "silver")
        for i in range(people)
    ]


@contextmanager
def served_accounts(
    tmp: Path,
    accounts: int,
    people: int,
    *,
    second_export: bool = False,
    settings: SandboxSettings | None = None,
) -> Iterator[Accounts]:
    """``accounts`` sandboxes on loopback and a workspace exporting to each (module doc)."""
    root = tmp / "ws"
    for folder in ("connections", "segments", "exports"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "connections" / "warehouse.yaml").write_text(
        "name: warehouse\ntype: duckdb\npath: people.duckdb\n"
    )
    rows = []
    for n in range(1, accounts + 1):
        for i, (email, first, last, tier) in enumerate(_people(n, people + people // 250)):
            changed = f"Renamed{i}" if i % 50 == 7 else first
            rows.append((n, email, changed, last, tier))
    with duckdb.connect(str(root / "people.duckdb")) as db:
        db.execute(
            "create table people (account int, email varchar, first_name varchar, "
            "last_name varchar, tier varchar)"
        )
        db.executemany("insert into people values (?, ?, ?, ?, ?)", rows)
    served = settings or SandboxSettings(api_key=KEY, seed=3)
    with ExitStack() as stack:
        hosts, data = [], []
        for n in range(1, accounts + 1):
            path = tmp / f"account-{n}.sqlite3"
            with Store(path) as store:
                store.create_list("People", LIST)
                store.create_list("People again", LIST + 1)
                members = _people(n, people)
                store.load_members(
                    LIST,
                    [(email, first, last, "", 1) for email, first, last, _ in members],
                    fields={"TIER": [tier for *_, tier in members]},
                )
            host = stack.enter_context(running_server(path, served))
            hosts.append(host)
            data.append(path)
            (root / "connections" / f"acct-{n}.yaml").write_text(CONNECTION.format(n=n, host=host))
            (root / "segments" / f"people-{n}.yaml").write_text(
                SEGMENT.format(n=n).replace("name: people", f"name: people-{n}")
            )
            (root / "exports" / f"list-{n}.yaml").write_text(
                EXPORT.format(name=f"list-{n}", n=n, list_id=LIST, priority=10)
            )
        if second_export:
            (root / "exports" / "again-1.yaml").write_text(
                EXPORT.format(name="again-1", n=1, list_id=LIST + 1, priority=5)
            )
        yield Accounts(root, tuple(hosts), tuple(data), people)
