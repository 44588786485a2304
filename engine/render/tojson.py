"""The JSON plan (SPEC §3.1): stable, versioned, for other tools and CI."""

from __future__ import annotations

import json

from ..plan import Plan


def render_json(plan: Plan) -> str:
    """``Plan.to_json()`` as text; key order is fixed by ``to_json`` (stable across runs)."""
    return json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"
