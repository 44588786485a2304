"""``sync validate``'s output: diagnostics (``path:line:col: error: message``) and the
one-line summary of a valid workspace."""

from __future__ import annotations

from collections.abc import Iterable

from engine.errors import Diagnostic
from engine.manifests.project import Project

# As click.style(fg=..., bold=True) writes them: colour, then bold, then the reset.
_STYLE = {True: "\x1b[31m\x1b[1m", False: "\x1b[33m\x1b[1m"}  # error: red, warning: yellow
_RESET = "\x1b[0m"


def render_diagnostics(diagnostics: Iterable[Diagnostic], *, color: bool) -> str:
    """One line per diagnostic; with ``color`` its ``error:`` / ``warning:`` word coloured."""
    lines = []
    for diagnostic in diagnostics:
        text = str(diagnostic)
        if color:
            word = f": {diagnostic.severity.value}:"
            text = text.replace(word, _STYLE[diagnostic.is_error] + word + _RESET, 1)
        lines.append(text + "\n")
    return "".join(lines)


def render_valid(project: Project) -> str:
    """``Valid: 3 connections (1 ActiveCampaign, 2 sources), 3 segments, 2 exports``."""
    destinations, sources = len(project.destinations), len(project.sources)
    return (
        f"Valid: {_count(destinations + sources, 'connection')} "
        f"({destinations} ActiveCampaign, {_count(sources, 'source')}), "
        f"{_count(len(project.segments), 'segment')}, {_count(len(project.exports), 'export')}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
