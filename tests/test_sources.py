"""Segment sources (DuckDB, SQLite) -> desired state: mapping, emails, duplicates, errors."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import duckdb
import pytest

from engine.contacts import Conflict, Contact, InvalidRow
from engine.errors import ConfigError, SourceError
from engine.manifests.models import DuckDBSource, Export, Segment, SQLiteSource
from engine.manifests.project import Project
from engine.sources import CHUNK_ROWS, desired_state
from tests.sources_support import duckdb_file, make_export, make_project

PEOPLE = """
CREATE TABLE people (id INTEGER, email VARCHAR, first VARCHAR, last VARCHAR, phone VARCHAR,
                     ltv DECIMAL(12,2), seg VARCHAR);
INSERT INTO people VALUES
  (1, '  Ana@Example.com ', 'Ana', 'Lima', '+1 555-0100', 520.50, 'a'),
  (2, 'bo@example.com', '  Bo ', NULL, NULL, 10.00, 'a'),
  (3, 'not-an-email', 'Cy', NULL, NULL, 1, 'a'),
  (4, NULL, 'Di', NULL, NULL, 1, 'a'),
  (5, 'ANA@example.COM', 'Anna', 'Lima', '+1 555-0199', 520.5, 'b'),
  (6, 'bo@example.com', 'Bo', 'Berg', '555', 11, 'b'),
  (7, 'cy@example.com', '', 'Ng', ' ', NULL, 'b');
"""


def _project(tmp_path: Path, export: Export, *segments: Segment, **source: str) -> Project:
    duckdb_file(tmp_path / "db.duckdb", PEOPLE)
    sources = [DuckDBSource(name="wh", type="duckdb", path="db.duckdb", **source)]
    return make_project(tmp_path, sources, segments, [export])


def _segment(name: str, where: str = "true", columns: str = "*", source: str = "wh") -> Segment:
    query = f"select {columns} from people where {where} order by id"
    return Segment(name=name, source=source, query=query)


def _two_segments(tmp_path: Path, **mapping: str) -> tuple[Project, Export]:
    export = make_export(["seg-a", "seg-b"], fields={"LTV": "ltv"}, tags=["vip", "cdp"], **mapping)
    a, b = _segment("seg-a", "seg = 'a'"), _segment("seg-b", "seg = 'b'")
    return _project(tmp_path, export, a, b), export


def test_rows_become_contacts_keyed_by_normalised_email(tmp_path: Path) -> None:
    project, export = _two_segments(tmp_path, first_name="first", last_name="last", phone="phone")
    state = desired_state(project, export)
    assert list(state.contacts) == ["ana@example.com", "bo@example.com", "cy@example.com"]
    tags = frozenset({"vip", "cdp"})
    assert state.contacts["ana@example.com"] == Contact(
        "ana@example.com", "Ana", "Lima", "+1 555-0100", (("LTV", "520.5"),), tags
    )
    # Bo: the first row's blanks/NULLs are filled by the later row; known values are kept.
    assert state.contacts["bo@example.com"] == Contact(
        "bo@example.com", "Bo", "Berg", "555", (("LTV", "10"),), tags
    )
    # Empty strings and blanks are unknown (None), never "".
    assert state.contacts["cy@example.com"] == Contact(
        "cy@example.com", None, "Ng", None, (("LTV", None),), tags
    )
    assert state.rows_read == 7


def test_invalid_and_missing_emails_are_listed_with_row_numbers(tmp_path: Path) -> None:
    project, export = _two_segments(tmp_path)
    state = desired_state(project, export)
    assert state.invalid == (
        InvalidRow("seg-a", 3, "not-an-email", "invalid email: no @"),
        InvalidRow("seg-a", 4, None, "missing email"),
    )


def test_invalid_rows_name_the_segments_key_column(tmp_path: Path) -> None:
    """``key: id`` in the segment: an invalid row is reported by a value the user can find."""
    export = make_export(["seg-a"])
    segment = Segment(
        name="seg-a", source="wh", query="select * from people where seg = 'a'", key="ID"
    )
    state = desired_state(_project(tmp_path, export, segment), export)
    assert state.invalid == (
        InvalidRow("seg-a", 3, "not-an-email", "invalid email: no @", "id=3"),
        InvalidRow("seg-a", 4, None, "missing email", "id=4"),
    )


def test_a_key_column_the_query_does_not_return_is_an_error(tmp_path: Path) -> None:
    export = make_export(["seg-a"])
    segment = Segment(name="seg-a", source="wh", query="select email from people", key="cid")
    with pytest.raises(SourceError, match="names key column 'cid', which its query does not"):
        desired_state(_project(tmp_path, export, segment), export)


def test_an_email_column_of_numbers_says_so(tmp_path: Path) -> None:
    export = make_export(["seg-a"], email="id")
    state = desired_state(_project(tmp_path, export, _segment("seg-a", "seg = 'a'")), export)
    reason = "invalid email: the email column holds numbers, not text"
    assert [(r.value, r.reason) for r in state.invalid] == [(str(i), reason) for i in range(1, 5)]
    assert not state.contacts


def test_duplicates_collapse_first_row_wins_and_conflicts_are_reported(tmp_path: Path) -> None:
    project, export = _two_segments(tmp_path, first_name="first", phone="phone")
    state = desired_state(project, export)
    assert state.contacts["ana@example.com"].first_name == "Ana"
    assert state.conflicts == (
        Conflict("ana@example.com", "first_name", "Ana", "seg-a:1", "Anna", "seg-b:1"),
        Conflict("ana@example.com", "phone", "+1 555-0100", "seg-a:1", "+1 555-0199", "seg-b:1"),
        # 10.00 and 11 are different values; 520.50 and 520.5 are the same one.
        Conflict("bo@example.com", "fields.LTV", "10", "seg-a:2", "11", "seg-b:2"),
    )


def test_a_value_filled_by_a_later_row_is_its_origin_in_later_conflicts(tmp_path: Path) -> None:
    duckdb_file(
        tmp_path / "db.duckdb",
        "CREATE TABLE t AS SELECT * FROM (VALUES (1, 'x@y.co', NULL), (2, 'x@y.co', 'A'),"
        " (3, 'X@y.co', 'B')) v(id, email, first)",
    )
    segment = Segment(name="s", source="wh", query="select * from t order by id")
    export = make_export(["s"], first_name="first")
    project = make_project(
        tmp_path, [DuckDBSource(name="wh", type="duckdb", path="db.duckdb")], [segment], [export]
    )
    state = desired_state(project, export)
    assert state.contacts["x@y.co"].first_name == "A"
    assert state.conflicts == (Conflict("x@y.co", "first_name", "A", "s:2", "B", "s:3"),)


def test_segment_order_is_the_exports_order(tmp_path: Path) -> None:
    export = make_export(["seg-b", "seg-a"], first_name="first")
    project = _project(
        tmp_path, export, _segment("seg-a", "seg = 'a'"), _segment("seg-b", "seg = 'b'")
    )
    state = desired_state(project, export)
    assert state.contacts["ana@example.com"].first_name == "Anna"
    assert next(iter(state.contacts)) == "ana@example.com"


def test_a_person_in_two_segments_of_different_sources_is_one_contact(tmp_path: Path) -> None:
    duckdb_file(tmp_path / "db.duckdb", PEOPLE)
    with sqlite3.connect(tmp_path / "crm.sqlite") as connection:
        connection.execute("CREATE TABLE crm (email TEXT, first TEXT)")
        connection.execute("INSERT INTO crm VALUES ('BO@example.com', 'Bob'), ('z@z.io', 'Zed')")
    connection.close()
    sources = [
        DuckDBSource(name="wh", type="duckdb", path="db.duckdb"),
        SQLiteSource(name="crm", type="sqlite", path="crm.sqlite"),
    ]
    segments = [
        _segment("a", "seg = 'a'", "email, first"),
        Segment(name="c", source="crm", query="select email, first from crm"),
    ]
    export = make_export(["a", "c"], first_name="first")
    state = desired_state(make_project(tmp_path, sources, segments, [export]), export)
    assert list(state.contacts) == ["ana@example.com", "bo@example.com", "z@z.io"]
    assert state.contacts["bo@example.com"].first_name == "Bo"
    assert [c.kept_from for c in state.conflicts] == ["a:2"]


def test_missing_mapped_column_names_files_column_and_returned_columns(tmp_path: Path) -> None:
    export = make_export(["seg-a"], first_name="first", fields={"LTV": "lifetime_value"})
    project = _project(tmp_path, export, _segment("seg-a", columns="email, first, ltv"))
    with pytest.raises(SourceError) as caught:
        desired_state(project, export)
    message = str(caught.value)
    assert message.startswith("exports/vip.yaml:8:3: export 'vip'")
    assert "fields.LTV -> 'lifetime_value'" in message
    assert "segment 'seg-a' (segments/seg-a.yaml:1)" in message
    assert "its query returns: email, first, ltv" in message


def test_columns_match_case_insensitively_when_not_exactly(tmp_path: Path) -> None:
    export = make_export(["seg-a"], email="EMAIL", first_name="First")
    project = _project(tmp_path, export, _segment("seg-a", "id = 1"))
    state = desired_state(project, export)
    assert state.contacts["ana@example.com"].first_name == "Ana"


@pytest.mark.parametrize(
    ("query", "quoted"),
    [
        ("select email from nowhere", "Table with name nowhere does not exist"),
        ("selec email from people", "syntax error at or near"),
        ("select email from people where ltv > 'abc'", "Conversion Error: Could not convert"),
        (
            f"select 'p' || i || '@x.io' as email, case when i = {CHUNK_ROWS + 7} then "
            f"error('broken row') end as n from range({CHUNK_ROWS * 2}) t(i)",
            "broken row",
        ),
    ],
)
def test_a_failing_query_names_the_segment_file_and_quotes_the_database(
    tmp_path: Path, query: str, quoted: str
) -> None:
    export = make_export(["seg-a"])
    project = _project(tmp_path, export, Segment(name="seg-a", source="wh", query=query))
    with pytest.raises(SourceError) as caught:
        desired_state(project, export)
    message = str(caught.value)
    assert message.startswith("segments/seg-a.yaml:4:8: segment 'seg-a': the query failed on")
    assert "duckdb connection 'wh'" in message
    assert quoted in message


@pytest.mark.parametrize(
    "query",
    [
        "insert into people (id) values (99)",
        "delete from people",
        "create table x as select 1",
        "copy people to 'stolen.csv'",
        "attach 'other.duckdb' as other",
        "select 1; delete from people",
    ],
)
def test_duckdb_segments_cannot_write(tmp_path: Path, query: str) -> None:
    export = make_export(["w"])
    project = _project(tmp_path, export, Segment(name="w", source="wh", query=query))
    with pytest.raises(SourceError, match=r"segments/w\.yaml"):
        desired_state(project, export)
    assert not (tmp_path / "stolen.csv").exists()
    assert not (tmp_path / "other.duckdb").exists()
    with duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True) as connection:
        assert connection.execute("select count(*) from people").fetchone() == (7,)


def test_in_memory_duckdb_refuses_copy_to_a_file(tmp_path: Path) -> None:
    export = make_export(["w"])
    segment = Segment(name="w", source="mem", query="copy (select 1) to 'out.csv'")
    project = make_project(tmp_path, [DuckDBSource(name="mem", type="duckdb")], [segment], [export])
    with pytest.raises(SourceError, match="must be a SELECT"):
        desired_state(project, export)
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("query", "quoted"),
    [
        ("insert into people (email) values ('x@y.co')", "readonly database"),
        ("delete from people", "readonly database"),
        ("create table x (a)", "readonly database"),
        ("attach database 'other.sqlite' as other", "not authorized"),
        ("select 1; delete from people", "one statement at a time"),
    ],
)
def test_sqlite_segments_cannot_write(tmp_path: Path, query: str, quoted: str) -> None:
    path = tmp_path / "crm.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE people (email TEXT)")
        connection.execute("INSERT INTO people VALUES ('a@b.co')")
    connection.close()
    export = make_export(["w"])
    segment = Segment(name="w", source="crm", query=query)
    source = SQLiteSource(name="crm", type="sqlite", path="crm.sqlite")
    project = make_project(tmp_path, [source], [segment], [export])
    with pytest.raises(SourceError, match=quoted) as caught:
        desired_state(project, export)
    assert "segments/w.yaml" in str(caught.value)
    assert "sqlite connection 'crm'" in str(caught.value)
    assert not (tmp_path / "other.sqlite").exists()
    with sqlite3.connect(path) as connection:
        assert connection.execute("select email from people").fetchall() == [("a@b.co",)]
    connection.close()


def test_csv_and_parquet_through_in_memory_duckdb_relative_to_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exports = tmp_path / "cdp"
    exports.mkdir()
    (exports / "profiles.csv").write_text(
        "email,first_name,lifetime_value\nana@example.com,Ana,520.50\nBO@example.com,Bo,7\n"
    )
    with duckdb.connect() as connection:
        connection.execute(
            "COPY (SELECT 'cy@example.com' AS email, 'Cy' AS first_name, 12.30::DECIMAL(12,2)"
            f" AS lifetime_value) TO '{exports / 'more.parquet'}' (FORMAT parquet)"
        )
    segments = [
        Segment(name="csv", source="files", query="select * from read_csv('cdp/profiles.csv')"),
        Segment(name="pq", source="files", query="from read_parquet('cdp/more.parquet')"),
    ]
    export = make_export(["csv", "pq"], first_name="first_name", fields={"LTV": "lifetime_value"})
    project = make_project(
        tmp_path, [DuckDBSource(name="files", type="duckdb")], segments, [export]
    )
    monkeypatch.chdir(tmp_path.parent)  # relative paths resolve against the workspace
    state = desired_state(project, export)
    assert {e: c.field("LTV") for e, c in state.contacts.items()} == {
        "ana@example.com": "520.5",
        "bo@example.com": "7",
        "cy@example.com": "12.3",
    }
    assert os.getcwd() == str(tmp_path.parent)


def test_rows_stream_in_chunks_and_progress_is_reported(tmp_path: Path) -> None:
    rows = CHUNK_ROWS * 2 + 5
    segment = Segment(
        name="many",
        source="mem",
        query=f"select 'p' || i || '@example.com' as email, i as n from range({rows}) t(i)",
    )
    export = make_export(["many"], fields={"N": "n"})
    project = make_project(tmp_path, [DuckDBSource(name="mem", type="duckdb")], [segment], [export])
    seen: list[int] = []
    state = desired_state(project, export, progress=lambda done, _total: seen.append(done))
    assert seen == [CHUNK_ROWS, CHUNK_ROWS * 2, rows]
    assert len(state.contacts) == rows
    assert state.contacts[f"p{rows - 1}@example.com"].field("N") == str(rows - 1)


def test_typed_values_are_formatted_the_way_activecampaign_stores_them(tmp_path: Path) -> None:
    query = """
        select 'a@b.co' as email, 1.50::DECIMAL(12,2) as d, 100.00::DECIMAL(12,2) as whole,
               true as flag, DATE '2026-06-01' as day, TIMESTAMP '2026-06-01 12:30:05.25' as ts,
               42::BIGINT as n, 2.5::DOUBLE as x, ['a', NULL, 'b'] as multi, 555 as phone
    """
    fields = {t.upper(): t for t in ("d", "whole", "flag", "day", "ts", "n", "x", "multi")}
    export = make_export(["t"], phone="phone", fields=fields)
    segment = Segment(name="t", source="mem", query=query)
    project = make_project(tmp_path, [DuckDBSource(name="mem", type="duckdb")], [segment], [export])
    contact = desired_state(project, export).contacts["a@b.co"]
    assert dict(contact.fields) == {
        "D": "1.5",
        "WHOLE": "100",
        "FLAG": "1",
        "DAY": "2026-06-01",
        "TS": "2026-06-01 12:30:05",
        "N": "42",
        "X": "2.5",
        "MULTI": "||a||b||",
    }
    assert contact.phone == "555"


def test_missing_database_files_are_errors_naming_the_connection(tmp_path: Path) -> None:
    export = make_export(["s"])
    for source in (
        DuckDBSource(name="src", type="duckdb", path="data/none.duckdb"),
        SQLiteSource(name="src", type="sqlite", path="data/none.sqlite"),
    ):
        segment = Segment(name="s", source="src", query="select 1 as email")
        project = make_project(tmp_path, [source], [segment], [export])
        with pytest.raises(SourceError, match=r"connections/src.yaml:1: connection 'src'"):
            desired_state(project, export)
        assert not (tmp_path / "data").exists()  # never created by opening


def test_an_unknown_segment_is_an_error_naming_the_export(tmp_path: Path) -> None:
    export = make_export(["ghost"])
    project = make_project(tmp_path, [DuckDBSource(name="mem", type="duckdb")], [], [export])
    with pytest.raises(SourceError, match="segment 'ghost'"):
        desired_state(project, export)


def test_postgres_url_env_reference_must_be_set(tmp_path: Path) -> None:
    from engine.manifests.models import PostgresSource

    source = PostgresSource(
        name="pg", type="postgres", url="postgresql://u:${env:NOPE_PG_PW}@127.0.0.1:1/db"
    )
    segment = Segment(name="s", source="pg", query="select 1 as email")
    export = make_export(["s"])
    project = make_project(tmp_path, [source], [segment], [export])
    with pytest.raises(ConfigError, match="NOPE_PG_PW is not set") as caught:
        desired_state(project, export, environ={})
    assert "connections/pg.yaml:1" in str(caught.value)
