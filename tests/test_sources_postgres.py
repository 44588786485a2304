"""A real PostgreSQL server (tests/pg.py): same data, same desired state as DuckDB and SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.errors import SourceError
from engine.manifests.models import DuckDBSource, PostgresSource, Segment, Source, SQLiteSource
from engine.scaffold.sample_data import generate
from engine.sources import CHUNK_ROWS, desired_state
from tests.pg import PASSWORD, PostgresServer
from tests.sources_support import (
    PROFILE_COLUMNS,
    make_export,
    make_project,
    profile_rows,
    sqlite_profiles,
)

pytestmark = pytest.mark.postgres

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


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[Any, ...]]]:
    root = tmp_path_factory.mktemp("ws")
    database = generate(root / "data" / "profiles.duckdb", rows=1500, seed=11).files[0]
    return root, profile_rows(database)


@pytest.fixture(scope="module")
def pg(
    postgres_server: PostgresServer, profiles: tuple[Path, list[tuple[Any, ...]]]
) -> Iterator[PostgresServer]:
    with postgres_server.connect() as connection:
        connection.execute("DROP TABLE IF EXISTS profiles")
        connection.execute(f"CREATE TABLE profiles ({PROFILE_COLUMNS.replace('VARCHAR', 'TEXT')})")
        with connection.cursor().copy("COPY profiles FROM STDIN") as copy:
            for row in profiles[1]:
                copy.write_row(row)
    yield postgres_server


def _state(root: Path, source: Source, environ: dict[str, str] | None = None) -> Any:
    segments = [Segment(name=n, source=source.name, query=q) for n, q in SEGMENTS.items()]
    export = make_export(
        list(SEGMENTS), first_name="first_name", last_name="last_name", phone="phone",
        fields=FIELDS, tags=["vip"],
    )  # fmt: skip
    return desired_state(make_project(root, [source], segments, [export]), export, environ)


def test_duckdb_sqlite_and_postgres_give_identical_desired_state(
    pg: PostgresServer, profiles: tuple[Path, list[tuple[Any, ...]]]
) -> None:
    root, rows = profiles
    sqlite_profiles(root / "data" / "profiles.sqlite", rows)
    duck = _state(root, DuckDBSource(name="w", type="duckdb", path="data/profiles.duckdb"))
    lite = _state(root, SQLiteSource(name="w", type="sqlite", path="data/profiles.sqlite"))
    post = _state(root, PostgresSource(name="w", type="postgres", url=pg.url()), pg.environ)
    # The sample is messy enough for every rule to be exercised...
    assert len(duck.contacts) > 300
    assert duck.invalid and duck.conflicts
    assert any(c.first_name and not c.first_name.isascii() for c in duck.contacts.values())
    # ...and the three sources agree exactly, order included.
    assert list(duck.contacts.items()) == list(post.contacts.items())
    assert list(duck.contacts.items()) == list(lite.contacts.items())
    assert duck.invalid == post.invalid == lite.invalid
    assert duck.conflicts == post.conflicts == lite.conflicts
    assert duck.rows_read == post.rows_read == lite.rows_read


def test_postgres_streams_with_a_server_side_cursor(pg: PostgresServer, tmp_path: Path) -> None:
    rows = CHUNK_ROWS * 2 + 3
    query = f"select 'p' || i || '@example.com' as email from generate_series(1, {rows}) i"
    source = PostgresSource(name="pg", type="postgres", url=pg.url())
    segment = Segment(name="many", source="pg", query=query)
    export = make_export(["many"])
    project = make_project(tmp_path, [source], [segment], [export])
    seen: list[int] = []
    state = desired_state(
        project, export, pg.environ, progress=lambda done, _total: seen.append(done)
    )
    assert seen == [CHUNK_ROWS, CHUNK_ROWS * 2, rows]
    assert len(state.contacts) == rows


@pytest.mark.parametrize(
    ("query", "quoted"),
    [
        ("insert into profiles (email) values ('x@y.co') returning email", "syntax error"),
        ("with d as (delete from profiles returning email) select email from d", "DECLARE"),
        ("select email, nextval('profile_seq') from profiles", "read-only transaction"),
        ("select email, set_config('transaction_read_only', 'off', true) from profiles",
         "read-write"),
        ("select 1 as email; delete from profiles", "multiple commands"),
    ],
)  # fmt: skip
def test_postgres_segments_cannot_write(
    pg: PostgresServer, tmp_path: Path, query: str, quoted: str
) -> None:
    with pg.connect() as connection:
        connection.execute("CREATE SEQUENCE IF NOT EXISTS profile_seq")
        before = connection.execute("select count(*), nextval('profile_seq') from profiles")
        count, sequence = before.fetchone() or (0, 0)
    source = PostgresSource(name="pg", type="postgres", url=pg.url())
    segment = Segment(name="w", source="pg", query=query)
    export = make_export(["w"])
    with pytest.raises(SourceError) as caught:
        desired_state(make_project(tmp_path, [source], [segment], [export]), export, pg.environ)
    message = str(caught.value)
    assert message.startswith("segments/w.yaml:4:8: segment 'w': the query failed on postgres")
    assert quoted in message
    with pg.connect() as connection:
        after = connection.execute("select count(*), nextval('profile_seq') from profiles")
        assert after.fetchone() == (count, sequence + 1)


def test_a_missing_table_quotes_postgres(pg: PostgresServer, tmp_path: Path) -> None:
    source = PostgresSource(name="pg", type="postgres", url=pg.url())
    segment = Segment(name="s", source="pg", query="select email from nowhere")
    export = make_export(["s"])
    with pytest.raises(SourceError, match='relation "nowhere" does not exist') as caught:
        desired_state(make_project(tmp_path, [source], [segment], [export]), export, pg.environ)
    assert str(caught.value).startswith("segments/s.yaml:4:8: segment 's'")


def test_connection_errors_name_the_connection_and_never_the_password(
    pg: PostgresServer, tmp_path: Path
) -> None:
    wrong = "Wrong-Passw0rd-xyz"
    source = PostgresSource(name="pg", type="postgres", url=pg.url())
    segment = Segment(name="s", source="pg", query="select 1 as email")
    export = make_export(["s"])
    project = make_project(tmp_path, [source], [segment], [export])
    with pytest.raises(SourceError) as caught:
        desired_state(project, export, {"SYNC_TEST_PG_PASSWORD": wrong})
    message = str(caught.value)
    assert message.startswith("connections/pg.yaml:1: connection 'pg': cannot connect")
    assert "password authentication failed" in message
    assert f"127.0.0.1:{pg.port}/cdp as sync_admin" in message
    assert wrong not in message and PASSWORD not in message


def test_a_malformed_url_never_echoes_the_password(tmp_path: Path) -> None:
    secret = "Very-Secret-1234"
    source = PostgresSource(
        name="pg", type="postgres", url="postgresql://u:${env:PW}@127.0.0.1:notaport/db"
    )
    segment = Segment(name="s", source="pg", query="select 1 as email")
    export = make_export(["s"])
    project = make_project(tmp_path, [source], [segment], [export])
    with pytest.raises(SourceError) as caught:
        desired_state(project, export, {"PW": secret})
    assert secret not in str(caught.value)
    cause = caught.value.__cause__  # shown by --debug: must not carry the secret either
    assert cause is None or secret not in str(cause)
