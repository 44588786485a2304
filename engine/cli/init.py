"""``sync init DIR``: scaffold a workspace that passes ``sync validate`` as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine import scaffold as templates
from engine.cli import app
from engine.scaffold.codeowners import repo_root

from .argv import say


@app.command("init")
def init_command(
    directory: Annotated[Path, typer.Argument(help="Folder of the new workspace (a repo root).")],
    admins: Annotated[
        str | None, typer.Option("--admins", help="GitHub team of admins, e.g. @acme/ops.")
    ] = None,
    contributors: Annotated[
        str | None,
        typer.Option("--contributors", help="GitHub team of contributors, e.g. @acme/marketing."),
    ] = None,
    package: Annotated[
        str | None,
        typer.Option(
            "--package",
            help="pip requirement the workflow installs (default: this version from PyPI).",
        ),
    ] = None,
    fan_out: Annotated[
        bool,
        typer.Option(
            "--fan-out",
            help="Workflow with one plan and one apply job per account (a matrix).",
        ),
    ] = False,
) -> None:
    """Create folders, example manifests, sync.yaml, .gitignore, the workflow and CODEOWNERS."""
    root = directory.resolve()
    requirement = package or templates.package_requirement()
    _, written = templates.scaffold(
        root, requirement=requirement, admins=admins, contributors=contributors, fan_out=fan_out
    )
    for path in written:
        typer.echo(f"created {path}")
    if repo_root(root) != root:
        typer.echo(
            f"note: {root} is inside the git repository {repo_root(root)}; GitHub reads "
            ".github/ only at the repository root: move it there",
            err=True,
        )
    if not admins:
        say("no --admins team: add teams to sync.yaml, then run `sync codeowners`")
    say(f"next: cd {directory} && sync validate && sync sandbox seed && sync plan")
