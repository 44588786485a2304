"""Options every command shares, kept on the typer context."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import ConfigError


@dataclass(frozen=True, slots=True)
class CliState:
    workspace: Path
    vars: dict[str, str] = field(default_factory=dict)
    color: bool = True
    debug: bool = False

    @classmethod
    def make(cls, workspace: Path, var: list[str], *, color: bool, debug: bool) -> CliState:
        overrides: dict[str, str] = {}
        for item in var:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise ConfigError(f"--var '{item}': write --var NAME=VALUE")
            overrides[name.strip()] = value
        return cls(workspace.resolve(), overrides, color=color, debug=debug)
