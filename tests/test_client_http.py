"""The client's HTTP core: pacing, retries, error mapping, secrecy (time is faked)."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

import engine
from engine.activecampaign.client import Client
from engine.activecampaign.connect import Connector
from engine.activecampaign.pacing import HostLimits, WindowLimiter
from engine.activecampaign.read import read_list
from engine.activecampaign.retry import RetryPolicy
from engine.errors import (
    AuthError,
    EndpointError,
    NotFoundError,
    PaymentError,
    PermanentError,
    TransientError,
    UnreachableError,
)
from engine.manifests.models import ActiveCampaignConnection, Settings
from engine.manifests.project import Project
from engine.pipeline import Clients

from .client_fakes import SECRET, FakeClock, json_response, make_client, scripted

LIST = {"list": {"id": "3", "name": "Awesome List"}}


def max_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def test_requests_carry_key_user_agent_and_are_paced_to_the_rate() -> None:
    client, _, sent = make_client(lambda r: json_response(200, LIST))
    for _ in range(21):
        client.check_list(3)
    headers = sent[0].request.headers
    assert headers["Api-Token"] == SECRET
    assert headers["User-Agent"] == f"ac-segment-sync/{engine.__version__}"
    times = [s.at for s in sent]
    assert max_in_window(times, 1.0) <= 5
    assert times[-1] - times[0] < 4.5  # paced, not throttled to a crawl


def test_a_lower_connection_rate_is_respected() -> None:
    client, _, sent = make_client(lambda r: json_response(200, LIST), rate_limit=2)
    for _ in range(9):
        client.check_list(3)
    assert max_in_window([s.at for s in sent], 1.0) <= 2


def run_clients(clock: FakeClock, *connections: tuple[str, str, float]) -> Clients:
    """A run's client pool over ``(name, host, rate_limit)`` connections."""
    destinations = {
        name: ActiveCampaignConnection(
            name=name,
            type="activecampaign",
            host=host,
            api_key="${env:AC_API_KEY}",
            rate_limit=rate,
        )
        for name, host, rate in connections
    }
    project = Project(Path("."), Settings(), destinations, {}, {}, {})
    return Clients(project, {}, Connector(clock=clock, sleep=clock.sleep))


def test_clients_of_one_host_share_one_pacer_and_the_lowest_rate() -> None:
    clock, log = FakeClock(), []
    run = run_clients(clock, ("a", "acct.api-us1.com", 5), ("b", "ACCT.api-us1.com", 4))
    shared = run.limits(run._project.destinations["a"])
    assert run.limits(run._project.destinations["b"]) is shared
    a, _, _ = make_client(lambda r: json_response(200, LIST), clock=clock, log=log, limits=shared)
    b, _, _ = make_client(lambda r: json_response(200, LIST), clock=clock, log=log, limits=shared)
    for _ in range(10):
        a.check_list(3)
        b.check_list(3)
    assert max_in_window([s.at for s in log], 1.0) <= 4


def test_bulk_window_allows_100_a_minute() -> None:
    clock = FakeClock()
    window = WindowLimiter(100, 61.0, clock, clock.sleep)
    starts = []
    for _ in range(250):
        window.acquire()
        starts.append(clock.now)
    assert max_in_window(starts, 60.0) <= 100
    assert starts[100] - starts[0] >= 60.0


def test_each_account_of_a_run_has_its_own_pacer() -> None:
    run = run_clients(FakeClock(), ("a", "one.api-us1.com", 5), ("b", "two.api-us1.com", 5))
    first = run.limits(run._project.destinations["a"])
    assert first is not run.limits(run._project.destinations["b"])


def test_429_waits_as_retry_after_says_and_pauses_the_whole_account() -> None:
    clock, log = FakeClock(), []
    shared = HostLimits.make(5, clock, clock.sleep)
    answers = scripted([json_response(429, {}, {"Retry-After": "7"}), json_response(200, LIST)])
    a, _, _ = make_client(answers, clock=clock, log=log, limits=shared)
    b, _, _ = make_client(lambda r: json_response(200, LIST), clock=clock, log=log, limits=shared)
    t0 = clock.now
    a.check_list(3)
    assert log[1].at - log[0].at >= 7.0
    b.check_list(3)
    assert a.stats.rate_limited == 1 and a.stats.retries == 1
    assert a.stats.requests["list"] == 2
    assert clock.now - t0 >= 7.0


def test_429_without_retry_after_uses_the_default() -> None:
    answers = scripted([json_response(429, {}), json_response(200, LIST)])
    client, _, sent = make_client(answers, retry=RetryPolicy(default_retry_after=3.0))
    client.check_list(3)
    assert sent[1].at - sent[0].at >= 3.0


def test_a_429_storm_gives_up_at_the_deadline_with_advice() -> None:
    client, _clock, sent = make_client(
        lambda r: json_response(429, {}, {"Retry-After": "30"}),
        retry=RetryPolicy(deadline=100.0),
    )
    with pytest.raises(TransientError, match="rate_limit"):
        client.check_list(3)
    assert 3 <= len(sent) <= 5
    assert client.stats.rate_limited == len(sent)


def test_503_burst_is_retried_with_growing_jittered_backoff() -> None:
    answers = scripted([json_response(503, {})] * 4 + [json_response(200, LIST)])
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0)
    client, _clock, sent = make_client(answers, retry=policy)
    client.check_list(3)
    gaps = [b.at - a.at for a, b in itertools.pairwise(sent)]
    assert len(sent) == 5 and client.stats.retries == 4 and client.stats.faults == {"list": 4}
    assert 0.5 <= gaps[0] <= 1.0 + 0.3  # ceiling 1: between half and full (+ pacing)
    assert all(g <= 4.0 + 0.3 for g in gaps)  # capped
    assert gaps[2] >= 2.0  # third failure: ceiling 4, at least half


def test_backoff_is_reproducible_with_a_seeded_rng() -> None:
    def run() -> list[float]:
        answers = scripted([json_response(502, {})] * 3 + [json_response(200, LIST)])
        client, clock, _ = make_client(answers)
        client.check_list(3)
        return clock.sleeps

    assert run() == run()


@pytest.mark.parametrize(
    "fault",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadTimeout("timed out"),
        httpx.ReadError("connection reset"),
    ],
)
def test_dropped_connections_and_timeouts_are_retried(fault: Exception) -> None:
    client, _, sent = make_client(scripted([fault, fault, json_response(200, LIST)]))
    assert client.check_list(3) is None
    assert len(sent) == 3 and client.stats.retries == 2


def test_a_non_idempotent_request_is_not_resent_after_an_ambiguous_failure() -> None:
    drop = httpx.RemoteProtocolError("dropped")
    client, _, sent = make_client(scripted([drop, json_response(201, {"tag": {"id": "1"}})]))
    with pytest.raises(TransientError, match="may have been applied"):
        client.request("POST", "tags", kind="tag_create", json={}, idempotent=False)
    assert len(sent) == 1


def test_persistent_5xx_gives_up_after_bounded_attempts() -> None:
    client, _, sent = make_client(
        lambda r: json_response(503, {}), retry=RetryPolicy(max_attempts=4)
    )
    with pytest.raises(TransientError, match="503"):
        client.check_list(3)
    assert len(sent) == 4


def test_connection_failure_becomes_unreachable_naming_the_host() -> None:
    client, _, sent = make_client(scripted([httpx.ConnectError("Name or service not known")]))
    with pytest.raises(UnreachableError, match=f"cannot reach {client.host}"):
        client.check_list(3)
    assert len(sent) == RetryPolicy().max_attempts


def test_403_names_host_and_env_var_and_is_not_retried() -> None:
    body = {"errors": [{"status": 403, "title": "Forbidden"}]}
    client, _, sent = make_client(lambda r: json_response(403, body))
    with pytest.raises(AuthError) as info:
        client.check_list(3)
    message = str(info.value)
    assert f"the API key was rejected by {client.host} (it came from env var AC_API_KEY)" in message
    assert SECRET not in message
    assert len(sent) == 1


def test_402_is_a_payment_error() -> None:
    client, _, sent = make_client(lambda r: json_response(402, {"message": "payment"}))
    with pytest.raises(PaymentError, match="payment issue"):
        client.check_list(3)
    assert len(sent) == 1


def test_missing_list_is_not_found_naming_list_and_host() -> None:
    body = {"message": "No Result found for _List with id 7"}
    client, _, _ = make_client(lambda r: json_response(404, body))
    with pytest.raises(NotFoundError, match=f"list 7 does not exist on {client.host}"):
        client.check_list(7)


def test_html_404_means_the_host_is_not_an_api_endpoint() -> None:
    page = "<html><head><title>404 Not Found</title></head></html>"
    client, _, _ = make_client(
        lambda r: httpx.Response(404, text=page, headers={"Content-Type": "text/html"})
    )
    with pytest.raises(EndpointError, match="does not look like an ActiveCampaign API endpoint"):
        client.check_list(7)


def test_other_client_errors_are_permanent_with_the_message() -> None:
    body = {"errors": [{"title": "Invalid value for query parameter contactTag.tag"}]}
    client, _, sent = make_client(lambda r: json_response(400, body))
    with pytest.raises(PermanentError, match=r"400: Invalid value for query parameter"):
        client.request("POST", "contactTags", kind="contact_tag", json={})
    assert len(sent) == 1


def test_bulk_rate_limit_400_is_a_wait_and_retry() -> None:
    limited = {
        "success": 0,
        "message": "Rate limit exceeded.",
        "failureReasons": ["Up to 100 imports may be requested per minute."],
    }
    queued = {"success": 1, "queued_contacts": 2, "batchId": "b-1", "message": "queued"}
    answers = scripted([json_response(400, limited), json_response(200, queued)])
    client, _, sent = make_client(answers, retry=RetryPolicy(bulk_rate_limit_wait=20.0))
    reply = client.request(
        "POST",
        "import/bulk_import",
        kind="bulk_import",
        content=b"{}",
        accept=(400,),
        bulk_contacts=2,
    )
    assert reply.body["batchId"] == "b-1"
    assert sent[1].at - sent[0].at >= 20.0
    assert client.stats.bulk_rate_limited == 1 and client.stats.rate_limited == 0


def test_json_served_as_text_html_is_parsed() -> None:
    client, _, _ = make_client(
        lambda r: httpx.Response(
            200,
            text='{"list":{"id":"5","name":"L"}}',
            headers={"Content-Type": "text/html; charset=UTF-8"},
        )
    )
    client.check_list(5)  # raises PermanentError unless the body was read as JSON


def test_the_key_never_appears_in_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client, _, _ = make_client(lambda r: json_response(403, {}))
    with pytest.raises(AuthError) as info:
        client.check_list(1)
    assert SECRET not in repr(client)
    assert SECRET not in repr(info.value) and SECRET not in str(info.value.__cause__)
    assert SECRET not in caplog.text


def test_context_manager_closes() -> None:
    with Client("http://127.0.0.1:1/api/3", SecretStr("k"), host="127.0.0.1:1") as client:
        assert repr(client) == "Client(host='127.0.0.1:1')"
    assert client._http.is_closed


def test_reader_pages_on_when_the_server_caps_the_page_below_100() -> None:
    people = [{"id": str(i), "email": f" P{i}@Example.com ", "firstName": ""} for i in range(1, 46)]

    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        if request.url.path.endswith("/lists/3"):
            return json_response(200, LIST)
        if request.url.path.endswith("/tags"):
            return json_response(200, {"tags": [], "meta": {"total": "0"}})
        rows = (
            [p for p in people if int(p["id"]) > int(q["id_greater"])] if q["status"] == "1" else []
        )
        return json_response(200, {"contacts": rows[:20], "meta": {"total": str(len(rows))}})

    client, _, sent = make_client(handler)
    state = read_list(client, 3, [], [])
    assert len(state.members) == 45 and "p7@example.com" in state.members
    assert state.members["p7@example.com"].contact.first_name is None  # "" is unknown
    assert sum("status=1" in str(s.request.url) for s in sent) == 3
