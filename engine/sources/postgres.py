"""PostgreSQL source: psycopg 3, a read-only transaction, server-side cursors.

- The manifest's ``url`` keeps ``${env:NAME}`` references (the password); they are resolved
  here, when connecting, from the given environment.
- Every segment runs inside one ``BEGIN READ ONLY`` transaction that is rolled back at the
  end, through a named (server-side) cursor: rows arrive ``CHUNK_ROWS`` at a time, so a
  million-row segment never sits whole in the driver. PostgreSQL refuses writes in such a
  transaction, and ``DECLARE`` itself accepts only ``SELECT``/``VALUES``.
- Secrets never reach a message: the password and every resolved variable are masked in
  the text of any error the driver raises.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from urllib.parse import urlsplit

import psycopg

from engine.errors import SourceError
from engine.manifests.models import PostgresSource
from engine.manifests.project import Project
from engine.manifests.secrets import ENV_REF, resolve_env

from .base import QueryError, Result, mask, message_of

CONNECT_TIMEOUT = 15  # seconds


class PostgresReader:
    """An open PostgreSQL connection in a read-only transaction."""

    def __init__(
        self, connection: psycopg.Connection[tuple[object, ...]], secrets: set[str]
    ) -> None:
        self._connection = connection
        self._secrets = secrets
        self._cursors: list[psycopg.ServerCursor[tuple[object, ...]]] = []

    def query(self, sql: str) -> Result:
        cursor = self._connection.cursor(name=f"sync_segment_{len(self._cursors) + 1}")
        self._cursors.append(cursor)
        try:
            cursor.execute(sql)
        except psycopg.Error as exc:
            raise QueryError(mask(message_of(exc), self._secrets)) from exc
        columns = tuple(d.name for d in cursor.description or ())

        def fetch(size: int) -> list[tuple[object, ...]]:
            try:
                return cursor.fetchmany(size)
            except psycopg.Error as exc:
                raise QueryError(mask(message_of(exc), self._secrets)) from exc

        return Result(columns, fetch, (QueryError,))

    def close(self) -> None:
        """Close the cursors, roll the (read-only) transaction back, close the connection."""
        try:
            for cursor in self._cursors:
                with contextlib.suppress(psycopg.Error):
                    cursor.close()
            with contextlib.suppress(psycopg.Error):
                self._connection.rollback()
        finally:
            self._connection.close()


def open_postgres(
    project: Project, source: PostgresSource, environ: Mapping[str, str]
) -> PostgresReader:
    where = project.where("connections", source.name)
    url = resolve_env(source.url, environ, f"{where}: connection '{source.name}'")
    secrets = _secrets(source.url, url, environ)
    try:
        connection = psycopg.connect(url, autocommit=False, connect_timeout=CONNECT_TIMEOUT)
        connection.read_only = True
    except psycopg.Error as exc:
        message = mask(message_of(exc), secrets)
        error = SourceError(
            f"{where}: connection '{source.name}': cannot connect to PostgreSQL "
            f"{describe(url)}: {message}"
        )
        # The driver's own exception is chained for --debug, unless it quotes a secret.
        raise error from (exc if message == message_of(exc) else None)
    return PostgresReader(connection, secrets)


def describe(url: str) -> str:
    """``host:port/db as user``, without the password, for messages."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "local socket"
        port = f":{parts.port}" if parts.port else ""
        user = f" as {parts.username}" if parts.username else ""
        return f"{host}{port}{parts.path or ''}{user}"
    except ValueError:
        return "(unparseable url)"


def _secrets(template: str, url: str, environ: Mapping[str, str]) -> set[str]:
    """The password, and every resolved variable long enough not to mask ordinary words."""
    found = {environ.get(m.group(1), "") for m in ENV_REF.finditer(template)}
    found = {value for value in found if len(value) >= 4}
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        found.add(password)
    return found
