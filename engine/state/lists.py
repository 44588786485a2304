"""The run's list state: snapshots and account facts through the configured store.

:func:`open_state` opens the store ``sync.yaml`` names (``state:``; the local files by
default). :class:`ListState` loads and saves snapshots through :mod:`.codec` (encrypted
when ``SYNC_STATE_KEY`` is set) and never lets a problem with the state stop a run: a
snapshot that cannot be used is a reason for a full read, and a store that cannot be
reached is a warning (state is a cache).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from engine.errors import ConfigError
from engine.manifests.project import Project
from engine.manifests.secrets import resolve_env
from engine.snapshot import Snapshot

from . import codec, state_dir
from .stores import LocalStore, PostgresStore, StateStore

STATE_FOLDER = "state"


@dataclass(frozen=True, slots=True)
class Loaded:
    """A usable snapshot, or why there is none (``no snapshot``, ``...does not decrypt...``)."""

    snapshot: Snapshot | None
    problem: str | None = None


class ListState:
    """Snapshots and account facts for a run (one store, one key).

    Thread-safe (accounts read in parallel share it): the store is used under one lock;
    encoding and decoding, the expensive part, run outside it.
    """

    def __init__(self, store: StateStore, key: bytes | None, refresh_seconds: int) -> None:
        self.store = store
        self.key = key
        self.refresh_seconds = refresh_seconds
        self.warnings: list[str] = []
        self._lock = threading.RLock()

    def take_warnings(self) -> list[str]:
        """The warnings so far, once (each is shown by the run that caused it)."""
        with self._lock:
            taken, self.warnings = self.warnings, []
        return taken

    @property
    def encrypted(self) -> bool:
        return self.key is not None

    def load(self, account: str, list_id: str) -> Loaded:
        try:
            with self._lock:
                data = self.store.get(account, list_id)
        except (ConfigError, OSError) as exc:
            return Loaded(None, f"state store unavailable ({exc})")
        if data is None:
            return Loaded(None, "no snapshot")
        try:
            return Loaded(codec.decode(data, account, list_id, self.key))
        except codec.SnapshotUnreadable as exc:
            return Loaded(None, f"snapshot not used: {exc}")
        except Exception as exc:  # a cache that cannot be read costs a full read, not the run
            return Loaded(None, f"snapshot not used: unreadable ({type(exc).__name__})")

    def save(self, snapshot: Snapshot) -> None:
        """Replace the list's snapshot; a failure is a warning (the next run reads in full)."""
        try:
            data = codec.encode(snapshot, self.key)
            with self._lock:
                self.store.put(snapshot.account, snapshot.list_id, data)
        except Exception as exc:  # a cache that cannot be written costs a full read next time
            self._warn(
                f"the snapshot of list {snapshot.list_id} on {snapshot.account} was not saved "
                f"({exc}); the next plan reads that list in full"
            )

    def facts(self, account: str) -> dict[str, Any]:
        """The account's facts ({} and a warning when they cannot be read)."""
        return self._facts(account) or {}

    def _facts(self, account: str) -> dict[str, Any] | None:
        try:
            with self._lock:
                return self.store.facts(account)
        except (ConfigError, OSError) as exc:
            self._warn(f"facts of {account} could not be read ({exc}); run as if never measured")
            return None

    def put_fact(self, account: str, name: str, value: Any) -> None:
        with self._lock:  # read, change, write: one step for every thread
            facts = self._facts(account)
            if facts is None:  # writing over them would lose the others
                self._warn(f"fact {name} of {account} was not saved")
                return
            if facts.get(name) == value:
                return
            try:
                self.store.put_facts(account, {**facts, name: value})
            except (ConfigError, OSError) as exc:
                self._warn(f"facts of {account} were not saved ({exc})")

    def _warn(self, message: str) -> None:
        with self._lock:
            self.warnings.append(message)

    def close(self) -> None:
        with self._lock:
            self.store.close()


def open_state(project: Project, environ: Mapping[str, str]) -> ListState:
    """The store ``sync.yaml`` chooses (``state:``), with ``SYNC_STATE_KEY`` if set."""
    settings = project.settings.state
    key = codec.state_key(environ)
    store: StateStore
    if settings.store == "postgres":
        assert settings.url is not None  # the model requires it for postgres
        url = resolve_env(settings.url, environ, "sync.yaml: state.url")
        store = PostgresStore(url, shown=display_url(url))
    else:
        store = LocalStore(state_dir(project.root) / STATE_FOLDER)
    return ListState(store, key, settings.refresh_seconds)


def display_url(url: str) -> str:
    """A database URL without its password (``postgresql://sync@db.internal/cdp``); a
    key=value connection string is not shown at all."""
    if "://" not in url:
        return "the configured database"
    try:
        parts = urlsplit(url)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        if parts.username:
            netloc = f"{parts.username}@{netloc}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return "the configured database"
