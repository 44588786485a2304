"""The scratch objects of ``sync doctor --write``: named so nobody mistakes them, found by name.

Every object a write probe makes carries the run's id, ``sync-doctor-YYYYMMDD-HHMMSS-xxxx``
(its start, UTC, and 4 random hex digits): the list (name and string id), the tag, the text
field (title), and the contacts ``sync-doctor-YYYYMMDD-HHMMSS-xxxx-<letter>@example.com``
(a domain reserved for examples: no mail reaches anyone). Cleaning deletes them, contacts
first, then tags, fields, lists (a 404 saying "No Result found" is "already gone").

Leftovers of an earlier run (killed, or its clean-up failed) are found **on the account, by
name**, not from a local record: a CI runner that was killed takes its files with it, while
the account keeps the objects. Only names matching the whole pattern are touched, whatever
the account's search returned, so nobody else's list, tag, field or contact is ever
deleted; and another run's objects younger than :data:`IN_USE` are left alone (two CI jobs
probing one account at once must not delete each other's).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.lookup import PAGE, offset_pages

PREFIX = "sync-doctor-"
DOMAIN = "example.com"
NAME = re.compile(r"sync-doctor-((\d{8}-\d{6})-[0-9a-f]{4})")
EMAIL = re.compile(r"sync-doctor-((\d{8}-\d{6})-[0-9a-f]{4})-[a-z0-9]+@example\.com")
"""A scratch name holds the run's id (group 1): its start (group 2) and 4 random hex digits,
so two runs started in one second have names of their own."""
KINDS = (("contact", "contacts"), ("tag", "tags"), ("field", "fields"), ("list", "lists"))
"""Deleted in this order: ``(kind, path)``."""
SEARCH_PAGES = 5
SEARCHED: tuple[tuple[str, str, str, re.Pattern[str], dict[str, str], int | None], ...] = (
    ("list", "lists", "name", NAME, {}, None),
    ("tag", "tags", "tag", NAME, {"search": PREFIX}, None),
    ("field", "fields", "title", NAME, {}, None),
    ("contact", "contacts", "email", EMAIL, {"email_like": PREFIX}, SEARCH_PAGES),
)
"""How each kind is found: ``(kind, path, key, pattern, query, pages at most)``. Lists and
fields are few and read whole; tags and contacts are searched for (whatever the search
returns, only whole-pattern names are kept). Contacts stop after :data:`SEARCH_PAGES`: an
account that ignored ``email_like`` would have every contact paged; the search is then
said to be incomplete."""
Notice = Callable[[str], None] | None
"""Tells the person at the terminal something while it happens (stderr)."""


class Patience:
    """Ctrl-C while scratch objects are deleted: the first is told and forgiven (the
    deleting goes on), the next stops it. Without a ``notice`` none is forgiven."""

    def __init__(self, notice: Notice = None) -> None:
        self.notice, self.warned = notice, False

    def forgive(self, text: str) -> bool:
        """True (go on) the first time, after telling ``text``; False after that."""
        if self.warned or self.notice is None:
            return False
        self.warned = True
        self.notice(text)
        return True


IN_USE = 3_600.0
"""Seconds a run's objects are left alone by other runs: it may still be probing (the
probes take under a minute, but each of three imports is followed for up to five)."""
GONE = "No Result found"  # the start of a 404's message for an object that does not exist


def stamp_of(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y%m%d-%H%M%S")


def run_id(now: float) -> str:
    """A new run's id: when it starts (UTC) and 4 random hex digits."""
    return f"{stamp_of(now)}-{secrets.token_hex(2)}"


def started(stamp: str) -> float | None:
    """When the run of ``stamp`` started; None when that is no time (20261301-...)."""
    try:
        return datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


@dataclass(slots=True)
class Scratch:
    """Scratch objects by kind, ``{id: name}`` (a contact's name is its email)."""

    run: str = ""  # the run's id (run_id)
    objects: dict[str, dict[str, str]] = field(
        default_factory=lambda: {kind: {} for kind, _ in KINDS}
    )

    @property
    def name(self) -> str:
        return PREFIX + self.run

    def email(self, letter: str) -> str:
        return f"{self.name}-{letter}@{DOMAIN}"

    def add(self, kind: str, ident: str, name: str) -> None:
        if ident.isdigit():  # an id goes into a path: digits only
            self.objects[kind][ident] = name

    def of_run(self, run: str) -> Scratch:
        """Only the objects of the run with this id."""
        assert run, "a run id"
        name = PREFIX + run
        mine = Scratch(run)
        for kind, found in self.objects.items():
            mine.objects[kind] = {i: n for i, n in found.items() if n.startswith(name)}
        return mine

    def merge(self, other: Scratch) -> None:
        for kind, found in other.objects.items():
            self.objects[kind].update(found)

    def runs(self) -> dict[str, float]:
        """The runs these objects belong to: ``{name prefix: start}``."""
        found: dict[str, float] = {}
        for names in self.objects.values():
            for name in names.values():
                matched = NAME.match(name)
                since = None if matched is None else started(matched.group(2))
                if matched is not None and since is not None:
                    found[PREFIX + matched.group(1)] = since
        return found

    def count(self) -> int:
        return sum(len(v) for v in self.objects.values())

    def describe(self) -> str:
        parts = [_count(len(self.objects[k]), k) for k, _ in KINDS if self.objects[k]]
        return ", ".join(parts) or "nothing"


@dataclass(slots=True)
class Cleaned:
    """What a clean-up deleted, what it could not (``(kind, id, name, why)``), what it left
    alone (another run's, still in use), and why the account could not be searched."""

    deleted: Scratch = field(default_factory=Scratch)
    left: list[tuple[str, str, str, str]] = field(default_factory=list)
    in_use: Scratch = field(default_factory=Scratch)
    search_failed: str = ""
    interrupted: bool = False

    @property
    def complete(self) -> bool:
        return not (self.left or self.search_failed or self.interrupted)


@dataclass(slots=True)
class Found:
    """Scratch objects found on the account: to delete, and left alone (in use)."""

    mine: Scratch = field(default_factory=Scratch)
    in_use: Scratch = field(default_factory=Scratch)
    incomplete: str = ""  # why the search may have missed some


def find(client: Client, now: float, own: str = "", *, spare: bool = True) -> Found:
    """Every scratch object on the account, by name: this run's (id ``own``) and those of
    runs started more than :data:`IN_USE` seconds ago to delete; younger ones left alone
    (all to delete without ``spare``)."""
    found = Found()
    for kind, path, key, pattern, query, most in SEARCHED:
        pages = offset_pages(client, path, wire.objects(path), kind="doctor", params=query)
        for number, page in enumerate(pages, start=1):
            for item in page:
                matched = pattern.fullmatch(str(item.get(key) or "").strip())
                since = None if matched is None else started(matched.group(2))
                if matched is None or since is None:
                    continue  # not a scratch object's name
                young = spare and matched.group(1) != own and now - since < IN_USE
                into = found.in_use if young else found.mine
                into.add(kind, wire.as_id(item.get("id")), matched.group(0))
            if most is not None and number >= most and len(page) >= PAGE:
                found.incomplete = (
                    f"more than {most * 100} contacts answered email_like={PREFIX}; only "
                    "those were looked at"
                )
                break
    return found


def clean(client: Client, scratch: Scratch, patience: Patience | None = None) -> Cleaned:
    """Delete every object of ``scratch`` (contacts, tags, fields, lists). A failure is
    recorded and the rest still tried; Ctrl-C stops it unless ``patience`` forgives it, and
    what was not deleted is said. A 404 is "already gone" only when it says so (an HTML
    404 is a wrong path)."""
    patience = patience or Patience()
    done = Cleaned()
    todo = [(kind, path, i, n) for kind, path in KINDS for i, n in scratch.objects[kind].items()]
    number = 0
    while number < len(todo):
        kind, path, ident, name = todo[number]
        try:
            reply = client.request("DELETE", f"{path}/{ident}", kind="doctor_delete", accept=(404,))
        except KeyboardInterrupt:
            if patience.forgive(f"still deleting {scratch.describe()}: Ctrl-C again to leave them"):
                continue  # the same object again
            done.interrupted = True
            done.left += [(k, i, n, "interrupted") for k, _, i, n in todo[number:]]
            break
        except Exception as exc:  # whatever it is, the rest is still tried
            done.left.append((kind, ident, name, str(exc) or type(exc).__name__))
            number += 1
            continue
        number += 1
        if reply.status == 404 and not wire.error_message(reply.body).startswith(GONE):
            done.left.append((kind, ident, name, "HTTP 404 without ActiveCampaign's answer"))
            continue
        done.deleted.add(kind, ident, name)
    return done


def left_all(scratch: Scratch, why: str) -> Cleaned:
    """Nothing deleted: every object of ``scratch`` left, for ``why``."""
    done = Cleaned(interrupted=True)
    done.left = [(k, i, n, why) for k, _ in KINDS for i, n in scratch.objects[k].items()]
    return done


def _count(number: int, kind: str) -> str:
    return f"{number} {kind}" + ("" if number == 1 else "s")
