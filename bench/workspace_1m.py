"""The workspace the 1,000,000-profile benchmarks plan: one mirrored export of every sample
profile to list 1 of the sandbox, with two custom fields (LIFETIME_VALUE, COUNTRY)."""

from __future__ import annotations

from pathlib import Path

MANIFESTS = {
    "connections/ac.yaml": "name: ac\ntype: activecampaign\nhost: sandbox\n"
    "data_privacy_consent: true\n",
    "connections/warehouse.yaml": "name: warehouse\ntype: duckdb\npath: data/profiles.duckdb\n",
    "segments/everyone.yaml": "name: everyone\nsource: warehouse\nquery: |\n"
    "  select email, first_name, last_name, phone, lifetime_value, country from profiles\n",
    "exports/everyone.yaml": "name: everyone\nconnection: ac\nlist_id: 1\n"
    "segments: [everyone]\nmapping:\n  email: email\n  first_name: first_name\n"
    "  last_name: last_name\n  phone: phone\n  fields:\n    LIFETIME_VALUE: lifetime_value\n"
    "    COUNTRY: country\nmode: mirror\nlimits:\n  max_profiles: 2000000\n",
}


def write_manifests(root: Path) -> None:
    for name, text in MANIFESTS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
