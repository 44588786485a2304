"""Apply reports exactly what the client confirmed: partial failures are never 'success'."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.apply import CHUNK, ContactWrite, Rejection, WriteReport, apply_export
from engine.errors import AuthError
from engine.plan import Action, Change, ExportPlan


def _plan(adds: int, removes: int = 0, refusals: tuple[str, ...] = ()) -> ExportPlan:
    changes = [
        Change(Action.ADD, f"a{i}@example.com", after={"first_name": "A"}) for i in range(adds)
    ]
    changes += [Change(Action.REMOVE, f"r{i}@example.com") for i in range(removes)]
    return ExportPlan("vip", "ac", "2", "mirror", changes=tuple(changes), refusals=refusals)


Writer = Callable[[Sequence[ContactWrite], Callable[[int, int], None] | None], WriteReport]


def _writer(
    fail_on_call: int | None = None, reject: set[str] | None = None
) -> tuple[Writer, list[int]]:
    calls: list[int] = []

    def write(
        batch: Sequence[ContactWrite], progress: Callable[[int, int], None] | None
    ) -> WriteReport:
        calls.append(len(batch))
        if fail_on_call is not None and len(calls) == fail_on_call:
            raise AuthError("the API key was rejected by acme.api-us1.com")
        refused = tuple(Rejection(w.email, "bounced") for w in batch if w.email in (reject or ()))
        done = tuple(w.email for w in batch if w.email not in (reject or ()))
        if progress is not None:
            progress(len(batch), len(batch))
        return WriteReport(applied=done, rejected=refused, requests={"bulk_import": 1})

    return write, calls


def test_everything_confirmed_is_applied() -> None:
    write, calls = _writer()
    seen: list[tuple[int, int]] = []
    report = apply_export(_plan(3, 2), write, lambda done, total: seen.append((done, total)))
    assert report.outcome == "applied" and report.ok
    assert report.applied == {"add": 3, "remove": 2} == report.planned
    assert calls == [5] and seen[-1] == (5, 5)


def test_rejected_contacts_make_the_run_partial_with_reasons() -> None:
    write, _ = _writer(reject={"a1@example.com"})
    report = apply_export(_plan(3), write)
    assert report.outcome == "partial" and not report.ok
    assert report.applied == {"add": 2}
    assert report.rejected == (Rejection("a1@example.com", "bounced"),)


def test_a_failure_mid_run_says_what_was_and_was_not_applied() -> None:
    write, calls = _writer(fail_on_call=2)
    report = apply_export(_plan(CHUNK + 10), write)
    assert calls == [CHUNK, 10]
    assert report.outcome == "partial"
    assert report.applied == {"add": CHUNK}
    assert len(report.not_done) == 10
    assert all("not applied: the run stopped" in r.reason for r in report.not_done)
    assert "API key was rejected" in (report.error or "")


def test_a_failure_before_anything_is_applied_is_a_failed_run() -> None:
    write, _ = _writer(fail_on_call=1)
    report = apply_export(_plan(4), write)
    assert report.outcome == "failed" and report.applied == {} and len(report.not_done) == 4


def test_a_refused_plan_writes_nothing() -> None:
    write, calls = _writer()
    report = apply_export(_plan(2, refusals=("too many removals",)), write)
    assert report.outcome == "refused" and calls == [] and report.refused == ("too many removals",)


def test_ctrl_c_mid_run_is_reported_not_swallowed() -> None:
    calls: list[int] = []

    def write(
        batch: Sequence[ContactWrite], progress: Callable[[int, int], None] | None
    ) -> WriteReport:
        calls.append(len(batch))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return WriteReport(applied=tuple(w.email for w in batch))

    report = apply_export(_plan(CHUNK + 3), write)
    assert report.interrupted and report.outcome == "interrupted" and not report.ok
    assert report.applied == {"add": CHUNK}
    assert len(report.not_done) == 3
    assert all("interrupted" in r.reason and "sync plan" in r.reason for r in report.not_done)
