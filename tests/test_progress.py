"""Honest progress: log lines every ~10 s or 10 % in CI, totals per named phase of a list
read that do not grow while it runs, and long waits named before they start."""

from __future__ import annotations

import io

import httpx

from engine.activecampaign.pacing import HostLimits, Pacer, WindowLimiter
from engine.activecampaign.read.streams import Pages, phase_of
from engine.progress import Task
from engine.render.progress import LineProgress

from .client_fakes import FakeClock, json_response, make_client


class Recorded:
    """A Progress that keeps every step and note."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, int, int | None]] = []
        self.notes: list[str] = []

    def step(self, label: str, done: int, total: int | None = None) -> None:
        self.steps.append((label, done, total))

    def note(self, message: str) -> None:
        self.notes.append(message)

    def close(self) -> None:
        return None


def test_ci_lines_come_every_tenth_of_the_total_and_the_last_one() -> None:
    clock, out = FakeClock(), io.StringIO()
    lines = LineProgress(out, clock=clock)
    for done in range(1, 1001):  # a fast task: 1,000 steps in a second
        clock.now += 0.001
        lines.step("vip: applying", done, 1000)
    printed = out.getvalue().splitlines()
    assert printed[0] == "vip: applying: 1/1,000" and printed[-1] == "vip: applying: 1,000/1,000"
    assert len(printed) == 11  # the first line, then one per further tenth (the last: 100 %)


def test_ci_lines_come_every_ten_seconds_when_the_total_is_unknown() -> None:
    clock, out = FakeClock(), io.StringIO()
    lines = LineProgress(out, clock=clock)
    for done in range(1, 101):  # a slow task, a step a second, no total
        clock.now += 1.0
        lines.step("vip: reading segments", done)
    assert len(out.getvalue().splitlines()) == 10  # not 100, and not one


def test_a_list_read_reports_named_phases_whose_totals_never_grow() -> None:
    progress = Recorded()
    pages = Pages(Task(progress, "vip: reading list 2"), lambda: None)
    pages.expect("status:1", None)  # registered before its first page says how many
    pages.expect("status:2", None)
    pages.tick("status:1")
    pages.expect("status:1", 3)  # its first page's meta.total
    pages.tick("status:1")
    pages.tick("status:1")
    pages.expect("status:2", 1)
    pages.tick("status:2")
    assert progress.steps == [
        ("vip: reading list 2: active", 1, None),
        ("vip: reading list 2: active", 2, 3),
        ("vip: reading list 2: active", 3, 3),
        ("vip: reading list 2: unsubscribed", 1, 1),
    ]


def test_phases_are_named_for_people() -> None:
    assert phase_of("status:2:1500") == "unsubscribed"
    assert phase_of("tagged:vip:since") == "tag vip"
    assert phase_of("values:12") == phase_of("by-member") == "field values"


def test_a_long_wait_for_the_bulk_limit_is_named_before_it_starts() -> None:
    clock = FakeClock()
    limits = HostLimits(
        Pacer(5.0, clock, clock.sleep),
        WindowLimiter(2, 61.0, clock, clock.sleep),  # two bulk imports a minute, for the test
        WindowLimiter(20, 61.0, clock, clock.sleep),
    )
    answers = iter([json_response(200, {"success": 1, "batchId": "b"})] * 3)
    client, _, sent = make_client(lambda _: next(answers), clock=clock, limits=limits)
    heard: list[tuple[str, int]] = []
    client.on_wait = lambda text: heard.append((text, len(sent)))
    for _ in range(3):
        client.request("POST", "import/bulk_import", kind="bulk_import", bulk_contacts=250)
    assert heard == [("waiting 61 s for ActiveCampaign's bulk limit (2/min)", 2)]


def test_short_pacing_waits_are_not_announced() -> None:
    clock = FakeClock()
    client, _, _ = make_client(lambda _: httpx.Response(200, json={}), clock=clock)
    heard: list[str] = []
    client.on_wait = heard.append
    for _ in range(10):
        client.request("GET", "lists/1", kind="list")
    assert heard == []  # 0.2 s between requests: just the rate limit doing its job
