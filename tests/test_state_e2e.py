"""List snapshots end to end: the CLI against the sandbox, in-process (fake time) and over
loopback, with the local store and a real PostgreSQL one.

- plan -> apply -> plan (no changes), the later plans read incrementally;
- a snapshot deleted, damaged, encrypted with another key, or read with another mapping:
  a full read, and the same plan;
- someone who unsubscribes without a ``udate`` bump while another subscribes (counts
  balanced), then leaves and re-enters the segment, is never re-subscribed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from engine.activecampaign.sandbox import SandboxSettings, Store, running_server
from tests.pg import PostgresServer

from .client_fakes import FakeClock
from .reconcile_fixtures import (
    LOOPBACK_KEY,
    Workspace,
    fake_time_connector,
    faulty,
    loopback_workspace,
    point_at,
    workspace,
)

__all__ = ["workspace"]

DAY = 86_400.0
LIST_VIP = 2


def plan_json(ws: Workspace, *args: str, before: tuple[str, ...] = ()) -> dict[str, Any]:
    """``sync [before...] plan --format json [args...]``."""
    result = ws.sync(*before, "plan", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def export_of(plan: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in plan["exports"] if e["export"] == name)
    return found


def snapshot_file(ws: Workspace, list_id: int) -> Path:
    return ws.root / ".sync" / "state" / "sandbox" / f"list-{list_id}.snapshot"


def converge(ws: Workspace) -> None:
    """Apply everything, then let two days pass (the contacts' udates are old now)."""
    applied = ws.sync("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    with Store(ws.sandbox) as store:
        store.age(2 * DAY)
    plan_json(ws)  # a read after the ageing: its snapshot is the starting point


def test_later_plans_read_only_what_changed(workspace: Workspace) -> None:
    first = export_of(plan_json(workspace, "-e", "vip"), "vip")
    assert first["read"]["mode"] == "full" and first["read"]["reasons"] == ["no snapshot"]
    converge(workspace)
    again = workspace.sync("plan", "-e", "vip", "--detailed-exitcode")
    assert again.exit_code == 0, again.output  # no changes
    assert "list read: incremental since" in again.stdout
    assert "0 contacts read again (updated from " in again.stdout
    assert "on), counts match" in again.stdout
    markdown = workspace.sync("plan", "-e", "vip", "--format", "markdown").stdout
    assert "Lists read:" in markdown and "incremental since" in markdown


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        ("delete", "no snapshot"),
        ("damage", "snapshot not used: the snapshot is damaged"),
        ("another key", "does not decrypt with this SYNC_STATE_KEY"),
        ("mapping", "mapping changed"),
        ("old", "snapshot 8 days old"),
        ("refresh", "--refresh full"),
    ],
)
def test_a_snapshot_that_cannot_be_used_costs_a_full_read_and_changes_no_decision(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, spoil: str, reason: str
) -> None:
    monkeypatch.setenv("SYNC_STATE_KEY", "the right key")
    converge(workspace)
    leavers = ("--var", "vip_threshold=700")
    args: tuple[str, ...] = ("-e", "vip", "--allow-removals")
    expected = export_of(plan_json(workspace, *args, "--refresh", "full", before=leavers), "vip")
    assert expected["summary"]["remove"] > 0
    match spoil:
        case "delete":
            snapshot_file(workspace, LIST_VIP).unlink()
        case "damage":
            path = snapshot_file(workspace, LIST_VIP)
            monkeypatch.delenv("SYNC_STATE_KEY")
            path.write_bytes(path.read_bytes()[:-40])
            plan_json(workspace, "--refresh", "full", "-e", "newsletter")
            path.write_bytes(b"SYNCSNAP\x02\x00" + b"\x00" * 64)
        case "another key":
            monkeypatch.setenv("SYNC_STATE_KEY", "another key")
        case "mapping":
            export = workspace.root / "exports" / "vip.yaml"
            export.write_text(export.read_text().replace("    COUNTRY: country\n", ""))
        case "old":
            workspace.clock.now += 8 * DAY
        case "refresh":
            args = (*args, "--refresh", "full")
    plan = export_of(plan_json(workspace, *args, before=leavers), "vip")
    assert plan["read"]["mode"] == "full"
    assert any(reason in r for r in plan["read"]["reasons"]), plan["read"]
    if spoil != "mapping":  # another mapping plans other fields
        assert plan["changes"] == expected["changes"]
        assert plan["fingerprint"] == expected["fingerprint"]
    follow = export_of(plan_json(workspace, "-e", "vip", "--allow-removals", before=leavers), "vip")
    assert follow["read"]["mode"] == "incremental"  # the full read left a good snapshot


def _member_id(store: Store, email: str) -> int:
    with store.read() as conn:
        row = conn.execute("SELECT id FROM contacts WHERE lower(email) = ?", (email,)).fetchone()
    return int(row[0])


def _set_profile(ws: Workspace, email: str, ltv: float, last_order: str) -> None:
    with duckdb.connect(str(ws.root / "data" / "profiles.duckdb")) as db:
        db.execute(
            "update profiles set lifetime_value = ?, last_order_date = ?::date"
            " where lower(trim(email)) = ?",
            [ltv, last_order, email],
        )


def removed_after_an_unseen_unsubscribe(ws: Workspace) -> tuple[str, int]:
    """A vip member unsubscribes without a udate bump (the snapshot still says active),
    leaves the segments (sync removes them: re-sending the unsubscribe) and comes back:
    ``(email, contact id)``, before the apply that sees them come back."""
    converge(ws)
    vip = export_of(plan_json(ws, "-e", "vip"), "vip")
    assert vip["summary"]["unchanged"] > 2
    with duckdb.connect(str(ws.root / "data" / "profiles.duckdb")) as db:
        row = db.execute(
            "select lower(trim(email)), lifetime_value, cast(last_order_date as varchar)"
            " from profiles where lifetime_value >= 500 and last_order_date < date '2026-06-01'"
            " order by customer_id limit 1"
        ).fetchone()
    assert row is not None
    email, ltv, last_order = row
    with Store(ws.sandbox, clock=ws.clock) as store:
        person = _member_id(store, email)
        store.load_members(LIST_VIP, [("other@example.com", "O", "T", "", 2)])
        store.age(2 * DAY)
    plan_json(ws, "-e", "vip")  # the snapshot now has the other person unsubscribed
    ws.clock.now += 3_600
    with Store(ws.sandbox, clock=ws.clock) as store:
        store.set_status_quietly(LIST_VIP, person, 2)  # unsubscribes: no udate bump
        other = _member_id(store, "other@example.com")
        store.set_status_quietly(LIST_VIP, other, 1)  # subscribes: the counts still match
    ws.clock.now += 3_600
    _set_profile(ws, email, 0, "2000-01-01")  # leaves the segment
    left = ws.sync("apply", "--yes", "-e", "vip")
    assert left.exit_code == 0, left.output
    assert f"  - {email}\n" in left.stdout  # the stale snapshot says active: removed (and marked)
    ws.clock.now += 3_600
    _set_profile(ws, email, ltv, last_order)  # and comes back
    return email, person


def list_status(ws: Workspace, contact_id: int) -> int:
    with Store(ws.sandbox) as store, store.read() as conn:
        row = conn.execute(
            "SELECT status FROM memberships WHERE contact_id = ? AND list_id = ?",
            (contact_id, LIST_VIP),
        ).fetchone()
    return int(row[0])


def test_someone_who_unsubscribed_unseen_is_never_re_subscribed(workspace: Workspace) -> None:
    email, person = removed_after_an_unseen_unsubscribe(workspace)
    back = workspace.sync("apply", "--yes", "-e", "vip")
    assert back.exit_code == 0, back.output
    assert f"+ {email} (removed earlier by sync)" in back.stdout
    assert "1 skipped" in back.stdout
    assert f"{email}: not re-subscribed: they unsubscribed at" in back.stdout
    assert list_status(workspace, person) == 2
    again = workspace.sync("apply", "--yes", "-e", "vip")
    assert "not re-subscribed" in again.stdout  # and not on a later run either


@pytest.mark.parametrize("store", ["local", "postgres"])
def test_plan_apply_plan_over_loopback_with_snapshots(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_server: PostgresServer,
    store: str,
) -> None:
    """The real client, real time and pacing, over HTTP to ``sync sandbox serve``'s server."""
    root, data = loopback_workspace(tmp_path, rows=40)
    settings = SandboxSettings(api_key=LOOPBACK_KEY)
    monkeypatch.setenv("SANDBOX_KEY", settings.api_key)
    monkeypatch.setenv("SYNC_STATE_KEY", "k" * 32)
    if store == "postgres":
        with postgres_server.connect() as admin:
            admin.execute("DROP TABLE IF EXISTS sync_snapshots, sync_accounts")
        monkeypatch.setenv("SYNC_STATE_URL", postgres_server.url(postgres_server.password))
        sync_yaml = root / "sync.yaml"
        text = sync_yaml.read_text()
        assert "  store: local\n" in text
        sync_yaml.write_text(
            text.replace(
                "  store: local\n",
                "  store: postgres\n  url: \"{{ env_var('SYNC_STATE_URL') }}\"\n",
            )
        )
    with running_server(data, settings) as host:
        point_at(root, host)
        ws = Workspace(root, FakeClock(), CliRunner())
        first = ws.sync("plan", "-e", "newsletter", "--detailed-exitcode")
        assert first.exit_code == 2, first.output
        assert "full read: no snapshot" in first.stdout
        applied = ws.sync("apply", "-e", "newsletter", "--yes")
        assert applied.exit_code == 0, applied.output
        again = ws.sync("plan", "-e", "newsletter", "--detailed-exitcode")
        assert again.exit_code == 0, again.output
        assert "list read: incremental since" in again.stdout
    local = root / ".sync" / "state"
    if store == "postgres":
        assert not local.exists()
        with postgres_server.connect() as admin:
            count = admin.execute("SELECT count(*) FROM sync_snapshots").fetchone()
        assert count is not None and count[0] == 1
    else:
        (snapshot,) = local.rglob("*.snapshot")
        assert b"@example.com" not in snapshot.read_bytes()  # SYNC_STATE_KEY: encrypted


def test_the_second_run_of_a_5000_person_job_takes_seconds(tmp_path: Path) -> None:
    """3 changed names and 2 leavers on a 5,000-member list: the second run reads only what
    changed, at the real limits a few seconds (a full read was ~15 s of requests alone)."""
    from . import job_5k

    job_5k.build(tmp_path)
    first = job_5k.run(tmp_path, job_5k.NOW - job_5k.DAY)
    assert first.plan.exports[0].read is not None and not first.plan.exports[0].read.incremental
    assert not first.plan.has_changes and not first.reports  # converged: nothing to apply
    job_5k.change_the_warehouse(tmp_path)
    second = job_5k.run(tmp_path, job_5k.NOW)
    plan = second.plan.exports[0]
    assert plan.summary["update"] == 3 and plan.summary["remove"] == 2
    assert plan.read is not None and plan.read.incremental
    (report,) = second.reports
    assert report.ok and sum(report.applied.values()) == 5
    assert sum(second.requests.values()) <= 30
    assert second.paced_s < 8.0, second.paced_s


def test_a_read_stopped_half_way_leaves_the_previous_snapshot(workspace: Workspace) -> None:
    converge(workspace)
    path = snapshot_file(workspace, LIST_VIP)
    before = path.read_bytes()
    base = fake_time_connector(workspace.clock)
    workspace.clock.now += DAY  # the next read would move the watermark
    pages: list[str] = []

    def on_third_page(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/contacts"):
            pages.append(str(request.url))
            if len(pages) == 3:  # Ctrl-C while the list is read
                raise KeyboardInterrupt
        return None

    faulty(workspace, on_third_page)
    stopped = workspace.sync("plan", "-e", "vip")
    assert stopped.exit_code == 130
    assert path.read_bytes() == before  # not replaced by half a read
    workspace.connector = base
    again = export_of(plan_json(workspace, "-e", "vip"), "vip")
    assert again["read"]["mode"] == "incremental" and not again["changes"]
