"""Helpers for the source tests: Projects built straight from the models, data loaders."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from engine.errors import Location
from engine.manifests.models import Export, FieldMapping, Segment, Settings, Source
from engine.manifests.project import Project

PROFILE_COLUMNS = (
    "customer_id BIGINT, email VARCHAR, first_name VARCHAR, last_name VARCHAR, phone VARCHAR, "
    "lifetime_value DECIMAL(12,2), last_order_date DATE, country VARCHAR, "
    "marketing_opt_in BOOLEAN, signup_at TIMESTAMP"
)


def make_export(
    segments: Sequence[str],
    name: str = "vip",
    fields: dict[str, str] | None = None,
    tags: Sequence[str] = (),
    **mapping: str,
) -> Export:
    columns = {"email": "email", **mapping}
    return Export(
        name=name,
        connection="ac",
        list_id=12,
        segments=tuple(segments),
        mapping=FieldMapping(**columns, fields=fields or {}, tags=tuple(tags)),
    )


def make_project(
    root: Path, sources: Iterable[Source], segments: Iterable[Segment], exports: Iterable[Export]
) -> Project:
    """A Project as the loader would build it, with a location for every document and key."""
    locations: dict[tuple[str, ...], Location] = {}
    sources, segments, exports = list(sources), list(segments), list(exports)
    for source in sources:
        locations[("connections", source.name)] = Location(f"connections/{source.name}.yaml", 1)
    for segment in segments:
        locations[("segments", segment.name)] = Location(f"segments/{segment.name}.yaml", 1)
        locations[("segments", segment.name, "query")] = Location(
            f"segments/{segment.name}.yaml", 4, 8
        )
    for export in exports:
        path = f"exports/{export.name}.yaml"
        locations[("exports", export.name)] = Location(path, 1)
        for line, key in enumerate(export.mapping.columns(), start=6):
            locations[("exports", export.name, f"mapping.{key}")] = Location(path, line, 3)
    return Project(
        root=root,
        settings=Settings(),
        destinations={},
        sources={s.name: s for s in sources},
        segments={s.name: s for s in segments},
        exports={e.name: e for e in exports},
        locations=locations,
    )


def duckdb_file(path: Path, sql: str) -> Path:
    """A DuckDB database file made by ``sql`` (any statements)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as connection:
        connection.execute(sql)
    return path


def profile_rows(database: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute("SELECT * FROM profiles ORDER BY customer_id").fetchall()


def sqlite_profiles(path: Path, rows: Iterable[tuple[Any, ...]]) -> Path:
    """The profiles table in SQLite, stored the way SQLite stores such columns.

    DECIMAL has NUMERIC affinity (12.50 is stored as REAL 12.5), dates and timestamps are
    text, booleans 1/0.
    """

    def plain(value: Any) -> Any:
        if value is None or isinstance(value, str | int | float):
            return value
        return str(value)  # Decimal -> '12.50' (NUMERIC affinity), date/datetime -> ISO text

    with sqlite3.connect(path) as connection:
        connection.execute(f"CREATE TABLE profiles ({PROFILE_COLUMNS})")
        connection.executemany(
            "INSERT INTO profiles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ([plain(value) for value in row] for row in rows),
        )
    connection.close()
    return path


def postgres_profiles(connection: Any, rows: Iterable[tuple[Any, ...]]) -> None:
    """The profiles table in PostgreSQL (``connection``: an autocommit psycopg connection)."""
    connection.execute("DROP TABLE IF EXISTS profiles")
    connection.execute(f"CREATE TABLE profiles ({PROFILE_COLUMNS.replace('VARCHAR', 'TEXT')})")
    with connection.cursor().copy("COPY profiles FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def mariadb_profiles(connection: Any, rows: Sequence[tuple[Any, ...]]) -> None:
    """The profiles table in MariaDB/MySQL (``connection``: an autocommit pymysql one).

    VARCHAR needs a length there; TIMESTAMP is DATETIME(6) (MySQL's TIMESTAMP is a UTC
    instant limited to 1970-2038); BOOLEAN is TINYINT(1), read back as 1/0.
    """
    columns = PROFILE_COLUMNS.replace("VARCHAR", "VARCHAR(255)").replace("TIMESTAMP", "DATETIME(6)")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS profiles")
        cursor.execute(f"CREATE TABLE profiles ({columns}) CHARACTER SET utf8mb4")
        for start in range(0, len(rows), 5000):
            cursor.executemany(
                f"INSERT INTO profiles VALUES ({', '.join(['%s'] * 10)})",
                rows[start : start + 5000],
            )
