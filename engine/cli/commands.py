"""Imports every command module so that each registers its commands on the app."""

from __future__ import annotations

from . import (
    codeowners,  # noqa: F401
    init,  # noqa: F401
    reconcile,  # noqa: F401
    sample_data,  # noqa: F401
    sandbox,  # noqa: F401
    validate,  # noqa: F401
)
