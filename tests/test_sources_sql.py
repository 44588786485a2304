"""The SQL source (``type: sql``) on real servers: MariaDB (tests/mariadb.py) and PostgreSQL
(tests/pg.py, through ``postgresql+psycopg``); SQLite through SQLAlchemy in-process.

Streaming in chunks, read-only enforced, driver values formatted as DuckDB's, errors that
name the extra to install, secrets masked, and ``sync plan`` over MariaDB equal to DuckDB's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.contacts import DesiredState
from engine.errors import SourceError
from engine.manifests.models import DuckDBSource, Segment, Source, SQLSource
from engine.sources import CHUNK_ROWS, desired_state
from tests.mariadb import PASSWORD_ENV, MariaDBServer
from tests.pg import PostgresServer
from tests.reconcile_fixtures import Workspace, workspace
from tests.sources_support import (
    duckdb_file,
    make_export,
    make_project,
    mariadb_profiles,
    postgres_profiles,
    profile_rows,
)

__all__ = ["workspace"]  # the fixture

pytestmark = [pytest.mark.mariadb, pytest.mark.postgres]

PEOPLE = [
    (1, "ana@example.com", "Ana", "09:05:00", 1, "12.500", "2026-06-01 12:34:56", 1.5, 2024),
    (2, "zoe@example.com", "Zoë 😀", "-01:00:01", 0, "-0.010", "2026-12-31 00:00:00", None, None),
    (3, "bo@example.com", None, None, None, None, None, None, None),
]
KINDS = {
    "mariadb": "id INT, email VARCHAR(255), name VARCHAR(50), t TIME, flag TINYINT(1), "
    "amount DECIMAL(10,3), ts DATETIME, f DOUBLE, y YEAR",
    "duckdb": "id INT, email VARCHAR, name VARCHAR, t INTERVAL, flag BOOLEAN, "
    "amount DECIMAL(10,3), ts TIMESTAMP, f DOUBLE, y INTEGER",
}
FIELDS = {"T": "t", "FLAG": "flag", "AMOUNT": "amount", "AT": "ts", "F": "f", "Y": "y"}


@pytest.fixture(scope="module")
def maria(mariadb_server: MariaDBServer) -> MariaDBServer:
    """Its own database (``sqlsrc``) with the ``people`` table."""
    with contextlib.closing(mariadb_server.connect()) as admin, admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS sqlsrc")
        cursor.execute("CREATE DATABASE sqlsrc CHARACTER SET utf8mb4")
        cursor.execute(f"CREATE TABLE sqlsrc.people ({KINDS['mariadb']})")
        cursor.executemany(
            "INSERT INTO sqlsrc.people VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", PEOPLE
        )
    return dataclasses.replace(mariadb_server, database="sqlsrc")


@pytest.fixture(scope="module")
def pg(postgres_server: PostgresServer) -> PostgresServer:
    with postgres_server.connect() as admin:
        admin.execute("DROP DATABASE IF EXISTS sqlsrc")
        admin.execute("CREATE DATABASE sqlsrc")
    server = dataclasses.replace(postgres_server, database="sqlsrc")
    with server.connect() as connection:
        connection.execute("CREATE TABLE people (id INT, email TEXT)")
        connection.execute("INSERT INTO people VALUES (1, 'ana@example.com')")
        connection.execute("CREATE SEQUENCE people_seq")
    return server


def sql_url(server: PostgresServer | MariaDBServer, password: str | None = None) -> str:
    url = server.url() if password is None else server.url(password)
    return url.replace("postgresql://", "postgresql+psycopg://")


def _state(
    root: Path,
    source: Source,
    query: str,
    environ: Mapping[str, str],
    progress: list[int] | None = None,
    **mapping: Any,
) -> DesiredState:
    segment = Segment(name="s", source=source.name, query=query)
    export = make_export(["s"], **mapping)
    project = make_project(root, [source], [segment], [export])
    step = None if progress is None else (lambda done, _total: progress.append(done))
    return desired_state(project, export, environ, progress=step)


def _sql(url: str) -> SQLSource:
    return SQLSource(name="db", type="sql", url=url)


@pytest.mark.parametrize("kind", ["mariadb", "postgresql"])
def test_rows_stream_in_chunks(
    kind: str, maria: MariaDBServer, pg: PostgresServer, tmp_path: Path
) -> None:
    rows = CHUNK_ROWS * 2 + 3
    server: MariaDBServer | PostgresServer
    if kind == "mariadb":
        server, query = (
            maria,
            f"select concat('p', seq, '@example.com') as email from seq_1_to_{rows}",
        )
    else:
        server = pg
        query = f"select 'p' || i || '@example.com' as email from generate_series(1, {rows}) i"
    seen: list[int] = []
    state = _state(tmp_path, _sql(sql_url(server)), query, server.environ, seen)
    assert seen == [CHUNK_ROWS, CHUNK_ROWS * 2, rows]
    assert len(state.contacts) == rows


def test_mariadb_values_are_formatted_as_duckdb_s(maria: MariaDBServer, tmp_path: Path) -> None:
    """TINYINT(1) comes as int, DECIMAL as Decimal, DATETIME as datetime, TIME as timedelta,
    YEAR as int, utf8mb4 text as str: the same strings as DuckDB's typed values."""
    rows = ", ".join(
        "(" + ", ".join("NULL" if v is None else repr(v) for v in row) + ")" for row in PEOPLE
    )
    duckdb_file(
        tmp_path / "p.duckdb",
        f"CREATE TABLE people ({KINDS['duckdb']}); INSERT INTO people VALUES {rows}",
    )
    query = "select * from people order by id"
    mapping: dict[str, Any] = {"first_name": "name", "fields": FIELDS}
    duck = _state(
        tmp_path, DuckDBSource(name="db", type="duckdb", path="p.duckdb"), query, {}, **mapping
    )
    mdb = _state(tmp_path, _sql(sql_url(maria)), query, maria.environ, **mapping)
    assert list(mdb.contacts.items()) == list(duck.contacts.items())
    assert dict(mdb.contacts["ana@example.com"].fields) == {
        "AMOUNT": "12.5", "AT": "2026-06-01 12:34:56", "F": "1.5", "FLAG": "1", "T": "09:05:00",
        "Y": "2024",
    }  # fmt: skip
    assert dict(mdb.contacts["zoe@example.com"].fields)["T"] == "-01:00:01"
    assert mdb.contacts["zoe@example.com"].first_name == "Zoë 😀"


def test_percent_signs_and_colons_reach_the_database_as_written(
    maria: MariaDBServer, pg: PostgresServer, tmp_path: Path
) -> None:
    for server in (maria, pg):
        query = "select email, '12:30' as t from people where email like '%@example.com' and id = 1"
        state = _state(tmp_path, _sql(sql_url(server)), query, server.environ, fields={"T": "t"})
        assert dict(state.contacts["ana@example.com"].fields) == {"T": "12:30"}


@pytest.mark.parametrize(
    ("query", "quoted"),
    [
        ("insert into people (id, email) values (9, 'x@y.co')", "READ ONLY transaction (1792)"),
        ("update people set email = 'x@y.co'", "READ ONLY transaction (1792)"),
        ("delete from people", "READ ONLY transaction (1792)"),
        ("create table t2 (a int)", "READ ONLY transaction (1792)"),
        ("set transaction read write", "while a transaction is in progress"),
        ("set session transaction read write", "must return rows"),  # and the run ends
        ("commit", "must return rows"),
    ],
)
def test_mariadb_segments_cannot_write(
    maria: MariaDBServer, tmp_path: Path, query: str, quoted: str
) -> None:
    with pytest.raises(SourceError) as caught:
        _state(tmp_path, _sql(sql_url(maria)), query, maria.environ)
    message = str(caught.value)
    assert message.startswith("segments/s.yaml:4:8: segment 's': the query failed on sql")
    assert quoted in message
    with contextlib.closing(maria.connect()) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*), min(email) from people")
        assert cursor.fetchone() == (3, "ana@example.com")
        cursor.execute("show tables")
        assert cursor.fetchall() == (("people",),)


@pytest.mark.parametrize(
    ("query", "quoted"),
    [
        ("insert into people (id, email) values (9, 'x@y.co') returning email", "syntax error"),
        ("with d as (delete from people returning email) select email from d", "DECLARE"),
        ("select email, nextval('people_seq') from people", "read-only transaction"),
        ("select 1 as email; delete from people", "multiple commands"),
    ],
)
def test_postgres_segments_cannot_write_through_sqlalchemy(
    pg: PostgresServer, tmp_path: Path, query: str, quoted: str
) -> None:
    with pytest.raises(SourceError, match=quoted):
        _state(tmp_path, _sql(sql_url(pg)), query, pg.environ)
    with pg.connect() as connection:
        assert connection.execute("select count(*), min(email) from people").fetchone() == (
            1, "ana@example.com",
        )  # fmt: skip
        assert connection.execute("select last_value from people_seq").fetchone() == (1,)


def test_sqlite_through_sqlalchemy_is_read_only_and_workspace_relative(tmp_path: Path) -> None:
    with contextlib.closing(sqlite3.connect(tmp_path / "p.sqlite")) as connection:
        connection.execute("create table people (email text)")
        connection.execute("insert into people values ('ana@example.com')")
        connection.commit()
    source = _sql("sqlite:///p.sqlite")
    state = _state(tmp_path, source, "select email from people", {})
    assert list(state.contacts) == ["ana@example.com"]
    with pytest.raises(SourceError, match="readonly database"):
        _state(tmp_path, source, "insert into people values ('x@y.co') returning email", {})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("snowflake://me:${env:PW}@acct/db/sch?warehouse=wh",
         "the SQLAlchemy dialect 'snowflake' is not installed: install it: "
         "pip install 'ac-segment-sync[snowflake]'"),
        ("bigquery://project/dataset",
         "the SQLAlchemy dialect 'bigquery' is not installed: install it: "
         "pip install 'ac-segment-sync[bigquery]'"),
        ("mysql://me:${env:PW}@127.0.0.1/db",
         "the driver of 'mysql' is not installed (No module named 'MySQLdb'): start the url "
         "with mysql+pymysql:// (not mysql) and install it: pip install 'ac-segment-sync[mysql]'"),
        ("mssql+pymssql://me:${env:PW}@127.0.0.1/db",
         "the driver of 'mssql+pymssql' is not installed (No module named 'pymssql'): "
         "install it: pip install 'ac-segment-sync[mssql]'"),
        ("nosuchdb://me:${env:PW}@host/db",
         "the SQLAlchemy dialect 'nosuchdb' is not installed: install the Python package that "
         "provides SQLAlchemy's 'nosuchdb' dialect"),
    ],
)  # fmt: skip
def test_a_missing_dialect_or_driver_names_the_extra(
    tmp_path: Path, url: str, expected: str
) -> None:
    with pytest.raises(SourceError) as caught:
        _state(tmp_path, _sql(url), "select 1 as email", {"PW": "Secret-Pw-123"})
    message = str(caught.value)
    assert message.startswith(f"connections/db.yaml:1: connection 'db': {expected}")
    assert "Secret-Pw-123" not in message


@pytest.mark.parametrize("kind", ["mariadb", "postgresql"])
def test_a_wrong_password_is_masked(
    kind: str, maria: MariaDBServer, pg: PostgresServer, tmp_path: Path
) -> None:
    server: MariaDBServer | PostgresServer = maria if kind == "mariadb" else pg
    wrong = "Wrong-Passw0rd-xyz"
    env = {PASSWORD_ENV if kind == "mariadb" else "SYNC_TEST_PG_PASSWORD": wrong}
    with pytest.raises(SourceError) as caught:
        _state(tmp_path, _sql(sql_url(server)), "select 1 as email", env)
    message = str(caught.value)
    scheme = "mysql+pymysql" if kind == "mariadb" else "postgresql+psycopg"
    shown = f"{scheme}://sync_admin:***@127.0.0.1:{server.port}/sqlsrc"
    assert message.startswith(f"connections/db.yaml:1: connection 'db': cannot connect to {shown}")
    assert ("Access denied" if kind == "mariadb" else "password authentication failed") in message
    assert wrong not in message and server.password not in message
    cause = caught.value.__cause__  # shown by --debug
    assert cause is None or wrong not in str(cause)


def test_a_secret_the_database_quotes_back_is_masked(maria: MariaDBServer, tmp_path: Path) -> None:
    """The password used as the database name: MariaDB's message quotes it, masked."""
    url = maria.url().replace("/sqlsrc", "/${env:" + PASSWORD_ENV + "}")
    with pytest.raises(SourceError) as caught:
        _state(tmp_path, _sql(url), "select 1 as email", maria.environ)
    message = str(caught.value)
    assert "Unknown database '***'" in message or "denied for user" in message
    assert maria.password not in message
    assert caught.value.__cause__ is None  # the driver's own exception quotes it: not chained


def _validate(root: Path, url: str) -> tuple[int, str]:
    (root / "connections").mkdir(parents=True)
    (root / "connections" / "db.yaml").write_text(f'name: db\ntype: sql\nurl: "{url}"\n')
    result = CliRunner().invoke(app, ["-w", str(root), "--no-color", "validate"])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql+pymysql://me:hunter22@db/cdp",
         "connections/db.yaml:3:6: error: url: the password must come from an environment "
         "variable, never a literal"),
        ("not a url at all",
         "connections/db.yaml:3:6: error: url is not a SQLAlchemy URL; write "
         "DIALECT[+DRIVER]://..."),
        ("mysql+pymysql://me:{{ env_var('PW') }}@db:port/cdp",
         "connections/db.yaml:3:6: error: url: the port must be a number"),
    ],
)  # fmt: skip
def test_validate_reports_a_bad_url_at_its_line(tmp_path: Path, url: str, expected: str) -> None:
    code, output = _validate(tmp_path, url)
    assert code == 1
    assert expected in output
    assert "hunter22" not in output


def test_validate_accepts_an_env_var_password_without_the_secret(tmp_path: Path) -> None:
    code, output = _validate(tmp_path, "snowflake://me:{{ env_var('SF_PW') }}@acct/db?role=r")
    assert code == 0, output
    assert "Valid: 1 connection" in output


def _plan(ws: Workspace) -> list[dict[str, Any]]:
    """Each export's plan, without how its list was read (the second plan reads from the
    first one's snapshot)."""
    result = ws.sync("plan", "--format", "json")
    assert result.exit_code == 0, result.output
    exports = json.loads(result.stdout)["exports"]
    return [{k: v for k, v in export.items() if k != "read"} for export in exports]


def _mariadb_example(server: MariaDBServer, rows: list[tuple[Any, ...]]) -> tuple[str, str, str]:
    with contextlib.closing(server.connect()) as admin, admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS example")
        cursor.execute("CREATE DATABASE example CHARACTER SET utf8mb4")
    example = dataclasses.replace(server, database="example")
    with contextlib.closing(example.connect()) as connection:
        mariadb_profiles(connection, rows)
    return example.url(f"{{{{ env_var('{PASSWORD_ENV}') }}}}"), PASSWORD_ENV, server.password


def _postgres_example(server: PostgresServer, rows: list[tuple[Any, ...]]) -> tuple[str, str, str]:
    with server.connect() as admin:
        admin.execute("DROP DATABASE IF EXISTS example")
        admin.execute("CREATE DATABASE example")
    example = dataclasses.replace(server, database="example")
    with example.connect() as connection:
        postgres_profiles(connection, rows)
    env = "SYNC_TEST_PG_PASSWORD"
    url = example.url(f"{{{{ env_var('{env}') }}}}").replace(
        "postgresql://", "postgresql+psycopg://"
    )
    return url, env, server.password


@pytest.mark.parametrize("database", ["mariadb", "postgresql"])
def test_sync_plan_through_the_sql_source_is_the_plan_over_duckdb(
    workspace: Workspace,
    database: str,
    mariadb_server: MariaDBServer,
    postgres_server: PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    duck = _plan(workspace)
    rows = profile_rows(workspace.root / "data" / "profiles.duckdb")
    if database == "mariadb":
        url, env, password = _mariadb_example(mariadb_server, rows)
    else:
        url, env, password = _postgres_example(postgres_server, rows)
    workspace.write("connections/warehouse.yaml", f'name: warehouse\ntype: sql\nurl: "{url}"\n')
    monkeypatch.setenv(env, password)
    through_sql = _plan(workspace)
    assert sum(len(e["changes"]) for e in duck) > 100
    assert through_sql == duck
