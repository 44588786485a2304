"""End to end through the CLI against the in-process sandbox: the product's spine.

plan -> apply -> plan shows no changes; saved plans are applied exactly or refused as stale;
guards refuse; the lock serialises applies; exit codes are as SPEC §3 says.
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.activecampaign.sandbox import SandboxSettings, running_server
from engine.scaffold.sample_data import generate
from engine.state.lock import export_lock

from .client_fakes import FakeClock
from .reconcile_fixtures import (
    LOOPBACK_KEY,
    Workspace,
    copy_example,
    faulty,
    interrupt,
    loopback_workspace,
    point_at,
    workspace,
)

__all__ = ["workspace"]

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def summary(result_stdout: str, export: str) -> dict[str, int]:
    line = next(ln for ln in result_stdout.splitlines() if ln.startswith(f"{export}: "))
    return {k: int(v.replace(",", "")) for v, k in re.findall(r"(\d[\d,]*) (?:to )?(\w+)", line)}


def test_plan_apply_plan_converges(workspace: Workspace) -> None:
    first = workspace.sync("plan", "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    planned = summary(first.stdout, "vip")
    assert planned["add"] > 0 and planned["update"] == 0

    applied = workspace.sync("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert f"vip: applied {planned['add']:,} of {planned['add']:,}" in applied.stdout

    again = workspace.sync("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    after = summary(again.stdout, "vip")
    assert after["add"] == after["update"] == after["remove"] == 0
    assert after["unchanged"] == planned["add"]

    status = workspace.sync("status")
    assert status.exit_code == 0
    assert "vip" in status.stdout and "applied" in status.stdout
    for path in [workspace.root / ".sync", *(workspace.root / ".sync").rglob("*")]:
        expected = 0o700 if path.is_dir() else 0o600  # personal data: owner only
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_apply_needs_yes_when_not_on_a_terminal(workspace: Workspace) -> None:
    result = workspace.sync("apply")
    assert result.exit_code == 1
    assert "pass --yes" in result.output
    assert workspace.sync("plan", "--detailed-exitcode").exit_code == 2  # nothing applied


def test_saved_plan_is_applied_exactly(workspace: Workspace) -> None:
    path = workspace.root / "vip.plan.json"
    made = workspace.sync("plan", "-e", "vip", "--format", "json", "--out", str(path))
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    adds = saved["exports"][0]["summary"]["add"]

    applied = workspace.sync("apply", str(path))
    assert applied.exit_code == 0, applied.output
    assert f"vip: applied {adds:,} of {adds:,}" in applied.stdout
    assert workspace.sync("plan", "-e", "vip", "--detailed-exitcode").exit_code == 0


def test_stale_plan_is_refused_when_the_list_changed(workspace: Workspace) -> None:
    path = workspace.root / "vip.plan.json"
    assert workspace.sync("plan", "-e", "vip", "--out", str(path)).exit_code == 0
    assert workspace.sync("apply", "-e", "vip", "--yes").exit_code == 0  # someone else applied

    stale = workspace.sync("apply", str(path))
    assert stale.exit_code == 1
    assert "list 2 on 'ac-sandbox' changed since this plan was made" in stale.output
    assert "applied" not in stale.stdout


def test_stale_plan_is_refused_when_the_manifests_changed(workspace: Workspace) -> None:
    path = workspace.root / "vip.plan.json"
    assert workspace.sync("plan", "-e", "vip", "--out", str(path)).exit_code == 0
    export = workspace.root / "exports" / "vip.yaml"
    export.write_text(export.read_text().replace("max_profiles: 100000", "max_profiles: 90000"))

    stale = workspace.sync("apply", str(path))
    assert stale.exit_code == 1
    assert "the manifests changed since this plan was made" in stale.output
    assert "max_profiles" in stale.output and "100000" in stale.output
    assert workspace.sync("plan", "-e", "vip", "--detailed-exitcode").exit_code == 2


def test_second_apply_of_the_same_export_fails_fast(workspace: Workspace) -> None:
    with export_lock(workspace.root / ".sync", "vip"):
        result = workspace.sync("apply", "-e", "vip", "--yes")
    assert result.exit_code == 1
    assert "export 'vip' is being applied by" in result.output
    with export_lock(workspace.root / ".sync", "vip"):  # the failed apply kept no lock
        pass


def test_mirror_removals_above_the_limit_are_refused_unless_allowed(workspace: Workspace) -> None:
    assert workspace.sync("apply", "-e", "vip", "--yes").exit_code == 0
    narrower = ("--var", "vip_threshold=900", "--var", "recent_since=2026-11-01")

    refused = workspace.sync(*narrower, "apply", "-e", "vip", "--yes")
    assert refused.exit_code == 1
    assert "more than limits.max_removals (10%" in refused.output
    assert "vip: REFUSED, nothing applied" in refused.stdout
    removals = summary(refused.stdout, "vip")["remove"]
    assert removals > 0

    allowed = workspace.sync(*narrower, "apply", "-e", "vip", "--yes", "--allow-removals")
    assert allowed.exit_code == 0, allowed.output
    after = workspace.sync(*narrower, "plan", "-e", "vip", "--detailed-exitcode")
    assert after.exit_code == 0, after.output

    back = workspace.sync("plan", "-e", "vip")  # leavers re-enter: the product adds them back
    assert summary(back.stdout, "vip")["add"] == removals
    readded = workspace.sync("apply", "-e", "vip", "--yes")
    assert readded.exit_code == 0, readded.output
    assert f"vip: applied {removals:,} of {removals:,}" in readded.stdout
    final = workspace.sync("plan", "-e", "vip", "--detailed-exitcode")
    assert final.exit_code == 0, final.output
    assert summary(final.stdout, "vip")["skipped"] == 0


def test_max_profiles_and_consent_guards_refuse(workspace: Workspace) -> None:
    export = workspace.root / "exports" / "vip.yaml"
    export.write_text(export.read_text().replace("max_profiles: 100000", "max_profiles: 5"))
    too_many = workspace.sync("plan", "-e", "vip")
    assert too_many.exit_code == 1
    assert "more than limits.max_profiles (5)" in too_many.output

    connection = workspace.root / "connections" / "activecampaign.yaml"
    if not connection.exists():
        connection = next((workspace.root / "connections").glob("ac*.yaml"))
    connection.write_text(connection.read_text().replace("data_privacy_consent: true", ""))
    no_consent = workspace.sync("apply", "-e", "newsletter", "--yes")
    assert no_consent.exit_code == 1
    assert "data_privacy_consent: true" in no_consent.output
    assert workspace.sync("sandbox", "lists").stdout.count(" 0 active") == 2


def test_a_list_that_does_not_exist_is_named(workspace: Workspace) -> None:
    export = workspace.root / "exports" / "vip.yaml"
    export.write_text(export.read_text().replace("list_id: 2", "list_id: 99"))
    result = workspace.sync("plan", "-e", "vip")
    assert result.exit_code == 1
    assert "list 99 does not exist" in result.output
    assert "exports/vip.yaml:5:1: export 'vip':" in result.output


def test_json_plan_has_the_documented_shape(workspace: Workspace) -> None:
    result = workspace.sync("plan", "--format", "json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["format_version"] == 1
    vip = next(e for e in plan["exports"] if e["export"] == "vip")
    assert {
        "export",
        "connection",
        "list_id",
        "mode",
        "summary",
        "changes",
        "skipped",
        "invalid",
    } <= set(vip)
    assert vip["list_id"] == "2" and vip["mode"] == "mirror"
    assert set(vip["summary"]) == {"add", "update", "remove", "unchanged", "skipped", "invalid"}
    add = vip["changes"][0]
    assert add["action"] == "add" and "@" in add["email"]
    assert set(add["after"]) <= {
        "first_name",
        "last_name",
        "phone",
        "tags",
        "fields.LIFETIME_VALUE",
        "fields.COUNTRY",
        "fields.LAST_ORDER_DATE",
    }
    assert vip["invalid"] and {"segment", "row", "value", "reason"} <= set(vip["invalid"][0])


def test_markdown_plan_masks_every_email_unless_asked(workspace: Workspace) -> None:
    masked = workspace.sync("plan", "--format", "markdown")
    assert masked.exit_code == 0, masked.output
    assert masked.stdout.lstrip().startswith(("#", "|", "<!--"))
    leaked = [e for e in EMAIL.findall(masked.stdout) if "***@" not in e]
    assert leaked == []
    shown = workspace.sync("plan", "--format", "markdown", "--show-emails")
    assert [e for e in EMAIL.findall(shown.stdout) if "***" not in e]


def test_markdown_apply_report_is_a_heading_after_the_plan(workspace: Workspace) -> None:
    result = workspace.sync("apply", "--yes", "--format", "markdown")
    assert result.exit_code == 0, result.output
    # A line right after ``</details>`` would still be HTML: the heading must be set apart.
    assert "</details>\n\n## sync apply\n" in result.stdout
    assert [e for e in EMAIL.findall(result.stdout) if "***@" not in e] == []


def test_unknown_export_is_an_error_with_the_known_names(workspace: Workspace) -> None:
    result = workspace.sync("plan", "-e", "vipp")
    assert result.exit_code == 1
    assert "there is no export 'vipp'" in result.output and "vip" in result.output


def test_plan_apply_plan_converges_over_loopback_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real client, real time and pacing, over HTTP to ``sync sandbox serve``'s server."""
    root, data = loopback_workspace(tmp_path, rows=60)
    settings = SandboxSettings(api_key=LOOPBACK_KEY)
    monkeypatch.setenv("SANDBOX_KEY", settings.api_key)
    with running_server(data, settings) as host:
        point_at(root, host)
        ws = Workspace(root, FakeClock(), CliRunner())
        first = ws.sync("plan", "-e", "newsletter", "--detailed-exitcode")
        assert first.exit_code == 2, first.output
        adds = summary(first.stdout, "newsletter")["add"]
        applied = ws.sync("apply", "-e", "newsletter", "--yes")
        assert applied.exit_code == 0, applied.output
        assert f"newsletter: applied {adds:,} of {adds:,}" in applied.stdout
        again = ws.sync("plan", "-e", "newsletter", "--detailed-exitcode")
        assert again.exit_code == 0, again.output
        assert "loopback-key-123" not in first.output + applied.output + again.output

        monkeypatch.setenv("SANDBOX_KEY", "wrong-key")
        rejected = ws.sync("plan", "-e", "newsletter")
        assert rejected.exit_code == 1
        assert "SANDBOX_KEY" in rejected.output and "wrong-key" not in rejected.output


def test_pull_request_markdown_of_a_huge_plan_fits_a_comment(workspace: Workspace) -> None:
    """What the pull-request job runs: masked markdown under GitHub's limit, JSON artifact."""
    generate(workspace.root / "data" / "profiles.duckdb", rows=150_000, seed=4)
    artifact = workspace.root / "plan.json"
    result = workspace.sync(
        "plan", "--format", "markdown", "--detailed-exitcode", "--out", str(artifact)
    )
    assert result.exit_code == 2, result.output[-2000:]
    saved = json.loads(artifact.read_text())
    changes = sum(len(e["changes"]) for e in saved["exports"])
    assert changes >= 100_000
    markdown = result.stdout
    assert len(markdown) < 65_536
    assert "| `newsletter` | 1 | upsert |" in markdown and "| `vip` | 2 | mirror |" in markdown
    assert markdown.index("|") < markdown.index("<details>")  # the summary table comes first
    assert "not shown" in markdown
    assert [e for e in EMAIL.findall(markdown) if "***@" not in e] == []


def _active(ws: Workspace) -> dict[str, int]:
    lists = ws.sync("sandbox", "lists").stdout
    return {
        name: int(count)
        for name, count in re.findall(r"^\d+\s+(\w+)\s.*?(\d+) active", lists, flags=re.M)
    }


def test_scheduled_run_applies_exactly_the_due_exports(workspace: Workspace) -> None:
    # vip runs '0 6 * * *'; newsletter has no schedule (on demand only).
    late = workspace.sync("apply", "--due", "--now", "2026-11-29T06:31:00", "--yes")
    assert late.exit_code == 0, late.output
    assert "vip: due for 2026-11-29 06:00 UTC" in late.output
    assert _active(workspace) == {"newsletter": 0, "vip": summary(late.stdout, "vip")["add"]}

    idle = workspace.sync("apply", "--due", "--now", "2026-11-29T09:07:00", "--yes")
    assert idle.exit_code == 0 and "No export is due." in idle.stdout

    caught_up = workspace.sync(
        "apply",
        "--due",
        "--now",
        "2026-12-01T09:07:00",
        "--since",
        "2026-11-30T05:00:00",
        "--yes",
    )
    assert caught_up.exit_code == 0, caught_up.output
    assert "vip: caught up (missed run) for 2026-12-01 06:00 UTC" in caught_up.output


def test_on_demand_run_applies_only_the_named_export(workspace: Workspace) -> None:
    result = workspace.sync("apply", "-e", "newsletter", "--yes")
    assert result.exit_code == 0, result.output
    counts = _active(workspace)
    assert (
        counts["vip"] == 0 and counts["newsletter"] == summary(result.stdout, "newsletter")["add"]
    )
    assert "vip" not in result.stdout


def test_mirror_of_empty_segments_is_refused(workspace: Workspace) -> None:
    assert workspace.sync("apply", "-e", "vip", "--yes").exit_code == 0
    empty = ("--var", "vip_threshold=99999999", "--var", "recent_since=2100-01-01")
    refused = workspace.sync(*empty, "apply", "-e", "vip", "--yes")
    assert refused.exit_code == 1
    assert "the segments came back empty" in refused.output
    assert _active(workspace)["vip"] > 0


def test_mirror_of_segments_whose_rows_are_all_invalid_says_so(workspace: Workspace) -> None:
    assert workspace.sync("apply", "-e", "vip", "--yes").exit_code == 0
    for name in ("high-value", "recent-buyers"):  # the email column swapped for a number
        path = workspace.root / "segments" / f"{name}.yaml"
        path.write_text(
            path.read_text().replace("select email,", "select lifetime_value as email,")
        )
    refused = workspace.sync("plan", "-e", "vip")
    assert refused.exit_code == 1
    assert "no valid emails: all " in refused.output
    assert "the email column holds numbers, not text" in refused.output
    assert "came back empty" not in refused.output


def test_ctrl_c_during_apply_reports_and_records_what_happened(workspace: Workspace) -> None:
    from engine.state import history

    faulty(workspace, lambda r: interrupt(r) if r.method == "POST" else None)  # the 1st write
    result = workspace.sync("apply", "--yes")
    assert result.exit_code == 130
    assert "newsletter: INTERRUPTED: applied 0 of" in result.stdout
    assert "vip: not started (the run was interrupted)" in result.output
    (record,) = history.read(workspace.root / ".sync")
    assert record.export == "newsletter" and record.outcome == "interrupted"
    assert not record.rejected
    assert record.not_applied and "run 'sync plan'" in record.not_applied[0][0]
    rows = (workspace.root / ".sync" / "rejected" / "newsletter.csv").read_text().splitlines()
    assert len(rows) - 1 == record.total("not_applied") > 0  # one row per contact
    status = workspace.sync("status")
    assert f"{record.total('not_applied')} not applied" in status.stdout
    assert "rejected" not in status.stdout


def test_status_names_a_damaged_history_line_and_shows_the_rest(workspace: Workspace) -> None:
    assert workspace.sync("apply", "--yes").exit_code == 0
    log = workspace.root / ".sync" / "history.jsonl"
    log.write_text(log.read_text() + '{"time": "2026-11-\n')
    status = workspace.sync("status")
    assert status.exit_code == 0
    assert "history.jsonl line 3 is damaged" in status.stdout
    assert "vip" in status.stdout and "newsletter" in status.stdout


def test_now_and_since_need_due(workspace: Workspace) -> None:
    result = workspace.sync("apply", "--now", "2026-11-30T06:10:00", "--yes")
    assert result.exit_code == 1
    assert "--now and --since go with --due" in result.output
    assert _active(workspace) == {"newsletter": 0, "vip": 0}


def test_a_failing_query_in_markdown_mode_does_not_leak_emails(workspace: Workspace) -> None:
    segment = workspace.root / "segments" / "high-value.yaml"
    segment.write_text(
        segment.read_text().replace(
            "where lifetime_value >=", "where cast(email as int) > 0 and lifetime_value >="
        )
    )
    text = workspace.sync("plan", "-e", "vip")
    assert text.exit_code == 1 and "segments/high-value.yaml" in text.output
    assert EMAIL.search(text.output)  # the database quoted a row: shown on a terminal
    masked = workspace.sync("plan", "-e", "vip", "--format", "markdown")
    assert masked.exit_code == 1 and "segments/high-value.yaml" in masked.output
    assert [e for e in EMAIL.findall(masked.output) if "***@" not in e] == []


def test_sigterm_during_apply_is_reported_like_ctrl_c(tmp_path: Path) -> None:
    """``timeout``/systemd/docker stop send SIGTERM: the run still says what it did."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from engine.state import history

    root = tmp_path / "ws"
    root.mkdir()
    copy_example(root)
    generate(root / "data" / "profiles.duckdb", rows=6000, seed=9)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    sync = [sys.executable, "-m", "engine", "--workspace", str(root), "--no-color"]
    subprocess.run([*sync, "sandbox", "seed"], check=True, capture_output=True, env=env)
    with (tmp_path / "out.txt").open("w") as stdout:  # a file: the plan is long
        run = subprocess.Popen(
            [*sync, "apply", "-e", "newsletter", "--yes"],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert run.stderr is not None
        deadline = time.monotonic() + 60
        while "applying" not in (line := run.stderr.readline()):
            assert line and time.monotonic() < deadline, "apply never started writing"
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=60)
    out = (tmp_path / "out.txt").read_text()
    assert run.returncode == 130, out[-2000:] + err
    assert "newsletter: INTERRUPTED: applied" in out
    (record,) = history.read(root / ".sync")
    assert record.outcome == "interrupted" and record.not_applied
