"""Renderers: text golden output, markdown masking and size limit, JSON shape."""

from __future__ import annotations

import json
import re
import time

import pytest

from engine.contacts import Conflict, InvalidRow
from engine.plan import Action, Change, ExportPlan, Membership, Plan
from engine.plan.file import plan_to_json
from engine.render import (
    GITHUB_COMMENT_LIMIT,
    mask_email,
    render_json,
    render_markdown,
    render_text,
)

EMAIL = re.compile(r"(\S+)@[A-Za-z0-9.-]+")


def small_plan() -> Plan:
    vip = ExportPlan(
        export="vip-newsletter",
        connection="ac-prod",
        list_id="12",
        mode="mirror",
        changes=(
            Change(Action.ADD, "ana@example.com", after={"first_name": "Ana", "tags": ("vip",)}),
            Change(
                Action.ADD,
                "cy@example.com",
                {"first_name": "Cyrus", "phone": "555"},
                {"first_name": "Cy", "phone": None},
                "removed earlier by sync",
                Membership.RESUBSCRIBE,
            ),
            Change(Action.UPDATE, "bo@example.com", {"phone": "555-0100"}, {"phone": "555-0199"}),
            Change(Action.REMOVE, "cx@example.com"),
        ),
        skipped=(Change(Action.SKIP, "di@example.com", reason="unsubscribed"),),
        unchanged=40,
        invalid=(InvalidRow("high-value", 17, "not-an-email@", "invalid email"),),
        conflicts=(Conflict("ed@example.com", "first_name", "Ed", "high-value:3", "Eddie", "r:9"),),
    )
    quiet = ExportPlan("quiet", "ac-prod", "3", "upsert", unchanged=5)
    return Plan((vip, quiet), "2024-05-01T12:00:00Z")


REENTRY_NOTE = (
    "  note: 1 person removed earlier by sync comes back: confirmed live, then re-subscribed "
    "one by one (about 5 requests, 1 s at 5 requests/s)"
)

GOLDEN_TEXT = """\
vip-newsletter -> list 12 on ac-prod (mirror)
<reentry note>

  + ana@example.com
      first_name: "Ana"
      tags: + vip
  + cy@example.com (removed earlier by sync)
      first_name: "Cyrus" -> "Cy"
      phone: "555" -> (cleared)
  ~ bo@example.com
      phone: "555-0100" -> "555-0199"
  - cx@example.com
  ! di@example.com (unsubscribed)

  invalid rows (not sent):
    high-value:17 "not-an-email@": invalid email

  conflicting values (the first row in segment order wins; across exports, the higher priority):
    ed@example.com first_name: kept "Ed" (high-value:3), dropped "Eddie" (r:9)

quiet -> list 3 on ac-prod (upsert)

vip-newsletter: 2 to add, 1 to update, 1 to remove, 40 unchanged, 1 skipped, 1 invalid
quiet: 0 to add, 0 to update, 0 to remove, 5 unchanged, 0 skipped, 0 invalid
Plan: 2 to add, 1 to update, 1 to remove, 1 skipped, 1 invalid — 2 exports
""".replace("<reentry note>", REENTRY_NOTE)


def test_text_reads_like_terraform() -> None:
    assert render_text(small_plan()) == GOLDEN_TEXT


def test_text_color_and_refusals() -> None:
    plan = small_plan()
    refused = ExportPlan("vip", "ac", "12", "mirror", refusals=("export 'vip': too many",))
    text = render_text(Plan((plan.exports[0], refused), plan.created_at), color=True)
    assert "\x1b[32m+ ana@example.com\x1b[0m" in text
    assert "\x1b[31m- cx@example.com\x1b[0m" in text
    assert "\x1b[1;31mREFUSED: \x1b[0mexport 'vip': too many" in text
    assert "(refused: will not be applied)" in text
    assert "\x1b[" not in render_text(plan)


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("j@example.com", "j***@example.com"),
        ("o'brien+tag@sub.example.co.uk", "o***@sub.example.co.uk"),
        ("no-at-sign", "***"),
        ("@example.com", "***"),
    ],
)
def test_mask_email(email: str, masked: str) -> None:
    assert mask_email(email) == masked


def test_markdown_masks_every_email_and_value() -> None:
    md = render_markdown(small_plan())
    found = EMAIL.findall(md)
    assert found, "the masked addresses are still listed"
    assert len(found) == 6  # 4 changes, 1 skipped, 1 conflict
    assert all(re.fullmatch(r"[a-z]\*\*\*", local) for local in found), found
    for personal in ("Ana", "Cyrus", "555", "Eddie", "not-an-email"):
        assert personal not in md
    assert "+ a***@example.com: first_name, tags +vip" in md
    assert "phone (cleared)" in md
    assert "# invalid high-value:17: invalid email" in md


def test_markdown_table_comes_first_then_folded_details() -> None:
    md = render_markdown(small_plan())
    table = md.index("| Export | List | Mode | Add | Update | Remove |")
    assert table < md.index("<details>")
    assert "| `vip-newsletter` | 12 | mirror | 2 | 1 | 1 | 40 | 1 | 1 | changes |" in md
    assert "| `quiet` | 3 | upsert | 0 | 0 | 0 | 5 | 0 | 0 | no changes |" in md
    assert md.count("<details>") == md.count("</details>") == 2


def test_markdown_show_emails_shows_values() -> None:
    md = render_markdown(small_plan(), show_emails=True)
    assert '~ bo@example.com\n    phone: "555-0100" -> "555-0199"' in md
    assert '# invalid high-value:17 "not-an-email@": invalid email' in md


def test_markdown_says_what_re_entries_cost() -> None:
    text = render_markdown(small_plan())
    assert "Re-entries:\n\n- `vip-newsletter`: 1 person removed earlier by sync" in text
    assert "about 5 requests" in text


def test_re_entry_cost_grows_with_people_at_two_requests_each() -> None:
    from engine.activecampaign.write.resubscribe import requests_for

    assert requests_for(0) == 0
    assert requests_for(300) == 1 + 2 * 3 + 2 * 300  # tag, 3 batches + spot checks, 2 each
    assert requests_for(300) <= 3 * 300


def test_markdown_refusals_are_prominent() -> None:
    plan = small_plan()
    refused = ExportPlan("vip", "ac", "12", "mirror", refusals=("export 'vip': too many",))
    md = render_markdown(Plan((refused,), plan.created_at))
    assert "| ⛔ refused |" in md
    assert md.index("Refused") < md.index("<details>")
    assert "- `vip`: export 'vip': too many" in md


def test_markdown_fence_outlasts_backticks_in_values() -> None:
    change = Change(Action.ADD, "a@example.com", after={"first_name": "``` x"})
    md = render_markdown(
        Plan((ExportPlan("e", "c", "1", "upsert", (change,)),), "t"), show_emails=True
    )
    assert "````diff\n" in md


def big_plan(n: int) -> Plan:
    changes = tuple(
        Change(Action.UPDATE, f"person{i:06d}@example.com", {"phone": "1"}, {"phone": "2"})
        for i in range(n)
    )
    skipped = tuple(Change(Action.SKIP, f"s{i}@example.com", reason="bounced") for i in range(50))
    other = ExportPlan("second", "ac", "13", "upsert", changes=changes[:10], unchanged=1)
    first = ExportPlan("big", "ac", "12", "upsert", changes=changes, skipped=skipped)
    return Plan((first, other), "2024-05-01T12:00:00Z")


@pytest.mark.parametrize("show_emails", [False, True])
def test_markdown_stays_under_the_comment_limit(show_emails: bool) -> None:
    plan = big_plan(100_000)
    started = time.perf_counter()
    md = render_markdown(plan, show_emails=show_emails)
    assert time.perf_counter() - started < 5
    assert len(md) < GITHUB_COMMENT_LIMIT
    assert len(md) > 50_000  # the budget is used, not thrown away
    big, second = md.split("<code>second</code>")
    shown = big.count("~ p")
    hidden = re.search(r"_([\d,]+) more changes and 50 more skipped", big)
    assert hidden, big[-500:]
    assert shown + int(hidden.group(1).replace(",", "")) == 100_000
    assert "see the JSON artifact" in md
    assert "| `second` |" in md
    assert second.count("~ p") == 10 and "not shown" not in second  # its fair share
    assert md.count("<details>") == md.count("</details>") == 2


def test_markdown_budget_is_a_parameter() -> None:
    md = render_markdown(big_plan(2_000), max_chars=5_000)
    assert len(md) <= 5_000
    assert "more changes" in md


def test_json_output_is_the_plan_json() -> None:
    text = render_json(small_plan())
    data = json.loads(text)
    assert data == plan_to_json(small_plan())
    export = data["exports"][0]
    assert list(export)[:9] == [
        "export", "connection", "list_id", "mode", "summary",
        "changes", "skipped", "invalid", "conflicts",
    ]  # fmt: skip
    assert export["changes"][1] == {
        "action": "add",
        "email": "cy@example.com",
        "before": {"first_name": "Cyrus", "phone": "555"},
        "after": {"first_name": "Cy", "phone": None},
        "reason": "removed earlier by sync",
        "membership": "resubscribe",
    }
    assert text == render_json(small_plan())


def many(action: Action, n: int, prefix: str) -> tuple[Change, ...]:
    reason = "unsubscribed" if action is Action.SKIP else None
    return tuple(
        Change(action, f"{prefix}{i:04d}@example.com", after={"phone": str(i)}, reason=reason)
        for i in range(n)
    )


def crowded(adds: int = 250) -> ExportPlan:
    """Past the compact rule: 250 adds, 30 updates, 5 removes, 12 skipped, 15 invalid rows,
    12 conflicts."""
    changes = (
        many(Action.ADD, adds, "a") + many(Action.UPDATE, 30, "u") + many(Action.REMOVE, 5, "r")
    )
    return ExportPlan(
        "big",
        "ac",
        "12",
        "mirror",
        changes=changes,
        skipped=many(Action.SKIP, 12, "s"),
        unchanged=7,
        invalid=tuple(InvalidRow("seg", i, f"bad{i}", "invalid email") for i in range(15)),
        conflicts=tuple(
            Conflict(f"c{i}@example.com", "phone", "1", "seg:1", "2", "seg:2") for i in range(12)
        ),
    )


def heads(text: str) -> list[str]:
    return re.findall(r"^  ([+~!-]) \S+@", text, re.MULTILINE)


def test_text_past_the_rule_shows_the_first_ten_of_each_kind_and_how_to_see_all() -> None:
    from engine.render.text import COMPACT_ABOVE, FULL_HINT

    plan = crowded()
    assert len(plan.changes) + len(plan.skipped) > COMPACT_ABOVE
    text = render_text(Plan((plan,), "t"))
    shown = heads(text)
    assert [shown.count(s) for s in "+~-!"] == [10, 10, 5, 10]
    assert "  ... and 240 more to add\n" in text
    assert "  ... and 20 more to update\n" in text
    assert "more to remove" not in text  # all 5 are shown
    assert "  ... and 2 more skipped\n" in text
    assert f"  ... and 2 more skipped\n  {FULL_HINT}\n" in text
    assert FULL_HINT == (
        "(sync plan --full for every change, --format json or --out FILE for the "
        "machine-readable plan)"
    )
    assert text.count("seg:") - 2 * 10 == 10  # 10 invalid rows; 10 conflicts name 2 rows each
    assert "    ... and 5 more invalid rows (sync plan --show-invalid for all)\n" in text
    assert "    ... and 2 more conflicts (sync plan --show-invalid for all)\n" in text
    assert text.endswith(
        "big: 250 to add, 30 to update, 5 to remove, 7 unchanged, 12 skipped, 15 invalid\n"
        "Plan: 250 to add, 30 to update, 5 to remove, 12 skipped, 15 invalid — 1 export\n"
    )
    assert len(text.splitlines()) < 120


def test_text_at_the_rule_shows_everything() -> None:
    from engine.render.text import COMPACT_ABOVE, FULL_HINT

    plan = crowded(adds=COMPACT_ABOVE - 30 - 5 - 12)
    text = render_text(Plan((plan,), "t"))
    assert len(heads(text)) == COMPACT_ABOVE
    assert FULL_HINT not in text and "more to add" not in text
    assert "more invalid rows" in text  # invalid rows and conflicts collapse on their own


def test_text_full_shows_every_change_invalid_row_and_conflict() -> None:
    plan = crowded(adds=5_000)
    text = render_text(Plan((plan,), "t"), full=True)
    assert len(heads(text)) == 5_000 + 30 + 5 + 12
    assert all(f'  + a{i:04d}@example.com\n      phone: "{i}"\n' in text for i in (0, 4_999))
    assert "... and" not in text and "--full" not in text
    assert text.count("seg:") == 15 + 2 * 12


def test_text_show_invalid_lists_every_invalid_row_and_conflict_only() -> None:
    text = render_text(Plan((crowded(),), "t"), show_invalid=True)
    assert text.count("seg:") == 15 + 2 * 12 and "--show-invalid" not in text
    assert "... and 240 more to add" in text  # changes stay compact


def test_unchanged_plan_collapses_invalid_rows_and_conflicts() -> None:
    noisy = crowded()
    quiet = ExportPlan(
        "quiet", "ac", "3", "upsert", unchanged=9, invalid=noisy.invalid, conflicts=noisy.conflicts
    )
    text = render_text(Plan((quiet,), "t"))
    assert len(text.splitlines()) == 2 + 12 + 1 + 12 + 1 + 2  # head, invalid, conflicts, end
    assert text.endswith(
        "Plan: 0 to add, 0 to update, 0 to remove, 0 skipped, 15 invalid — 1 export\n"
    )


def test_grand_total_is_the_last_line_and_leaves_refused_exports_out() -> None:
    refused = ExportPlan(
        "vip", "ac", "12", "mirror", changes=many(Action.REMOVE, 3, "x"), refusals=("too many",)
    )
    text = render_text(Plan((crowded(), refused, small_plan().exports[1]), "t"))
    *_, big, vip, quiet, total = text.splitlines()
    assert big.startswith("big: 250 to add") and quiet.startswith("quiet: 0 to add")
    assert vip == (
        "vip: 0 to add, 0 to update, 3 to remove, 0 unchanged, 0 skipped, 0 invalid "
        "(refused: will not be applied)"
    )
    assert total == (
        "Plan: 250 to add, 30 to update, 5 to remove, 12 skipped, 15 invalid — 3 exports, "
        "1 refused (not counted)"
    )


def test_summary_lines_group_thousands() -> None:
    text = render_text(Plan((crowded(adds=12_345),), "t"))
    assert "big: 12,345 to add," in text and "... and 12,335 more to add" in text
    assert "Plan: 12,345 to add," in text


def test_fair_shares_leave_what_a_small_need_does_not_take_to_the_others() -> None:
    from engine.render.markdown import fair_shares

    assert fair_shares([5, 100, 100], 60) == [5, 27, 28]
    assert fair_shares([100, 5, 100], 60) == [27, 5, 28]
    assert fair_shares([10, 20], 100) == [10, 20]
    assert fair_shares([10, 20], -5) == [0, 0]
    assert fair_shares([], 100) == []


def adds(n: int, prefix: str) -> tuple[Change, ...]:
    return tuple(
        Change(Action.ADD, f"{prefix}{i:05d}@example.com", after={"first_name": "X"})
        for i in range(n)
    )


def test_markdown_shows_every_exports_changes_before_any_invalid_row() -> None:
    """370 invalid rows of the first export used to crowd out the second export's adds."""
    noisy = ExportPlan(
        "noisy",
        "ac",
        "1",
        "upsert",
        changes=adds(20, "n"),
        invalid=tuple(InvalidRow("seg", i, "x", "invalid email") for i in range(370)),
    )
    busy = ExportPlan("busy", "ac", "2", "upsert", changes=adds(6_714, "b"))
    md = render_markdown(Plan((noisy, busy), "t"), max_chars=30_000)
    assert len(md) <= 30_000
    first, second = md.split("<code>busy</code>")
    assert first.count("+ n***@") == 20 and "# invalid" not in first
    assert "_370 more skipped/invalid/conflict entries not shown" in first
    shown = second.count("+ b***@")
    per_add = len("+ b***@example.com: first_name\n")
    assert shown * per_add > 30_000 - len(first) - 1_000  # all the rest of the budget

    roomy = render_markdown(Plan((noisy, busy), "t"), max_chars=400_000)
    assert roomy.count("# invalid") == 370  # with room, invalid rows are shown too
    assert roomy.index("# invalid") > roomy.index("+ n***@")


def test_markdown_gives_each_export_a_fair_share_of_the_budget() -> None:
    small = ExportPlan("a-small", "ac", "1", "upsert", changes=adds(30, "s"))
    big = [
        ExportPlan(f"big{i}", "ac", str(i), "upsert", changes=adds(5_000, f"b{i}")) for i in (1, 2)
    ]
    md = render_markdown(Plan((big[0], small, big[1]), "t"), max_chars=40_000)
    assert len(md) <= 40_000
    assert md.count("+ s***@") == 30  # less than its share: all of it, the rest to the others
    first, second = (block.count("+ b***@") for block in md.split("<code>big2</code>"))
    assert first > 500 and abs(first - second) <= 1, (first, second)


def test_apply_report_ends_with_the_runs_grand_total() -> None:
    from engine.apply import ApplyReport, Rejection
    from engine.render.report import render_report_text

    done = ApplyReport("vip", "ac", "2", {"add": 1_200, "remove": 3}, {"add": 1_200, "remove": 3})
    partial = ApplyReport(
        "news",
        "ac",
        "1",
        {"add": 10, "update": 2},
        {"add": 9, "update": 2},
        rejected=(Rejection("a@example.com", "bounced"),),
        skipped=(Rejection("s@example.com", "unsubscribed"),),
    )
    refused = ApplyReport("big", "ac", "3", {"remove": 50}, {}, refused=("too many",))
    text = render_report_text([done, partial, refused])
    assert text.splitlines()[0] == "vip: applied 1,203 of 1,203 (1,200 add, 0 update, 3 remove)"
    assert text.splitlines()[-1] == (
        "Applied: 1,214 of 1,265 (1,209 add, 2 update, 3 remove); 1 skipped, 1 rejected, "
        "0 not applied — 3 exports (1 partial, 1 refused)"
    )
    assert render_report_text([done]).endswith(
        "\nApplied: 1,203 of 1,203 (1,200 add, 0 update, 3 remove); 0 skipped, 0 rejected, "
        "0 not applied — 1 export\n"
    )
