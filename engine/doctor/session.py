"""One ``sync doctor --write`` run: clean up after earlier runs, probe, clean up.

Only objects this run creates are written (:mod:`.made`); they are deleted at the end, after
a failed probe and after Ctrl-C too, and what could not be deleted is said (the next
``sync doctor --write`` or ``--clean`` finds it by name: :mod:`.scratch`). Leftovers of
earlier runs go first, but for those of a run started less than :data:`.scratch.IN_USE`
ago, which may still be probing. Ctrl-C while they are deleted stops the run before it
makes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.activecampaign.client import Client
from engine.errors import SyncError

from .checks import ERROR, Check, OnCheck
from .made import Made
from .probes import NOTHING_STORED, WRITE_CHECKS, Prober
from .scratch import Cleaned, Notice, Patience, Scratch, clean, find, left_all, run_id


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
    incomplete: str = ""  # the first search may have missed leftovers

    @property
    def complete(self) -> bool:
        """Everything made (and found) was deleted, the account could be searched, and no
        import may still create contacts."""
        earlier = self.earlier is None or self.earlier.complete
        return self.cleaned.complete and earlier and not self.pending


def probe(
    client: Client,
    clock: Callable[[], float],
    on_check: OnCheck = None,
    notice: Notice = None,
) -> Probed:
    """Clean up after earlier runs, probe, clean up (also after a failure or Ctrl-C). The
    run's id is taken now, as its first object is about to be made (``clock``: wall time)."""
    scratch = Scratch(run_id(clock()))
    probed = Probed(scratch.name)
    made = Made(client, scratch)
    prober = Prober(made)
    patience = Patience(notice)
    try:
        found = find(client, clock(), scratch.run)
        probed.in_use, probed.incomplete = found.in_use, found.incomplete
        if found.mine.count():
            probed.earlier = clean(client, found.mine)
        if probed.earlier is not None and probed.earlier.interrupted:
            probed.interrupted = True
            return probed  # nothing of this run was made
        _probe(made, prober, on_check)
    except KeyboardInterrupt:
        probed.interrupted = True
        patience.forgive(f"interrupted: deleting {scratch.describe()} (Ctrl-C again to leave them)")
    except Exception as exc:  # a failed search, or a bug: still clean up, and say it
        why = str(exc) if isinstance(exc, SyncError) else f"{type(exc).__name__}: {exc}"
        stopped = Check("write probes", "", f"stopped: {why}", ERROR, NOTHING_STORED)
        prober.checks.append(stopped)
        if on_check:
            on_check(stopped)
    probed.checks, probed.facts, probed.pending = prober.checks, prober.facts, made.pending
    probed.cleaned = clean_up(client, scratch, clock(), patience)
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


def clean_up(client: Client, scratch: Scratch, now: float, patience: Patience) -> Cleaned:
    """Delete what this run made, with what else of it is found by name (contacts an
    import created, a list whose create answer was lost)."""
    try:
        found = find(client, now, scratch.run)
    except KeyboardInterrupt:
        if not patience.forgive(f"still deleting {scratch.describe()}: Ctrl-C again to leave them"):
            return left_all(scratch, "interrupted")
        done = clean(client, scratch, patience)
        done.search_failed = "interrupted"
        return done
    except Exception as exc:  # what is known is still deleted
        done = clean(client, scratch, patience)
        done.search_failed = str(exc) or type(exc).__name__
        return done
    scratch.merge(found.mine.of_run(scratch.run))
    done = clean(client, scratch, patience)
    done.search_failed = found.incomplete
    return done
