"""The house's rules, read from the source: dependency direction, URLs, the error tree.

STYLE.md: ``cli -> pipeline -> {manifests, sources, activecampaign, diff, plan, apply} ->
{models, contacts, plan, errors}``. Pure modules import no I/O module; nothing imports the
CLI; only ``engine/activecampaign/`` knows ActiveCampaign's URLs.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import engine.errors

ENGINE = Path(engine.errors.__file__).resolve().parent

PURE = (
    "engine.errors",
    "engine.contacts",
    "engine.emails",
    "engine.values",
    "engine.diff",
    "engine.ownership",
    "engine.plan",  # the types (plan/__init__.py)
    "engine.plan.build",
    "engine.plan.guards",
    "engine.apply",
    "engine.progress",
    "engine.memory",
    "engine.schedule",
    "engine.manifests.models",
    "engine.accounts",
    "engine.facts",
)
"""Decide things, or describe them; never reach the network, a database or the terminal."""

IO_MODULES = (
    "engine.activecampaign",
    "engine.sources",
    "engine.state",
    "engine.pipeline",
    "engine.run",
    "engine.cli",
    "engine.render",
    "engine.scaffold",
    "engine.manifests.load",
)
IO_LIBRARIES = (
    "httpx", "duckdb", "psycopg", "sqlalchemy", "pymysql", "sqlite3", "socket", "subprocess",
    "typer", "urllib",
)  # fmt: skip
API_URL = re.compile(r"https?://\S*/api/3")
ASSEMBLED_URL = re.compile(r"https?://|(?<![\w+.-])\{\}://")
"""An f-string that writes an http(s) URL, or one whose whole scheme is a variable. Database
URLs in messages (``write mysql+{driver}://``) are not ActiveCampaign's."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ENGINE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(ENGINE.rglob("*.py")):
        yield module_name(path), path, ast.parse(path.read_text(), str(path))


def imports(name: str, path: Path, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every module ``name`` imports (relative imports resolved), with its line."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # ``from engine import pipeline`` imports a module
                yield node.lineno, f"{base}.{alias.name}"


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations_of_purity(modules: list[tuple[str, Path, ast.Module]]) -> list[str]:
    found = []
    for name, path, tree in modules:
        if name not in PURE:
            continue
        for line, target in imports(name, path, tree):
            if within(target, IO_MODULES) or within(target, IO_LIBRARIES):
                found.append(f"{path.relative_to(ENGINE.parent)}:{line}: {name} imports {target}")
    return found


def test_pure_modules_import_no_io_module() -> None:
    assert violations_of_purity(list(sources())) == []


def test_the_purity_check_catches_an_io_import() -> None:
    """The rule above can fail: a pure module that imports the client is reported."""
    tree = ast.parse("from engine.activecampaign.client import Client\nimport httpx\n")
    found = violations_of_purity([("engine.diff", ENGINE / "diff.py", tree)])
    assert found == [
        "engine/diff.py:1: engine.diff imports engine.activecampaign.client",
        "engine/diff.py:1: engine.diff imports engine.activecampaign.client.Client",
        "engine/diff.py:2: engine.diff imports httpx",
    ]


def test_nothing_imports_the_cli() -> None:
    found = [
        f"{path.relative_to(ENGINE.parent)}:{line}: {target}"
        for name, path, tree in sources()
        if not within(name, ("engine.cli", "engine.__main__"))
        for line, target in imports(name, path, tree)
        if within(target, ("engine.cli",))
    ]
    assert found == []


def test_only_activecampaign_knows_its_urls() -> None:
    """No API URL is written or assembled outside ``engine/activecampaign/``."""
    found = []
    for name, path, tree in sources():
        if within(name, ("engine.activecampaign",)):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(
                    str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values
                )
                if "/api/3" in text or ASSEMBLED_URL.search(text):
                    found.append(f"{path.relative_to(ENGINE.parent)}:{node.lineno}: f-string URL")
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and API_URL.search(node.value)
            ):
                found.append(f"{path.relative_to(ENGINE.parent)}:{node.lineno}: API URL")
    assert found == []


def drawn_tree() -> dict[str, str]:
    """``{error: parent}`` as errors.py's docstring draws it."""
    doc = engine.errors.__doc__ or ""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        found = re.match(r"^(\s*)(?:[│ ]*[├└]── )?([A-Z][A-Za-z]+)\s{2,}\S", line)
        if not found:
            continue
        depth = len(line) - len(line.lstrip(" │├└─"))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[found.group(2)] = stack[-1][1]
        stack.append((depth, found.group(2)))
    return parents


def test_the_drawn_error_tree_is_the_real_one() -> None:
    drawn = drawn_tree()
    real = {
        cls.__name__: cls.__bases__[0].__name__
        for cls in vars(engine.errors).values()
        if isinstance(cls, type)
        and issubclass(cls, engine.errors.SyncError)
        and cls is not engine.errors.SyncError
    }
    assert drawn == real


@pytest.mark.parametrize("error", sorted(set(drawn_tree()) - set(drawn_tree().values())))
def test_every_drawn_error_is_raised_somewhere(error: str) -> None:
    """A leaf of the tree that nothing raises is a promise the code does not keep."""
    raised = [
        path
        for _, path, tree in sources()
        if path.name != "errors.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == error
    ]
    assert raised, f"{error} is drawn in errors.py but never raised"
