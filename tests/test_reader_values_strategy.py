"""Custom field values are read the cheaper documented way: by field, or by member."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from engine.activecampaign.client import Client
from engine.activecampaign.read import read_list
from engine.activecampaign.sandbox import SandboxSettings, Store, sandbox_transport
from engine.contacts import CurrentState

LIST, OTHER = 3, 4


def _account(path: Path, members: int, others: int) -> None:
    with Store(path) as store:
        store.create_list("Small", LIST)
        store.create_list("Everyone else", OTHER)
        rows = [(f"m{i}@example.com", "", "", "", 1) for i in range(members)]
        store.load_members(LIST, rows, {"LTV": [f"v{i}" for i in range(members)]})
        rows = [(f"o{i}@example.com", "", "", "", 1) for i in range(others)]
        store.load_members(OTHER, rows, {"LTV": ["x"] * others, "TIER": ["gold"] * others})


def _read(path: Path) -> tuple[CurrentState, dict[str, int]]:
    settings = SandboxSettings(rate_limit=None)
    with Client(
        "https://sandbox/api/3",
        SecretStr(settings.api_key),
        host="sandbox",
        rate_limit=1e6,
        transport=sandbox_transport(path, settings),
    ) as client:
        state = read_list(client, LIST, ["LTV", "TIER"], [])
        return state, dict(client.stats.snapshot().requests)


def _values(state: CurrentState) -> dict[str, tuple[tuple[str, str | None], ...]]:
    return {email: m.contact.fields for email, m in state.members.items()}


def test_a_small_list_in_a_large_account_is_read_by_member(tmp_path: Path) -> None:
    _account(tmp_path / "a.sqlite3", members=12, others=2_000)
    state, requests = _read(tmp_path / "a.sqlite3")
    # by field: 21 + 20 pages; by member: 12 requests (+ the 2 first pages that told the totals)
    assert requests["contact_field_values"] == 12
    assert requests["field_values"] == 2
    assert _values(state)["m7@example.com"] == (("LTV", "v7"), ("TIER", None))
    assert len(state.members) == 12


def test_a_list_holding_most_of_the_account_is_read_by_field(tmp_path: Path) -> None:
    _account(tmp_path / "b.sqlite3", members=450, others=30)
    state, requests = _read(tmp_path / "b.sqlite3")
    assert "contact_field_values" not in requests
    assert requests["field_values"] == 5 + 1  # LTV: 480 values in 5 pages; TIER: 30 in 1
    assert _values(state)["m449@example.com"] == (("LTV", "v449"), ("TIER", None))


def test_both_ways_give_the_same_state(tmp_path: Path) -> None:
    _account(tmp_path / "c.sqlite3", members=150, others=0)
    by_field, requests = _read(tmp_path / "c.sqlite3")
    assert "contact_field_values" not in requests
    _account(tmp_path / "d.sqlite3", members=150, others=40_000)
    by_member, requests = _read(tmp_path / "d.sqlite3")
    assert requests["contact_field_values"] == 150
    assert _values(by_field) == _values(by_member)
