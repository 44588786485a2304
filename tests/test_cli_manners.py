"""Command-line manners (issue 15, item 4): global options after the command, --version,
tidy help, a --var that changes nothing, the second console script."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import engine
import engine.cli
from engine.cli.argv import as_invoked, hoist_globals, program_name
from engine.cli.context import CliState
from tests.reconcile_fixtures import copy_example

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    copy_example(tmp_path)
    return tmp_path


def invoke(*args: str) -> Any:
    return CliRunner().invoke(engine.cli.app, list(args))


def hoisted(*args: str) -> list[str]:
    group = typer.main.get_command(engine.cli.app)
    ctx = group.make_context("sync", ["--help"], resilient_parsing=True)
    return hoist_globals(group, ctx, list(args))  # type: ignore[arg-type]


# ------------------------------------------------------------------ options after the command


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["plan", "--var", "x=1"], ["--var", "x=1", "plan"]),
        (["validate", "--debug"], ["--debug", "validate"]),
        (["plan", "-e", "vip", "--no-color"], ["--no-color", "plan", "-e", "vip"]),
        (["plan", "-w", "d", "-e", "vip"], ["-w", "d", "plan", "-e", "vip"]),
        (["plan", "-wd"], ["-wd", "plan"]),
        (["plan", "--workspace=d"], ["--workspace=d", "plan"]),
        (["sandbox", "serve", "--debug"], ["--debug", "sandbox", "serve"]),
        (["--var", "x=1", "plan", "--var", "x=2"], ["--var", "x=1", "--var", "x=2", "plan"]),
        # an option's value is the option's, whatever it looks like
        (["plan", "--out", "--debug"], ["plan", "--out", "--debug"]),
        (["plan", "-e", "-w"], ["plan", "-e", "-w"]),
        # nothing after -- is an option
        (["apply", "--", "--debug"], ["apply", "--", "--debug"]),
        # unknown commands and options are left for click to report
        (["nope", "--debug"], ["nope", "--debug"]),
        (["--debug", "validate"], ["--debug", "validate"]),
    ],
)
def test_global_options_after_the_command_move_before_it(
    args: list[str], expected: list[str]
) -> None:
    assert hoisted(*args) == expected


def test_workspace_after_the_command(workspace: Path) -> None:
    for args in (
        ["validate", "-w", str(workspace)],
        ["validate", f"-w{workspace}"],
        ["validate", "--workspace", str(workspace)],
        ["validate", f"--workspace={workspace}"],
    ):
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "Valid: 2 connections" in result.output


def test_var_after_the_command_reaches_templates(workspace: Path) -> None:
    seg = workspace / "segments" / "high-value.yaml"
    seg.write_text(seg.read_text().replace("var('vip_threshold', 500)", "var('unknown_v')"))
    assert invoke("validate", "-w", str(workspace)).exit_code == 1
    result = invoke("validate", "-w", str(workspace), "--var", "unknown_v=10")
    assert result.exit_code == 0, result.output


def test_color_and_debug_after_the_command(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[bool, bool]] = []
    make = CliState.make

    def spy(*args: Any, **kwargs: Any) -> CliState:
        state = make(*args, **kwargs)
        seen.append((state.color, state.debug))
        return state

    monkeypatch.setattr(CliState, "make", spy)
    assert invoke("-w", str(workspace), "validate").exit_code == 0
    assert invoke("validate", "--no-color", "-w", str(workspace)).exit_code == 0
    assert invoke("validate", "-w", str(workspace), "--debug").exit_code == 0
    assert seen == [(True, False), (False, False), (True, True)]


def test_debug_after_the_command_shows_a_bugs_traceback(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(self: CliState, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(CliState, "project", broken)
    assert engine.cli.main(["validate", "-w", str(workspace)]) == 70
    assert "Traceback" not in capsys.readouterr().err
    assert engine.cli.main(["validate", "-w", str(workspace), "--debug"]) == 70
    assert "Traceback" in capsys.readouterr().err


# -------------------------------------------------------------------------- version and help


def test_version_before_and_after_the_command() -> None:
    for args in (["--version"], ["plan", "--version"]):
        result = invoke(*args)
        assert result.exit_code == 0
        assert result.output == f"sync (ac-segment-sync) {engine.__version__}\n"


@pytest.mark.parametrize(
    "words", [[], ["plan"], ["apply"], ["validate"], ["sandbox", "serve"], ["exports"]]
)
def test_help_shows_no_bool_and_names_the_global_options(words: list[str]) -> None:
    result = CliRunner().invoke(engine.cli.app, [*words, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "<bool>" not in result.output and "list[str]" not in result.output
    assert "--no-color/" not in result.output
    if words:
        assert "Global options, before or after the command" in result.output


def test_sandbox_help_keeps_its_brackets() -> None:
    result = CliRunner().invoke(
        engine.cli.app, ["sandbox", "serve", "--help"], env={"COLUMNS": "200"}
    )
    assert "filters[updated_after]" in result.output
    assert "SYNC_SANDBOX_KEY" in result.output


# -------------------------------------------------------------------- a --var that does nothing


def test_an_undeclared_var_is_a_warning_with_did_you_mean(workspace: Path) -> None:
    result = invoke("-w", str(workspace), "--no-color", "validate", "--var", "vip_treshold=9")
    assert result.exit_code == 0, result.output
    assert (
        "sync.yaml:3:1: warning: --var vip_treshold: sync.yaml declares no such var under "
        "vars: (recent_since, vip_threshold) and no manifest calls var('vip_treshold'), so it "
        "changes nothing; did you mean 'vip_threshold'?"
    ) in result.output
    assert result.output.count("--var vip_treshold") == 1  # validate shows it once


def test_a_var_only_a_template_uses_is_not_warned_about(workspace: Path) -> None:
    seg = workspace / "segments" / "high-value.yaml"
    seg.write_text(seg.read_text().replace("var('vip_threshold', 500)", "var('floor', 500)"))
    result = invoke("-w", str(workspace), "validate", "--var", "floor=9", "--var", "zzz=1")
    assert result.exit_code == 0, result.output
    assert "--var floor" not in result.output
    assert "--var zzz: sync.yaml declares no such var" in result.output
    assert "declare it under vars: if it is meant" in result.output


def test_other_commands_warn_about_an_undeclared_var_too(workspace: Path) -> None:
    result = invoke("exports", "-w", str(workspace), "--var", "vip_treshold=9")
    assert result.exit_code == 0, result.output
    assert "did you mean 'vip_threshold'?" in result.output


# ------------------------------------------------------------------------ the program's names


def test_the_alias_script_is_declared_beside_sync() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["sync"] == scripts["acsync"] == "engine.cli:main"


def test_the_alias_script_runs() -> None:
    script = Path(sys.executable).parent / "acsync"
    if not script.exists():
        pytest.skip("acsync is installed with `pip install -e .` (pyproject [project.scripts])")
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout == f"acsync (ac-segment-sync) {engine.__version__}\n"
    usage = subprocess.run([str(script), "plan", "--nope"], capture_output=True, text=True)
    assert usage.returncode == 1
    assert "Usage: acsync plan" in usage.stderr and "Try 'acsync plan --help'" in usage.stderr


def test_hints_name_the_program_as_it_was_started() -> None:
    assert program_name("/venv/bin/acsync") == "acsync"
    assert program_name("/venv/bin/sync") == "sync"
    assert program_name("/src/engine/__main__.py") == "sync"
    text = "run `sync codeowners`; make the plan again with sync plan --allow-removals"
    assert as_invoked(text, "acsync") == (
        "run `acsync codeowners`; make the plan again with acsync plan --allow-removals"
    )
    assert as_invoked("sync.yaml and data/sync plan.txt", "acsync") == (
        "sync.yaml and data/sync plan.txt"
    )
    assert as_invoked(text, "sync") == text


def test_hints_and_errors_under_acsync_say_acsync(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(engine.cli.app, ["init", str(tmp_path)], prog_name="acsync")
    assert made.exit_code == 0, made.output
    assert "&& acsync validate && acsync sandbox seed && acsync plan" in made.output
    planned = runner.invoke(engine.cli.app, ["plan", "-w", str(tmp_path)], prog_name="acsync")
    assert planned.exit_code == 1
    assert "run `acsync sandbox seed`" in planned.output
    assert "sync sandbox seed" not in planned.output.replace("acsync sandbox seed", "")
