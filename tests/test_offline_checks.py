"""What can be refused offline is refused before anything is read (issue 13, item 5):
no segment query runs and no request reaches ActiveCampaign."""

from __future__ import annotations

from .reconcile_fixtures import Workspace, counting, workspace

__all__ = ["workspace"]


def break_the_segments(ws: Workspace) -> None:
    """Any segment query that runs now fails: a plan that reads a segment says so."""
    for path in (ws.root / "segments").glob("*.yaml"):
        path.write_text(path.read_text().replace("from profiles", "from no_such_table"))


def test_no_consent_is_refused_before_any_segment_or_list_is_read(workspace: Workspace) -> None:
    connection = workspace.root / "connections" / "ac-sandbox.yaml"
    connection.write_text(
        connection.read_text().replace("data_privacy_consent: true", "data_privacy_consent: false")
    )
    break_the_segments(workspace)
    sent = counting(workspace)
    result = workspace.sync("plan")
    assert result.exit_code == 1
    assert "does not have data_privacy_consent: true" in result.output
    assert "no_such_table" not in result.output  # no segment query ran
    assert sent == []  # and nothing was sent to ActiveCampaign
    applied = workspace.sync("apply", "--yes")
    assert applied.exit_code == 1 and "REFUSED" in applied.output and sent == []


def test_a_missing_api_key_stops_the_run_before_the_segments(workspace: Workspace) -> None:
    (workspace.root / "connections" / "ac-sandbox.yaml").write_text(
        "name: ac-sandbox\ntype: activecampaign\nhost: acme.api-us1.com\n"
        "api_key: \"{{ env_var('NO_SUCH_KEY_VAR') }}\"\ndata_privacy_consent: true\n"
    )
    break_the_segments(workspace)
    result = workspace.sync("plan")
    assert result.exit_code == 1
    assert "environment variable NO_SUCH_KEY_VAR is not set" in result.output
    assert "connections/ac-sandbox.yaml:4" in result.output
    assert "no_such_table" not in result.output
