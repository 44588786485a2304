"""SQLAlchemy URLs that hold ``${env:NAME}`` references (connection ``type: sql``).

A URL is parsed with its references still in it: each one stands in as a placeholder token
(letters, digits and ``_``, which every part of a URL accepts). So:

- ``sync validate`` checks a URL without any secret: unparseable, or a literal password
  (:func:`problem`);
- at connect time each reference is replaced inside the part it sits in (user, password,
  host, database, query values; :func:`resolve`): a password may hold any character
  (``@``, ``/``, ``%``, ...) without percent-encoding, and a parse error can never quote a
  secret, since only the template is ever parsed.

A reference in the port or the dialect name is refused (they must be written out).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .secrets import ENV_REF, resolve_env

_TOKEN = re.compile(r"__sync_env_(\d+)__")
EXAMPLE = "mysql+pymysql://USER:{{ env_var('DB_PASSWORD') }}@HOST/DB"


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed URL whose references are placeholder tokens, and the variables they name."""

    url: URL
    names: tuple[str, ...]

    @property
    def dialect(self) -> str:
        """``mysql`` of ``mysql+pymysql``."""
        return self.url.drivername.partition("+")[0]

    @property
    def driver(self) -> str | None:
        """``pymysql`` of ``mysql+pymysql``; None when the dialect's default is meant."""
        return self.url.drivername.partition("+")[2] or None


def parse(text: str) -> Template:
    """The template of ``text``; ValueError saying what is wrong (never quoting the URL)."""
    names: list[str] = []

    def token(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return f"__sync_env_{len(names) - 1}__"

    try:
        url = make_url(ENV_REF.sub(token, text))
    except ArgumentError:
        raise ValueError(
            f"url is not a SQLAlchemy URL; write DIALECT[+DRIVER]://..., e.g. {EXAMPLE}"
        ) from None
    except ValueError:  # the port is not a number
        raise ValueError(
            "url: the port must be a number written in the url (not an env_var)"
        ) from None
    if _TOKEN.search(url.drivername):
        raise ValueError("url: the dialect (before ://) must be written out, not an env_var")
    return Template(url, tuple(names))


def problem(text: str) -> str | None:
    """What ``sync validate`` reports about a ``type: sql`` url, or None when it is fine."""
    try:
        template = parse(text)
    except ValueError as exc:
        return str(exc)
    password = template.url.password
    if password and not _TOKEN.fullmatch(str(password)):
        return (
            "url: the password must come from an environment variable, never a literal "
            f"(it would be committed to git): write {EXAMPLE}"
        )
    return None


def resolve(template: Template, environ: Mapping[str, str], where: str) -> URL:
    """The URL to connect with: every reference replaced by its variable, part by part."""

    def fill(value: str | None) -> str | None:
        if value is None:
            return None
        refs = _TOKEN.sub(lambda m: f"${{env:{template.names[int(m.group(1))]}}}", value)
        return resolve_env(refs, environ, where)

    url = template.url
    query = {
        key: tuple(str(fill(v)) for v in value) if isinstance(value, tuple) else str(fill(value))
        for key, value in url.query.items()
    }
    return url.set(
        username=fill(url.username),
        password=fill(str(url.password) if url.password is not None else None),
        host=fill(url.host),
        database=fill(url.database),
        query=query,
    )


def secrets_of(template: Template, url: URL, environ: Mapping[str, str]) -> set[str]:
    """What to mask in messages: the password, and every variable long enough to mask."""
    found = {environ.get(name, "") for name in template.names}
    found = {value for value in found if len(value) >= 4}
    if url.password:
        found.add(str(url.password))
    return found
