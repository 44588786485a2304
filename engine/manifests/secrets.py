"""Resolving ``${env:NAME}`` references after parsing (the secrets design).

``env_var('NAME')`` renders to ``${env:NAME}`` (:data:`ENV_REF`). Then:

- In a *secret* field (a connection's ``api_key`` and ``url``), references stay deferred:
  ``sync validate`` needs no secret, and the key never sits in a model. Plan/apply resolve
  them with :func:`resolve_env`, naming the file:line (kept in
  ``Project.locations``). An ``env_var`` with a default inside ``api_key`` is an error: the
  default would be a key committed to git. In ``url`` a default is used at load time when
  the variable is unset (a default is in git anyway, so it is no secret).
- In every other field a reference is resolved now, from the environment or the call's
  default; an unset variable without a default is a diagnostic at the ``env_var`` call.
  A value that was *only* a reference, written without quotes, is re-read as YAML so that
  ``list_id: {{ env_var('LIST') }}`` gives a number, as if the text had been rendered inline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import yaml
from pydantic import SecretStr

from engine.errors import ConfigError, Diagnostic, Location

from .yaml import Document, KeyPath

ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
"""What ``env_var('NAME')`` renders to: a reference resolved after parsing."""

SECRET_KEYS = frozenset({"api_key", "url"})
"""Keys that hold secrets: kept deferred, never quoted back in a message."""

SECRET_PATHS = frozenset(
    {("connections", ("api_key",)), ("connections", ("url",)), ("settings", ("state", "url"))}
)
"""Where those keys are secrets: a connection's ``api_key`` and ``url``, and sync.yaml's
``state.url`` (the snapshots' PostgreSQL database)."""


@dataclass(frozen=True, slots=True)
class EnvUse:
    """One ``env_var(...)`` call: the variable, its default (if any) and where it is."""

    name: str
    default: str | None
    has_default: bool
    location: Location


@dataclass(slots=True)
class EnvResolver:
    """Resolves the references of one file's documents (one resolver per file)."""

    label: str
    uses: Sequence[EnvUse]
    environ: Mapping[str, str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unresolved: set[KeyPath] = field(default_factory=set)

    def document(self, kind: str, doc: Document) -> object:
        """A copy of ``doc.data`` with references resolved (secrets kept deferred)."""
        self.unresolved = set()
        return self._walk(kind, doc, doc.data, ())

    def _walk(self, kind: str, doc: Document, value: object, path: KeyPath) -> object:
        if isinstance(value, dict):
            return {k: self._walk(kind, doc, v, (*path, str(k))) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(kind, doc, v, (*path, i)) for i, v in enumerate(value)]
        if not isinstance(value, str) or not ENV_REF.search(value):
            return value
        if (kind, path) in SECRET_PATHS:
            return self._secret(doc, value, path)
        return self._resolve(doc, value, path)

    def _secret(self, doc: Document, value: str, path: KeyPath) -> str:
        if path == ("api_key",):
            for name in ENV_REF.findall(value):
                if self._default(name) is not None:
                    self._error(
                        self._location(doc, name, path),
                        f"api_key: env_var('{name}', ...) has a default; a default key would "
                        f"be committed to git: write env_var('{name}') without a default",
                    )
            return value

        def keep_or_default(match: re.Match[str]) -> str:
            name = match.group(1)
            default = self._default(name)
            if name in self.environ or default is None:
                return match.group(0)
            return default

        return ENV_REF.sub(keep_or_default, value)

    def _resolve(self, doc: Document, value: str, path: KeyPath) -> object:
        missing: list[str] = []

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in self.environ:
                return self.environ[name]
            default = self._default(name)
            if default is None:
                missing.append(name)
                return match.group(0)
            return default

        resolved = ENV_REF.sub(substitute, value)
        for name in dict.fromkeys(missing):
            self.unresolved.add(path)
            self._error(
                self._location(doc, name, path),
                f"environment variable {name} is not set and env_var('{name}') has no "
                f"default: set it, or write env_var('{name}', DEFAULT)",
            )
        if not missing and ENV_REF.fullmatch(value) and path in doc.plain:
            return _reread(resolved)
        return resolved

    def _default(self, name: str) -> str | None:
        for use in self.uses:
            if use.name == name and use.has_default:
                return use.default if use.default is not None else ""
        return None

    def _location(self, doc: Document, name: str, path: KeyPath) -> Location:
        for use in self.uses:
            if use.name == name and use.location.line:
                return use.location
        mark = doc.value_mark(path)
        return Location(self.label, mark.line, mark.col)

    def _error(self, location: Location, message: str) -> None:
        diagnostic = Diagnostic(location, message)
        if diagnostic not in self.diagnostics:
            self.diagnostics.append(diagnostic)


def _reread(text: str) -> object:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, str | int | float | bool) else text


def resolve_env(text: str, environ: Mapping[str, str], where: str) -> str:
    """Replace ``${env:NAME}`` references; a missing variable names itself and ``where``."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise ConfigError(
                f"{where}: environment variable {name} is not set; set it (for example from "
                "a repository secret) before running this command"
            )
        return environ[name]

    return ENV_REF.sub(repl, text)


def resolve_secret(text: str, environ: Mapping[str, str], where: str) -> SecretStr:
    """:func:`resolve_env` for a secret (an API key): held as a ``SecretStr``, so no repr,
    f-string or log line can print it."""
    return SecretStr(resolve_env(text, environ, where))


def env_name(text: str) -> str | None:
    """``NAME`` when ``text`` is exactly one ``${env:NAME}`` reference (to name it in errors)."""
    ref = ENV_REF.fullmatch(text)
    return ref.group(1) if ref else None
