"""YAML parsing that remembers where every key and value is written.

PyYAML's composer builds nodes that carry start marks; we construct the plain data from the
same nodes and walk them in parallel to record, for every key path, where the key and its
value start (1-based line and column). Paths are tuples of mapping keys (``str``) and
sequence indices (``int``): ``("mapping", "fields", "COUNTRY")``, ``("segments", 1)``.

Duplicate keys in one mapping are reported (PyYAML silently keeps the last one, which would
hide a copy-paste mistake). Merge keys (``<<``) work as in PyYAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True, order=True)
class Mark:
    """A 1-based position in the rendered file."""

    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document: plain data plus where each of its keys and values is written."""

    data: object
    start: Mark
    keys: Mapping[KeyPath, Mark] = field(default_factory=dict)
    values: Mapping[KeyPath, Mark] = field(default_factory=dict)
    plain: frozenset[KeyPath] = frozenset()
    duplicates: tuple[tuple[Mark, str], ...] = ()

    def key_mark(self, path: KeyPath) -> Mark:
        """Where the key at ``path`` is written; the nearest enclosing key, else the start."""
        for cut in range(len(path), 0, -1):
            mark = self.keys.get(path[:cut]) or self.values.get(path[:cut])
            if mark is not None:
                return mark
        return self.start

    def value_mark(self, path: KeyPath) -> Mark:
        """Where the value at ``path`` starts (falls back like :meth:`key_mark`)."""
        return self.values.get(path) or self.key_mark(path)


class YAMLSyntaxError(Exception):
    """The text is not valid YAML; ``mark`` is where the parser gave up."""

    def __init__(self, mark: Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


@dataclass(slots=True)
class _Walk:
    keys: dict[KeyPath, Mark] = field(default_factory=dict)
    values: dict[KeyPath, Mark] = field(default_factory=dict)
    plain: set[KeyPath] = field(default_factory=set)
    duplicates: list[tuple[Mark, str]] = field(default_factory=list)

    def node(self, node: yaml.Node, path: KeyPath) -> None:
        self.values[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):
            if node.style is None:
                self.plain.add(path)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.node(item, (*path, index))
        elif isinstance(node, yaml.MappingNode):
            self.mapping(node, path)

    def mapping(self, node: yaml.MappingNode, path: KeyPath) -> None:
        seen: dict[str, Mark] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            where = _mark(key_node)
            if key in seen and seen[key] != where:
                dotted = ".".join(str(p) for p in (*path, key))
                self.duplicates.append(
                    (
                        where,
                        f"duplicate key '{dotted}' (first written at line {seen[key].line}); "
                        "YAML would silently keep only the last one",
                    )
                )
            seen[key] = where
            self.keys[(*path, key)] = where
            self.node(value_node, (*path, key))


def parse_documents(text: str) -> list[Document]:
    """Every document of ``text`` (``---`` separated); raises :class:`YAMLSyntaxError`."""
    loader = yaml.SafeLoader(text)
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node() said there is one
                break
            data = loader.construct_document(node)  # flattens merge keys in place
            walk = _Walk()
            walk.node(node, ())
            documents.append(
                Document(
                    data=data,
                    start=_mark(node),
                    keys=walk.keys,
                    values=walk.values,
                    plain=frozenset(walk.plain),
                    duplicates=tuple(walk.duplicates),
                )
            )
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc) from exc
    except yaml.YAMLError as exc:  # e.g. a reader error (control characters)
        raise YAMLSyntaxError(Mark(1, 1), f"invalid YAML: {exc}") from exc
    finally:
        loader.dispose()
    return documents


def _syntax_error(exc: yaml.MarkedYAMLError) -> YAMLSyntaxError:
    mark = exc.problem_mark or exc.context_mark
    where = Mark(mark.line + 1, mark.column + 1) if mark is not None else Mark(1, 1)
    problem = exc.problem or "syntax error"
    message = f"invalid YAML: {problem}"
    if exc.context:
        message += f" ({exc.context}"
        if exc.context_mark is not None and exc.context_mark is not mark:
            message += f" at line {exc.context_mark.line + 1}"
        message += ")"
    if "mapping values are not allowed" in problem:
        message += "; a value that contains ': ' needs quotes"
    if "expected <block end>" in problem or "could not find expected ':'" in problem:
        message += "; check the indentation of this line and the one before"
    if exc.context and "flow node" in exc.context:
        message += "; a value starting with '[' or '{' is a YAML list or mapping: quote it"
    if "found character '\\t'" in problem:
        message += "; indent with spaces, not tabs"
    return YAMLSyntaxError(where, message)
