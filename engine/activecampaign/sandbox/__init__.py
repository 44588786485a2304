"""The ActiveCampaign sandbox: a file-backed look-alike of the API subset the product uses.

Reach it in-process with :func:`sandbox_transport` (``host: sandbox``) or over loopback
with :func:`running_server` / ``sync sandbox serve``. Its reference is the API reference
and the recorded real responses; decisions where they are silent are written in the
docstrings of the modules that implement them (``contacts``, ``writes``, ``bulk``, ``app``).
"""

from __future__ import annotations

from .app import SandboxApp
from .server import running_server
from .settings import SANDBOX_DEFAULT_KEY, SandboxSettings
from .store import ListSummary, Store
from .transport import sandbox_transport

__all__ = [
    "SANDBOX_DEFAULT_KEY",
    "ListSummary",
    "SandboxApp",
    "SandboxSettings",
    "Store",
    "running_server",
    "sandbox_transport",
]
