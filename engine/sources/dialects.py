"""What the SQL source knows of each SQLAlchemy dialect: the extra that installs it, its URL
form, and how a connection is made read-only where the database can enforce it.

Read-only is enforced by PostgreSQL (a ``READ ONLY`` transaction), MySQL and MariaDB (the
session's and the transaction's access mode) and SQLite (``query_only``). Other warehouses
(Snowflake, BigQuery, Redshift, Databricks, Trino, SQL Server) have no such switch on a
connection: give the connection a role or user that may only read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from engine.manifests.sqlurl import EXAMPLE

PACKAGE = "ac-segment-sync"


@dataclass(frozen=True, slots=True)
class Dialect:
    """One dialect: ``extra`` None when it comes with the product itself."""

    extra: str | None
    url: str
    driver: str | None = None  # the extra's DBAPI driver, written dialect+driver://
    options: Mapping[str, object] = field(default_factory=dict)  # execution options
    statements: tuple[str, ...] = ()  # run once, right after connecting
    connect_args: Mapping[str, object] = field(default_factory=dict)  # to the DBAPI connect

    @property
    def enforces_read_only(self) -> bool:
        return bool(self.options or self.statements)


_MYSQL_READ_ONLY = ("SET SESSION TRANSACTION READ ONLY", "START TRANSACTION READ ONLY")
_PW = "{{ env_var('DB_PASSWORD') }}"
_TIMEOUT = MappingProxyType({"connect_timeout": 15})  # seconds; the drivers wait longer

DIALECTS: Mapping[str, Dialect] = MappingProxyType(
    {
        "postgresql": Dialect(
            None,
            f"postgresql+psycopg://USER:{_PW}@HOST:5432/DB",
            driver="psycopg",
            options={"postgresql_readonly": True},
            connect_args=_TIMEOUT,
        ),
        "mysql": Dialect(
            "mysql", EXAMPLE, driver="pymysql", statements=_MYSQL_READ_ONLY, connect_args=_TIMEOUT
        ),
        "mariadb": Dialect(
            "mysql",
            f"mariadb+pymysql://USER:{_PW}@HOST:3306/DB",
            driver="pymysql",
            statements=_MYSQL_READ_ONLY,
            connect_args=_TIMEOUT,
        ),
        "sqlite": Dialect(
            None, "sqlite:///data/file.sqlite", statements=("PRAGMA query_only = ON",)
        ),
        "snowflake": Dialect(
            "snowflake", f"snowflake://USER:{_PW}@ACCOUNT/DATABASE/SCHEMA?warehouse=WH&role=ROLE"
        ),
        "bigquery": Dialect("bigquery", "bigquery://PROJECT/DATASET?credentials_path=KEY.json"),
        "redshift": Dialect(
            "redshift",
            f"redshift+redshift_connector://USER:{_PW}@CLUSTER.REGION.redshift.amazonaws.com"
            ":5439/DB",
            driver="redshift_connector",
        ),
        "databricks": Dialect(
            "databricks",
            "databricks://token:{{ env_var('DATABRICKS_TOKEN') }}@HOST"
            "?http_path=/sql/1.0/warehouses/ID&catalog=CATALOG&schema=SCHEMA",
        ),
        "trino": Dialect("trino", f"trino://USER:{_PW}@HOST:443/CATALOG/SCHEMA"),
        "mssql": Dialect("mssql", f"mssql+pymssql://USER:{_PW}@HOST:1433/DB", driver="pymssql"),
    }
)
"""By SQLAlchemy's dialect name (the part of the url before ``+``/``://``)."""

NO_READ_ONLY = Dialect(None, "")


def read_only(dialect: str) -> Dialect:
    """How to keep ``dialect`` read-only (nothing to run for one that cannot enforce it)."""
    return DIALECTS.get(dialect, NO_READ_ONLY)


def install_hint(dialect: str, driver: str | None) -> str:
    """What to do when ``dialect+driver`` is not installed."""
    known = DIALECTS.get(dialect)
    if known is None:
        return (
            f"install the Python package that provides SQLAlchemy's '{dialect}' dialect "
            "into the same environment as sync"
        )
    install = f"pip install '{PACKAGE}[{known.extra}]'" if known.extra else ""
    if known.driver is not None and driver != known.driver:
        written = f"{dialect}+{driver}" if driver else dialect
        also = f" and install it: {install}" if install else ""
        return f"start the url with {dialect}+{known.driver}:// (not {written}){also}"
    return f"install it: {install}" if install else f"reinstall {PACKAGE}"
