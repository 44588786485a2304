"""What ``sync init`` writes: an example workspace, its sync workflow, ``.gitignore``, CODEOWNERS.

The example manifests live beside this file (``workspace/``) and are copied verbatim (the
loader renders their Jinja when it reads them). The sync workflow (``sync-workflow.yml``) is
the one file this repository shares with every workspace: ``.github/workflows/sync.yml`` here
is the same template installed with ``pip install .``, a user's copy installs the released
package (:func:`package_requirement`). A test keeps the two identical but for that line.
``sync init --fan-out`` writes ``sync-fanout-workflow.yml`` in its place: the same triggers,
with a plan and an apply job per account (this repository, one sandbox account, keeps the
single-runner one).
"""

from __future__ import annotations

import json
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from engine.errors import ConfigError
from engine.manifests.load import load_project
from engine.manifests.project import Project

from .codeowners import codeowners_text

PACKAGE_NAME = "ac-segment-sync"
WORKFLOW_PATH = PurePosixPath(".github/workflows/sync.yml")
CODEOWNERS_PATH = PurePosixPath(".github/CODEOWNERS")
_PLACEHOLDER = "@SYNC_PACKAGE@"
_TEAMS_PLACEHOLDER = "@TEAMS@"

GITIGNORE = """\
# sync's local state: sandbox data, run history and rejected contacts (personal data), locks.
.sync/
# Saved plans hold customers' emails.
plan.json
*.plan.json
"""

_NO_TEAMS = """\
# GitHub teams behind connections' usable_by; `sync codeowners` turns them into CODEOWNERS.
# teams:
#   admins: "@your-org/marketing-ops-admins"
#   contributors: "@your-org/marketing"
"""


def package_requirement() -> str:
    """``ac-segment-sync==<installed version>``: what a workspace's workflow installs."""
    return f"{PACKAGE_NAME}=={metadata.version(PACKAGE_NAME)}"


def sync_workflow(requirement: str, *, fan_out: bool = False) -> str:
    """The sync workflow, installing the product with ``pip install <requirement>``: one
    plan and one apply job, or with ``fan_out`` one of each per account (a matrix built
    from ``sync exports --accounts --json``; ``sync-fanout-workflow.yml``)."""
    if not requirement.strip() or '"' in requirement or "\n" in requirement:
        raise ConfigError(f"'{requirement}' is not a pip requirement for the workflow")
    name = "sync-fanout-workflow.yml" if fan_out else "sync-workflow.yml"
    text = _template().joinpath(name).read_text(encoding="utf-8")
    return text.replace(_PLACEHOLDER, requirement)


def teams_yaml(admins: str | None, contributors: str | None) -> str:
    """The ``teams:`` block of sync.yaml (commented out when no admins team is given)."""
    if not admins:
        if contributors:
            raise ConfigError("--contributors needs --admins too: admins review connections")
        return _NO_TEAMS
    lines = ["# GitHub teams behind connections' usable_by, for CODEOWNERS.", "teams:"]
    lines.append(f"  admins: {json.dumps(admins)}")
    if contributors:
        lines.append(f"  contributors: {json.dumps(contributors)}")
    return "\n".join(lines) + "\n"


def workspace_files(
    *,
    requirement: str,
    admins: str | None = None,
    contributors: str | None = None,
    fan_out: bool = False,
) -> dict[PurePosixPath, str]:
    """Every file of a new workspace (CODEOWNERS aside: it is derived from the loaded project)."""
    files: dict[PurePosixPath, str] = {}
    for relative, node in _walk(_template().joinpath("workspace"), PurePosixPath()):
        files[relative] = node.read_text(encoding="utf-8")
    sync_yaml = PurePosixPath("sync.yaml")
    files[sync_yaml] = files[sync_yaml].replace(
        _TEAMS_PLACEHOLDER + "\n", teams_yaml(admins, contributors)
    )
    files[PurePosixPath(".gitignore")] = GITIGNORE
    files[WORKFLOW_PATH] = sync_workflow(requirement, fan_out=fan_out)
    return files


def scaffold(
    root: Path,
    *,
    requirement: str,
    admins: str | None = None,
    contributors: str | None = None,
    fan_out: bool = False,
) -> tuple[Project, list[PurePosixPath]]:
    """Write a new workspace under ``root``; returns it loaded and the files written.

    Nothing is written when any target exists (the error names every one). With an admins
    team, ``.github/CODEOWNERS`` is generated from the loaded example workspace.
    """
    files = workspace_files(
        requirement=requirement, admins=admins, contributors=contributors, fan_out=fan_out
    )
    targets = sorted([*files, *([CODEOWNERS_PATH] if admins else [])])
    clash = [path for path in targets if (root / path).exists()]
    if clash:
        names = ", ".join(str(path) for path in clash)
        raise ConfigError(
            f"{root}: refusing to overwrite {names}; move them away or choose another folder"
        )
    for relative, text in files.items():
        _write(root / relative, text)
    project = load_project(root)
    if admins:
        _write(root / CODEOWNERS_PATH, codeowners_text(project))
    return project, targets


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _template() -> Traversable:
    return resources.files(__name__)


def _walk(node: Traversable, prefix: PurePosixPath) -> list[tuple[PurePosixPath, Traversable]]:
    found: list[tuple[PurePosixPath, Traversable]] = []
    for child in sorted(node.iterdir(), key=lambda item: item.name):
        if child.is_dir():
            found.extend(_walk(child, prefix / child.name))
        elif child.name.endswith((".yaml", ".yml")):
            found.append((prefix / child.name, child))
    return found
