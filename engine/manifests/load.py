"""Load a workspace (SPEC §1): find files, render Jinja2, parse YAML with positions, validate.

Pipeline per file: read -> :func:`.jinja.render` -> :func:`.yaml.parse_documents`
-> resolve ``${env:...}`` references (:mod:`.secrets`) -> pydantic models
(:mod:`.models`) -> cross-document checks (:mod:`.references`). Every problem
of every file is collected; :func:`load_project` raises one :class:`ManifestError` with all
of them, or returns the :class:`Project` (warnings in ``Project.warnings``).

Decisions where the spec is silent:

- Files are found recursively under ``connections/``, ``segments/`` and ``exports/``
  (sub-folders help organise many segments); hidden files and folders are skipped.
  ``sync.yaml`` (or ``sync.yml``, not both) holds one document; in it ``var()`` sees only
  ``--var`` values (it is where vars are defined).
- A file that renders to no document at all is a *warning*, not an error: a file whose
  content is switched off with ``{% if %}`` is legitimate.
- When a file has template errors (e.g. an undefined var), its documents are still read for
  their names, but not validated: the empty stand-in value would only cause echo errors.
- A workspace folder with none of the manifest folders is a ConfigError (probably the wrong
  ``--workspace``), not an empty success.
- A ``--var`` name that sync.yaml does not declare under ``vars:`` and no ``var()`` call
  uses is a *warning* (probably a typo: it changes nothing), with a "did you mean" among the
  declared and used names, at sync.yaml's ``vars:`` (:data:`UNDECLARED_VAR` starts it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from engine.errors import ConfigError, Diagnostic, Location, ManifestError, Severity

from .diagnostics import diagnostics_for, did_you_mean
from .jinja import render
from .models import (
    ActiveCampaignConnection,
    DuckDBSource,
    Export,
    PostgresSource,
    Segment,
    Settings,
    SQLiteSource,
    SQLSource,
)
from .project import Project, build_project
from .references import Entry, check_references
from .secrets import ENV_REF, EnvResolver
from .yaml import Document, YAMLSyntaxError, parse_documents

KINDS = ("connections", "segments", "exports")
NOUN = {"connections": "connection", "segments": "segment", "exports": "export"}
CONNECTION_TYPES: dict[str, type[BaseModel]] = {
    "activecampaign": ActiveCampaignConnection,
    "duckdb": DuckDBSource,
    "sqlite": SQLiteSource,
    "postgres": PostgresSource,
    "sql": SQLSource,
}
MODELS: dict[str, type[BaseModel]] = {"segments": Segment, "exports": Export}
SETTINGS_FILES = ("sync.yaml", "sync.yml")
UNDECLARED_VAR = "--var "  # how the warning about an unknown --var name begins
_GUESS_NAME = re.compile(r"^name:\s*['\"]?([A-Za-z0-9_.-]+)", re.MULTILINE)


def load_project(
    root: Path,
    vars: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Project:
    """Load and check every manifest under ``root``; raise ManifestError with all problems.

    ``vars`` are ``--var`` overrides; ``environ`` defaults to ``os.environ``. Secrets
    (``api_key``, a source's ``url``) stay ``${env:NAME}`` references in the models.
    """
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"workspace folder {root} does not exist; pass --workspace DIR")
    run = _Run(root, dict(os.environ if environ is None else environ))
    settings = run.settings(dict(vars or {}))
    variables: dict[str, object] = {**settings.vars, **dict(vars or {})}
    files = discover(root)
    if not files and not run.entries:
        raise ConfigError(
            f"no manifests found in {root}: expected connections/, segments/ and exports/ "
            "folders (and optionally sync.yaml); pass --workspace DIR to point elsewhere"
        )
    for kind, path in files:
        run.file(kind, path, variables)
    run.diagnostics += check_references(run.entries, run.guessed)
    run.diagnostics += run.undeclared(vars or {}, settings)
    if any(d.is_error for d in run.diagnostics):
        raise ManifestError(run.diagnostics)
    return replace(run.project(settings), vars=dict(vars or {}))


def discover(root: Path) -> list[tuple[str, Path]]:
    """``(kind, path)`` of every manifest file, in a stable order."""
    found: list[tuple[str, Path]] = []
    for kind in KINDS:
        folder = root / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
            if path.is_file() and path.suffix in (".yaml", ".yml") and not hidden:
                found.append((kind, path))
    return found


@dataclass(slots=True)
class _Run:
    """Mutable collector for one load; what it builds (Project, ManifestError) is frozen."""

    root: Path
    environ: Mapping[str, str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    guessed: dict[str, set[str]] = field(default_factory=dict)
    vars_used: set[str] = field(default_factory=set)
    vars_at: Location | None = None  # sync.yaml's vars: (or its start; None: no sync.yaml)

    def label(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def settings(self, overrides: Mapping[str, str]) -> Settings:
        present = [self.root / n for n in SETTINGS_FILES if (self.root / n).is_file()]
        if len(present) > 1:
            self._error(
                Location(self.label(present[1]), 1, 1),
                "both sync.yaml and sync.yml exist; keep one (sync.yaml)",
            )
        if not present:
            return Settings()
        entries = self.file("settings", present[0], dict(overrides))
        self.vars_at = Location(self.label(present[0]), 1, 1)
        if entries:
            self.vars_at = entries[0].at(("vars",), key=True)
        if len(entries) > 1:
            self._error(entries[1].at(()), "sync.yaml holds one document; merge the others")
        model = entries[0].model if entries else None
        if isinstance(model, Settings):
            return model
        return _salvage(entries[0].data) if entries else Settings()

    def file(self, kind: str, path: Path, variables: Mapping[str, object]) -> list[Entry]:
        label = self.label(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            self._error(Location(label, 1, 1), f"cannot read this file: {exc.strerror}")
            return []
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.diagnostics.append(_not_utf8(label, raw, exc))
            return self._guess(kind, raw.decode("utf-8", errors="replace"))
        rendered = render(source, label, variables)
        self.diagnostics += rendered.diagnostics
        self.vars_used |= rendered.vars_used
        if rendered.text is None:
            return self._guess(kind, source)
        try:
            documents = [d for d in parse_documents(rendered.text) if d.data is not None]
        except YAMLSyntaxError as exc:
            self._error(Location(label, exc.mark.line, exc.mark.col), exc.message)
            return self._guess(kind, rendered.text)
        if not documents:
            self.diagnostics.append(
                Diagnostic(
                    Location(label, 1, 1),
                    "this file defines nothing (no YAML document after rendering)",
                    Severity.WARNING,
                )
            )
        resolver = EnvResolver(label, rendered.env_uses, self.environ)
        validate = not rendered.diagnostics
        entries = [self._document(kind, d, label, resolver, validate) for d in documents]
        self.diagnostics += resolver.diagnostics
        found = [e for e in entries if e is not None]
        self.entries += [e for e in found if e.kind in KINDS]
        return found

    def _document(
        self, kind: str, doc: Document, label: str, resolver: EnvResolver, validate: bool
    ) -> Entry | None:
        what = NOUN.get(kind, "sync.yaml")
        for mark, message in doc.duplicates:
            self._error(Location(label, mark.line, mark.col), message)
        if not isinstance(doc.data, dict):
            if isinstance(doc.data, list):  # "- name: x" lists: keep names for references
                names = [i.get("name") for i in doc.data if isinstance(i, dict)]
                self.guessed.setdefault(kind, set()).update(n for n in names if isinstance(n, str))
            shape = "a list" if isinstance(doc.data, list) else f"'{doc.data}'"
            self._error(
                Location(label, doc.start.line, doc.start.col),
                f"a {what} document must be a mapping of keys (name: ..., ...), not {shape}"
                + ("; to define several, separate documents with ---" if shape == "a list" else ""),
            )
            return None
        data = resolver.document(kind, doc)
        assert isinstance(data, dict)
        name = data.get("name") if isinstance(data.get("name"), str) else None
        entry = Entry(kind, name, label, doc, data, None, rendered=validate)
        model_type = self._model_type(entry)
        if model_type is None or not validate:
            return entry
        skip = {doc.value_mark(p) for p in resolver.unresolved}
        try:
            model = model_type.model_validate(data)
        except ValidationError as exc:
            for diagnostic in diagnostics_for(exc, model_type, doc, data, label, what):
                at = diagnostic.location
                if not any((m.line, m.col) == (at.line, at.col) for m in skip):
                    self.diagnostics.append(diagnostic)
            return entry
        self._policy(entry, model)
        return Entry(kind, name, label, doc, data, model)

    def _model_type(self, entry: Entry) -> type[BaseModel] | None:
        if entry.kind == "settings":
            return Settings
        if entry.kind != "connections":
            return MODELS[entry.kind]
        assert isinstance(entry.data, dict)
        kind = entry.data.get("type")
        allowed = ", ".join(CONNECTION_TYPES)
        if kind is None:
            self._error(
                entry.at(()), f"missing required key 'type' in connection: one of {allowed}"
            )
            return None
        if not isinstance(kind, str) or kind not in CONNECTION_TYPES:
            hint = did_you_mean(str(kind), CONNECTION_TYPES)
            self._error(
                entry.at(("type",)),
                f"type: '{kind}' is not a connection type; use one of: {allowed}{hint}",
            )
            return None
        return CONNECTION_TYPES[kind]

    def _policy(self, entry: Entry, model: BaseModel) -> None:
        """Rules beyond one field: a literal password in a postgres or sql url, a sql url
        SQLAlchemy cannot parse."""
        if isinstance(model, SQLSource):
            from . import sqlurl  # imports SQLAlchemy: only for workspaces that use it

            problem = sqlurl.problem(model.url)
            if problem is not None:
                self._error(entry.at(("url",)), problem)
        if isinstance(model, PostgresSource) and not ENV_REF.fullmatch(model.url):
            try:
                password = urlsplit(model.url).password
            except ValueError:
                password = None
            if password and not ENV_REF.fullmatch(password):
                self._error(
                    entry.at(("url",)),
                    "url: the password must come from an environment variable, never a "
                    "literal (it would be committed to git): write "
                    "postgresql://USER:{{ env_var('PGPASSWORD') }}@HOST/DB",
                )

    def undeclared(self, overrides: Mapping[str, str], settings: Settings) -> list[Diagnostic]:
        """A warning for each ``--var`` that neither sync.yaml declares nor a manifest uses."""
        known = set(settings.vars) | self.vars_used
        where = self.vars_at or Location(SETTINGS_FILES[0])
        out = []
        for name in overrides:
            if name in known:
                continue
            hint = did_you_mean(name, sorted(known))
            declared = ", ".join(sorted(settings.vars)) or "none"
            out.append(
                Diagnostic(
                    where,
                    f"{UNDECLARED_VAR}{name}: {where.path} declares no such var under vars: "
                    f"({declared}) and no manifest calls var('{name}'), so it changes "
                    f"nothing{hint or '; declare it under vars: if it is meant'}",
                    Severity.WARNING,
                )
            )
        return out

    def _guess(self, kind: str, text: str) -> list[Entry]:
        """Names in a file that could not be parsed, so references to them are not errors."""
        self.guessed.setdefault(kind, set()).update(_GUESS_NAME.findall(text))
        return []

    def _error(self, location: Location, message: str) -> None:
        self.diagnostics.append(Diagnostic(location, message))

    def project(self, settings: Settings) -> Project:
        return build_project(self.root, settings, self.entries, self.diagnostics)


def _not_utf8(label: str, raw: bytes, exc: UnicodeDecodeError) -> Diagnostic:
    """Where the first byte that is not UTF-8 is (its line, and its column in characters)."""
    line_start = raw.rfind(b"\n", 0, exc.start) + 1
    line = raw.count(b"\n", 0, exc.start) + 1
    col = len(raw[line_start : exc.start].decode("utf-8")) + 1
    byte = raw[exc.start]
    return Diagnostic(
        Location(label, line, col),
        f"this file is not UTF-8: byte 0x{byte:02x} cannot be decoded ({exc.reason}); save "
        "it as UTF-8 (a Latin-1 or Windows-1252 editor setting often causes this)",
    )


def _salvage(data: object) -> Settings:
    """The valid sections of a sync.yaml that has errors elsewhere (reported already): an
    unknown key under ``teams:`` must not make ``vars`` vanish and every ``var()`` fail."""
    if not isinstance(data, dict):
        return Settings()
    kept = {}
    for key in Settings.model_fields:
        if key in data:
            try:
                Settings.model_validate({key: data[key]})
            except ValidationError:
                continue
            kept[key] = data[key]
    return Settings.model_validate(kept)


__all__ = ["discover", "load_project"]
