"""The fan-out workflow (`sync init --fan-out`): one plan and one apply job per account.

Structure: the matrix comes from `sync exports --accounts --json`, permissions are the
least each job needs, applies are serialised per account, snapshots are cached per account.
Scripts: the real `sync exports` lists the accounts of a three-account workspace, each
account's plan step runs (with a stand-in `sync`), and the comment step (with a stand-in
`gh`) writes exactly one pull-request comment holding every account's plan.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.scaffold import package_requirement, sync_workflow
from engine.schedule import RUNNER_CRON

from .reconcile_fixtures import copy_example
from .test_exports import add_accounts
from .test_workflows import (
    MANIFEST_PATHS,
    fake_command_path,
    fake_gh,
    load,
    run_history_step,
    run_step,
    step,
)

__all__ = ["fake_gh"]

SECRETS_ENV = {
    "AC_API_KEY": "${{ secrets.AC_API_KEY }}",
    "SYNC_STATE_KEY": "${{ secrets.SYNC_STATE_KEY }}",
    "SYNC_STATE_URL": "${{ secrets.SYNC_STATE_URL }}",
}
MATRIX = {
    "fail-fast": False,
    "matrix": {"account": "${{ fromJSON(needs.accounts.outputs.accounts) }}"},
}


def written(tmp_path_factory: pytest.TempPathFactory, *, fan_out: bool) -> dict[Any, Any]:
    """The workflow `sync init [--fan-out]` writes into a user's repository, loaded."""
    path = tmp_path_factory.mktemp("workflow") / "sync.yml"
    path.write_text(sync_workflow(package_requirement(), fan_out=fan_out))
    return load(path)


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> dict[Any, Any]:
    return written(tmp_path_factory, fan_out=True)


def test_same_triggers_and_no_permissions_at_the_top(
    flow: dict[Any, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    single = written(tmp_path_factory, fan_out=False)
    assert flow["on"] == single["on"]
    assert set(flow["on"]["pull_request"]["paths"]) == MANIFEST_PATHS
    assert flow["on"]["schedule"] == [{"cron": RUNNER_CRON}]
    assert flow["permissions"] == {}
    assert flow["env"] == single["env"]
    assert set(flow["jobs"]) == {"accounts", "plan-account", "plan", "apply"}
    # A newer push replaces a pull request's whole run; other runs are never grouped.
    assert (
        "format('sync-plan-{0}', github.event.pull_request.number)"
        in (flow["concurrency"]["group"])
    )
    assert "github.run_id" in flow["concurrency"]["group"]
    assert flow["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


def test_the_matrix_is_the_accounts_job_output(flow: dict[Any, Any]) -> None:
    jobs = flow["jobs"]
    accounts = jobs["accounts"]
    assert accounts["permissions"] == {"contents": "read"}
    assert "env" not in accounts  # listing accounts needs no secret
    assert accounts["outputs"] == {
        "accounts": "${{ steps.accounts.outputs.accounts }}",
        "now": "${{ steps.accounts.outputs.now }}",
    }
    assert "sync exports --accounts --json" in step(flow, "accounts", "List accounts")["run"]
    for name in ("plan-account", "apply"):
        assert jobs[name]["needs"] == "accounts"
        assert jobs[name]["strategy"] == MATRIX
        assert jobs[name]["name"].endswith("(${{ matrix.account }})")
        assert "needs.accounts.outputs.accounts != '[]'" in jobs[name]["if"]  # no empty matrix
        assert jobs[name]["env"] == SECRETS_ENV
        assert jobs[name]["permissions"] == {"contents": "read"}
    assert jobs["plan-account"]["if"].startswith("github.event_name == 'pull_request'")
    assert jobs["apply"]["if"].startswith("github.event_name != 'pull_request'")


def test_one_gathering_plan_job_may_write_to_pull_requests(flow: dict[Any, Any]) -> None:
    plan = flow["jobs"]["plan"]
    assert plan["name"] == "plan"  # the check branch protection requires, as before
    assert plan["needs"] == ["accounts", "plan-account"]
    assert plan["if"] == "${{ !cancelled() && github.event_name == 'pull_request' }}"
    assert plan["permissions"] == {"pull-requests": "write"}
    assert "env" not in plan
    writers = [n for n, j in flow["jobs"].items() if "pull-requests" in j["permissions"]]
    assert writers == ["plan"]


def test_applies_are_serialised_per_account_and_never_cancelled(flow: dict[Any, Any]) -> None:
    assert flow["jobs"]["apply"]["concurrency"] == {
        "group": "sync-apply-${{ matrix.account }}",
        "cancel-in-progress": False,
    }


def test_snapshots_are_cached_per_account_and_only_encrypted(flow: dict[Any, Any]) -> None:
    caching: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, job in flow["jobs"].items():
        for item in job["steps"]:
            uses = item.get("uses", "")
            if uses.startswith("actions/cache"):
                assert "SYNC_STATE_KEY != ''" in item["if"], item
                assert item["with"]["path"] == ".sync/state"
                assert item["with"]["key"].startswith("sync-state/${{ matrix.account }}/")
                caching.setdefault(name, []).append((uses.split("@")[0], item))
    assert [u for u, _ in caching["plan-account"]] == ["actions/cache/restore"]
    assert [u for u, _ in caching["apply"]] == ["actions/cache/restore", "actions/cache/save"]
    for _, restore in (caching["plan-account"][0], caching["apply"][0]):
        # "/" ends the account: no host is a prefix of another's keys
        assert restore["with"]["restore-keys"] == "sync-state/${{ matrix.account }}/"
    assert "!cancelled()" in caching["apply"][1][1]["if"]


def test_scripts_take_values_only_through_env_and_are_valid_bash(flow: dict[Any, Any]) -> None:
    text = sync_workflow(package_requirement(), fan_out=True)
    assert text.count("secrets.") == 6  # the env entries of plan-account and apply
    for job in flow["jobs"].values():
        for item in job["steps"]:
            script = item.get("run", "")
            assert "${{" not in script, item.get("name")
            assert "AC_API_KEY" not in script and "SYNC_STATE" not in script
            done = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr


def test_plan_artifacts_are_named_alike_by_their_writer_and_their_reader(
    flow: dict[Any, Any],
) -> None:
    slug = "${ACCOUNT//[^A-Za-z0-9.-]/_}"
    assert slug in step(flow, "plan-account", "Name the account's artifacts")["run"]
    assert f'"plans/sync-comment-{slug.replace("ACCOUNT", "account")}"' in comment_script(flow)
    uploads = [s for s in flow["jobs"]["plan-account"]["steps"] if "upload" in s.get("uses", "")]
    names = [u["with"]["name"] for u in uploads]
    assert names == [
        "sync-comment-${{ steps.names.outputs.slug }}",
        "sync-plan-${{ steps.names.outputs.slug }}",
    ]
    assert uploads[0]["if"] == "${{ !cancelled() }}"  # a failed plan is shown too
    download = step(flow, "plan", "Fetch every account's plan")
    assert download["with"] == {"pattern": "sync-comment-*", "path": "plans"}


# ----------------------------------------------------------------------------- scripts run

FAKE_SYNC = """#!/usr/bin/env bash
# Stand-in for sync plan/apply: logs its arguments; a plan names its account in its markdown,
# writes --out, and exits 2 (changes), or fails for $FAIL_ACCOUNT.
echo "$*" >> "$SYNC_LOG"
while [ $# -gt 0 ]; do
  case "$1" in
    --account) account=$2; shift ;;
    --out) out=$2; shift ;;
  esac
  shift
done
if [ "$account" = "${FAIL_ACCOUNT:-}" ]; then
  echo "error: list 7 does not exist on $account" >&2
  exit 1
fi
printf '### Sync plan\\n\\n| `news-of-%s` | 2 |\\n' "$account"
[ -z "${out:-}" ] || echo '{}' > "$out"
exit 2
"""

LOCAL = (
    "name: ac-local\ntype: activecampaign\nhost: '127.0.0.1:8765'\n"
    "api_key: \"{{ env_var('LOCAL_KEY') }}\"\ndata_privacy_consent: true\n"
)
LOCAL_EXPORT = (
    "name: local-news\nconnection: ac-local\nlist_id: 1\nsegments: [newsletter-opt-in]\n"
    "mapping:\n  email: email\n"
)
ACCOUNTS = ["127.0.0.1:8765", "eu-shop.api-us1.com", "sandbox"]


def comment_script(flow: dict[Any, Any]) -> str:
    return str(step(flow, "plan", "Comment the plans on the pull request")["run"])


def list_accounts(flow: dict[Any, Any], tmp_path: Path, event: str, export: str = "") -> str:
    """The accounts job's step, with the real `sync exports`, on a three-account workspace."""
    ws = tmp_path / "ws"
    if not ws.exists():
        ws.mkdir()
        copy_example(ws)
        add_accounts(ws)
        (ws / "connections/ac-local.yaml").write_text(LOCAL)
        (ws / "exports/local-news.yaml").write_text(LOCAL_EXPORT)
    output, summary = tmp_path / "accounts.out", tmp_path / "accounts.md"
    output.unlink(missing_ok=True)
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "EVENT": event,
        "EXPORT": export,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    environ = {k: v for k, v in os.environ.items() if not k.endswith("_KEY")}  # no secret
    script = step(flow, "accounts", "List accounts")["run"]
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=ws,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "NAME" in summary.read_text()  # the export table, in the job summary
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert set(outputs) == {"accounts", "now"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", outputs["now"])
    return outputs["accounts"]


def plan_one_account(
    flow: dict[Any, Any], job: Path, account: str, accounts: str, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], str]:
    """One matrix job's steps: name its artifacts, plan; returns the plan step and the slug."""
    job.mkdir()
    names = run_step(
        step(flow, "plan-account", "Name the account's artifacts")["run"],
        job,
        {"ACCOUNT": account, "GITHUB_OUTPUT": str(job / "out")},
    )
    assert names.returncode == 0, names.stderr
    slug = (job / "out").read_text().strip().removeprefix("slug=")
    plan_env = {**env, "ACCOUNT": account, "ACCOUNTS": accounts}
    plan_env["GITHUB_STEP_SUMMARY"] = str(job / "summary.md")
    done = run_step(step(flow, "plan-account", "Plan")["run"], job, plan_env)
    return done, slug


def fan_out_plans(
    flow: dict[Any, Any], tmp_path: Path, fail: str = ""
) -> tuple[Path, str, dict[str, str]]:
    """Every account's plan job, its comment artifact "uploaded" where the plan job finds it;
    returns the plan job's folder, the accounts JSON and the stand-in sync's environment."""
    accounts = list_accounts(flow, tmp_path, "pull_request")
    env = {
        "PATH": fake_sync(tmp_path),
        "SYNC_LOG": str(tmp_path / "sync.log"),
        "FAIL_ACCOUNT": fail,
    }
    gather = tmp_path / "gather"
    for index, account in enumerate(json.loads(accounts)):
        job = tmp_path / f"job-{index}"
        done, slug = plan_one_account(flow, job, account, accounts, env)
        assert done.returncode == (1 if account == fail else 0), done.stderr
        artifact = gather / "plans" / f"sync-comment-{slug}"
        artifact.mkdir(parents=True)
        for name in ("plan.md", "plan.err", "plan.exit"):
            shutil.copy(job / name, artifact / name)
    return gather, accounts, env


def gh_env(fake_gh: dict[str, str], gather: Path, accounts: str, result: str) -> dict[str, str]:
    return {
        **fake_gh,
        "ACCOUNTS": accounts,
        "ACCOUNTS_RESULT": result,
        "GITHUB_STEP_SUMMARY": str(gather / "summary.md"),
    }


def fake_sync(tmp_path: Path) -> str:
    """A PATH finding the stand-in sync first (in its own folder: gh's may exist)."""
    home = tmp_path / "fake-sync"
    home.mkdir()
    return fake_command_path(home, "sync", FAKE_SYNC)


def posts(fake_gh: dict[str, str]) -> list[str]:
    log = Path(fake_gh["GH_LOG"]).read_text().splitlines()
    return [line for line in log if "--method" in line]


def test_the_matrix_lists_accounts_with_the_real_sync(flow: dict[Any, Any], tmp_path: Path) -> None:
    assert json.loads(list_accounts(flow, tmp_path, "pull_request")) == ACCOUNTS
    # On demand: only the account of the export asked for.
    on_demand = list_accounts(flow, tmp_path, "workflow_dispatch", "eu-news")
    assert json.loads(on_demand) == ["eu-shop.api-us1.com"]


def test_a_scheduled_matrix_holds_only_accounts_with_a_due_export(
    flow: dict[Any, Any], tmp_path: Path
) -> None:
    script = step(flow, "accounts", "List accounts")["run"]
    assert 'schedule) selection=(--due --now "$now")' in script
    list_accounts(flow, tmp_path, "pull_request")  # writes the workspace
    ws = ["--workspace", str(tmp_path / "ws"), "exports", "--accounts", "--json", "--due"]
    # vip (sandbox) fires 0 6 * * *, eu-news (eu-shop) 30 5 * * 1; 2026-11-30 is a Monday.
    at = {"06:08": ["eu-shop.api-us1.com", "sandbox"], "07:08": [], "03:08": []}
    for time, expected in at.items():
        done = CliRunner().invoke(app, [*ws, "--now", f"2026-11-30T{time}:00"])
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout) == expected, time
    apply = step(flow, "apply", "Apply")
    assert apply["env"]["NOW"] == "${{ needs.accounts.outputs.now }}"


def test_each_account_plans_only_itself_within_its_share_of_the_comment(
    flow: dict[Any, Any], tmp_path: Path
) -> None:
    fan_out_plans(flow, tmp_path)
    calls = (tmp_path / "sync.log").read_text().splitlines()
    assert calls == [
        f"plan --account {account} --format markdown --detailed-exitcode --max-chars 20000 "
        "--out plan.json"
        for account in ACCOUNTS
    ]
    job = tmp_path / "job-0"
    assert (job / "plan.exit").read_text() == "2\n"
    assert (job / "plan.json").is_file()
    assert "news-of-127.0.0.1:8765" in (job / "summary.md").read_text()


def test_one_comment_holds_every_accounts_plan_then_is_updated_in_place(
    flow: dict[Any, Any], tmp_path: Path, fake_gh: dict[str, str]
) -> None:
    gather, accounts, _ = fan_out_plans(flow, tmp_path)
    assert sorted(p.name for p in (gather / "plans").iterdir()) == [
        "sync-comment-127.0.0.1_8765",
        "sync-comment-eu-shop.api-us1.com",
        "sync-comment-sandbox",
    ]
    Path(fake_gh["GH_COMMENTS"]).write_text("[]")
    env = gh_env(fake_gh, gather, accounts, "success")
    first = run_step(comment_script(flow), gather, env)
    assert first.returncode == 0, first.stderr
    assert [line.split()[:3] for line in posts(fake_gh)] == [
        ["api", "--method", "POST"]
    ]  # exactly one comment
    body = Path(fake_gh["GH_BODY"]).read_text()
    assert body.startswith("<!-- sync-plan -->\n## Account `127.0.0.1:8765`\n")
    positions = [body.index(f"| `news-of-{account}` | 2 |") for account in ACCOUNTS]
    assert positions == sorted(positions)  # every account, in account order
    assert [body.index(f"## Account `{account}`") for account in ACCOUNTS] == sorted(
        body.index(f"## Account `{account}`") for account in ACCOUNTS
    )
    assert "failed" not in body
    assert (gather / "summary.md").read_text() == body

    ours = {"id": 99, "user": {"login": "github-actions[bot]"}, "body": body}
    Path(fake_gh["GH_COMMENTS"]).write_text(json.dumps([ours]))
    second = run_step(comment_script(flow), gather, env)
    assert second.returncode == 0, second.stderr
    assert posts(fake_gh)[-1].startswith(
        "api --method PATCH repos/acme/segments/issues/comments/99"
    )
    assert sum("--method POST" in line for line in posts(fake_gh)) == 1


def test_a_failed_account_fails_the_check_and_the_comment_says_which(
    flow: dict[Any, Any], tmp_path: Path, fake_gh: dict[str, str]
) -> None:
    gather, accounts, _ = fan_out_plans(flow, tmp_path, fail="eu-shop.api-us1.com")
    Path(fake_gh["GH_COMMENTS"]).write_text("[]")
    done = run_step(comment_script(flow), gather, gh_env(fake_gh, gather, accounts, "success"))
    assert done.returncode == 1
    assert "sync plan failed for: eu-shop.api-us1.com" in done.stdout
    assert len(posts(fake_gh)) == 1  # written all the same
    body = Path(fake_gh["GH_BODY"]).read_text()
    assert body.startswith("<!-- sync-plan -->\n**sync plan failed for: eu-shop.api-us1.com**")
    failed = body[body.index("## Account `eu-shop.api-us1.com`") :]
    assert failed.index("sync plan failed (exit 1)") < failed.index("list 7 does not exist")
    assert "| `news-of-sandbox` | 2 |" in body and "| `news-of-127.0.0.1:8765` | 2 |" in body


def test_an_account_without_its_plan_is_reported_not_skipped(
    flow: dict[Any, Any], tmp_path: Path, fake_gh: dict[str, str]
) -> None:
    gather, accounts, _ = fan_out_plans(flow, tmp_path)
    shutil.rmtree(gather / "plans" / "sync-comment-sandbox")  # its job died before planning
    Path(fake_gh["GH_COMMENTS"]).write_text("[]")
    done = run_step(comment_script(flow), gather, gh_env(fake_gh, gather, accounts, "success"))
    assert done.returncode == 1
    body = Path(fake_gh["GH_BODY"]).read_text()
    assert "**sync plan failed for: sandbox**" in body
    assert "## Account `sandbox`\n\n**No plan:** its job stopped before planning" in body


def test_failed_validate_is_the_comment(
    flow: dict[Any, Any], tmp_path: Path, fake_gh: dict[str, str]
) -> None:
    (tmp_path / "validate").mkdir()
    (tmp_path / "validate/validate.txt").write_text("exports/vip.yaml:3:1: error: unknown key\n")
    Path(fake_gh["GH_COMMENTS"]).write_text("[]")
    done = run_step(comment_script(flow), tmp_path, gh_env(fake_gh, tmp_path, "", "failure"))
    assert done.returncode == 1
    body = Path(fake_gh["GH_BODY"]).read_text()
    assert body.startswith("<!-- sync-plan -->\n**sync plan failed for: validate**")
    assert "### sync: validate or listing the accounts failed" in body
    assert "exports/vip.yaml:3:1: error: unknown key" in body


def test_no_enabled_export_is_said_not_failed(
    flow: dict[Any, Any], tmp_path: Path, fake_gh: dict[str, str]
) -> None:
    Path(fake_gh["GH_COMMENTS"]).write_text("[]")
    done = run_step(comment_script(flow), tmp_path, gh_env(fake_gh, tmp_path, "[]", "success"))
    assert done.returncode == 0, done.stderr
    body = Path(fake_gh["GH_BODY"]).read_text()
    assert body == "<!-- sync-plan -->\nNo enabled exports: nothing to plan.\n"


def test_a_comment_too_long_for_github_is_cut(
    flow: dict[Any, Any], tmp_path: Path, fake_gh: dict[str, str]
) -> None:
    gather, accounts, _ = fan_out_plans(flow, tmp_path)
    (gather / "plans/sync-comment-sandbox/plan.md").write_text("x" * 70_000)
    Path(fake_gh["GH_COMMENTS"]).write_text("[]")
    done = run_step(comment_script(flow), gather, gh_env(fake_gh, gather, accounts, "success"))
    assert done.returncode == 0, done.stderr
    body = Path(fake_gh["GH_BODY"]).read_text()
    assert len(body) < 65_536 and body.endswith("see each job summary._\n")


@pytest.mark.parametrize(
    ("event", "export", "expected"),
    [
        ("push", "", "apply --account sandbox --yes --format markdown"),
        (
            "schedule",
            "",
            "apply --account sandbox --due --now 2026-11-30T06:08:41 --yes --format markdown",
        ),
        ("workflow_dispatch", "vip", "apply --account sandbox -e vip --yes --format markdown"),
    ],
)
def test_apply_runs_for_its_account_by_trigger(
    flow: dict[Any, Any], tmp_path: Path, event: str, export: str, expected: str
) -> None:
    env = {
        "PATH": fake_sync(tmp_path),
        "SYNC_LOG": str(tmp_path / "sync.log"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "ACCOUNT": "sandbox",
        "EVENT": event,
        "EXPORT": export,
        "NOW": "2026-11-30T06:08:41",
    }
    done = run_step(step(flow, "apply", "Apply")["run"], tmp_path, env)
    assert done.returncode == 2  # the stand-in's exit code is passed on
    assert (tmp_path / "sync.log").read_text().splitlines() == [expected]
    summary = (tmp_path / "summary.md").read_text()
    assert re.search(r"sync apply --account sandbox failed \(exit 2\)", summary)


def test_each_accounts_apply_summary_ends_with_the_run_history(
    flow: dict[Any, Any], tmp_path: Path
) -> None:
    asked, summary = run_history_step(flow, tmp_path)
    assert asked == "status --format markdown\n"
    assert summary.endswith("\n## sync status\n")
