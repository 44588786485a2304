"""Exit codes never lie (SPEC §3): every error exits 1, usage errors included; 2 means only
"a plan with changes" under --detailed-exitcode (which the sync workflow maps to success)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from engine.cli import app


def commands() -> list[tuple[str, ...]]:
    """Every command's words (``("plan",)``, ``("sandbox", "serve")``)."""
    group = typer.main.get_command(app)
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            found += [(name, sub) for sub in subcommands]
        else:
            found.append((name,))
    return sorted(found)


def run(*args: str) -> int:
    return CliRunner().invoke(app, list(args)).exit_code


@pytest.mark.parametrize("words", commands(), ids=" ".join)
def test_an_unknown_option_exits_1_for_every_command(words: tuple[str, ...]) -> None:
    assert run(*words, "--no-such-option") == 1


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--format", "yaml"),
        ("plan", "an-extra-argument"),
        ("apply", "--since", "not-a-time", "--due"),
        ("status", "--runs", "many"),
        ("no-such-command",),
        ("--no-such-global", "plan"),
        ("sandbox",),
        ("sandbox", "no-such-command"),
    ],
)
def test_usage_errors_exit_1(args: tuple[str, ...]) -> None:
    assert run(*args) == 1


def test_help_is_not_an_error() -> None:
    assert run() == 0 and run("--help") == 0 and run("plan", "--help") == 0


def test_the_console_entry_point_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli import main

    assert main(["plan", "--format", "yaml"]) == 1
    assert "yaml" in capsys.readouterr().err
