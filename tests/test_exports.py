"""Accounts, for fan-out: `sync exports` lists exports with their account (offline), and
`--account HOST` makes plan and apply take the enabled exports of one account."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine import pipeline
from engine.cli import app
from engine.errors import ConfigError
from engine.manifests.load import load_project

from .reconcile_fixtures import Workspace, copy_example, workspace

__all__ = ["workspace"]

REPO = Path(__file__).resolve().parent.parent

# A second account (a host written in capitals: accounts are case-insensitive), whose key
# is not set in the tests: choosing the sandbox account must not need it.
EU = """\
name: ac-eu
type: activecampaign
host: EU-Shop.api-us1.com
api_key: "{{ env_var('AC_EU_KEY') }}"
data_privacy_consent: true
"""
EU_EXPORT = """\
name: eu-news
connection: ac-eu
list_id: 7
segments: [newsletter-opt-in]
mapping:
  email: email
schedule: "30 5 * * 1"
"""
# A third account whose only export is disabled.
OLD = (
    "name: ac-old\ntype: activecampaign\nhost: old.api-us1.com\n"
    "api_key: \"{{ env_var('AC_OLD_KEY') }}\"\ndata_privacy_consent: true\n"
)
OLD_EXPORT = (
    "name: old-promo\nconnection: ac-old\nlist_id: 3\nsegments: [high-value]\n"
    "mapping:\n  email: email\nenabled: false\n"
)


def add_accounts(root: Path) -> None:
    (root / "connections/ac-eu.yaml").write_text(EU)
    (root / "exports/eu-news.yaml").write_text(EU_EXPORT)
    (root / "connections/ac-old.yaml").write_text(OLD)
    (root / "exports/old-promo.yaml").write_text(OLD_EXPORT)


@pytest.fixture
def three_accounts(tmp_path: Path) -> Path:
    copy_example(tmp_path)
    add_accounts(tmp_path)
    return tmp_path


def sync(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--workspace", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_exports_json_of_the_example_workspace() -> None:
    code, out, err = sync(REPO, "exports", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {
            "name": "newsletter",
            "account": "sandbox",
            "connection": "ac-sandbox",
            "list_id": "1",
            "mode": "upsert",
            "schedule": None,
            "enabled": True,
        },
        {
            "name": "vip",
            "account": "sandbox",
            "connection": "ac-sandbox",
            "list_id": "2",
            "mode": "mirror",
            "schedule": "0 6 * * *",
            "enabled": True,
        },
    ]
    assert sync(REPO, "exports", "--accounts", "--json")[1] == '["sandbox"]\n'


def test_exports_table_lists_every_export_with_its_account(three_accounts: Path) -> None:
    code, out, _ = sync(three_accounts, "exports")
    assert code == 0
    assert out.splitlines() == [
        "NAME        ACCOUNT              CONNECTION  LIST  MODE    SCHEDULE    ENABLED",
        "eu-news     eu-shop.api-us1.com  ac-eu       7     upsert  30 5 * * 1  yes",
        "newsletter  sandbox              ac-sandbox  1     upsert  on demand   yes",
        "old-promo   old.api-us1.com      ac-old      3     upsert  on demand   no",
        "vip         sandbox              ac-sandbox  2     mirror  0 6 * * *   yes",
    ]


def test_accounts_are_those_with_enabled_exports(three_accounts: Path) -> None:
    """What the fan-out workflow builds its matrix from; no secret is needed for it."""
    code, out, _ = sync(three_accounts, "exports", "--accounts", "--json")
    assert code == 0 and json.loads(out) == ["eu-shop.api-us1.com", "sandbox"]
    code, out, _ = sync(three_accounts, "exports", "--accounts")
    assert out.splitlines() == [
        "ACCOUNT              EXPORTS",
        "eu-shop.api-us1.com  eu-news",
        "sandbox              newsletter, vip",
    ]
    # An on-demand run of one export: the one account it writes.
    code, out, _ = sync(three_accounts, "exports", "--accounts", "--json", "-e", "eu-news")
    assert code == 0 and json.loads(out) == ["eu-shop.api-us1.com"]
    code, _, err = sync(three_accounts, "exports", "--accounts", "--json", "-e", "old-promo")
    assert code == 1 and "export 'old-promo' is disabled" in err
    code, _, err = sync(three_accounts, "exports", "--now", "2026-11-30T06:08:00")
    assert code == 1 and "--now goes with --due" in err


def test_account_selects_its_enabled_exports_in_any_case(three_accounts: Path) -> None:
    project = load_project(three_accounts)
    names = [e.name for e in pipeline.select_exports(project, account="SANDBOX")]
    assert names == ["newsletter", "vip"]
    names = [e.name for e in pipeline.select_exports(project, account=" eu-shop.API-us1.com")]
    assert names == ["eu-news"]
    chosen = pipeline.select_exports(project, ["vip"], account="sandbox")
    assert [e.name for e in chosen] == ["vip"]


def test_unknown_account_names_the_known_ones(three_accounts: Path) -> None:
    code, _, err = sync(three_accounts, "plan", "--account", "shop.api-us1.com")
    assert code == 1
    assert "--account shop.api-us1.com: no enabled export writes this account" in err
    assert "accounts with enabled exports: eu-shop.api-us1.com, sandbox" in err
    code, _, err = sync(three_accounts, "apply", "--account", "old.api-us1.com", "--yes")
    assert code == 1 and "(its exports old-promo are disabled)" in err


def test_a_named_export_of_another_account_is_an_error(three_accounts: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        pipeline.select_exports(load_project(three_accounts), ["vip", "eu-news"], account="sandbox")
    assert "export 'eu-news' writes account 'eu-shop.api-us1.com'" in str(caught.value)
    assert "exports/eu-news.yaml:2" in str(caught.value)  # its connection: line
    code, _, err = sync(three_accounts, "exports", "-e", "eu-news", "--account", "sandbox")
    assert code == 1 and "not 'sandbox'" in err


def test_plan_and_apply_of_one_account_need_only_its_key(workspace: Workspace) -> None:
    add_accounts(workspace.root)
    planned = workspace.sync("plan", "--account", "Sandbox", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "newsletter: " in planned.stdout and "vip: " in planned.stdout
    assert "eu-news" not in planned.stdout and "AC_EU_KEY" not in planned.output

    one = workspace.sync("plan", "--account", "sandbox", "-e", "vip")
    assert one.exit_code == 0, one.output
    assert "vip: " in one.stdout and "newsletter: " not in one.stdout

    due = workspace.sync(
        "apply", "--account", "sandbox", "--due", "--now", "2026-11-30T06:31:00", "--yes"
    )
    assert due.exit_code == 0, due.output
    assert "vip: due for 2026-11-30 06:00 UTC" in due.output
    assert "newsletter: applied" not in due.stdout and "eu-news" not in due.output

    elsewhere = workspace.sync("plan", "--account", "eu-shop.api-us1.com")
    assert elsewhere.exit_code == 1 and "AC_EU_KEY" in elsewhere.output  # its key, asked for


def test_a_saved_plan_is_not_narrowed_by_account(workspace: Workspace) -> None:
    saved = workspace.root / "plan.json"
    assert workspace.sync("plan", "--out", str(saved)).exit_code == 0
    refused = workspace.sync("apply", str(saved), "--account", "sandbox")
    assert refused.exit_code == 1
    assert "do not combine PLANFILE with -e/--account/--due" in refused.output


def test_an_accounts_plan_fits_its_share_of_one_comment(workspace: Workspace) -> None:
    """The fan-out workflow gives each of N accounts 60,000/N characters of one comment."""
    full = workspace.sync("plan", "--account", "sandbox", "--format", "markdown")
    share = workspace.sync(
        "plan", "--account", "sandbox", "--format", "markdown", "--max-chars", "3000"
    )
    assert full.exit_code == share.exit_code == 0, share.output
    assert len(full.stdout) > 6000 and len(share.stdout) <= 3000
    assert "| `vip` | 2 | mirror |" in share.stdout and "not shown" in share.stdout
