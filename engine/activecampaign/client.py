"""The HTTP core: one synchronous httpx client per account, paced, retrying, and honest.

Every request goes through :meth:`Client.request`, which

1. waits for the account's pacer (and, for bulk imports, the per-minute window),
2. sends with the ``Api-Token`` header, a ``User-Agent`` naming the product's version,
   and timeouts,
3. retries what is transient (see :mod:`engine.activecampaign.retry`), counting every
   request, 429 and retry in :class:`ClientStats`,
4. translates what is permanent into the :mod:`engine.errors` tree, once, here.

The API key lives only in the httpx client's default headers: never in a repr, a log line
(httpx logs method and URL only), an exception message, or a cassette (tests filter it).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import SecretStr

from engine import __version__
from engine.activecampaign import wire
from engine.cancel import Cancelled
from engine.errors import (
    AuthError,
    DestinationError,
    EndpointError,
    NotFoundError,
    PaymentError,
    PermanentError,
    TransientError,
    UnreachableError,
)
from engine.manifests.models import SANDBOX_HOST

from .pacing import HostLimits
from .retry import RetryPolicy, parse_retry_after
from .stats import ClientStats

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({502, 503, 504})
# Failures where the request certainly never reached the server: always safe to resend.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_TRANSPORT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer the caller handles itself: status and the body parsed tolerantly."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def date(self) -> float | None:
        """The server's clock when it answered (its ``Date`` header), epoch seconds."""
        raw = self.headers.get("date")
        if not raw:
            return None
        try:
            return parsedate_to_datetime(raw).timestamp()
        except (TypeError, ValueError):
            return None


@dataclass(slots=True)
class _Attempts:
    """Retry bookkeeping of one logical request."""

    started: float
    failures: int = 0
    rate_limited: int = 0


class Client:
    """A paced, retrying client for one ActiveCampaign account (or the sandbox).

    ``base_url`` is ``https://HOST/api/3`` (:func:`engine.activecampaign.connect.base_url`);
    ``host`` names the account in messages; ``key_env`` is the env var the key came from,
    named when the key is rejected. ``limits`` are the account's pacers, shared by every
    client of the account in a run (the run owns them); without them the client paces
    itself alone at ``rate_limit``.
    """

    def __init__(
        self,
        base_url: str,
        api_key: SecretStr,
        *,
        host: str,
        key_env: str | None = None,
        rate_limit: float = 5.0,
        limits: HostLimits | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        cancelled: threading.Event | None = None,
    ) -> None:
        self.host = host
        self.key_env = key_env
        self.clock = clock
        self.sleep = sleep
        self.rng = rng if rng is not None else random.Random()
        self.retry = retry or RetryPolicy()
        self.stats = ClientStats()
        self.cancelled = cancelled
        self.on_wait: Callable[[str], None] | None = None  # told of long waits, by name
        self.limits = limits or HostLimits.make(rate_limit, clock, sleep)
        # Whether independent paged reads should run at once: yes over a network (answers
        # take a while); a transport may say no (the in-process sandbox, where they only
        # contend for the GIL).
        self.parallel_reads = bool(getattr(transport, "parallel_reads", True))
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={
                "Api-Token": api_key.get_secret_value(),
                "User-Agent": f"ac-segment-sync/{__version__}",
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"Client(host={self.host!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ requests

    def get(self, path: str, *, kind: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, kind=kind, params=params).body

    def get_as(
        self,
        path: str,
        decode: Callable[[bytes], T],
        *,
        kind: str,
        params: Mapping[str, Any] | None = None,
    ) -> T:
        """``GET`` whose successful body is decoded by ``decode`` (``engine.activecampaign
        .decode``: the pages read by the thousand); errors are read as usual."""
        body: T = self.request("GET", path, kind=kind, params=params, decode=decode).body
        return body

    def request(
        self,
        method: str,
        path: str,
        *,
        kind: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        accept: Collection[int] = (),
        idempotent: bool = True,
        bulk_contacts: int = 0,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Reply:
        """Send one request, retrying what is transient; raise what is permanent.

        ``accept`` lists error statuses the caller handles itself (returned, not raised).
        ``bulk_contacts`` > 0 marks a bulk import of that many contacts (paced per minute).
        ``idempotent=False`` forbids resending after an ambiguous failure (the request may
        have been applied): the caller gets a TransientError and checks for itself.
        ``decode`` reads a successful body instead of ``json.loads``.
        """
        attempts = _Attempts(started=self.clock())
        while True:
            self._pace(bulk_contacts)
            self.stats.count("requests", kind)
            try:
                response = self._send(method, path, params, json, content)
            except _TRANSPORT as exc:
                self.stats.count("faults", kind)
                safe = idempotent or isinstance(exc, _NOT_SENT)
                self._after_transport_error(exc, method, path, attempts, safe)
                continue
            if decode is not None and response.is_success:
                return Reply(response.status_code, decode(response.content), response.headers)
            reply = Reply(response.status_code, wire.json_body(response), response.headers)
            if response.is_success or (reply.status in accept and not self._is_rate_limit(reply)):
                return reply
            if reply.status in RETRYABLE_STATUS:
                self.stats.count("faults", kind)
            self._after_error_status(response, reply, method, path, attempts, idempotent)

    def _pace(self, bulk_contacts: int) -> None:
        if self.cancelled is not None and self.cancelled.is_set():
            raise Cancelled  # the run was stopped: nothing more is sent
        if bulk_contacts:
            window = self.limits.bulk(bulk_contacts)
            window.acquire(self._announce(f"ActiveCampaign's bulk limit ({window.limit}/min)"))
        self.limits.requests.acquire(self._announce("ActiveCampaign's rate limit"))

    def _announce(self, limit: str) -> Callable[[float], None] | None:
        on_wait = self.on_wait
        if on_wait is None:
            return None
        return lambda seconds: on_wait(f"waiting {seconds:.0f} s for {limit}")

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        content: bytes | None,
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"} if content is not None else None
        return self._http.request(
            method, path.lstrip("/"), params=params, json=json, content=content, headers=headers
        )

    @staticmethod
    def _is_rate_limit(reply: Reply) -> bool:
        return reply.status == 400 and wire.is_bulk_rate_limited(reply.body)

    # ------------------------------------------------------------------ retry decisions

    def _after_transport_error(
        self, exc: Exception, method: str, path: str, attempts: _Attempts, safe: bool
    ) -> None:
        what = f"{method} /api/3/{path.lstrip('/')} to {self.host}"
        reason = _describe_transport_error(exc)
        if not safe:
            raise TransientError(f"{what} failed ({reason}); it may have been applied") from exc
        attempts.failures += 1
        if attempts.failures >= self.retry.max_attempts or self._past_deadline(attempts):
            if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
                raise UnreachableError(
                    f"cannot reach {self.host} ({reason}, {attempts.failures} attempts): check "
                    "the connection's host and your network"
                ) from exc
            raise TransientError(
                f"{what} kept failing ({reason}, {attempts.failures} attempts); try again later"
            ) from exc
        self._wait(self.retry.backoff(attempts.failures, self.rng), attempts)

    def _after_error_status(
        self,
        response: httpx.Response,
        reply: Reply,
        method: str,
        path: str,
        attempts: _Attempts,
        idempotent: bool,
    ) -> None:
        status = reply.status
        if status == 429 or self._is_rate_limit(reply):
            self._after_rate_limit(response, reply, attempts)
            return
        if status in RETRYABLE_STATUS and idempotent:
            attempts.failures += 1
            if attempts.failures < self.retry.max_attempts and not self._past_deadline(attempts):
                self._wait(self.retry.backoff(attempts.failures, self.rng), attempts)
                return
            raise TransientError(
                f"{self.host} answered {status} to {method} /api/3/{path.lstrip('/')} "
                f"{attempts.failures} times; ActiveCampaign seems unavailable, try again later"
            )
        raise self.error_for(reply, method, path)

    def _after_rate_limit(
        self, response: httpx.Response, reply: Reply, attempts: _Attempts
    ) -> None:
        header = response.headers.get("Retry-After")
        is_429 = reply.status == 429
        if is_429:
            self.stats.count("rate_limited")
            wait = parse_retry_after(header, self.retry.default_retry_after)
        else:
            self.stats.count("bulk_rate_limited")
            wait = parse_retry_after(header, self.retry.bulk_rate_limit_wait)
        attempts.rate_limited += 1
        if attempts.rate_limited > self.retry.max_rate_limited or self._past_deadline(attempts):
            raise TransientError(
                f"{self.host} kept answering 'too many requests' ({attempts.rate_limited} times): "
                "another integration may be using the account's rate limit; lower rate_limit "
                "on the connection or try again later",
                retry_after=wait,
            )
        if is_429:
            # The whole account is over its limit: pause the shared pacer, so every export
            # in the process waits (the next _pace() does the sleeping).
            self.stats.count("retries")
            self.limits.requests.pause_until(self.clock() + wait)
        else:
            self._wait(wait, attempts)

    def _past_deadline(self, attempts: _Attempts) -> bool:
        return self.clock() - attempts.started >= self.retry.deadline

    def _wait(self, seconds: float, attempts: _Attempts) -> None:
        self.stats.count("retries")
        remaining = self.retry.deadline - (self.clock() - attempts.started)
        self.sleep(max(0.0, min(seconds, remaining)))

    # ------------------------------------------------------------------ errors

    def error_for(self, reply: Reply, method: str, path: str) -> DestinationError:
        """The error a user can act on, for a permanent failure answer."""
        where = f"{method} /api/3/{path.lstrip('/')}"
        detail = wire.error_message(reply.body)
        match reply.status:
            case 403:
                source = f" (it came from env var {self.key_env})" if self.key_env else ""
                return AuthError(
                    f"the API key was rejected by {self.host}{source}: check it in "
                    "ActiveCampaign under Settings > Developer"
                )
            case 402:
                return PaymentError(
                    f"{self.host} refused {where}: the ActiveCampaign account has a payment "
                    "issue (402); an account owner must settle it in ActiveCampaign's billing"
                )
            case 404 if reply.body is None or isinstance(reply.body, str):
                return EndpointError(
                    f"{self.host} does not look like an ActiveCampaign API endpoint (HTML 404 "
                    f"for {where}): set host to the REST endpoint hostname shown under "
                    "Settings > Developer, e.g. mycompany.api-us1.com"
                )
            case 404:
                return NotFoundError(f"{self.host} has no such resource ({where}): {detail}")
            case _:
                return PermanentError(
                    f"{self.host} refused {where} with {reply.status}"
                    + (f": {detail}" if detail else "")
                )

    # ------------------------------------------------------------------ lists

    def check_list(self, list_id: int) -> float | None:
        """That the list exists (NotFoundError naming the list and host if it is missing);
        returns the server's clock as it answered (its ``Date`` header), or None."""
        try:
            reply = self.request("GET", f"lists/{int(list_id)}", kind="list")
        except NotFoundError as exc:
            raise NotFoundError(
                f"list {list_id} does not exist on {self.host}: check the export's list_id "
                "(the number in the list's URL in ActiveCampaign)" + sandbox_hint(self.host)
            ) from exc
        if not isinstance(reply.body, dict) or not isinstance(reply.body.get("list"), dict):
            raise PermanentError(f"{self.host} answered GET /api/3/lists/{list_id} without a list")
        return reply.date


def sandbox_hint(host: str) -> str:
    """For the embedded sandbox, how to create what is missing (a new workspace's first plan)."""
    if host != SANDBOX_HOST:
        return ""
    return (
        "; the sandbox holds only what was put there: run `sync sandbox seed` to create the "
        "lists and custom fields the workspace's exports need"
    )


def _describe_transport_error(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection failed"
    return "connection dropped"
