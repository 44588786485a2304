"""One ``sync doctor --write`` run: clean up after earlier runs, probe, clean up.

Only objects this run creates are written (:mod:`.made`); they are deleted at the end, after
a failed probe and after Ctrl-C too, and what could not be deleted is said (the next
``sync doctor --write`` or ``--clean`` finds it by name: :mod:`.scratch`). Leftovers of
earlier runs go first, but for those of a run started less than :data:`.scratch.IN_USE`
ago, which may still be probing. Ctrl-C while they are deleted stops the run before it
makes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.activecampaign.client import Client
from engine.errors import SyncError

from .checks import ERROR, Check, OnCheck
from .made import Made
from .probes import NOTHING_STORED, WRITE_CHECKS, Prober
from .scratch import Cleaned, Notice, Scratch, clean, find


@dataclass(slots=True)
class Probed:
    """What the write probes found, and what became of the scratch objects."""

    scratch: str
    checks: list[Check] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    earlier: Cleaned | None = None  # leftovers of earlier runs, deleted first
    in_use: Scratch = field(default_factory=Scratch)  # another run's, left alone
    cleaned: Cleaned = field(default_factory=Cleaned)
    interrupted: bool = False
    pending: bool = False  # an import may not have finished: contacts may appear later

    @property
    def complete(self) -> bool:
        """Everything made (and found) was deleted, and the account could be searched."""
        return self.cleaned.complete and (self.earlier is None or self.earlier.complete)


def probe(
    client: Client, scratch: Scratch, now: float, on_check: OnCheck = None, notice: Notice = None
) -> Probed:
    """Clean up after earlier runs, probe, clean up (also after a failure or Ctrl-C)."""
    probed = Probed(scratch.name)
    made = Made(client, scratch)
    prober = Prober(made)
    try:
        found = find(client, now, scratch.run)
        probed.in_use = found.in_use
        if found.mine.count():
            probed.earlier = clean(client, found.mine)
        if probed.earlier is not None and probed.earlier.interrupted:
            probed.interrupted = True
            return probed  # nothing of this run was made
        _probe(made, prober, on_check)
    except KeyboardInterrupt:
        probed.interrupted = True
        if notice is not None:
            notice(f"interrupted: deleting {scratch.describe()} (Ctrl-C again to leave them)")
    except Exception as exc:  # a failed search, or a bug: still clean up, and say it
        why = str(exc) if isinstance(exc, SyncError) else f"{type(exc).__name__}: {exc}"
        stopped = Check("write probes", "", f"stopped: {why}", ERROR, NOTHING_STORED)
        prober.checks.append(stopped)
        if on_check:
            on_check(stopped)
    probed.checks, probed.facts, probed.pending = prober.checks, prober.facts, made.pending
    probed.cleaned = clean_up(client, scratch, now, notice)
    probed.interrupted = probed.interrupted or probed.cleaned.interrupted
    return probed


def _probe(made: Made, prober: Prober, on_check: OnCheck) -> None:
    try:
        made.setup()
    except SyncError as exc:
        reason = f"the scratch objects could not be made: {exc}"
        for name in WRITE_CHECKS:
            prober.checks.append(Check(name, "", reason, ERROR, NOTHING_STORED))
            if on_check:
                on_check(prober.checks[-1])
        return
    prober.run(on_check)


def clean_up(client: Client, scratch: Scratch, now: float, notice: Notice = None) -> Cleaned:
    """Delete what this run made, with what else of it is found by name (contacts an
    import created, a list whose create answer was lost)."""
    try:
        scratch.merge(find(client, now, scratch.run).mine.of_run(scratch.run))
    except SyncError as exc:
        done = clean(client, scratch, notice)
        done.search_failed = str(exc)
        return done
    except KeyboardInterrupt:  # the search: what is known is still deleted
        done = clean(client, scratch, notice)
        done.search_failed = "interrupted"
        return done
    return clean(client, scratch, notice)
