"""Golden cases: each tests/cases/manifests/<case>/ is a broken workspace plus expected.txt,
the exact diagnostics `sync validate` prints (errors and warnings, sorted)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import engine.cli

CASES = Path(__file__).parent / "cases" / "manifests"
CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())


def diagnostic_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": error: " in line or ": warning: " in line]


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_validate_reports_expected_diagnostics(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SYNC_TEST_AC_KEY", "SYNC_TEST_UNSET_NAME"):
        monkeypatch.delenv(name, raising=False)
    workspace = tmp_path / case.name  # a copy: nothing above it (e.g. .github) takes part
    shutil.copytree(case, workspace, ignore=shutil.ignore_patterns("expected.txt"))
    expected = (case / "expected.txt").read_text().splitlines()

    result = CliRunner().invoke(engine.cli.app, ["--no-color", "-w", str(workspace), "validate"])

    assert diagnostic_lines(result.output) == expected
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    has_errors = any(": error: " in line for line in expected)
    assert result.exit_code == (1 if has_errors else 0), result.output


def test_there_are_enough_distinct_cases() -> None:
    assert len(CASE_DIRS) >= 25
    outputs = {(case / "expected.txt").read_text() for case in CASE_DIRS}
    assert len(outputs) == len(CASE_DIRS), "two cases expect the same diagnostics"
