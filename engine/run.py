"""What a run holds open, and reading an export's list with it.

- :class:`Clients`: the run's clients, one per connection; its pacers, one per account
  host (shared by every export on the account); its list state (the snapshots' store,
  opened on first use). Closed at the end of the run.
- :func:`read_current`: an export's list as it is now, read from its snapshot when that is
  usable (``engine.activecampaign.read.lists``), and how it was read; the new snapshot and
  the account's facts (what reading found out about the account) are saved.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import replace

from pydantic import SecretStr

from engine.activecampaign.client import Client
from engine.activecampaign.connect import Connector
from engine.activecampaign.pacing import HostLimits
from engine.activecampaign.read import read_list_state, sideload
from engine.cancel import interruptible
from engine.contacts import CurrentState
from engine.errors import DestinationError, NotFoundError, UnknownFieldError
from engine.facts import (
    ID_RANGES_FACT,
    LIST_STATUS_FACT,
    SIDELOAD_FACT,
    UPDATED_AFTER_FACT,
    unseen_writes,
    write_probes_ran,
)
from engine.manifests.models import ActiveCampaignConnection, Export
from engine.manifests.project import Project
from engine.manifests.secrets import env_name, resolve_secret
from engine.manifests.shared import account_of
from engine.progress import Progress, task
from engine.snapshot import ListRead, Snapshot
from engine.state import sandbox_data
from engine.state.lists import ListState, open_state


class Clients:
    """The run's clients, one per connection, and its pacers, one per account host.

    Every export of a run that talks to one account shares that account's pacers (and, when
    two connections to one host ask for different rates, the lowest). ``connector`` makes
    them (:class:`engine.activecampaign.connect.Connector`: real time and transports unless
    a test says otherwise). Closed at the end of the run.

    Accounts may be worked on by several threads at once (:mod:`engine.parallel`), so what
    is made on first use is made under a lock, and every wait of every client is
    interruptible through :attr:`cancelled` (:mod:`engine.cancel`): :meth:`cancel` stops
    the whole run at the next wait of each of its threads.
    """

    def __init__(
        self,
        project: Project,
        environ: Mapping[str, str] | None = None,
        connector: Connector | None = None,
    ) -> None:
        self._project = project
        self._environ = os.environ if environ is None else environ
        self.cancelled = threading.Event()
        base = connector or Connector()
        self._connector = replace(
            base, sleep=interruptible(base.sleep, self.cancelled), cancelled=self.cancelled
        )
        self._lock = threading.RLock()
        self._limits: dict[str, HostLimits] = {}
        self._open: dict[str, Client] = {}
        self._state: ListState | None = None

    def now(self) -> float:
        """The run's wall clock (epoch seconds)."""
        return self._connector.wall_clock()

    def cancel(self) -> None:
        """Every thread of the run stops at its next wait (raising ``Cancelled``)."""
        self.cancelled.set()

    def state(self) -> ListState:
        """The run's list snapshots (the store sync.yaml names; opened on first use)."""
        with self._lock:
            if self._state is None:
                self._state = open_state(self._project, self._environ)
            return self._state

    def __call__(self, connection: str) -> Client:
        with self._lock:
            if connection not in self._open:
                self._open[connection] = self._connect(self._project.destinations[connection])
            return self._open[connection]

    def limits(self, connection: ActiveCampaignConnection) -> HostLimits:
        """The pacers of the connection's account (made on first use; lowest rate wins)."""
        account = account_of(connection)
        with self._lock:
            limits = self._limits.get(account)
            if limits is None:
                limits = self._limits[account] = self._connector.limits(connection.rate_limit)
            else:
                limits.requests.lower_rate(connection.rate_limit)
            return limits

    def key(self, connection: ActiveCampaignConnection) -> tuple[SecretStr | None, str | None]:
        """The connection's API key and the env var it comes from (none for the sandbox);
        ConfigError naming the manifest line when the variable is not set. Sends nothing."""
        if connection.is_sandbox:
            return None, None
        assert connection.api_key is not None  # the model requires it unless sandbox
        where = str(self._project.where("connections", connection.name, "api_key"))
        return resolve_secret(connection.api_key, self._environ, where), env_name(
            connection.api_key
        )

    def _connect(self, connection: ActiveCampaignConnection) -> Client:
        key, key_env = self.key(connection)
        return self._connector.client(
            connection,
            key,
            key_env=key_env,
            limits=self.limits(connection),
            sandbox_data=sandbox_data(self._project.root),
        )

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *exc: object) -> None:
        for client in self._open.values():
            client.close()
        self._open.clear()
        if self._state is not None:
            self._state.close()
            self._state = None


REFRESH_MODES = ("auto", "full")
"""``--refresh``: auto reads only what changed since a list's snapshot when it can; full
reads every list in full (and saves a new snapshot)."""


def located(project: Project, export: str, exc: UnknownFieldError) -> UnknownFieldError:
    """``exc`` at the line of the export's mapping that names the first missing field."""
    where = project.where("exports", export, f"mapping.fields.{exc.perstags[0]}")
    if where == project.where("exports", export):
        where = project.where("exports", export, "mapping.fields")
    return UnknownFieldError(f"{where}: export '{export}': {exc}", exc.perstags)


def read_current(
    project: Project,
    export: Export,
    clients: Clients,
    progress: Progress,
    refresh: str = "auto",
) -> tuple[CurrentState, ListRead]:
    """The export's list as it is now, and how it was read (from its snapshot when that is
    usable: the module docstring of ``engine.activecampaign.read.lists``)."""
    client = clients(export.connection)
    state = clients.state()
    account, list_id = client.host.lower(), str(export.list_id)
    facts = state.facts(account)
    base, reasons = _base(state, account, list_id, refresh, clients.now(), _unseen(export, facts))
    if facts.get(LIST_STATUS_FACT) == "ignored":
        raise DestinationError(
            f"{project.where('connections', export.connection)}: account {account}: sync "
            "doctor found that GET /contacts ignores status together with listid, so list "
            f"{export.list_id} cannot be read by status (unsubscribed people would look "
            "active) and nothing is planned; run 'sync doctor' again after ActiveCampaign "
            "support has confirmed the behaviour"
        )
    verdict = str(facts.get(SIDELOAD_FACT, sideload.UNKNOWN))
    id_ranges = str(facts.get(ID_RANGES_FACT, "unknown"))
    updated_after = str(facts.get(UPDATED_AFTER_FACT, "unknown"))
    reading = task(progress, f"{export.name}: reading list {export.list_id}")
    client.on_wait = reading.note
    try:
        result = read_list_state(
            client,
            export.list_id,
            tuple(export.mapping.fields),
            export.mapping.tags,
            base=base,
            full_reasons=reasons,
            sideload_verdict=verdict,
            id_ranges=id_ranges,
            updated_after=updated_after,
            progress=reading,
        )
    except NotFoundError as exc:
        where = project.where("exports", export.name, "list_id")
        raise NotFoundError(f"{where}: export '{export.name}': {exc}") from exc
    except UnknownFieldError as exc:
        raise located(project, export.name, exc) from exc
    state.save(result.snapshot)
    if result.sideload != verdict:
        state.put_fact(account, SIDELOAD_FACT, result.sideload)
    if result.id_ranges != id_ranges:
        state.put_fact(account, ID_RANGES_FACT, result.id_ranges)
    for warning in state.take_warnings():
        progress.note(f"warning: {warning}")
    current, info = result.snapshot.current(), result.info
    hint = doctor_hint(export.connection, facts)
    if not info.incremental and len(current.members) >= DOCTOR_HINT_MEMBERS and hint:
        info = replace(info, notes=(*info.notes, hint))
    return current, info


DOCTOR_HINT_MEMBERS = 100_000
"""A full read of a list this large, on an account ``sync doctor`` never checked, says so."""


def doctor_hint(connection: str, facts: Mapping[str, object]) -> str | None:
    """What ``sync doctor`` has never measured on the account that its reads rely on."""
    if not facts.get(UPDATED_AFTER_FACT):
        return (
            f"'sync doctor -c {connection}' has never checked this account: it measures what "
            "its incremental reads can rely on (a filter exact to the time of day lets each "
            "one read an hour again instead of a day); a few read-only requests"
        )
    if not write_probes_ran(facts):
        return (
            f"'sync doctor -c {connection} --write' has never checked whether values and "
            "tags move udate on this account, which incremental reads rely on (on scratch "
            "objects it deletes; about 35 requests)"
        )
    return None


def _unseen(export: Export, facts: Mapping[str, object]) -> tuple[str, ...]:
    """Writes that do not move ``udate`` on the account and that the export's list reads:
    values where it maps custom fields, tags where it maps tags. (The removal marker comes
    with an unsubscribe, which the status counts find.)"""
    return unseen_writes(facts, values=bool(export.mapping.fields), tags=bool(export.mapping.tags))


def _base(
    state: ListState,
    account: str,
    list_id: str,
    refresh: str,
    now: float,
    unseen: tuple[str, ...] = (),
) -> tuple[Snapshot | None, tuple[str, ...]]:
    """The snapshot to read from, or why the list is read in full (``unseen``: writes an
    incremental read of it would miss, :func:`engine.facts.unseen_writes`)."""
    if refresh == "full":
        return None, ("--refresh full",)
    if unseen:  # an incremental read would miss those changes
        names = " or ".join({"field": "a custom field value", "tag": "a tag"}[k] for k in unseen)
        return None, (f"sync doctor: writing {names} does not move udate here",)
    loaded = state.load(account, list_id)
    if loaded.snapshot is None:
        return None, (loaded.problem or "no snapshot",)
    age = loaded.snapshot.age(now)
    if age > state.refresh_seconds:
        return None, (f"snapshot {_age(age)} old (state.full_refresh_every)",)
    return loaded.snapshot, ()


def _age(seconds: float) -> str:
    if seconds >= 86_400:
        days = int(seconds // 86_400)
        return f"{days} day" + ("" if days == 1 else "s")
    hours = int(seconds // 3_600)
    return f"{hours} hour" + ("" if hours == 1 else "s")
