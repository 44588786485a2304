"""SQL source: any database SQLAlchemy speaks (``type: sql``), through a dialect extra.

- ``url`` is a SQLAlchemy URL whose ``${env:NAME}`` references (the password) are resolved
  here, when connecting, part by part (:mod:`engine.manifests.sqlurl`).
- One connection per source per run (``NullPool``), in one transaction that is rolled back
  at the end. Where the dialect can enforce it the connection is read-only first
  (:mod:`.dialects`: PostgreSQL, MySQL/MariaDB, SQLite); elsewhere the connection's role or
  user must be read-only (the README says so).
- A segment's text goes to the driver as written (``exec_driver_sql`` with
  ``no_parameters``: ``%`` and ``:`` mean what the database says) and streams through a
  server-side cursor (``stream_results``, ``yield_per``), ``CHUNK_ROWS`` rows at a time.
  A statement that returns no rows (``COMMIT``, ``SET ...``) is an error; it ends the run.
- A dialect or driver that is not installed is an error naming the extra to install.
- Secrets never reach a message: the password and every resolved variable are masked in
  the text of any error, and the URL is shown with ``***`` for its password.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Connection, CursorResult, Engine
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from engine.errors import SourceError
from engine.manifests import sqlurl
from engine.manifests.models import SQLSource
from engine.manifests.project import Project

from .base import CHUNK_ROWS, QueryError, Result, mask, message_of
from .dialects import install_hint, read_only

_BACKGROUND = re.compile(r"\s*\(Background on this error at: \S+\)\s*$")


class SQLReader:
    """An open SQLAlchemy connection in a transaction (read-only where enforceable)."""

    def __init__(self, engine: Engine, connection: Connection, secrets: set[str]) -> None:
        self._engine = engine
        self._connection = connection
        self._secrets = secrets
        self._results: list[CursorResult[Any]] = []

    def query(self, sql: str) -> Result:
        self._close_results()  # an unbuffered (MySQL) result must be closed before the next
        streaming = self._connection.execution_options(
            stream_results=True, yield_per=CHUNK_ROWS, no_parameters=True
        )
        try:
            result = streaming.exec_driver_sql(sql)
        except SQLAlchemyError as exc:
            raise QueryError(self._message(exc)) from exc
        self._results.append(result)
        if not result.returns_rows:
            raise QueryError(
                "a segment query must return rows (one SELECT statement); this one returned none"
            )
        columns = tuple(result.keys())

        def fetch(size: int) -> Sequence[Sequence[Any]]:
            try:
                return result.fetchmany(size)
            except SQLAlchemyError as exc:
                raise QueryError(self._message(exc)) from exc

        return Result(columns, fetch, (QueryError,))

    def close(self) -> None:
        """Close the results, roll the transaction back, close the connection."""
        try:
            self._close_results()
            with contextlib.suppress(SQLAlchemyError):
                self._connection.rollback()
        finally:
            with contextlib.suppress(SQLAlchemyError):
                self._connection.close()
            self._engine.dispose()

    def _close_results(self) -> None:
        for result in self._results:
            with contextlib.suppress(SQLAlchemyError):
                result.close()
        self._results.clear()

    def _message(self, exc: BaseException) -> str:
        return mask(driver_message(exc), self._secrets)


def open_sql(project: Project, source: SQLSource, environ: Mapping[str, str]) -> SQLReader:
    label = f"{project.where('connections', source.name)}: connection '{source.name}'"
    try:
        template = sqlurl.parse(source.url)
    except ValueError as exc:
        raise SourceError(f"{label}: {exc}") from None
    url = _local_paths(project, sqlurl.resolve(template, environ, label), template.dialect)
    secrets = sqlurl.secrets_of(template, url, environ)
    engine = _engine(url, label, template)
    shown = mask(url.render_as_string(hide_password=True), secrets)
    try:
        connection = engine.connect()
        _make_read_only(connection, template.dialect)
    except SQLAlchemyError as exc:
        engine.dispose()
        message = mask(driver_message(exc), secrets)
        error = SourceError(f"{label}: cannot connect to {shown}: {message}")
        raise error from (None if quotes(exc, secrets) else exc)
    return SQLReader(engine, connection, secrets)


def _engine(url: URL, label: str, template: sqlurl.Template) -> Engine:
    dialect, driver = template.dialect, template.driver
    named = f"{dialect}+{driver}" if driver else dialect
    known = read_only(dialect)
    ours = driver is None or driver == known.driver  # connect_args are that driver's words
    try:
        return create_engine(
            url, poolclass=NullPool, connect_args=dict(known.connect_args) if ours else {}
        )
    except NoSuchModuleError:
        what = f"the SQLAlchemy dialect '{named}' is not installed"
    except ImportError as exc:  # the dialect is there, its DBAPI driver is not
        what = f"the driver of '{named}' is not installed ({message_of(exc)})"
    raise SourceError(f"{label}: {what}: {install_hint(dialect, driver)}") from None


def _make_read_only(connection: Connection, dialect: str) -> None:
    rules = read_only(dialect)
    if rules.options:
        connection.execution_options(**rules.options)
    for statement in rules.statements:
        connection.exec_driver_sql(statement)


def _local_paths(project: Project, url: URL, dialect: str) -> URL:
    """A relative SQLite file is relative to the workspace, as in every other source."""
    database = url.database
    if dialect != "sqlite" or not database or database == ":memory:":
        return url
    if database.startswith("file:"):
        return url
    return url.set(database=str(project.path(database)))


def driver_message(exc: BaseException) -> str:
    """The database's own words: the DBAPI exception's (``(1045, 'Access denied')`` of
    MySQL drivers becomes ``Access denied (1045)``), without SQLAlchemy's trailers."""
    inner = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    args: tuple[object, ...] = getattr(inner, "args", ())
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        return f"{args[1]} ({args[0]})"
    return _BACKGROUND.sub("", message_of(inner))


def quotes(exc: BaseException, secrets: set[str]) -> bool:
    """Whether ``exc`` (or the driver's exception inside it) quotes a secret."""
    texts = [str(exc), str(getattr(exc, "orig", ""))]
    return any(secret in text for secret in secrets for text in texts)
