"""The JSON plan (SPEC §3.1): stable, versioned, for other tools and CI."""

from __future__ import annotations

from engine.plan import Plan
from engine.plan.file import plan_text


def render_json(plan: Plan) -> str:
    """The plan as a saved plan file holds it (:func:`engine.plan.file.plan_text`)."""
    return plan_text(plan)
