"""Test helpers for the ActiveCampaign client: a fake clock and scripted transports."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from engine.activecampaign.client import Client
from engine.activecampaign.pacing import HostLimits
from engine.activecampaign.retry import RetryPolicy

SECRET = "s3cr3t-key-0123456789abcdef"
HOST = "acct.api-us1.com"


@dataclass(eq=False)
class FakeClock:
    """Time that only moves when the code under test sleeps (tests never really sleep)."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


@dataclass
class Sent:
    at: float
    request: httpx.Request

    @property
    def json(self) -> Any:
        return json.loads(self.request.content) if self.request.content else None


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def make_client(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    clock: FakeClock | None = None,
    host: str = HOST,
    retry: RetryPolicy | None = None,
    rate_limit: float = 5.0,
    log: list[Sent] | None = None,
    limits: HostLimits | None = None,
) -> tuple[Client, FakeClock, list[Sent]]:
    clock = clock or FakeClock()
    sent: list[Sent] = [] if log is None else log

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(Sent(clock.now, request))
        return handler(request)

    client = Client(
        f"https://{host}/api/3",
        SecretStr(SECRET),
        host=host,
        key_env="AC_API_KEY",
        rate_limit=rate_limit,
        limits=limits,
        transport=httpx.MockTransport(record),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(7),
        retry=retry,
    )
    return client, clock, sent


def scripted(
    answers: Iterable[httpx.Response | Exception],
) -> Callable[[httpx.Request], httpx.Response]:
    """Answer requests in order; an Exception in the script is raised (a transport fault)."""
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler
