"""The sandbox as a WSGI application: faults, routing, auth, rate limit, then the endpoint.

Order of checks for each request (each can end it):

1. fault injection (502 / 503 / dropped connection), decided before anything else;
2. an unknown path answers an HTML 404 (as a wrong base URL does on the real service);
3. ``Api-Token`` must equal the configured key, else 403 (the documented bodies:
   ``errors[]`` "You do not have permission to view lists." on ``/lists``,
   ``{"message": "Forbidden"}`` elsewhere);
4. the account's rate limit: 429 with ``Retry-After``, ``RateLimit-Limit`` and
   ``RateLimit-Remaining`` (the last two also on every admitted answer);
5. due bulk batches are processed, then the endpoint runs.

Every answer carries a ``Date`` header from the sandbox's clock (the real service's answers
do; the product takes a read's watermark from it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from email.utils import formatdate
from pathlib import Path
from typing import Any

from engine.activecampaign.sandbox import bulk, contacts, deletes, fields, lists, tags, writes

from .context import Sandbox
from .faults import DroppedConnection, FaultPlan
from .ratelimit import SlidingWindow
from .settings import SandboxSettings
from .store import Store
from .web import HTML, REASONS, HttpError, Request, Response, dispatch, html_not_found

StartResponse = Callable[..., Any]


def _gateway_page(status: int) -> str:
    title = f"{status} {REASONS[status]}"
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>\n"


def _forbidden(req: Request) -> Response:
    if req.path.rstrip("/").startswith("/api/3/lists"):
        detail = "You do not have permission to view lists."
        return Response(403, {"errors": [{"status": 403, "title": "Forbidden", "detail": detail}]})
    return Response(403, {"message": "Forbidden"})


class SandboxApp:
    """One sandbox account served as WSGI. Thread-safe; share one instance per account."""

    def __init__(
        self,
        store: Store,
        settings: SandboxSettings | None = None,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or SandboxSettings()
        self.sandbox = Sandbox(store, self.settings, clock or store.clock, sleep)
        self.faults = FaultPlan(self.settings)
        rate = self.settings.rate_limit
        self.limiter = None if rate is None else SlidingWindow(rate, 1.0, self.sandbox.clock)
        self.routes = (
            *lists.ROUTES,
            *contacts.ROUTES,
            *writes.ROUTES,
            *deletes.ROUTES,
            *fields.ROUTES,
            *tags.ROUTES,
            *bulk.routes(bulk.BulkLimits(self.sandbox)),
        )

    @classmethod
    def open(
        cls,
        data: Path,
        settings: SandboxSettings | None = None,
        *,
        clock: Callable[[], float] | None = None,
    ) -> SandboxApp:
        return cls(Store(data, clock=clock), settings, clock=clock)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        response = self.handle(Request.from_environ(environ))
        payload = response.encode()
        headers = [("Content-Type", response.content_type), ("Content-Length", str(len(payload)))]
        headers.append(("Date", formatdate(self.sandbox.clock(), usegmt=True)))
        headers.extend(response.headers.items())
        start_response(f"{response.status} {REASONS.get(response.status, '')}", headers)
        return [payload]

    def handle(self, req: Request) -> Response:
        """Answer one request (raises :class:`DroppedConnection` for a dropped one)."""
        fault = self.faults.draw()
        if self.settings.latency > 0:
            self.sandbox.sleep(self.settings.latency)
        if fault == "drop":
            raise DroppedConnection(req.path)
        if fault is not None:
            return Response(int(fault), _gateway_page(int(fault)), HTML)
        found = dispatch(self.routes, req)
        if found is None:
            return html_not_found()
        if req.headers.get("api-token") != self.settings.api_key:
            return _forbidden(req)
        extra: dict[str, str] = {}
        if self.limiter is not None:
            decision = self.limiter.admit()
            extra = {
                "RateLimit-Limit": str(decision.limit),
                "RateLimit-Remaining": str(decision.remaining),
            }
            if not decision.allowed:
                extra["Retry-After"] = str(decision.retry_after)
                return Response(429, {"message": "Too Many Requests"}, headers=extra)
        handler, params = found
        try:
            bulk.process_due(self.sandbox)
            response = handler(self.sandbox, req, **params)
        except HttpError as exc:
            response = exc.response
        headers = {**response.headers, **extra}
        return Response(response.status, response.body, response.content_type, headers)

    def close(self) -> None:
        self.sandbox.store.close()
