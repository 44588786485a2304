"""A realistic, deterministic sample of unified customer profiles (a CDP's export), any size.

Table ``profiles`` (the schema is fixed: the example workspace's segments query it)::

    customer_id BIGINT, email VARCHAR, first_name VARCHAR, last_name VARCHAR, phone VARCHAR,
    lifetime_value DECIMAL(12,2), last_order_date DATE, country VARCHAR,
    marketing_opt_in BOOLEAN, signup_at TIMESTAMP

with the mess real exports have: about 12% of emails in mixed or upper case and 5% padded
with whitespace; about 1% invalid (no ``@``, two of them, no top-level domain, a space, a
comma, ``n/a``, blank, NULL); about 2% duplicate people (a later row for an earlier person:
the email in another case, the phone in another format, other order figures, which the
sync reports as conflicts); NULL names and unicode names (José, Zoë, Łukasz, 山田, ...);
phones in five formats, 12% missing; lifetime values skewed so that ~14% are >= 500 (the
example's VIP threshold); last order dates up to 2026-09-30 with ~13% on or after
2026-06-01 (the example's recent buyers), NULL for the ~6% who never ordered.

It is generated inside DuckDB with a counter-based hash (``seed``, row number, column salt)
instead of a stateful random generator, so the output depends only on ``rows`` and
``seed`` (not on threads), and a million rows take a few seconds.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

DEFAULT_ROWS = 2_000
DEFAULT_SEED = 1

_FIRST = (
    ("Ana", "ana"), ("James", "james"), ("Mary", "mary"), ("John", "john"),
    ("Patricia", "patricia"), ("Robert", "robert"), ("Jennifer", "jennifer"),
    ("Michael", "michael"), ("Linda", "linda"), ("David", "david"), ("Sarah", "sarah"),
    ("Daniel", "daniel"), ("Emma", "emma"), ("Noah", "noah"), ("Olivia", "olivia"),
    ("Liam", "liam"), ("Sophie", "sophie"), ("Lucas", "lucas"), ("Mia", "mia"),
    ("Ben", "ben"), ("Grace", "grace"), ("Henry", "henry"), ("Chloé", "chloe"),
    ("José", "jose"), ("Zoë", "zoe"), ("Łukasz", "lukasz"), ("Søren", "soren"),
    ("Amélie", "amelie"), ("François", "francois"), ("Jürgen", "jurgen"),
    ("Ángel", "angel"), ("Björn", "bjorn"), ("Siobhán", "siobhan"), ("Priya", "priya"),
    ("Arjun", "arjun"), ("Wei", "wei"), ("Yuki", "yuki"), ("Fatima", "fatima"),
    ("Omar", "omar"), ("Ingrid", "ingrid"), ("Mateo", "mateo"), ("Aisha", "aisha"),
    ("Hiroshi", "hiroshi"), ("Ольга", "olga"), ("Dmitri", "dmitri"), ("Nnamdi", "nnamdi"),
    ("太郎", "taro"), ("Léa", "lea"),
)  # fmt: skip
_LAST = (
    ("Smith", "smith"), ("Johnson", "johnson"), ("Williams", "williams"), ("Brown", "brown"),
    ("Jones", "jones"), ("Miller", "miller"), ("Davis", "davis"), ("Wilson", "wilson"),
    ("Taylor", "taylor"), ("Anderson", "anderson"), ("Thomas", "thomas"), ("Moore", "moore"),
    ("Martin", "martin"), ("Lee", "lee"), ("Clark", "clark"), ("Walker", "walker"),
    ("Young", "young"), ("King", "king"), ("Wright", "wright"), ("Scott", "scott"),
    ("Hill", "hill"), ("Green", "green"), ("Adams", "adams"), ("Baker", "baker"),
    ("García", "garcia"), ("Rodríguez", "rodriguez"), ("Martínez", "martinez"),
    ("López", "lopez"), ("Pérez", "perez"), ("Sánchez", "sanchez"), ("Müller", "muller"),
    ("Schröder", "schroder"), ("Lefèvre", "lefevre"), ("Dubois", "dubois"),
    ("O'Brien", "obrien"), ("Kowalski", "kowalski"), ("Åberg", "aberg"),
    ("Yılmaz", "yilmaz"), ("Nguyễn", "nguyen"), ("Kim", "kim"), ("Tanaka", "tanaka"),  # noqa: RUF001
    ("Silva", "silva"), ("Santos", "santos"), ("Øster", "oster"), ("Dvořák", "dvorak"),
    ("山田", "yamada"), ("Иванова", "ivanova"), ("van der Berg", "vanderberg"),
)  # fmt: skip
_DOMAINS = (
    "gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com",
    "icloud.com", "proton.me", "web.de", "orange.fr", "example.co.uk", "acme.io",
)  # fmt: skip
_COUNTRIES = (  # (code, cumulative share)
    ("US", 0.35), ("GB", 0.47), ("DE", 0.57), ("FR", 0.65), ("CA", 0.72), ("AU", 0.77),
    ("IN", 0.82), ("ES", 0.86), ("BR", 0.90), ("NL", 0.94), ("SE", 0.97), ("JP", 1.01),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """What was written, with the figures the example segments care about."""

    rows: int
    high_value: int  # lifetime_value >= 500
    recent_buyers: int  # last_order_date >= 2026-06-01
    files: tuple[Path, ...]
    seconds: float


def _literal(items: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + item.replace("'", "''") + "'" for item in items) + "]"


def _macros(seed: int) -> str:
    """``u(i, salt)``: a uniform double in [0, 1) from a 32-bit integer hash of (seed, i, salt)."""
    countries = " ".join(f"WHEN x < {share} THEN '{code}'" for code, share in _COUNTRIES)
    return f"""
    CREATE OR REPLACE TEMP MACRO mix(x) AS (xor(x >> 16, x) * 73244475) % 4294967296;
    CREATE OR REPLACE TEMP MACRO u(i, salt) AS
        xor(mix(mix(mix((i * 2654435761 + salt * 2246822519 + {seed % 2**32}) % 4294967296)))
            >> 16,
            mix(mix(mix((i * 2654435761 + salt * 2246822519 + {seed % 2**32}) % 4294967296))))
        / 4294967296.0;
    CREATE OR REPLACE TEMP MACRO pick(items, x) AS items[1 + floor(x * len(items))::BIGINT];
    CREATE OR REPLACE TEMP MACRO country(x) AS CASE {countries} ELSE 'US' END;
    """


_PEOPLE = """
CREATE TEMP TABLE people AS
SELECT i, CASE WHEN i > 20 AND u(i, 1) < 0.02
               THEN i - 1 - floor(u(i, 2) * least(i - 1, 5000))::BIGINT ELSE i END AS p
FROM range(1, $rows + 1) t(i)
"""

_PROFILES = """
CREATE TABLE profiles AS
WITH base AS (
    SELECT i, p, p <> i AS dup,
           floor(u(p, 3) * len($first))::BIGINT + 1 AS fi,
           floor(u(p, 4) * len($last))::BIGINT + 1 AS li,
           u(p, 5) AS form, u(i, 7) AS casing, u(i, 8) AS pad, u(i, 9) AS bad,
           lpad((200 + floor(u(p, 12) * 799))::BIGINT::VARCHAR, 3, '0') AS area,
           lpad(floor(u(p, 13) * 10000000)::BIGINT::VARCHAR, 7, '0') AS num,
           u(i, 14) AS spend
    FROM people
), named AS (
    SELECT *, $first_ascii[fi] AS fa, $last_ascii[li] AS la,
           CASE WHEN form < 0.4 THEN $first_ascii[fi] || '.' || $last_ascii[li] || p
                WHEN form < 0.7 THEN $first_ascii[fi][1] || $last_ascii[li] || p
                WHEN form < 0.85 THEN $first_ascii[fi] || '_' || p
                ELSE $last_ascii[li] || '.' || $first_ascii[fi] || p END
           || '@' || pick($domains, u(p, 6)) AS clean
    FROM base
), messy AS (
    SELECT *,
        CASE WHEN bad < 0.01 THEN CASE floor(u(i, 10) * 8)::INTEGER
                WHEN 0 THEN replace(clean, '@', '') WHEN 1 THEN replace(clean, '@', '@@')
                WHEN 2 THEN regexp_replace(clean, '\\.[a-z.]+$', '')
                WHEN 3 THEN replace(clean, '.', ' ') WHEN 4 THEN replace(clean, '.', ',')
                WHEN 5 THEN 'n/a' WHEN 6 THEN '' ELSE NULL END
             WHEN dup AND casing < 0.5 OR casing < 0.06 THEN upper(clean)
             WHEN dup OR casing < 0.12 THEN upper(clean[1]) || clean[2:]
             ELSE clean END AS e
    FROM named
)
SELECT
    (100000 + i)::BIGINT AS customer_id,
    (CASE WHEN pad < 0.03 THEN '  ' || e || ' ' WHEN pad < 0.05 THEN e || chr(9) ELSE e END
    )::VARCHAR AS email,
    (CASE WHEN u(p, 20) < 0.03 THEN NULL WHEN u(i, 21) < 0.02 THEN upper($first[fi])
          ELSE $first[fi] END)::VARCHAR AS first_name,
    (CASE WHEN u(p, 22) < 0.04 THEN NULL ELSE $last[li] END)::VARCHAR AS last_name,
    (CASE WHEN u(i, 11) < 0.12 THEN NULL ELSE CASE floor(u(i, 15) * 5)::INTEGER
        WHEN 0 THEN '+1 ' || area || '-' || num[1:3] || '-' || num[4:]
        WHEN 1 THEN '(' || area || ') ' || num[1:3] || '-' || num[4:]
        WHEN 2 THEN area || '.' || num[1:3] || '.' || num[4:]
        WHEN 3 THEN '+44 20 ' || num[1:4] || ' ' || num[5:] || area[3]
        ELSE area || num END END)::VARCHAR AS phone,
    (CASE WHEN spend < 0.06 THEN 0
          ELSE round(20 * exp(4 * pow(u(i, 16), 1.5)) * (CASE WHEN u(i, 17) < 0.005 THEN 10
                     ELSE 1 END) + u(i, 18), 2) END)::DECIMAL(12, 2) AS lifetime_value,
    (CASE WHEN spend < 0.06 THEN NULL
          ELSE DATE '2026-09-30' - floor(u(i, 19) * 900)::INTEGER END)::DATE AS last_order_date,
    country(u(p, 23))::VARCHAR AS country,
    (CASE WHEN u(i, 24) < 0.02 THEN NULL ELSE u(i, 25) < 0.72 END)::BOOLEAN
        AS marketing_opt_in,
    (TIMESTAMP '2019-01-01 00:00:00'
        + to_seconds(floor(u(p, 26) * 240000000)::BIGINT))::TIMESTAMP AS signup_at
FROM messy
ORDER BY i
"""


def create_profiles(connection: duckdb.DuckDBPyConnection, rows: int, seed: int) -> None:
    """Create table ``profiles`` with ``rows`` rows in ``connection`` (see the module doc)."""
    if rows < 0:
        raise ValueError("rows must be zero or more")
    connection.execute(_macros(seed))
    connection.execute(_PEOPLE.replace("$rows", str(int(rows))))
    names = {
        "$first_ascii": _literal(tuple(a for _, a in _FIRST)),
        "$last_ascii": _literal(tuple(a for _, a in _LAST)),
        "$first": _literal(tuple(d for d, _ in _FIRST)),
        "$last": _literal(tuple(d for d, _ in _LAST)),
        "$domains": _literal(_DOMAINS),
    }
    sql = _PROFILES
    for key, value in names.items():
        sql = sql.replace(key, value)
    connection.execute(sql)
    connection.execute("DROP TABLE people")


def generate(
    out: Path,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    csv: Path | None = None,
    parquet: Path | None = None,
) -> SampleSummary:
    """Write the sample to the DuckDB file ``out`` (replaced whole), and CSV/Parquet copies."""
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    for leftover in (partial, partial.with_name(partial.name + ".wal")):
        leftover.unlink(missing_ok=True)
    connection = duckdb.connect(str(partial))
    try:
        connection.execute("SET enable_progress_bar = false")
        create_profiles(connection, rows, seed)
        files = [out]
        for path, options in ((csv, "HEADER, DELIMITER ','"), (parquet, "FORMAT parquet")):
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                escaped = str(path).replace("'", "''")
                connection.execute(f"COPY profiles TO '{escaped}' ({options})")
                files.append(path)
        high, recent = connection.execute(
            "SELECT count(*) FILTER (lifetime_value >= 500), "
            "count(*) FILTER (last_order_date >= DATE '2026-06-01') FROM profiles"
        ).fetchone() or (0, 0)
    finally:
        connection.close()
    out.with_name(out.name + ".wal").unlink(missing_ok=True)
    os.replace(partial, out)
    return SampleSummary(rows, high, recent, tuple(files), time.perf_counter() - started)
