"""A minimal WSGI layer: request and response values, routing, ActiveCampaign's error bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

JSON = "application/json"
HTML = "text/html"
BULK_CONTENT_TYPE = "text/html; charset=UTF-8"

NOT_FOUND_PAGE = (
    '<?xml version="1.0" encoding="iso-8859-1"?>\n'
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
    '         "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
    " <head>\n  <title>404 Not Found</title>\n </head>\n"
    " <body>\n  <h1>404 Not Found</h1>\n </body>\n</html>\n"
)

REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    body: bytes
    headers: Mapping[str, str]  # lower-case names
    base: str  # "https://host/api/3" for links
    pairs: tuple[tuple[str, str], ...] = ()  # the query as sent (repeated names kept)

    def values(self, name: str) -> list[str]:
        """Every value of a repeated query parameter (``ids[]=1&ids[]=2``)."""
        return [value for key, value in self.pairs if key == name]

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any]) -> Request:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        host = headers.get("host") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        path = environ.get("PATH_INFO", "") or "/"
        pairs = tuple(parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True))
        return cls(
            method=str(environ["REQUEST_METHOD"]).upper(),
            path=path.encode("latin-1").decode("utf-8", "replace"),
            query=dict(pairs),
            body=body,
            headers=headers,
            base=f"{environ.get('wsgi.url_scheme', 'http')}://{host}/api/3",
            pairs=pairs,
        )

    def json(self) -> Any:
        """The parsed JSON body; ``None`` when empty; :class:`HttpError` 400 when malformed."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HttpError(400, {"message": f"Invalid JSON body: {exc}"}) from exc


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: Any  # JSON-able value, or a str sent as is
    content_type: str = JSON
    headers: Mapping[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


class HttpError(Exception):
    """Raised by handlers to answer with an error body."""

    def __init__(self, status: int, body: Any, content_type: str = JSON) -> None:
        super().__init__(status)
        self.response = Response(status, body, content_type)


def not_found(model: str, ident: object) -> HttpError:
    """ActiveCampaign's 404: ``No Result found for Subscriber with id 5``."""
    return HttpError(404, {"message": f"No Result found for {model} with id {ident}"})


def invalid(title: str, pointer: str, *, status: int = 422, code: str = "") -> HttpError:
    """A JSON:API-like ``errors[]`` body, as ActiveCampaign sends for bad attributes."""
    error: dict[str, Any] = {"title": title, "detail": ""}
    if code:
        error["code"] = code
    error["source"] = {"pointer": pointer}
    return HttpError(status, {"errors": [error]})


def html_not_found() -> Response:
    return Response(404, NOT_FOUND_PAGE, HTML)


Handler = Callable[..., Response]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(method: str, template: str, handler: Handler) -> Route:
    """``route("GET", "/contacts/{id}", fn)``: ``{id}`` matches digits, passed as ``int``."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[0-9]+)", template)
    return Route(method, re.compile(f"/api/3{regex}/?"), handler)


def dispatch(routes: Iterable[Route], request: Request) -> tuple[Handler, dict[str, int]] | None:
    for candidate in routes:
        if candidate.method != request.method:
            continue
        match = candidate.pattern.fullmatch(request.path)
        if match:
            return candidate.handler, {k: int(v) for k, v in match.groupdict().items()}
    return None


def int_param(query: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(query.get(name, "") or default)
    except ValueError:
        return default


def page_bounds(query: Mapping[str, str], *, default: int = 20) -> tuple[int, int]:
    """``(limit, offset)``: limit defaults to ``default``, clamped to 1..100."""
    limit = int_param(query, "limit", default)
    limit = default if limit <= 0 else min(limit, 100)
    return limit, max(int_param(query, "offset", 0), 0)
