"""Options every command shares, kept on the typer context, and the run's client factory.

Tests reach the product's clients through here: ``CliRunner().invoke(app, args,
obj=Connector(clock=...))`` makes every client of that invocation with a fake clock, a
seeded rng or a transport of the test's own (:class:`engine.activecampaign.connect.Connector`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from engine.activecampaign.connect import Connector
from engine.errors import ConfigError
from engine.manifests import Project, load_project
from engine.manifests.load import UNDECLARED_VAR


@dataclass(frozen=True, slots=True)
class CliState:
    workspace: Path
    vars: dict[str, str] = field(default_factory=dict)
    color: bool = True
    debug: bool = False
    connector: Connector = field(default_factory=Connector)

    @classmethod
    def make(
        cls,
        workspace: Path,
        var: list[str],
        *,
        color: bool,
        debug: bool,
        connector: Connector | None = None,
    ) -> CliState:
        overrides: dict[str, str] = {}
        for item in var:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise ConfigError(f"--var '{item}': write --var NAME=VALUE")
            overrides[name.strip()] = value
        return cls(workspace.resolve(), overrides, color, debug, connector or Connector())

    def project(self, *, warn: bool = True) -> Project:
        """The workspace's manifests, loaded with this invocation's ``--var`` values; a
        ``--var`` that changes nothing is warned about on stderr (``warn=False``: the caller
        shows every warning itself)."""
        project = load_project(self.workspace, self.vars)
        if warn:
            for warning in project.warnings:
                if warning.message.startswith(UNDECLARED_VAR):
                    typer.echo(str(warning), err=True)
        return project
