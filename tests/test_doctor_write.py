"""``sync doctor --write``: probes on scratch objects, in each of the sandbox's modes.

Each mode is reported as it is, nothing but the scratch objects is touched, none is left
behind (also after Ctrl-C or a kill: the next run finds them by name), and the plans and
applies that follow use what was measured and converge.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from engine.activecampaign.sandbox import SandboxSettings, Store, running_server
from engine.activecampaign.write import OptOuts, WriteFacts, bulk, write_contacts
from engine.apply import Settled, WriteReport
from engine.contacts import ListStatus
from engine.doctor.scratch import stamp_of
from engine.facts import (
    BULK_RESUBSCRIBES_FACT,
    FAILURE_BASE_FACT,
    ID_RANGES_FACT,
    LIST_STATUS_FACT,
    RESENT_UNSUBSCRIBE_FACT,
    SIDELOAD_FACT,
    UDATE_FACTS,
    UPDATED_AFTER_FACT,
)
from engine.progress import Tally

from .reconcile_fixtures import (
    LOOPBACK_KEY,
    Workspace,
    counting,
    fake_time_connector,
    faulty,
    interrupt,
    loopback_workspace,
    point_at,
    workspace,
)
from .test_client_sandbox import LIST, Account, add
from .test_doctor import facts, filled
from .test_state_e2e import list_status, removed_after_an_unseen_unsubscribe

__all__ = ["filled", "workspace"]

SCRATCH = (
    "SELECT 'list ' || name FROM lists WHERE name LIKE 'sync-doctor-%'"
    " UNION ALL SELECT 'tag ' || tag FROM tags WHERE tag LIKE 'sync-doctor-%'"
    " UNION ALL SELECT 'field ' || title FROM fields WHERE title LIKE 'sync-doctor-%'"
    " UNION ALL SELECT 'contact ' || email FROM contacts WHERE email LIKE 'sync-doctor-%'"
)
OTHERS = (
    "SELECT 'contact', id, email, first_name, last_name, phone, udate FROM contacts",
    "SELECT 'membership', contact_id, list_id, status, sdate, udate FROM memberships",
    "SELECT 'value', contact_id, field_id, value FROM field_values",
    "SELECT 'tag', contact_id, tag_id, cdate FROM contact_tags",
    "SELECT 'list', id, name, udate FROM lists",
    "SELECT 'field', id, title, perstag FROM fields",
)


def flat(output: str) -> str:
    """The output with its lines joined (the report wraps at 100 columns)."""
    return " ".join(output.split())


def scratch_left(ws: Workspace) -> list[str]:
    """Every scratch object (sync-doctor-*) in the sandbox's data."""
    with sqlite3.connect(ws.sandbox) as conn:
        return [row[0] for row in conn.execute(SCRATCH)]


def everything(ws: Workspace) -> list[tuple[object, ...]]:
    """Every row of the sandbox's contacts, memberships, values, tags and lists."""
    with sqlite3.connect(ws.sandbox) as conn:
        return sorted(tuple(row) for query in OTHERS for row in conn.execute(query))


def doctor_write(ws: Workspace, sandbox: SandboxSettings) -> str:
    ws.connector = fake_time_connector(ws.clock, sandbox)
    result = ws.sync("doctor", "--write", "--yes")
    assert result.exit_code == 0, result.output
    assert scratch_left(ws) == []
    return result.output


def test_the_default_sandbox_is_as_assumed_and_only_scratch_objects_are_touched(
    filled: Workspace,
) -> None:
    before = everything(filled)
    sent = counting(filled)
    result = filled.sync("doctor", "--write", "--yes")
    assert result.exit_code == 0, result.output
    for name in (
        "writes that move udate",
        "a re-sent unsubscribe",
        "bulk import of an unsubscribed contact",
        "failureReasons[].contact",
    ):
        assert f"{name}: as assumed" in result.output
    assert "Scratch objects (sync-doctor-" in result.output
    assert "deleted 2 contacts, 1 tag, 1 field, 1 list." in result.output
    assert scratch_left(filled) == []
    assert everything(filled) == before  # not a row of anything else changed
    assert sum(line.startswith("DELETE ") for line in sent) == 5
    stored = facts(filled)
    assert stored[FAILURE_BASE_FACT] == "1"
    assert stored[BULK_RESUBSCRIBES_FACT] == "no"
    assert stored[RESENT_UNSUBSCRIBE_FACT] == "kept"
    assert all(stored[f] == "yes" for f in UDATE_FACTS.values())


MODES = [
    pytest.param(
        SandboxSettings(seed=5, failure_base=0),
        "failureReasons[].contact: differs",
        {FAILURE_BASE_FACT: "0"},
        id="0-based failure positions",
    ),
    pytest.param(
        SandboxSettings(seed=5, bulk_resubscribes=True),
        "bulk import of an unsubscribed contact: differs",
        {BULK_RESUBSCRIBES_FACT: "yes"},
        id="bulk import re-subscribes",
    ),
    pytest.param(
        SandboxSettings(seed=5, resent_unsubscribe="moved"),
        "a re-sent unsubscribe: differs",
        {RESENT_UNSUBSCRIBE_FACT: "moved"},
        id="re-sent unsubscribe moves the date",
    ),
    pytest.param(
        SandboxSettings(seed=5, udate_bumps=("status",)),
        "writes that move udate: differs",
        {UDATE_FACTS["field"]: "no", UDATE_FACTS["tag"]: "no", UDATE_FACTS["status"]: "yes"},
        id="values and tags do not move udate",
    ),
    pytest.param(
        SandboxSettings(seed=5, udate_bumps=("field", "tag")),
        "writes that move udate: differs",
        {UDATE_FACTS["status"]: "no", UDATE_FACTS["field"]: "yes"},
        id="a status does not move udate",
    ),
    pytest.param(
        SandboxSettings(seed=5, updated_after="day"),
        "filters[updated_after]: differs",
        {UPDATED_AFTER_FACT: "day", FAILURE_BASE_FACT: "1"},
        id="day-granular updated_after",
    ),
    pytest.param(
        SandboxSettings(seed=5, sideload="ignored"),
        "include=fieldValues: differs",
        {SIDELOAD_FACT: "disagrees"},
        id="include ignored",
    ),
    pytest.param(
        SandboxSettings(seed=5, total_counts_ids=False),
        "meta.total with id_greater/id_less: differs",
        {ID_RANGES_FACT: "ignored"},
        id="id ranges not counted",
    ),
]


@pytest.mark.parametrize(("sandbox", "line", "expected"), MODES)
def test_each_mode_is_reported_and_plans_then_converge(
    filled: Workspace, sandbox: SandboxSettings, line: str, expected: dict[str, str]
) -> None:
    output = doctor_write(filled, sandbox)
    assert line in output
    stored = facts(filled)
    assert {k: stored.get(k) for k in expected} == expected
    assert output.count(": differs") == 1, output  # only the mode's own check
    leavers = ("--var", "vip_threshold=700")
    applied = filled.sync(*leavers, "apply", "--yes", "--allow-removals")
    assert applied.exit_code == 0, applied.output
    filled.clock.now += 3_600
    again = filled.sync(*leavers, "plan", "--detailed-exitcode", "--allow-removals")
    assert again.exit_code == 0, again.output  # converged: nothing left to change
    if UDATE_FACTS["field"] in expected and expected[UDATE_FACTS["field"]] == "no":
        assert "sync doctor: writing a custom field value or a tag does not move udate" in (
            again.output
        )


def test_a_list_read_by_status_is_refused_after_the_doctor_saw_status_ignored(
    filled: Workspace,
) -> None:
    output = doctor_write(filled, SandboxSettings(seed=5, list_status="ignored"))
    assert "status with listid: differs" in output
    assert facts(filled)[LIST_STATUS_FACT] == "ignored"
    plan = filled.sync("plan")
    assert plan.exit_code == 1
    assert "ignores status together with listid" in plan.output


# ---------------------------------------------------------------- the product adapting


@pytest.mark.parametrize("measured", [True, False], ids=["doctor ran", "never measured"])
def test_where_a_resent_unsubscribe_moves_its_date_re_entries_are_skipped(
    filled: Workspace, measured: bool
) -> None:
    """Someone unsubscribes on their own while a stale snapshot calls them active; sync
    removes them (re-sending the unsubscribe, which on this account moves its date to the
    marker's) and they re-enter the segments: only the measured fact keeps their opt-out."""
    sandbox = SandboxSettings(seed=5, resent_unsubscribe="moved")
    if measured:
        doctor_write(filled, sandbox)
    filled.connector = fake_time_connector(filled.clock, sandbox)
    email, person = removed_after_an_unseen_unsubscribe(filled)
    back = filled.sync("apply", "--yes", "-e", "vip")
    assert back.exit_code == 0, back.output
    status = list_status(filled, person)
    if measured:
        assert f"{email} (unsubscribed (removed by sync earlier, but sync doctor found" in (
            back.stdout
        )
        assert status == 2
    else:  # the unsubscribe date matches the marker now: confirmed, wrongly
        assert f"+ {email} (removed earlier by sync)" in back.stdout
        assert status == 1


@pytest.mark.parametrize("base", [0, 1])
def test_a_refused_import_rejects_the_contact_it_names_counted_as_measured(
    tmp_path: Path, base: int
) -> None:
    """An account whose importer names positions 0-based: read 0-based (as the doctor
    measured), exactly the invalid contact is rejected and the rest imported; read the
    assumed 1-based way, a good contact is rejected in its place."""
    account = Account(tmp_path / "sandbox.db", SandboxSettings(seed=3, failure_base=0))
    emails = [f"p{i:02}@example.com" for i in range(12)]
    emails[4] = "p04.example.com"  # refused by the importer (sent as is, unchecked)
    encoded = [bulk.Encoded(e, json.dumps({"email": e}).encode()) for e in emails]
    outcome = Settled()
    try:
        bulk.import_all(account.client, encoded, outcome, Tally(None, len(emails)), base=base)
    finally:
        account.close()
    rejected = sorted(r.email for r in outcome.rejected)
    if base == 0:
        assert rejected == ["p04.example.com"]
        assert len(outcome.applied) == 11
    else:
        assert "p03@example.com" in rejected  # the one before it, wrongly


def test_apply_hands_the_writer_the_account_facts(
    filled: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    doctor_write(filled, SandboxSettings(seed=5, failure_base=0, resent_unsubscribe="moved"))
    seen: list[WriteFacts | None] = []

    def spy(*args: object, **kwargs: object) -> WriteReport:
        seen.append(args[4] if len(args) > 4 else None)  # type: ignore[arg-type]
        return write_contacts(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("engine.pipeline.write_contacts", spy)
    applied = filled.sync("--var", "vip_threshold=700", "apply", "--yes", "--allow-removals")
    assert applied.exit_code == 0, applied.output
    assert seen and all(f is not None for f in seen)
    assert {(f.failure_base, f.reentry, f.opt_outs is None) for f in seen if f} == {
        (0, False, True)
    }


# ---------------------------------------------------------------- asking, stopping, killing


def test_without_yes_and_no_terminal_nothing_is_written(filled: Workspace) -> None:
    sent = counting(filled)
    result = filled.sync("doctor", "--write")
    assert result.exit_code == 1
    assert "not a terminal, so pass --yes" in result.output
    assert sent == []


def test_answering_no_on_a_terminal_writes_nothing(
    filled: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("engine.cli.apply.on_terminal", lambda: True)
    sent = counting(filled)
    result = filled.sync("doctor", "--write", input="n\n")
    assert result.exit_code == 1
    assert "create a list, a text field, a tag and up to 4 contacts named sync-doctor-" in (
        result.output
    )
    assert "Nothing written." in result.output
    assert sent == []


def scratch_in(data: Path) -> list[str]:
    with sqlite3.connect(data) as conn:
        return [row[0] for row in conn.execute(SCRATCH)]


def test_interrupted_or_killed_runs_leave_nothing_behind(tmp_path: Path) -> None:
    """Over loopback, the CLI a process of its own: Ctrl-C mid-probe cleans up before it
    exits; after a SIGKILL, ``--clean`` (or the next ``--write``) deletes what was left."""
    root, data = loopback_workspace(tmp_path, rows=300)
    env = {**os.environ, "SANDBOX_KEY": LOOPBACK_KEY, "PYTHONUNBUFFERED": "1"}
    sync = [sys.executable, "-m", "engine", "--workspace", str(root), "--no-color"]

    def started(sig: signal.Signals) -> tuple[int, str]:
        """``sync doctor --write --yes``, sent ``sig`` once its scratch list exists."""
        process = subprocess.Popen(
            [*sync, "doctor", "--write", "--yes"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not any(s.startswith("list ") for s in scratch_in(data)):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # within the probes
        process.send_signal(sig)
        output, _ = process.communicate(timeout=60)
        return process.returncode, output

    def run(*args: str) -> tuple[int, str]:
        done = subprocess.run([*sync, *args], capture_output=True, text=True, env=env, timeout=120)
        return done.returncode, done.stdout + done.stderr

    with running_server(data, SandboxSettings(api_key=LOOPBACK_KEY, rate_limit=None)) as host:
        point_at(root, host)
        code, output = started(signal.SIGINT)
        assert code == 130, output
        assert "Interrupted: " in output and "write probes finished" in flat(output)
        assert scratch_in(data) == []

        code, output = started(signal.SIGKILL)
        assert code == -signal.SIGKILL
        assert scratch_in(data) != []  # a kill cleans nothing up
        code, output = run("doctor", "--clean", "--yes")
        assert code == 0, output
        assert "Deleted scratch objects on 'ac-sandbox': " in output
        assert scratch_in(data) == []

        started(signal.SIGKILL)  # a run that may still be going on, for all the next knows
        code, output = run("doctor", "--write", "--yes")
        assert code == 0, output
        assert "Left alone: " in output
        assert "of a run started less than an hour ago" in flat(output)
        assert scratch_in(data) != []
        code, output = run("doctor", "--clean", "--yes")
        assert code == 0, output
        assert scratch_in(data) == []
        code, output = run("doctor", "--clean", "--yes")
        assert (code, output) == (0, "No scratch objects (sync-doctor-*) found on 'ac-sandbox'.\n")


# ---------------------------------------------------------------- failures on the way


def leftovers(ws: Workspace, started: float) -> str:
    """Scratch objects as a run started at ``started`` and killed would leave them (a list
    and a contact); returns their run id."""
    stamp = f"{stamp_of(started)}-0a1b"
    with Store(ws.sandbox, clock=ws.clock) as store:
        store.create_list(f"sync-doctor-{stamp}")
        store.load_members(1, [(f"sync-doctor-{stamp}-a@example.com", "", "", "", 1)])
    return stamp


DECOYS = (
    "sync-doctor-19700101-000000-a@example.org",
    "x-sync-doctor-19700101-000000-a@example.com",
)


def test_a_killed_runs_leftovers_go_first_a_young_runs_are_left_alone(filled: Workspace) -> None:
    leftovers(filled, filled.clock.now - 7_200)
    young = leftovers(filled, filled.clock.now - 60)
    same_second = f"sync-doctor-{stamp_of(filled.clock.now)}-ffff"  # another run, just now
    with Store(filled.sandbox, clock=filled.clock) as store:  # not the whole pattern
        store.create_list("sync-doctor-notes")
        store.create_list("sync-doctor-20261301-000000-0a1b")  # no such day
        store.create_list(same_second)
        store.load_members(1, [(email, "Decoy", "", "", 1) for email in DECOYS])
    result = filled.sync("doctor", "--write", "--yes")
    assert result.exit_code == 0, result.output
    assert "Left by earlier runs: deleted 1 contact, 1 list." in result.output
    assert "Left alone: 1 contact, 2 lists of 2 runs started less than an hour ago" in flat(
        result.output
    )
    decoys = ["contact " + DECOYS[0], "list sync-doctor-notes"]
    decoys.append("list sync-doctor-20261301-000000-0a1b")
    young_ones = [f"contact sync-doctor-{young}-a@example.com", f"list sync-doctor-{young}"]
    young_ones.append(f"list {same_second}")
    assert sorted(scratch_left(filled)) == sorted(decoys + young_ones)
    cleaned = filled.sync("doctor", "--clean", "--yes")
    assert cleaned.exit_code == 0, cleaned.output
    assert sorted(scratch_left(filled)) == sorted(decoys)
    with sqlite3.connect(filled.sandbox) as conn:
        count = conn.execute("SELECT count(*) FROM contacts WHERE first_name = 'Decoy'")
        assert count.fetchone()[0] == len(DECOYS)  # untouched


def test_a_delete_that_fails_is_named_and_exits_1(filled: Workspace) -> None:
    def refuse(request: httpx.Request) -> httpx.Response | None:
        if request.method == "DELETE" and "/lists/" in request.url.path:
            return httpx.Response(403, json={"message": "Forbidden"})
        return None

    faulty(filled, refuse)
    result = filled.sync("doctor", "--write", "--yes")
    assert result.exit_code == 1, result.output
    said = flat(result.output)
    assert "NOT deleted: list " in said and "the API key was rejected" in said
    assert "Run 'sync doctor --clean -c ac-sandbox' (with --yes where nobody can answer)" in said
    assert [s for s in scratch_left(filled) if s.startswith("list ")] != []
    filled.connector = fake_time_connector(filled.clock)
    assert filled.sync("doctor", "--clean", "--yes").exit_code == 0
    assert scratch_left(filled) == []


def test_ctrl_c_while_deleting_leftovers_stops_before_anything_is_made(filled: Workspace) -> None:
    leftovers(filled, filled.clock.now - 7_200)
    sent = counting(filled)
    faulty(filled, lambda r: interrupt(r) if r.method == "DELETE" else None)
    result = filled.sync("doctor", "--write", "--yes")
    assert result.exit_code == 130, result.output
    assert "Interrupted: 0 of 4 write probes finished" in flat(result.output)
    assert "Scratch objects (sync-doctor-" in result.output and "none were made" in result.output
    assert not any(line.startswith("POST ") for line in sent)


def test_ctrl_c_while_an_import_is_followed_says_contacts_may_appear(filled: Workspace) -> None:
    faulty(filled, lambda r: interrupt(r) if r.url.path.endswith("/import/info") else None)
    result = filled.sync("doctor", "--write", "--yes")
    assert result.exit_code == 130, result.output
    assert "A probe's bulk import may not have finished" in flat(result.output)
    assert "Run 'sync doctor --clean -c ac-sandbox'" in flat(result.output)


def test_a_probe_that_failed_half_way_does_not_mislead_the_next(filled: Workspace) -> None:
    """The udate probe's unsubscribe fails: the next probes unsubscribe first themselves,
    so the importer is not taken for one that re-subscribes."""
    failed: list[str] = []

    def once(request: httpx.Request) -> httpx.Response | None:
        unsubscribe = b'"status":2' in request.content.replace(b" ", b"")
        if request.url.path.endswith("/contactLists") and unsubscribe and not failed:
            failed.append("unsubscribe")
            return httpx.Response(403, json={"message": "Forbidden"})
        return None

    faulty(filled, once)
    result = filled.sync("doctor", "--write", "--yes")
    assert failed and result.exit_code == 1, result.output
    assert "writes that move udate: error" in result.output
    assert "bulk import of an unsubscribed contact: as assumed" in result.output
    assert facts(filled)[BULK_RESUBSCRIBES_FACT] == "no"
    assert scratch_left(filled) == []


def test_only_lists_that_read_what_does_not_move_udate_are_read_in_full(
    filled: Workspace,
) -> None:
    """Tags do not move udate here: vip (tags mapped, a mirror's removal marker) is read in
    full every time; newsletter (values only, upsert) still reads what changed."""
    doctor_write(filled, SandboxSettings(seed=5, udate_bumps=("field", "status")))
    assert facts(filled)[UDATE_FACTS["tag"]] == "no"
    assert filled.sync("apply", "--yes").exit_code == 0
    filled.clock.now += 3_600
    plan = json.loads(filled.sync("plan", "--format", "json").stdout)
    reads = {e["export"]: e["read"] for e in plan["exports"]}
    assert reads["newsletter"]["mode"] == "incremental"
    assert reads["vip"]["mode"] == "full"
    assert reads["vip"]["reasons"] == ["sync doctor: writing a tag does not move udate here"]


@pytest.mark.parametrize("measured", [True, False], ids=["doctor ran", "never measured"])
def test_where_bulk_import_re_subscribes_opt_outs_since_the_plan_are_not_sent(
    tmp_path: Path, measured: bool
) -> None:
    """Someone the plan would add unsubscribed meanwhile, on an account whose importer
    re-subscribes: read first where that was measured, and left unsubscribed."""
    account = Account(tmp_path / "sandbox.db", SandboxSettings(seed=3, bulk_resubscribes=True))
    account.store.load_members(LIST, [("left@example.com", "L", "", "", 2)])
    writes = [add(f"n{i:02}@example.com") for i in range(14)] + [add("left@example.com")]
    facts = WriteFacts(opt_outs=OptOuts(account.client, LIST) if measured else None)
    try:
        report = write_contacts(account.client, LIST, writes, facts=facts)
        members = account.read(tags=()).members
    finally:
        account.close()
    if measured:
        assert [r.email for r in report.rejected] == ["left@example.com"]
        assert "since the plan was made; not re-subscribed" in report.rejected[0].reason
        assert members["left@example.com"].status is ListStatus.UNSUBSCRIBED
        assert report.requests["opt_outs"] == 2  # unsubscribed, bounced: a page each
    else:
        assert members["left@example.com"].status is ListStatus.ACTIVE  # re-subscribed
    assert len(report.applied) == 14 + (0 if measured else 1)


def test_a_search_cut_short_is_said_and_exits_1(filled: Workspace) -> None:
    """More than 500 contacts answer email_like=sync-doctor- (decoys): the search stops
    there, says so, and exit 1 — what it found is still deleted."""
    stamp = leftovers(filled, filled.clock.now - 7_200)
    with Store(filled.sandbox, clock=filled.clock) as store:
        decoys = [(f"sync-doctor-decoy-{i}@example.org", "D", "", "", 1) for i in range(520)]
        store.load_members(1, decoys)
    result = filled.sync("doctor", "--clean", "--yes")
    assert result.exit_code == 1, result.output
    assert "the search may have missed some: more than 500 contacts answered" in flat(result.output)
    assert f"list sync-doctor-{stamp}" not in scratch_left(filled)


def test_an_import_that_does_not_finish_leaves_its_probes_undecided(filled: Workspace) -> None:
    """Batches take longer than the 5 minutes a probe follows them: the re-sent unsubscribe
    by bulk import is not taken for 'kept', the next import probe does not run on top of
    it, and the run says an import may still create contacts (exit 1)."""
    filled.connector = fake_time_connector(filled.clock, SandboxSettings(seed=5, bulk_delay=400))
    result = filled.sync("doctor", "--write", "--yes")
    assert result.exit_code == 1, result.output
    assert "a re-sent unsubscribe: could not tell" in result.output
    assert "bulk import of an unsubscribed contact: could not tell" in result.output
    assert "an earlier probe's import had not finished" in result.output
    assert "A probe's bulk import may not have finished" in flat(result.output)
    assert RESENT_UNSUBSCRIBE_FACT not in facts(filled)


def test_a_second_ctrl_c_leaves_the_scratch_objects_and_names_them(filled: Workspace) -> None:
    def rule(request: httpx.Request) -> httpx.Response | None:
        if request.method == "DELETE" or request.url.path.endswith("/contactTags"):
            raise KeyboardInterrupt  # the first during a probe, the second while deleting
        return None

    faulty(filled, rule)
    result = filled.sync("doctor", "--write", "--yes")
    assert result.exit_code == 130, result.output
    said = flat(result.output)
    assert "interrupted: deleting 1 contact, 1 tag, 1 field, 1 list (Ctrl-C again to" in said
    assert "NOT deleted: contact " in said and ": interrupted" in said
    assert len(scratch_left(filled)) == 4
    filled.connector = fake_time_connector(filled.clock)
    assert filled.sync("doctor", "--clean", "--yes").exit_code == 0
    assert scratch_left(filled) == []


def test_where_the_importer_re_subscribes_apply_reads_opt_outs_first(
    filled: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    doctor_write(filled, SandboxSettings(seed=5, bulk_resubscribes=True))
    seen: list[object] = []

    def spy(*args: object, **kwargs: object) -> WriteReport:
        seen.append(args[4] if len(args) > 4 else None)
        return write_contacts(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("engine.pipeline.write_contacts", spy)
    read: list[tuple[int, int]] = []
    original = OptOuts._read

    def counted(self: OptOuts, status: ListStatus) -> None:
        read.append((self.list_id, status.value))
        original(self, status)

    monkeypatch.setattr(OptOuts, "_read", counted)
    applied = filled.sync("--var", "vip_threshold=300", "apply", "--yes")  # more vip adds
    assert applied.exit_code == 0, applied.output
    assert seen and all(isinstance(f, WriteFacts) and f.opt_outs is not None for f in seen)
    assert (2, 2) in read and (2, 3) in read  # vip's list, unsubscribed and bounced
    assert len(read) == len(set(read))  # once per export's apply


def test_the_report_as_json_for_ci(filled: Workspace) -> None:
    result = filled.sync("doctor", "--write", "--yes", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    verdicts = {c["name"]: c["verdict"] for c in report["checks"]}
    assert verdicts["failureReasons[].contact"] == "as assumed" and len(verdicts) == 10
    assert report["facts"][FAILURE_BASE_FACT] == "1"
    assert report["scratch"]["complete"] is True and report["scratch"]["left"] == []
    assert report["failed"] is False and report["interrupted"] is False
    assert scratch_left(filled) == []
