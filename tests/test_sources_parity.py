"""The same data in every source gives the identical desired state, order included.

DuckDB, SQLite, native PostgreSQL, and the SQL source on PostgreSQL (``postgresql+psycopg``)
and MariaDB (``mysql+pymysql``): the sample profiles plus rows that pin the awkward values
(non-ASCII and emoji names, NULLs, 0.00 and 500.00 decimals, dates, timestamps, booleans).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from engine.contacts import DesiredState
from engine.manifests.models import (
    DuckDBSource,
    PostgresSource,
    Segment,
    Source,
    SQLiteSource,
    SQLSource,
)
from engine.scaffold.sample_data import generate
from engine.sources import desired_state
from tests.mariadb import MariaDBServer
from tests.pg import PostgresServer
from tests.sources_support import (
    make_export,
    make_project,
    mariadb_profiles,
    postgres_profiles,
    profile_rows,
    sqlite_profiles,
)

pytestmark = [pytest.mark.postgres, pytest.mark.mariadb]

SEGMENTS = {
    "high-value": "select * from profiles where lifetime_value >= 500 order by customer_id",
    "recent-buyers": (
        "select email, first_name, last_name, phone, lifetime_value, last_order_date, country,"
        " customer_id,"
        " marketing_opt_in, signup_at from profiles"
        " where last_order_date >= '2026-06-01' order by customer_id"
    ),
}
FIELDS = {
    "LIFETIME_VALUE": "lifetime_value",
    "LAST_ORDER": "last_order_date",
    "COUNTRY": "country",
    "OPT_IN": "marketing_opt_in",
    "SIGNUP_AT": "signup_at",
    "CUSTOMER_ID": "customer_id",
}
EXTRA = [
    (9_000_001, "zoe.zielinska@example.com", "Zoë", "Łukasz-Żółć", "+48 600 700 800",
     Decimal("1234.50"), dt.date(2026, 7, 1), "PL", True, dt.datetime(2026, 1, 2, 3, 4, 5)),
    (9_000_002, "party@example.com", "🎉 Ünïcode", "O'Brien 😀", None,
     Decimal("0.00"), dt.date(2026, 6, 15), None, False, None),
    (9_000_003, " NULLS@Example.COM ", None, None, None,
     Decimal("500.00"), None, None, None, dt.datetime(2024, 2, 29, 23, 59, 59)),
    (9_000_004, "zoe.zielinska@example.com", "Zoe", "Other", "+48 111",
     Decimal("-0.01"), dt.date(2026, 12, 31), "DE", False, dt.datetime(2026, 12, 31, 0, 0)),
]  # fmt: skip
"""Appended to the sample (the fourth duplicates the first: a conflict in every source)."""


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[Any, ...]]]:
    root = tmp_path_factory.mktemp("ws")
    database = generate(root / "data" / "profiles.duckdb", rows=1500, seed=11).files[0]
    with duckdb.connect(str(database)) as connection:
        connection.executemany(f"INSERT INTO profiles VALUES ({', '.join('?' * 10)})", EXTRA)
    rows = profile_rows(database)
    sqlite_profiles(root / "data" / "profiles.sqlite", rows)
    return root, rows


@pytest.fixture(scope="module")
def pg(postgres_server: PostgresServer, profiles: tuple[Path, list[Any]]) -> PostgresServer:
    """Its own database on the session's server, so other modules' profiles stay apart."""
    with postgres_server.connect() as admin:
        admin.execute("DROP DATABASE IF EXISTS parity")
        admin.execute("CREATE DATABASE parity")
    server = dataclasses.replace(postgres_server, database="parity")
    with server.connect() as connection:
        postgres_profiles(connection, profiles[1])
    return server


@pytest.fixture(scope="module")
def maria(mariadb_server: MariaDBServer, profiles: tuple[Path, list[Any]]) -> MariaDBServer:
    with contextlib.closing(mariadb_server.connect()) as admin, admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS parity")
        cursor.execute("CREATE DATABASE parity CHARACTER SET utf8mb4")
    server = dataclasses.replace(mariadb_server, database="parity")
    with contextlib.closing(server.connect()) as connection:
        mariadb_profiles(connection, profiles[1])
    return server


def _state(root: Path, source: Source, environ: dict[str, str] | None = None) -> DesiredState:
    segments = [Segment(name=n, source=source.name, query=q) for n, q in SEGMENTS.items()]
    export = make_export(
        list(SEGMENTS), first_name="first_name", last_name="last_name", phone="phone",
        fields=FIELDS, tags=["vip"],
    )  # fmt: skip
    return desired_state(make_project(root, [source], segments, [export]), export, environ)


def test_every_source_gives_the_identical_desired_state(
    profiles: tuple[Path, list[Any]], pg: PostgresServer, maria: MariaDBServer
) -> None:
    root = profiles[0]
    duck = _state(root, DuckDBSource(name="w", type="duckdb", path="data/profiles.duckdb"))
    sql_pg = pg.url().replace("postgresql://", "postgresql+psycopg://")
    native = PostgresSource(name="w", type="postgres", url=pg.url())
    others = {
        "sqlite": _state(root, SQLiteSource(name="w", type="sqlite", path="data/profiles.sqlite")),
        "postgres": _state(root, native, pg.environ),
        "sql/postgresql": _state(root, SQLSource(name="w", type="sql", url=sql_pg), pg.environ),
        "sql/mariadb": _state(
            root, SQLSource(name="w", type="sql", url=maria.url()), maria.environ
        ),
    }
    # The sample is messy enough for every rule to be exercised, and the extra rows are in.
    assert len(duck.contacts) > 300
    assert duck.invalid and duck.conflicts
    zoe = duck.contacts["zoe.zielinska@example.com"]
    assert (zoe.first_name, zoe.last_name) == ("Zoë", "Łukasz-Żółć")
    assert dict(zoe.fields) == {
        "COUNTRY": "PL", "CUSTOMER_ID": "9000001", "LAST_ORDER": "2026-07-01",
        "LIFETIME_VALUE": "1234.5", "OPT_IN": "1", "SIGNUP_AT": "2026-01-02 03:04:05",
    }  # fmt: skip
    party = duck.contacts["party@example.com"]
    assert (party.first_name, party.last_name, party.phone) == ("🎉 Ünïcode", "O'Brien 😀", None)
    assert dict(party.fields)["LIFETIME_VALUE"] == "0"
    assert dict(party.fields)["OPT_IN"] == "0"
    assert dict(party.fields)["SIGNUP_AT"] is None
    nulls = dict(duck.contacts["nulls@example.com"].fields)
    assert nulls["LIFETIME_VALUE"] == "500" and nulls["OPT_IN"] is None
    assert any(c.field == "first_name" and c.kept == "Zoë" for c in duck.conflicts)
    for name, state in others.items():
        assert list(state.contacts.items()) == list(duck.contacts.items()), name
        assert state.invalid == duck.invalid, name
        assert state.conflicts == duck.conflicts, name
        assert state.rows_read == duck.rows_read, name
