"""Markdown of a plan, for pull-request comments and job summaries (SPEC §3).

A summary table comes first (one row per export), then refusals, then each export's
details folded in ``<details>``, as a ``diff`` code block.

Personal data (decisions): unless ``show_emails``, every email address is masked
(``j***@example.com``: in changes, skipped people and conflicts), and *no contact value*
is printed: changes list the fields that change (``~ b***@example.com: phone``), invalid
rows give segment, row and reason but not the raw value (it is usually a malformed email),
conflicts give where the rows came from but not the values. Names and phone numbers are
personal data as much as emails, and a pull request is no place for them. Tags are the
export's own configuration, so the tags a change adds are shown. ``show_emails=True``
shows addresses and values as the text renderer does.

Size: the result stays within ``max_chars`` (default 65,000, under GitHub's 65,536-character
comment limit, with room for a caller's heading; ``sync plan --max-chars N``). The table and
refusals are always kept; what is left is the details' budget, spent in three rounds:

1. changes (adds, updates, removes) of every export,
2. then skipped people,
3. then invalid rows and conflicts,

so 370 invalid rows of one export never crowd out another export's adds. In each round the
budget left is split in fair shares (max-min, "water-filling"): each export is offered an
equal share; one that needs less takes only what it needs, and what it leaves is split
among the others. With two exports and 60,000 characters, one needing 5,000 for its changes
and the other 200,000, the first shows all of its changes and the second gets 55,000.
Entries are shown whole, in plan order; an export cut in one round shows nothing of the
later ones (its invalid rows never stand where its missing changes would be). Each export
that was cut says how many entries are not shown and points at the JSON artifact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from engine.plan import Change, ExportPlan, Plan

from .lines import (
    Mask,
    conflict_line,
    field_names,
    head,
    invalid_line,
    mask_email,
    reentry_note,
    same,
    summary_line,
    value_lines,
)
from .text import total_line

GITHUB_COMMENT_LIMIT = 65_536
DEFAULT_MAX_CHARS = 65_000
NOTE_ALLOWANCE = 160  # the longest truncation note, with its newlines
COLUMNS = ("Add", "Update", "Remove", "Unchanged", "Skipped", "Invalid")


def render_markdown(
    plan: Plan, *, show_emails: bool = False, max_chars: int = DEFAULT_MAX_CHARS
) -> str:
    """The plan as markdown, within ``max_chars`` characters (see the module docstring)."""
    header = _header(plan)
    frames = [_Frame.of(export) for export in plan.exports]
    budget = max_chars - len(header) - sum(f.overhead + NOTE_ALLOWANCE for f in frames)
    shown: list[list[list[str]]] = [[] for _ in frames]  # per export, per round
    cut = [False] * len(frames)  # an export cut in one round shows nothing of later ones
    for entries_of in ROUNDS:
        rounds = [
            _Round.of(entries_of(f.export, show_emails), 0 if c else budget)
            for f, c in zip(frames, cut, strict=True)
        ]
        shares = fair_shares([r.need for r in rounds], budget)
        for index, (round_, share) in enumerate(zip(rounds, shares, strict=True)):
            taken = round_.within(share)
            shown[index].append(taken)
            cut[index] = cut[index] or len(taken) < round_.total
            budget -= sum(len(entry) + 1 for entry in taken)
    blocks = [frame.wrap(_body(frame.export, s)) for frame, s in zip(frames, shown, strict=True)]
    return header + "".join(blocks)


def fair_shares(needs: Sequence[int], budget: int) -> list[int]:
    """Max-min fair shares of ``budget``: ascending by need, each takes the smaller of its
    need and an equal split of what is left, so what a small need leaves goes to the rest."""
    shares = [0] * len(needs)
    left = max(budget, 0)
    order = sorted(range(len(needs)), key=lambda i: needs[i])
    for done, index in enumerate(order):
        shares[index] = min(needs[index], left // (len(order) - done))
        left -= shares[index]
    return shares


def _result(export: ExportPlan) -> str:
    if export.refused:
        return "⛔ refused"
    return "changes" if export.has_changes else "no changes"


def _header(plan: Plan) -> str:
    if not plan.exports:
        return "### Sync plan\n\nNo exports to plan.\n"
    lines = [
        "### Sync plan",
        "",
        "| Export | List | Mode | " + " | ".join(COLUMNS) + " | Result |",
        "|---|---|---|" + "---:|" * len(COLUMNS) + "---|",
    ]
    for export in plan.exports:
        counts = " | ".join(f"{n:,}" for n in export.summary.values())
        lines.append(
            f"| `{export.export}` | {export.list_id} | {export.mode} | {counts} "
            f"| {_result(export)} |"
        )
    lines += ["", f"**{total_line(plan)}**"]
    reads = [(e.export, e.read) for e in plan.exports if e.read is not None]
    if reads:
        lines += ["", "Lists read:", ""]
        for name, read in reads:
            lines.append(f"- `{name}`: {read.summary()}")
            lines += [f"  - {note}" for note in read.notes]
    reentries = [(e.export, reentry_note(e)) for e in plan.exports]
    if any(note for _, note in reentries):
        lines += ["", "Re-entries:", ""]
        lines += [f"- `{name}`: {note}" for name, note in reentries if note]
    refusals = [(e.export, r) for e in plan.exports for r in e.refusals]
    if refusals:
        lines += ["", "**⛔ Refused: these exports will not be applied.**", ""]
        lines += [f"- `{name}`: {message}" for name, message in refusals]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class _Frame:
    """The fixed parts around one export's details, measured before filling."""

    export: ExportPlan
    opening: str
    closing: str

    @classmethod
    def of(cls, export: ExportPlan) -> _Frame:
        summary = summary_line(export).removeprefix(f"{export.export}: ")
        opening = f"\n<details><summary><code>{export.export}</code>: {summary}</summary>\n\n"
        return cls(export, opening, "</details>\n")

    @property
    def overhead(self) -> int:
        return len(self.opening) + len(self.closing) + 2 * len("`" * 12 + "diff\n")

    def wrap(self, body: str) -> str:
        return self.opening + body + self.closing


def _changes(export: ExportPlan, show_emails: bool) -> tuple[int, Iterator[str]]:
    return len(export.changes), _change_entries(export.changes, show_emails)


def _skipped(export: ExportPlan, show_emails: bool) -> tuple[int, Iterator[str]]:
    return len(export.skipped), _change_entries(export.skipped, show_emails)


def _change_entries(changes: Iterable[Change], show_emails: bool) -> Iterator[str]:
    mask: Mask = same if show_emails else mask_email
    for change in changes:
        if show_emails:
            yield "\n".join([head(change, mask), *(f"    {v}" for v in value_lines(change))])
        else:
            names = field_names(change)
            yield f"{head(change, mask)}: {names}" if names else head(change, mask)


def _notes(export: ExportPlan, show_emails: bool) -> tuple[int, Iterator[str]]:
    return len(export.invalid) + len(export.conflicts), _note_entries(export, show_emails)


def _note_entries(export: ExportPlan, show_emails: bool) -> Iterator[str]:
    """Invalid rows, then conflicts."""
    mask: Mask = same if show_emails else mask_email
    for row in export.invalid:
        yield f"# invalid {invalid_line(row, values=show_emails)}"
    for conflict in export.conflicts:
        yield f"# conflict {conflict_line(conflict, mask, values=show_emails)}"


Entries = Callable[[ExportPlan, bool], tuple[int, Iterator[str]]]  # (how many, lazily)
ROUNDS: tuple[Entries, ...] = (_changes, _skipped, _notes)  # in this order: changes first


@dataclass(frozen=True, slots=True)
class _Round:
    """One round's first entries of one export: as many as the whole budget could hold
    (the rest are not even formatted), and how many the round has in all."""

    entries: tuple[str, ...]
    need: int  # characters they take, a newline each
    total: int

    @classmethod
    def of(cls, entries: tuple[int, Iterator[str]], cap: int) -> _Round:
        total, lazily = entries
        taken: list[str] = []
        need = 0
        for entry in lazily:
            if need + len(entry) + 1 > cap:
                break
            taken.append(entry)
            need += len(entry) + 1
        return cls(tuple(taken), need, total)

    def within(self, share: int) -> list[str]:
        """The first entries that fit in ``share`` characters."""
        taken: list[str] = []
        for entry in self.entries:
            share -= len(entry) + 1
            if share < 0:
                break
            taken.append(entry)
        return taken


def _body(export: ExportPlan, rounds: list[list[str]]) -> str:
    """The export's details: the entries shown in each round, then what was cut."""
    total = len(export.changes) + len(export.skipped) + len(export.invalid)
    total += len(export.conflicts)
    if total == 0:
        return "No changes.\n\n"
    shown = [entry for entries in rounds for entry in entries]
    body = "\n".join(shown)
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    text = f"{fence}diff\n{body}\n{fence}\n\n" if shown else ""
    hidden = total - len(shown)
    if hidden:
        changes_hidden = len(export.changes) - len(rounds[0])
        others = hidden - changes_hidden
        what = f"{changes_hidden:,} more changes" if changes_hidden else ""
        if others:
            what += (" and " if what else "") + f"{others:,} more skipped/invalid/conflict entries"
        text += f"_{what} not shown; see the JSON artifact (`sync plan --format json`)._\n\n"
    return text


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest
