"""Where snapshots and account facts are kept: files under ``.sync/state/``, or PostgreSQL.

Both stores hold opaque snapshot bytes (:mod:`engine.state.codec` makes and reads them)
per (account host, list id), and a small JSON document of facts per account (the
``include=fieldValues`` verdict, ``sync doctor``'s findings). Both replace a snapshot
atomically: a crash while saving leaves the previous one in place.

- :class:`LocalStore` (the default): ``.sync/state/<host>/list-<id>.snapshot`` and
  ``.sync/state/<host>/account.json``; folders 0700, files 0600 (snapshots hold personal
  data); written to a temporary file, fsynced, renamed over the old one, the folder fsynced.
- :class:`PostgresStore` (``state: {store: postgres, url: ...}``): tables
  ``sync_snapshots`` and ``sync_accounts``, created on first use; a save is one upsert.
  For CI runners that keep no files (and no cache): the database keeps them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from engine.errors import ConfigError

from .files import private_folder, write_private


class StateStore(Protocol):
    """Snapshot bytes per (account, list id) and facts per account."""

    description: str

    def get(self, account: str, list_id: str) -> bytes | None: ...

    def put(self, account: str, list_id: str, data: bytes) -> None: ...

    def facts(self, account: str) -> dict[str, Any]: ...

    def put_facts(self, account: str, facts: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


def _folder_name(account: str) -> str:
    """A host as a folder name (``127.0.0.1:8080`` -> ``127.0.0.1_8080``)."""
    return re.sub(r"[^a-z0-9.-]", "_", account.lower()) or "_"


class LocalStore:
    """Files under ``root`` (``<workspace>/.sync/state``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = f"local ({root})"

    def _folder(self, account: str) -> Path:
        return self.root / _folder_name(account)

    def _path(self, account: str, list_id: str) -> Path:
        return self._folder(account) / f"list-{_folder_name(list_id)}.snapshot"

    def get(self, account: str, list_id: str) -> bytes | None:
        try:
            return self._path(account, list_id).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, account: str, list_id: str, data: bytes) -> None:
        self._write(self._path(account, list_id), data)

    def facts(self, account: str) -> dict[str, Any]:
        try:
            found = json.loads((self._folder(account) / "account.json").read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def put_facts(self, account: str, facts: dict[str, Any]) -> None:
        text = json.dumps(facts, indent=2, sort_keys=True) + "\n"
        self._write(self._folder(account) / "account.json", text.encode())

    def close(self) -> None:
        return None

    def _write(self, path: Path, data: bytes) -> None:
        private_folder(self.root)
        write_private(path, data)


SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_snapshots (
    account text NOT NULL,
    list_id text NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now(),
    data bytea NOT NULL,
    PRIMARY KEY (account, list_id)
);
CREATE TABLE IF NOT EXISTS sync_accounts (
    account text PRIMARY KEY,
    saved_at timestamptz NOT NULL DEFAULT now(),
    facts jsonb NOT NULL
);
"""


def redact(text: str, url: str) -> str:
    """``text`` without the password of ``url`` (as written or percent-decoded), nor any
    ``password=...`` of a key=value connection string: database errors quote them."""
    secrets: set[str] = set()
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        secrets |= {password, unquote(password)}
    secrets |= set(re.findall(r"password\s*=\s*'?([^\s']+)", url))
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


class PostgresStore:
    """Tables in the PostgreSQL database at ``url`` (connected on first use)."""

    def __init__(self, url: str, shown: str) -> None:
        self._url = url
        self.description = f"postgres ({shown})"
        self._conn: Any = None

    def _error(self, exc: Exception, what: str = "") -> ConfigError:
        detail = redact(str(exc).strip() or type(exc).__name__, self._url)
        return ConfigError(f"state store {self.description}: {what}{detail}")

    def _connection(self) -> Any:
        if self._conn is None:
            import psycopg

            try:
                conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)
                conn.execute(SCHEMA)
            except psycopg.Error as exc:
                raise self._error(exc, "cannot use the database: ") from exc
            self._conn = conn
        return self._conn

    def get(self, account: str, list_id: str) -> bytes | None:
        row = self._run(
            "SELECT data FROM sync_snapshots WHERE account = %s AND list_id = %s",
            (account, list_id),
        ).fetchone()
        return None if row is None else bytes(row[0])

    def put(self, account: str, list_id: str, data: bytes) -> None:
        self._run(
            "INSERT INTO sync_snapshots (account, list_id, data) VALUES (%s, %s, %s) "
            "ON CONFLICT (account, list_id) DO UPDATE SET data = excluded.data, saved_at = now()",
            (account, list_id, data),
        )

    def facts(self, account: str) -> dict[str, Any]:
        row = self._run("SELECT facts FROM sync_accounts WHERE account = %s", (account,)).fetchone()
        return dict(row[0]) if row is not None and isinstance(row[0], dict) else {}

    def put_facts(self, account: str, facts: dict[str, Any]) -> None:
        self._run(
            "INSERT INTO sync_accounts (account, facts) VALUES (%s, %s::jsonb) "
            "ON CONFLICT (account) DO UPDATE SET facts = excluded.facts, saved_at = now()",
            (account, json.dumps(facts)),
        )

    def _run(self, sql: str, args: tuple[Any, ...]) -> Any:
        import psycopg

        try:
            return self._connection().execute(sql, args)
        except psycopg.Error as exc:
            raise self._error(exc) from exc

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
