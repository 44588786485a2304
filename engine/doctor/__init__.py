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

from .checks import AS_ASSUMED, DIFFERS, ERROR, UNCLEAR, Check, Doctor, OnCheck
from .probes import WRITE_CHECKS
from .scratch import IN_USE, Cleaned, Found, Notice, Patience, Scratch, clean, find
from .session import Probed, probe

__all__ = [
    "AS_ASSUMED",
    "DIFFERS",
    "ERROR",
    "IN_USE",
    "UNCLEAR",
    "WRITE_CHECKS",
    "Check",
    "Cleaned",
    "Found",
    "Probed",
    "Report",
    "Scratch",
    "clean_leftovers",
    "diagnose",
    "leftovers",
]


@dataclass(frozen=True, slots=True)
class Report:
    connection: str
    host: str
    checks: tuple[Check, ...]
    facts: Mapping[str, str] = field(default_factory=dict)  # stored by this run
    probed: Probed | None = None  # with --write
    warnings: tuple[str, ...] = ()  # facts that could not be read or stored

    @property
    def failed(self) -> bool:
        """A check failed, a fact was not stored, or a scratch object may be left (exit 1)."""
        left = self.probed is not None and not self.probed.complete
        return left or bool(self.warnings) or any(c.verdict == ERROR for c in self.checks)

    @property
    def interrupted(self) -> bool:
        return self.probed is not None and self.probed.interrupted


def diagnose(
    clients: Clients,
    connection: str,
    list_id: int | None = None,
    *,
    write: bool = False,
    on_check: OnCheck = None,
    notice: Notice = None,
) -> Report:
    """Every check on the connection's account, each handed to ``on_check`` when done
    (with ``write``, the write probes too, on scratch objects it makes and deletes); the
    verdicts are stored as the account's facts, and what could not be stored is said."""
    client = clients(connection)
    doctor = Doctor(client, list_id)
    checks = doctor.run(on_check)
    facts = dict(doctor.facts)
    probed = None
    if write and checks[0].verdict != ERROR:
        probed = probe(client, clients.now, on_check, notice)
        checks += probed.checks
        facts.update(probed.facts)
    state = clients.state()
    for name, value in facts.items():
        state.put_fact(client.host.lower(), name, value)
    warnings = tuple(state.take_warnings())
    return Report(connection, client.host, tuple(checks), facts, probed, warnings)


def leftovers(clients: Clients, connection: str) -> Found:
    """Every scratch object (sync-doctor-*) on the account, whatever its age (GETs only)."""
    return find(clients(connection), clients.now(), spare=False)


def clean_leftovers(
    clients: Clients, connection: str, found: Scratch, notice: Notice = None
) -> Cleaned:
    """Delete ``found`` (:func:`leftovers`) from the account."""
    return clean(clients(connection), found, Patience(notice))
