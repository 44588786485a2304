"""For one run: which exports own the fields an export shares on its account, and what they
claim (:mod:`engine.ownership` decides with it; :mod:`engine.manifests.shared` requires the
priorities). An owner's claims come from its desired state when it is planned in the same
run (owners are planned first), else from its segments, read once.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.contacts import DesiredState
from engine.manifests.models import Export
from engine.manifests.project import Project
from engine.manifests.shared import account_of, shared_fields
from engine.ownership import Claims, claims_of, settle
from engine.progress import Progress, task
from engine.sources import desired_state


class Owners:
    """The fields each export shares with higher-priority exports on its account, and
    those exports' claims on them (:mod:`engine.ownership`), read once per run: from the
    desired state of an owner planned in this run, or from its segments when it is not."""

    def __init__(
        self, project: Project, environ: Mapping[str, str] | None, progress: Progress
    ) -> None:
        self.project, self.environ, self.progress = project, environ, progress
        exports = list(project.exports.values())
        accounts = {n: account_of(c) for n, c in project.destinations.items()}
        self.shared = shared_fields(exports, accounts)
        self.accounts = accounts
        self.claims: dict[str, Claims] = {}
        owning = {o.name for e in exports for o in self._owners(e)}
        self.owning = owning

    def rank(self, export: Export) -> int:
        """Sort key: higher priorities first (owners are planned before who defers)."""
        return -(export.priority or 0)

    def _owners(self, export: Export) -> list[Export]:
        mine = self.shared.get(export.name, set())
        account = self.accounts.get(export.connection)
        return [
            other
            for other in self.project.exports.values()
            if other.name != export.name
            and other.enabled
            and self.accounts.get(other.connection) == account
            and (other.priority or 0) > (export.priority or 0)
            and mine & self.shared.get(other.name, set())
        ]

    def settle(self, export: Export, desired: DesiredState) -> DesiredState:
        """``desired`` with the owners' values on shared fields; and, when ``export`` owns
        fields of lower exports, its claims kept for them."""
        if export.name in self.owning and export.name not in self.claims:
            self.claims[export.name] = self._claims(export, desired)
        owners = self._owners(export)
        if not owners:
            return desired
        claims = [self._claims_of(owner) for owner in owners]
        mapped = [n for n in export.mapping.columns() if n != "email"]
        return settle(export.name, mapped, desired, claims)

    def _claims_of(self, owner: Export) -> Claims:
        if owner.name not in self.claims:
            step = task(self.progress, f"{owner.name}: reading segments (it owns shared fields)")
            desired = desired_state(self.project, owner, self.environ, progress=step)
            self.claims[owner.name] = self._claims(owner, desired)
        return self.claims[owner.name]

    def _claims(self, owner: Export, desired: DesiredState) -> Claims:
        fields = sorted(self.shared.get(owner.name, set()))
        return claims_of(owner.name, owner.priority or 0, desired, fields, owner.clear_nulls)
