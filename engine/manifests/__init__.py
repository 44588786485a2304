"""Manifests: the workspace's YAML, rendered and validated offline into a frozen Project.

::

    files ─ jinja.render ─► text ─ yaml.parse_documents ─► documents (with positions)
          ─ secrets.EnvResolver ─► data (${env:} resolved; secrets kept deferred)
          ─ models (pydantic) ─► validated documents ─ references ─► cross-checked
          ─ project.build_project ─► Project          (every problem: diagnostics)

:func:`load_project` is the entry point (:mod:`engine.manifests.load`).
"""

from __future__ import annotations

from .load import discover, load_project
from .project import Project

__all__ = ["Project", "discover", "load_project"]
