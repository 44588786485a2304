"""``sync doctor``: what an ActiveCampaign account does where the documents are silent.

:mod:`.checks` asks with ``GET`` requests only; with ``--write``, :mod:`.session` also runs
the probes of :mod:`.probes` on scratch objects it makes (:mod:`.made`) and deletes
(:mod:`.scratch`). Every verdict the product can use is stored as an account fact
(:mod:`engine.facts`), where later plans and applies find it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.run import Clients

from .checks import AS_ASSUMED, DIFFERS, ERROR, UNCLEAR, Check, Doctor
from .probes import WRITE_CHECKS
from .scratch import Cleaned, Scratch, clean, find, stamp_of
from .session import Probed, probe

__all__ = [
    "AS_ASSUMED",
    "DIFFERS",
    "ERROR",
    "UNCLEAR",
    "WRITE_CHECKS",
    "Check",
    "Cleaned",
    "Probed",
    "Report",
    "Scratch",
    "clean_leftovers",
    "diagnose",
    "scratch_of",
]


@dataclass(frozen=True, slots=True)
class Report:
    connection: str
    host: str
    checks: tuple[Check, ...]
    facts: Mapping[str, str] = field(default_factory=dict)  # stored by this run
    probed: Probed | None = None  # with --write

    @property
    def failed(self) -> bool:
        """A check failed, or a scratch object may be left (exit 1)."""
        left = self.probed is not None and not self.probed.complete
        return left or any(c.verdict == ERROR for c in self.checks)

    @property
    def interrupted(self) -> bool:
        return self.probed is not None and self.probed.interrupted


def scratch_of(clients: Clients) -> Scratch:
    """The scratch objects' name of a run starting now (none made yet)."""
    return Scratch(stamp_of(clients.now()))


def diagnose(
    clients: Clients,
    connection: str,
    list_id: int | None = None,
    *,
    write: Scratch | None = None,
) -> Report:
    """Every check on the connection's account (with ``write``, the write probes too, on
    scratch objects named as it is); the verdicts are stored as the account's facts."""
    client = clients(connection)
    doctor = Doctor(client, list_id)
    checks = doctor.run()
    facts = dict(doctor.facts)
    probed = None
    if write is not None and checks[0].verdict != ERROR:
        probed = probe(client, write, clients.now())
        checks += probed.checks
        facts.update(probed.facts)
    state = clients.state()
    for name, value in facts.items():
        state.put_fact(client.host.lower(), name, value)
    return Report(connection, client.host, tuple(checks), facts, probed)


def clean_leftovers(clients: Clients, connection: str) -> Cleaned:
    """Delete every scratch object (sync-doctor-*) on the account, whatever its age."""
    client = clients(connection)
    return clean(client, find(client, clients.now(), spare=False).mine)
