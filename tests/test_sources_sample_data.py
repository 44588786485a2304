"""engine.scaffold.sample_data and ``sync sample-data``: deterministic, messy profiles."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.emails import email_problem, normalise_email
from engine.scaffold.sample_data import generate
from tests.sources_support import profile_rows

SCHEMA = [
    ("customer_id", "BIGINT"),
    ("email", "VARCHAR"),
    ("first_name", "VARCHAR"),
    ("last_name", "VARCHAR"),
    ("phone", "VARCHAR"),
    ("lifetime_value", "DECIMAL(12,2)"),
    ("last_order_date", "DATE"),
    ("country", "VARCHAR"),
    ("marketing_opt_in", "BOOLEAN"),
    ("signup_at", "TIMESTAMP"),
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    summary = generate(
        root / "p.duckdb", rows=5000, seed=3, csv=root / "p.csv", parquet=root / "p.parquet"
    )
    assert summary.files == (root / "p.duckdb", root / "p.csv", root / "p.parquet")
    return root


def test_the_schema_is_the_fixed_one(sample: Path) -> None:
    with duckdb.connect(str(sample / "p.duckdb"), read_only=True) as connection:
        described = connection.execute("DESCRIBE profiles").fetchall()
    assert [(name, kind) for name, kind, *_ in described] == SCHEMA


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path, sample: Path) -> None:
    again = generate(tmp_path / "again.duckdb", rows=5000, seed=3).files[0]
    other = generate(tmp_path / "other.duckdb", rows=5000, seed=4).files[0]
    assert profile_rows(again) == profile_rows(sample / "p.duckdb")
    assert profile_rows(other) != profile_rows(again)


def test_csv_and_parquet_hold_the_same_rows(sample: Path) -> None:
    rows = profile_rows(sample / "p.duckdb")
    types = "{" + ", ".join(f"'{n}': '{t}'" for n, t in SCHEMA) + "}"
    with duckdb.connect() as connection:
        parquet = f"SELECT * FROM read_parquet('{sample}/p.parquet') ORDER BY customer_id"
        assert connection.execute(parquet).fetchall() == rows
        csv = f"SELECT * FROM read_csv('{sample}/p.csv', columns={types}) ORDER BY customer_id"
        # CSV cannot tell an empty string from NULL: both read back as NULL.
        blank_is_null = [tuple(None if v == "" else v for v in row) for row in rows]
        assert connection.execute(csv).fetchall() == blank_is_null


def test_the_data_is_realistically_messy(sample: Path) -> None:
    rows = profile_rows(sample / "p.duckdb")
    emails = [row[1] for row in rows]
    keys = [normalise_email(e) for e in emails]
    invalid = [e for e, k in zip(emails, keys, strict=True) if not k or email_problem(k)]
    assert 0.005 < len(invalid) / len(rows) < 0.02
    valid = [k for k in keys if k and not email_problem(k)]
    duplicates = len(valid) - len(set(valid))
    assert 0.01 < duplicates / len(rows) < 0.04
    assert sum(e is not None and e != e.strip() for e in emails) > len(rows) * 0.03
    assert sum(e is not None and e != e.lower() for e in emails) > len(rows) * 0.08
    first_names = [row[2] for row in rows]
    assert 0.01 < first_names.count(None) / len(rows) < 0.06
    assert any(name and not name.isascii() for name in first_names)
    shapes = Counter(re.sub(r"\d", "9", row[4]) for row in rows if row[4])
    assert len(shapes) >= 5
    assert 0.05 < sum(row[4] is None for row in rows) / len(rows) < 0.2


def test_segments_of_the_example_have_members(sample: Path) -> None:
    with duckdb.connect(str(sample / "p.duckdb"), read_only=True) as connection:
        high, recent, never, countries, opt_in = (
            connection.execute(
                "SELECT count(*) FILTER (lifetime_value >= 500),"
                " count(*) FILTER (last_order_date >= DATE '2026-06-01'),"
                " count(*) FILTER (last_order_date IS NULL AND lifetime_value = 0),"
                " count(DISTINCT country), avg(marketing_opt_in::INT) FROM profiles"
            ).fetchone()
            or ()
        )
    assert 0.08 * 5000 < high < 0.25 * 5000
    assert 0.08 * 5000 < recent < 0.25 * 5000
    assert never > 0
    assert countries >= 8
    assert 0.6 < opt_in < 0.85


def test_cli_writes_relative_to_the_workspace_and_replaces_the_file(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["-w", str(tmp_path), "sample-data", "--rows", "40", "--seed", "9"]
    result = runner.invoke(app, [*args, "--csv", "out/p.csv", "--parquet", "out/p.parquet"])
    assert result.exit_code == 0, result.output
    assert "wrote data/profiles.duckdb" in result.output
    assert "40 profiles (seed 9)" in result.output
    assert (tmp_path / "out" / "p.csv").read_text().startswith("customer_id,email,")
    assert (tmp_path / "out" / "p.parquet").stat().st_size > 0
    again = runner.invoke(app, ["-w", str(tmp_path), "sample-data", "--rows", "10"])
    assert again.exit_code == 0, again.output
    assert len(profile_rows(tmp_path / "data" / "profiles.duckdb")) == 10
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["profiles.duckdb"]


def test_cli_refuses_a_negative_row_count(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["-w", str(tmp_path), "sample-data", "--rows", "-5"])
    assert result.exit_code == 1
    assert "--rows -5" in result.output
