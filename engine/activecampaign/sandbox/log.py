"""The served sandbox's request log (``sync sandbox serve --log FILE``): one line a request.

::

    2026-05-04T09:12:03.481Z GET /api/3/contacts?listid=1&limit=100 200 3.2ms

Time (UTC, when the request arrived), method, path with its query string, status (or
``dropped`` for an injected dropped connection, ``error`` for a bug), duration. Headers are
never written, so the ``Api-Token`` is not either; a query parameter that could hold a
key (``api_key``, ``api_token``, ``token``) is written as ``***``. Lines are appended and
flushed one by one, from the server's threads under a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import parse_qsl, quote, urlencode

from .faults import DroppedConnection

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SECRET_PARAMS = frozenset({"api_key", "api_token", "apikey", "token", "key"})


class RequestLog:
    """WSGI middleware around the sandbox app: answers as the app does, logs each request."""

    def __init__(
        self,
        app: WSGIApp,
        out: IO[str],
        *,
        clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app, self.out, self.clock, self.timer = app, out, clock, timer
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        arrived, started = self.clock(), self.timer()
        status = "error"

        def recording(line: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            nonlocal status
            status = line.split(" ", 1)[0]
            return start_response(line, headers, *rest)

        try:
            return self.app(environ, recording)
        except DroppedConnection:
            status = "dropped"
            raise
        finally:
            self.write(arrived, environ, status, self.timer() - started)

    def write(self, arrived: float, environ: dict[str, Any], status: str, seconds: float) -> None:
        when = datetime.fromtimestamp(arrived, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        method = environ.get("REQUEST_METHOD", "?")
        line = f"{when}Z {method} {request_path(environ)} {status} {seconds * 1000:.1f}ms\n"
        with self._lock:
            self.out.write(line)
            self.out.flush()


def request_path(environ: dict[str, Any]) -> str:
    """The path and query string, with any key-like query parameter masked."""
    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/")
    query = environ.get("QUERY_STRING", "")
    if not query:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(name.lower() in SECRET_PARAMS for name, _ in pairs):
        pairs = [(n, "***" if n.lower() in SECRET_PARAMS else v) for n, v in pairs]
        query = urlencode(pairs, safe="[]*")
    return f"{path}?{query}"
