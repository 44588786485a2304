"""`sync validate` and `sync schema` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import engine.cli
from tests.reconcile_fixtures import copy_example

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    copy_example(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(engine.cli.app, ["--no-color", *args])
    return result.exit_code, result.output


def test_validate_example_workspace(workspace: Path) -> None:
    code, output = invoke("-w", str(workspace), "validate")
    assert code == 0, output
    assert "Valid: 2 connections (1 ActiveCampaign, 1 source), 3 segments, 2 exports" in output


def test_validate_reports_problems_and_exits_1(workspace: Path) -> None:
    vip = workspace / "exports" / "vip.yaml"
    vip.write_text(vip.read_text().replace("list_id: 2", "list_id: -2").replace("mode:", "mdoe:"))
    (workspace / "segments" / "oops.yaml").write_text("name: oops\nsource: warehouse\n")
    code, output = invoke("-w", str(workspace), "validate")
    assert code == 1
    assert "exports/vip.yaml:5:10: error: list_id: must be a positive number, got -2" in output
    assert (
        "exports/vip.yaml:17:1: error: unknown key 'mdoe' in export; did you mean 'mode'?" in output
    )
    assert "segments/oops.yaml:1:1: error: missing required key 'query' in segment" in output
    assert "3 error(s) in the manifests" in output
    assert "Traceback" not in output


def test_var_option_reaches_templates(workspace: Path) -> None:
    seg = workspace / "segments" / "high-value.yaml"
    seg.write_text(seg.read_text().replace("var('vip_threshold', 500)", "var('unknown_v')"))
    assert invoke("-w", str(workspace), "validate")[0] == 1
    code, output = invoke("-w", str(workspace), "--var", "unknown_v=10", "validate")
    assert code == 0, output


def test_main_returns_1_without_traceback(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "segments" / "bad.yaml").write_text("name: bad\nsource: [\n")
    assert engine.cli.main(["--no-color", "-w", str(workspace), "validate"]) == 1
    err = capsys.readouterr().err
    assert "segments/bad.yaml:3:1: error: invalid YAML" in err
    assert "Traceback" not in err


def test_missing_workspace_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert engine.cli.main(["-w", str(tmp_path / "nowhere"), "validate"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_schema_prints_every_kind() -> None:
    code, output = invoke("schema")
    assert code == 0
    schemas = json.loads(output)
    assert set(schemas) == {"connections", "segments", "exports", "sync"}
    assert schemas["connections"]["discriminator"]["propertyName"] == "type"
    assert schemas["exports"]["additionalProperties"] is False
    assert "list_id" in schemas["exports"]["required"]


def test_schema_one_kind_and_unknown_kind() -> None:
    code, output = invoke("schema", "--kind", "segments")
    assert code == 0 and set(json.loads(output)["properties"]) >= {"name", "source", "query"}
    code, output = invoke("schema", "--kind", "segmnets")
    assert code == 1 and "is not a kind" in output  # a usage error: 1, never 2


@pytest.mark.parametrize("kind", ["connections", "segments", "exports", "sync"])
def test_committed_schemas_are_current(kind: str) -> None:
    code, output = invoke("schema", "--kind", kind)
    assert code == 0
    committed = (REPO / "schemas" / f"{kind}.json").read_text()
    assert json.loads(committed) == json.loads(output), f"run: make schemas ({kind} changed)"


def test_python_dash_m_engine_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "engine", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "validate" in result.stdout and "schema" in result.stdout
