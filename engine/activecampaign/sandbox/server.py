"""Loopback HTTP access: the sandbox app on a threading ``wsgiref`` server (127.0.0.1 only).

A dropped connection (fault injection) closes the socket without sending a byte. wsgiref's
own request logging is off (it goes to stderr); ``log`` writes one line a request to a file
of the caller's (:mod:`.log`: never a header, so never the API key).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import IO, Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from engine.errors import ConfigError

from .app import SandboxApp
from .faults import DroppedConnection
from .log import RequestLog
from .settings import SandboxSettings

LOOPBACK = "127.0.0.1"


class _Handler(ServerHandler):
    dropped = False

    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], DroppedConnection):
            self.dropped = True  # answer nothing; the socket is closed after the request
            return
        super().handle_error()


class _RequestHandler(WSGIRequestHandler):
    def handle(self) -> None:  # as WSGIRequestHandler.handle, with the dropping ServerHandler
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536 or not self.parse_request():
            return
        handler = _Handler(
            self.rfile,
            self.wfile,  # type: ignore[arg-type]
            self.get_stderr(),
            self.get_environ(),
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(app: SandboxApp, port: int = 0, log: IO[str] | None = None) -> _Server:
    """A server bound to 127.0.0.1:``port`` (0 = a free port), not yet serving; with
    ``log``, one line a request is written to it (:class:`.log.RequestLog`)."""
    try:
        server = _Server((LOOPBACK, port), _RequestHandler)
    except OSError as exc:
        raise ConfigError(
            f"cannot serve the sandbox on {LOOPBACK}:{port}: {exc}; choose another --port"
        ) from exc
    server.set_app(app if log is None else RequestLog(app, log))
    return server


@contextmanager
def running_server(
    data: Path,
    settings: SandboxSettings | None = None,
    *,
    clock: Callable[[], float] | None = None,
) -> Iterator[str]:
    """Serve the sandbox in ``data`` on a free loopback port in a thread.

    Yields the host, e.g. ``"127.0.0.1:54321"`` (use ``http://HOST/api/3``); stops the
    server and closes the data file on exit. ``clock`` as for ``sandbox_transport``.
    """
    app = SandboxApp.open(data, settings, clock=clock)
    server = make_server(app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"{LOOPBACK}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        app.close()
