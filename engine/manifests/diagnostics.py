"""Pydantic validation errors -> diagnostics a person can act on, at the exact line:col.

Positions: a missing key points at the mapping that lacks it (the document's start for a
top-level key), an unknown key at the key itself, a bad value at the value. Messages are
rephrased (pydantic's "Input should be ..." is not written for manifest authors), unknown
keys and literal values get a "did you mean", and a union's alternatives (``'10%'`` or
``500``) become one message instead of one per alternative. Values of ``api_key`` and
``url`` are never quoted back. Also the "did you mean ...?" suggestions (difflib) for
near-miss keys and names, used across the loader.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from engine.errors import Diagnostic, Location

from .secrets import SECRET_KEYS
from .yaml import Document, KeyPath

_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
}


def diagnostics_for(
    exc: ValidationError, model: type[BaseModel], doc: Document, data: object, label: str, what: str
) -> list[Diagnostic]:
    """One diagnostic per problem in ``exc`` (``data`` is what was validated)."""
    out: list[Diagnostic] = []
    unions: dict[KeyPath, list[ErrorDetails]] = {}
    errors = exc.errors(include_url=False)
    for error in errors:
        loc = tuple(p for p in error["loc"] if p != "[key]")
        path, tail = _split(data, loc)
        if error["type"] == "missing" and _misspelt(errors, model, path, str(loc[-1])):
            continue  # the unknown-key diagnostic already says "did you mean '<this key>'?"
        if error["type"] not in ("missing", "extra_forbidden") and tail:
            unions.setdefault(path, []).append(error)
            continue
        out.append(_one(error, path, "[key]" in error["loc"], model, doc, label, what))
    for path, errors in unions.items():
        phrases = dict.fromkeys(_EXPECTED.get(e["type"], e["msg"]) for e in errors)
        message = f"expected {' or '.join(phrases)}, got {_describe(errors[0]['input'], path)}"
        out.append(_at(doc.value_mark(path), label, _prefixed(path, message)))
    return out


def _misspelt(
    errors: list[ErrorDetails], model: type[BaseModel], parent: KeyPath, key: str
) -> bool:
    """Whether an unknown key beside the missing ``key`` is a near miss of it."""
    allowed = _allowed_keys(model, parent) or []
    for error in errors:
        loc = _keypath(p for p in error["loc"] if p != "[key]")
        near = error["type"] == "extra_forbidden" and loc[:-1] == parent
        if near and closest(str(loc[-1]), allowed) == key:
            return True
    return False


def _split(data: object, loc: tuple[str | int, ...]) -> tuple[KeyPath, KeyPath]:
    """The longest prefix of ``loc`` that exists in ``data``, and the rest."""
    current = data
    for index, step in enumerate(loc):
        if isinstance(current, dict) and (step in current or str(step) in current):
            current = current[step] if step in current else current[str(step)]
        elif isinstance(current, list) and isinstance(step, int) and step < len(current):
            current = current[step]
        else:
            return _keypath(loc[:index]), _keypath(loc[index:])
    return _keypath(loc), ()


def _keypath(loc: Iterable[str | int]) -> KeyPath:
    return tuple(p if isinstance(p, int) else str(p) for p in loc)


def _one(
    error: ErrorDetails,
    path: KeyPath,
    on_key: bool,
    model: type[BaseModel],
    doc: Document,
    label: str,
    what: str,
) -> Diagnostic:
    kind = error["type"]
    if kind == "missing":
        parent, key = path, str(error["loc"][-1])
        where = f" in {_dotted(parent)}" if parent else f" in {what}"
        return _at(doc.key_mark(parent), label, f"missing required key '{key}'{where}")
    if kind == "extra_forbidden":
        return _at(doc.key_mark(path), label, _unknown_key(model, path, what))
    mark = doc.key_mark(path) if on_key else doc.value_mark(path)
    return _at(mark, label, _message(error, path))


def _unknown_key(model: type[BaseModel], path: KeyPath, what: str) -> str:
    key, parent = str(path[-1]), path[:-1]
    where = f"in {_dotted(parent)}" if parent else f"in {what}"
    allowed = _allowed_keys(model, parent)
    if allowed is None:
        return f"unknown key '{key}' {where}"
    hint = did_you_mean(key, allowed)
    return f"unknown key '{key}' {where}" + (hint or f"; allowed keys: {', '.join(allowed)}")


def _allowed_keys(model: type[BaseModel], parent: KeyPath) -> list[str] | None:
    current: type[BaseModel] | None = model
    for step in parent:
        if current is None or str(step) not in current.model_fields:
            return None
        current = _submodel(current.model_fields[str(step)].annotation)
    return list(current.model_fields) if current is not None else None


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _submodel(arg)
            if found is not None:
                return found
    return None


def _message(error: ErrorDetails, path: KeyPath) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error["input"]
    got = _describe(value, path)
    if kind in _EXPECTED:
        hint = f"; write [{value}]" if kind in ("tuple_type", "list_type") and _short(value) else ""
        return _prefixed(path, f"expected {_EXPECTED[kind]}, got {got}{hint}")
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else ""
        return _prefixed(path, f"{got} is not allowed; use one of: {', '.join(choices)}{hint}")
    if kind == "string_pattern_mismatch" and path and path[-1] == "name":
        return _bad_name(value)
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _prefixed(path, f"{_bound(kind, ctx)}, got {got}")
    if kind == "string_too_short":
        return _prefixed(path, "must not be empty")
    if kind == "too_short":
        return _prefixed(path, f"needs at least {ctx.get('min_length', 1)} item(s), got none")
    if kind in ("value_error", "assertion_error"):
        text = re.sub(r"^(Value|Assertion) error, ", "", error["msg"])
        return text if not path or text.startswith(str(path[-1])) else _prefixed(path, text)
    return _prefixed(path, f"{error['msg']} (got {got})")


def _bound(kind: str, ctx: dict[str, Any]) -> str:
    if kind == "greater_than" and ctx.get("gt") == 0:
        return "must be a positive number"
    words = {
        "greater_than": ("greater than", "gt"),
        "greater_than_equal": ("at least", "ge"),
        "less_than": ("less than", "lt"),
        "less_than_equal": ("at most", "le"),
    }
    phrase, key = words[kind]
    return f"must be {phrase} {ctx.get(key)}"


def _bad_name(value: object) -> str:
    text = str(value)
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:63]
    hint = f"; for example '{slug}'" if slug and slug != text else ""
    return (
        f"name '{text}' is not a valid name: use lower-case letters, digits, '-' and '_', "
        f"starting with a letter or digit, at most 63 characters{hint}"
    )


def _short(value: object) -> bool:
    return isinstance(value, str | int) and len(str(value)) <= 60 and "\n" not in str(value)


def _describe(value: object, path: KeyPath) -> str:
    if any(str(p) in SECRET_KEYS for p in path):
        return "a value that is not shown (it may be a secret)"
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value}"
    if isinstance(value, str):
        return f"'{value}'" if _short(value) else "a long text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path)


def _prefixed(path: KeyPath, message: str) -> str:
    return f"{_dotted(path)}: {message}" if path else message


def _at(mark: Any, label: str, message: str) -> Diagnostic:
    return Diagnostic(Location(label, mark.line, mark.col), message)


# ----------------------------------------------------------------------------- did you mean


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word`` (case-insensitive), if one is close enough."""
    options = {str(c).lower(): str(c) for c in candidates}
    matches = difflib.get_close_matches(word.lower(), list(options), n=1, cutoff=0.6)
    return options[matches[0]] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` or an empty string."""
    match = closest(word, candidates)
    return f"; did you mean '{match}'?" if match else ""
