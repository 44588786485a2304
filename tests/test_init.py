"""`sync init DIR` scaffolds a workspace that validates at once; `sync codeowners` keeps up."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine.cli import main
from engine.manifests.load import load_project
from engine.scaffold import package_requirement, sync_workflow
from engine.scaffold.codeowners import codeowners_text

from .test_workflows import actionlint, load

TEAMS = ["--admins", "@acme/ops-admins", "--contributors", "@acme/marketing"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_with_teams_validates_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "ws"
    code, out, _ = run(capsys, "init", str(root), *TEAMS)
    assert code == 0
    for name in (
        "sync.yaml",
        ".gitignore",
        ".github/workflows/sync.yml",
        ".github/CODEOWNERS",
        "connections/activecampaign.yaml",
        "connections/warehouse.yaml",
        "segments/high-value.yaml",
        "exports/vip-newsletter.yaml",
    ):
        assert (root / name).is_file(), name
        assert f"created {name}\n" in out
    assert ".sync/" in (root / ".gitignore").read_text().splitlines()
    workflow = (root / ".github/workflows/sync.yml").read_text()
    assert workflow == sync_workflow(package_requirement())
    assert f'SYNC_PACKAGE: "{package_requirement()}"' in workflow

    code, out, err = run(capsys, "--workspace", str(root), "validate")
    assert (code, err) == (0, "")
    assert out.startswith("Valid: 3 connections (2 ActiveCampaign, 1 source), 1 segment")

    project = load_project(root)
    assert project.settings.teams.admins == "@acme/ops-admins"
    assert (root / ".github/CODEOWNERS").read_text() == codeowners_text(project)
    assert project.exports["vip-newsletter"].schedule == "0 6 * * *"


def test_init_without_teams_has_no_codeowners_and_says_how(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "init", str(tmp_path))
    assert code == 0
    assert not (tmp_path / ".github/CODEOWNERS").exists()
    assert "sync codeowners" in out
    assert yaml.safe_load((tmp_path / "sync.yaml").read_text()) == {"vars": {"vip_threshold": 500}}
    assert run(capsys, "--workspace", str(tmp_path), "validate")[:3:2] == (0, "")


def test_init_refuses_to_overwrite_and_names_every_clash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports/vip-newsletter.yaml").write_text("mine\n")
    (tmp_path / ".gitignore").write_text("mine\n")
    code, _, err = run(capsys, "init", str(tmp_path), *TEAMS)
    assert code == 1
    assert "refusing to overwrite" in err
    assert ".gitignore" in err and "exports/vip-newsletter.yaml" in err
    assert (tmp_path / ".gitignore").read_text() == "mine\n"
    assert not (tmp_path / "sync.yaml").exists()  # nothing written


def test_codeowners_follows_a_change_of_connection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init", str(tmp_path), *TEAMS)
    export = tmp_path / "exports/vip-newsletter.yaml"
    export.write_text(export.read_text().replace("connection: ac-sandbox", "connection: ac-prod"))

    code, _, err = run(capsys, "--workspace", str(tmp_path), "validate")
    assert code == 1
    assert ".github/CODEOWNERS: error: out of date" in err
    assert run(capsys, "--workspace", str(tmp_path), "codeowners", "--check")[0] == 1

    code, out, _ = run(capsys, "--workspace", str(tmp_path), "codeowners")
    assert (code, out) == (0, "wrote .github/CODEOWNERS\n")
    owners = (tmp_path / ".github/CODEOWNERS").read_text()
    assert "/exports/vip-newsletter.yaml @acme/ops-admins\n" in owners
    assert run(capsys, "--workspace", str(tmp_path), "validate")[0] == 0
    code, out, _ = run(capsys, "--workspace", str(tmp_path), "codeowners", "--check")
    assert (code, out) == (0, "CODEOWNERS is up to date\n")


def test_contributors_without_admins_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "init", str(tmp_path), "--contributors", "@acme/marketing")
    assert code == 1 and "--admins" in err
    assert list(tmp_path.iterdir()) == []


def test_first_plan_of_a_new_workspace_says_to_seed_the_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "init", str(tmp_path))
    assert "sync sandbox seed && sync plan" in out  # the printed next steps work as written
    ws = ["--workspace", str(tmp_path)]
    code, _, err = run(capsys, *ws, "plan")
    assert code == 1
    assert "list 1 does not exist on sandbox" in err and "run `sync sandbox seed`" in err
    assert run(capsys, *ws, "sandbox", "seed")[0] == 0
    code, out, _ = run(capsys, *ws, "plan", "--detailed-exitcode")
    assert code == 2 and "vip-newsletter: 2 to add" in out
    export = tmp_path / "exports/vip-newsletter.yaml"
    export.write_text(export.read_text().replace("  # fields:", "  fields:\n    NOPE: phone"))
    code, _, err = run(capsys, *ws, "plan")
    assert code == 1
    assert "custom field(s) NOPE" in err and "run `sync sandbox seed`" in err
    line = next(i for i, t in enumerate(export.read_text().splitlines(), 1) if "NOPE:" in t)
    assert f"error: exports/vip-newsletter.yaml:{line}:5: export 'vip-newsletter': " in err


def test_init_fan_out_writes_the_matrix_workflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "init", str(tmp_path), "--fan-out")
    assert code == 0 and "created .github/workflows/sync.yml\n" in out
    path = tmp_path / ".github/workflows/sync.yml"
    assert path.read_text() == sync_workflow(package_requirement(), fan_out=True)
    jobs = load(path)["jobs"]
    assert set(jobs) == {"accounts", "plan-account", "plan", "apply"}
    assert jobs["apply"]["concurrency"]["group"] == "sync-apply-${{ matrix.account }}"
    assert actionlint([path]) == []
    assert run(capsys, "--workspace", str(tmp_path), "validate")[0] == 0
    code, out, _ = run(capsys, "--workspace", str(tmp_path), "exports", "--accounts", "--json")
    assert (code, out) == (0, '["sandbox"]\n')  # the matrix of the new workspace
