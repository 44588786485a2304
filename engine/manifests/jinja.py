"""Jinja2 rendering of a manifest file before YAML parsing (SPEC §1).

Two functions are available in templates:

- ``var(NAME[, default])``: a project variable (``sync.yaml`` ``vars:``, overridden by
  ``--var NAME=VALUE``). A missing one without a default is a diagnostic at the line of the
  call; rendering goes on (with an empty value) so that every such problem is reported.
- ``env_var(NAME[, default])``: renders a *deferred* reference ``${env:NAME}``; the loader
  resolves it after parsing (secrets stay deferred until plan/apply, see
  :mod:`engine.manifests.secrets`). Every call is recorded with its line so that later diagnostics
  point at it. Because the reference is deferred, use ``env_var`` as a value, not inside
  ``{% if %}`` logic.

Templates run in Jinja's sandbox with undefined names as errors (a typo such as
``{{ vip_treshold }}`` must not render as an empty string). ``None`` renders as empty.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.sandbox import SandboxedEnvironment

from engine.errors import Diagnostic, Location

from .diagnostics import did_you_mean
from .secrets import EnvUse

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FUNCTIONS = frozenset({"var", "env_var"})
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str | None  # None: the template could not be rendered at all
    env_uses: tuple[EnvUse, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    vars_used: frozenset[str] = frozenset()  # every name var() was called with


@dataclass(slots=True)
class _Calls:
    """Collects what the template functions saw while one file renders."""

    label: str
    source_lines: list[str]
    variables: Mapping[str, object]
    env_uses: list[EnvUse] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    vars_used: set[str] = field(default_factory=set)

    def where(self, function: str, name: object, line: int) -> Location:
        text = self.source_lines[line - 1] if 0 < line <= len(self.source_lines) else ""
        found = re.search(rf"\b{function}\(\s*['\"]{re.escape(str(name))}['\"]", text)
        col = found.start() + 1 if found else (text.find("{") + 1 or 1)
        return Location(self.label, line, col)

    def var(self, line: int, name: object, default: object = _MISSING) -> object:
        if not isinstance(name, str):
            self._error("var", name, line, "var() takes the variable's name as a quoted string")
            return ""
        self.vars_used.add(name)
        if name in self.variables:
            return self.variables[name]
        if default is not _MISSING:
            return default
        hint = did_you_mean(name, self.variables)
        self._error(
            "var",
            name,
            line,
            f"var '{name}' is not defined and has no default: add it under vars: in sync.yaml, "
            f"pass --var {name}=VALUE, or write var('{name}', DEFAULT){hint}",
        )
        return ""

    def env_var(self, line: int, name: object, default: object = _MISSING) -> str:
        if not isinstance(name, str) or not ENV_NAME.fullmatch(name):
            message = f"env_var({name!r}): not an environment variable name"
            self._error("env_var", name, line, message)
            return ""
        has_default = default is not _MISSING
        text_default = None if not has_default or default is None else str(default)
        where = self.where("env_var", name, line)
        self.env_uses.append(EnvUse(name, text_default, has_default, where))
        return f"${{env:{name}}}"

    def _error(self, function: str, name: object, line: int, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.where(function, name, line), message))


class CallLines(Extension):
    """Hands every ``var(...)`` / ``env_var(...)`` call its own template line.

    Through Jinja's public token-stream hook (:meth:`Extension.filter_stream`), a call
    ``var('x', 5)`` on line 7 is compiled as ``var(7, 'x', 5)``: the functions then know
    where they were written, so a diagnostic points at the call (a missing var, a bad
    ``env_var`` name). Attribute calls (``obj.var(...)``) are left alone.
    """

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        before: Token | None = None
        previous: Token | None = None
        for token in stream:
            called = (
                token.type == "lparen"
                and previous is not None
                and previous.type == "name"
                and previous.value in FUNCTIONS
                and not (before is not None and before.type == "dot")
            )
            yield token
            if called:
                assert previous is not None
                # Jinja's lexer stores an int in an integer token too (the stub says str).
                yield Token(previous.lineno, "integer", previous.lineno)  # type: ignore[arg-type]
                yield Token(previous.lineno, "comma", ",")
            before, previous = previous, token


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=lambda value: "" if value is None else value,
        extensions=[CallLines],
    )


def render(source: str, label: str, variables: Mapping[str, object]) -> Rendered:
    """Render one file; ``label`` is its workspace-relative path (used in diagnostics)."""
    environment = _environment()
    calls = _Calls(label, source.splitlines(), variables)
    try:
        code = environment.compile(source, name=label, filename=label)
    except jinja2.TemplateSyntaxError as exc:
        line = exc.lineno or 1
        return Rendered(None, (), (Diagnostic(Location(label, line, 1), _syntax(exc)),))
    template = environment.template_class.from_code(
        environment,
        code,
        environment.make_globals({"var": calls.var, "env_var": calls.env_var}),
    )
    try:
        text = template.render()
    except Exception as exc:  # the template is user code: any error in it is the user's
        problems = (*calls.diagnostics, _runtime(exc, label))
        return Rendered(None, tuple(calls.env_uses), problems, frozenset(calls.vars_used))
    return Rendered(
        text, tuple(calls.env_uses), tuple(calls.diagnostics), frozenset(calls.vars_used)
    )


def _syntax(exc: jinja2.TemplateSyntaxError) -> str:
    return f"template syntax error: {exc.message}"


def _runtime(exc: Exception, label: str) -> Diagnostic:
    line = 0
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == label and frame.lineno:
            line = frame.lineno
    if isinstance(exc, jinja2.UndefinedError):
        found = re.match(r"'([^']+)' is undefined", str(exc))
        name = found.group(1) if found else "?"
        message = (
            f"'{name}' is undefined in this template: write var('{name}') for a project "
            f"variable or env_var('{name.upper()}') for an environment variable"
        )
    else:
        message = f"template error: {type(exc).__name__}: {exc}"
    return Diagnostic(Location(label, line or 1, 1), message)
