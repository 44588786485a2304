"""Making clients: the one place that turns a connection's host into an API URL.

- :func:`base_url`: ``https://HOST/api/3``; plain ``http`` only for loopback hosts (tests
  and ``sync sandbox serve``, SPEC §1.1). The embedded sandbox (``host: sandbox``) is reached
  in-process at :data:`SANDBOX_URL` through a transport, never over the network.
- :class:`Connector`: how a run makes its clients and each account's pacers. The defaults
  are the real thing (real time, real transports); tests give a fake clock shared with the
  sandbox, a seeded rng, sandbox settings, or override :meth:`Connector.transport`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import SecretStr

from engine.manifests.models import ActiveCampaignConnection, is_loopback, split_host

from .client import Client
from .pacing import HostLimits
from .retry import RetryPolicy
from .sandbox.settings import SANDBOX_DEFAULT_KEY, SandboxSettings

SANDBOX_URL = "https://sandbox/api/3"


def base_url(host: str) -> str:
    """``https://HOST/api/3``; plain http only for loopback hosts (tests, sandbox serve)."""
    name, _ = split_host(host)
    scheme = "http" if is_loopback(name) else "https"
    return f"{scheme}://{host}/api/3"


@dataclass(frozen=True)
class Connector:
    """How a run makes its clients (one per connection) and its pacers (one per account)."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random | None = None
    retry: RetryPolicy | None = None
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    sandbox_clock: Callable[[], float] | None = None  # epoch seconds; default: wall time
    wall_clock: Callable[[], float] = time.time  # epoch seconds: how old a snapshot is
    cancelled: threading.Event | None = None  # set: nothing more is sent (engine.cancel)

    def limits(self, rate: float) -> HostLimits:
        """Fresh pacers for one account, on this connector's clock."""
        return HostLimits.make(rate, self.clock, self.sleep)

    def client(
        self,
        connection: ActiveCampaignConnection,
        api_key: SecretStr | None,
        *,
        key_env: str | None,
        limits: HostLimits,
        sandbox_data: Path,
    ) -> Client:
        """A client for ``connection``: the embedded sandbox in-process, or the account."""
        if connection.is_sandbox:
            url, key = SANDBOX_URL, SecretStr(SANDBOX_DEFAULT_KEY)
        else:
            assert api_key is not None  # the model requires it unless sandbox
            url, key = base_url(connection.host), api_key
        return Client(
            url,
            key,
            host=connection.host,
            key_env=key_env,
            rate_limit=connection.rate_limit,
            limits=limits,
            transport=self.transport(connection, sandbox_data),
            clock=self.clock,
            sleep=self.sleep,
            rng=self.rng,
            retry=self.retry,
            cancelled=self.cancelled,
        )

    def transport(
        self, connection: ActiveCampaignConnection, sandbox_data: Path
    ) -> httpx.BaseTransport | None:
        """The sandbox's in-process transport for ``host: sandbox``; None (the network)
        otherwise."""
        if not connection.is_sandbox:
            return None
        from .sandbox import sandbox_transport

        return sandbox_transport(sandbox_data, self.sandbox, clock=self.sandbox_clock)
