"""The native PostgreSQL source on a real server (tests/pg.py): streaming, read-only, errors.

The same data giving the same desired state in every source: tests/test_sources_parity.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.errors import SourceError
from engine.manifests.models import PostgresSource, Segment
from engine.scaffold.sample_data import generate
from engine.sources import CHUNK_ROWS, desired_state
from tests.pg import PASSWORD, PostgresServer
from tests.sources_support import make_export, make_project, postgres_profiles, profile_rows

pytestmark = pytest.mark.postgres


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
        postgres_profiles(connection, profiles[1])
    yield postgres_server


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
