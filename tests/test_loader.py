"""The loader on real workspaces: the example validates; vars, env references, locations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.activecampaign.connect import base_url
from engine.errors import ConfigError, ManifestError
from engine.manifests.load import load_project
from engine.manifests.secrets import resolve_env

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PARTS = ("sync.yaml", "connections", "segments", "exports")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the repository's example workspace."""
    for part in EXAMPLE_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, tmp_path / part)
        else:
            shutil.copy(source, tmp_path / part)
    return tmp_path


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def errors_of(root: Path, **kwargs: object) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_project(root, **kwargs)  # type: ignore[arg-type]
    return [str(d) for d in caught.value.diagnostics]


def test_example_workspace_loads(workspace: Path) -> None:
    project = load_project(workspace, environ={})
    assert set(project.destinations) == {"ac-sandbox"}
    assert set(project.sources) == {"warehouse"}
    assert set(project.segments) == {"high-value", "recent-buyers", "newsletter-opt-in"}
    assert set(project.exports) == {"newsletter", "vip"}
    vip = project.exports["vip"]
    assert vip.mode == "mirror" and vip.list_id == 2 and vip.schedule == "0 6 * * *"
    assert vip.segments == ("high-value", "recent-buyers")
    assert vip.mapping.tags == ("vip",)
    assert str(vip.limits.removal_limit) == "10%"
    assert "lifetime_value >= 500" in project.segments["high-value"].query
    assert "date '2026-06-01'" in project.segments["recent-buyers"].query
    assert project.settings.teams.admins == "@acme/marketing-ops"
    assert project.warnings == ()


def test_the_repository_itself_validates() -> None:
    assert set(load_project(REPO, environ={}).exports) == {"newsletter", "vip"}


def test_var_override_beats_sync_yaml(workspace: Path) -> None:
    project = load_project(workspace, vars={"vip_threshold": "1200"}, environ={})
    assert "lifetime_value >= 1200" in project.segments["high-value"].query
    assert project.rendered[("segments", "high-value")]["query"].endswith(">= 1200\n")


def test_locations_point_at_keys_and_items(workspace: Path) -> None:
    project = load_project(workspace, environ={})
    assert str(project.where("exports", "vip")) == "exports/vip.yaml:2:1"
    text = (workspace / "exports/vip.yaml").read_text().splitlines()
    where = project.where("exports", "vip", "limits.max_removals")
    assert text[where.line - 1].strip() == "max_removals: 10%"
    item = project.where("exports", "vip", "segments.1")
    assert text[item.line - 1][item.col - 1 :].startswith("recent-buyers")
    assert project.where("exports", "vip", "no.such.key") == project.where("exports", "vip")


def _real_account(root: Path, key: str = "{{ env_var('SYNC_KEY') }}") -> None:
    write(
        root,
        "connections/ac-prod.yaml",
        "name: ac-prod\ntype: activecampaign\nhost: acme.api-us1.com\n"
        f'api_key: "{key}"\ndata_privacy_consent: true\n',
    )


def test_api_key_stays_a_reference_and_needs_no_secret_to_validate(workspace: Path) -> None:
    _real_account(workspace)
    project = load_project(workspace, environ={})
    connection = project.destinations["ac-prod"]
    assert connection.api_key == "${env:SYNC_KEY}"
    where = project.where("connections", "ac-prod", "api_key")
    assert str(where) == "connections/ac-prod.yaml:4:1"
    assert resolve_env(connection.api_key, {"SYNC_KEY": "s3cret"}, str(where)) == "s3cret"
    with pytest.raises(ConfigError, match=r"connections/ac-prod.yaml:4:1.*SYNC_KEY is not set"):
        resolve_env(connection.api_key, {}, str(where))


def test_secret_value_from_environment_is_not_loaded_into_models(workspace: Path) -> None:
    _real_account(workspace)
    project = load_project(workspace, environ={"SYNC_KEY": "s3cret-key-value"})
    assert "s3cret-key-value" not in repr(project)


def test_api_key_default_is_refused_without_printing_it(workspace: Path) -> None:
    _real_account(workspace, "{{ env_var('SYNC_KEY', 'abcdef123456') }}")
    [message] = errors_of(workspace, environ={})
    assert message.startswith("connections/ac-prod.yaml:4:")
    assert "abcdef123456" not in message


def test_literal_key_is_never_echoed(workspace: Path) -> None:
    _real_account(workspace, "abcdef1234567890-literal")
    [message] = errors_of(workspace, environ={})
    assert "never a literal" in message and "abcdef1234567890-literal" not in message


def test_env_var_outside_secrets_resolves_from_environment_or_default(workspace: Path) -> None:
    write(
        workspace,
        "exports/extra.yaml",
        "name: extra\nconnection: ac-sandbox\nlist_id: {{ env_var('SYNC_LIST') }}\n"
        "segments: [high-value]\nmapping:\n  email: email\n"
        "description: \"{{ env_var('SYNC_TEAM', 'growth') }} team\"\n",
    )
    project = load_project(workspace, environ={"SYNC_LIST": "7"})
    assert project.exports["extra"].list_id == 7
    assert project.exports["extra"].description == "growth team"
    assert project.rendered[("exports", "extra")]["list_id"] == 7
    [message] = errors_of(workspace, environ={})
    assert message.startswith("exports/extra.yaml:3:13: error: environment variable SYNC_LIST")


def test_postgres_url_keeps_password_reference(workspace: Path) -> None:
    write(
        workspace,
        "connections/cdp.yaml",
        "name: cdp\ntype: postgres\n"
        "url: \"postgresql://sync:{{ env_var('PGPASSWORD') }}@db.internal/cdp\"\n",
    )
    project = load_project(workspace, environ={"PGPASSWORD": "pw-in-env"})
    url = project.sources["cdp"].url  # type: ignore[union-attr]
    assert url == "postgresql://sync:${env:PGPASSWORD}@db.internal/cdp"


def test_every_problem_in_every_file_is_reported_at_once(workspace: Path) -> None:
    write(workspace, "segments/a.yaml", "name: a\nsource: warehouse\nqeury: select 1\n")
    write(workspace, "exports/b.yaml", "name: b\nconnection: ac-sandbox\nlist_id: 0\n")
    write(workspace, "connections/c.yaml", "name: c\ntype: duckdb\npath: [1]\n")
    messages = errors_of(workspace, environ={})
    files = {m.split(":", 1)[0] for m in messages}
    assert files == {"segments/a.yaml", "exports/b.yaml", "connections/c.yaml"}
    assert messages == sorted(messages)


def test_jinja_error_line_inside_multiline_blocks(workspace: Path) -> None:
    write(
        workspace,
        "segments/late.yaml",
        "name: late\nsource: warehouse\nquery: |\n  select email\n  from profiles\n"
        "  {% if true %}\n  where x = {{ var('nope') }}\n  {% endif %}\n",
    )
    [message] = errors_of(workspace, environ={})
    assert message.startswith("segments/late.yaml:7:16: error: var 'nope' is not defined")


def test_files_in_subfolders_and_yml_and_multiple_documents(workspace: Path) -> None:
    write(
        workspace,
        "segments/more/two.yml",
        "name: s1\nsource: warehouse\nquery: select 1\n---\n"
        "name: s2\nsource: warehouse\nquery: select 2\n",
    )
    write(workspace, "segments/.hidden.yaml", "not: [valid")
    project = load_project(workspace, environ={})
    assert {"s1", "s2"} <= set(project.segments)
    assert str(project.where("segments", "s2")) == "segments/more/two.yml:5:1"


def test_a_folder_without_manifests_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no manifests found"):
        load_project(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_project(tmp_path / "missing")


@pytest.mark.parametrize("host", ["127.0.0.1:8080", "localhost:9000", "[::1]:8443"])
def test_loopback_hosts_may_carry_a_port(workspace: Path, host: str) -> None:
    _real_account(workspace)
    path = workspace / "connections/ac-prod.yaml"
    path.write_text(path.read_text().replace("acme.api-us1.com", f"'{host}'"))  # [ needs quotes
    project = load_project(workspace, environ={})
    assert base_url(project.destinations["ac-prod"].host) == f"http://{host}/api/3"
