"""The scratch objects of ``sync doctor --write``: named so nobody mistakes them, found by name.

Every object a write probe makes carries the run's stamp, ``sync-doctor-YYYYMMDD-HHMMSS``
(UTC): the list (name and string id), the tag, the text field (title), and the contacts
``sync-doctor-YYYYMMDD-HHMMSS-<letter>@example.com`` (a domain reserved for examples: no
mail reaches anyone). Cleaning deletes them, contacts first, then tags, fields, lists (a
404 saying "No Result found" is "already gone").

Leftovers of an earlier run (killed, or its clean-up failed) are found **on the account, by
name**, not from a local record: a CI runner that was killed takes its files with it, while
the account keeps the objects. Only names matching the whole pattern are touched, whatever
the account's search returned, so nobody else's list, tag, field or contact is ever
deleted; and another run's objects younger than :data:`IN_USE` are left alone (two CI jobs
probing one account at once must not delete each other's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.activecampaign import wire
from engine.activecampaign.client import Client
from engine.activecampaign.lookup import offset_pages
from engine.errors import SyncError

PREFIX = "sync-doctor-"
DOMAIN = "example.com"
NAME = re.compile(r"sync-doctor-(\d{8}-\d{6})")
EMAIL = re.compile(r"sync-doctor-(\d{8}-\d{6})-[a-z0-9]+@example\.com")
KINDS = (("contact", "contacts"), ("tag", "tags"), ("field", "fields"), ("list", "lists"))
"""Deleted in this order: ``(kind, path)``."""
SEARCHED: tuple[tuple[str, str, str, re.Pattern[str], dict[str, str]], ...] = (
    ("list", "lists", "name", NAME, {}),
    ("tag", "tags", "tag", NAME, {"search": PREFIX}),
    ("field", "fields", "title", NAME, {}),
    ("contact", "contacts", "email", EMAIL, {"email_like": PREFIX}),
)
"""How each kind is found: ``(kind, path, key, pattern, query)`` (lists and fields are few
and read whole; tags and contacts are searched for, and only what matches is kept)."""
SEARCH_PAGES = 5  # pages of each kind read at most
IN_USE = 900.0
"""Seconds a run's objects are left alone by other runs (it may still be probing: the
probes take under a minute, an import is followed for up to five)."""
GONE = "No Result found"  # the start of a 404's message for an object that does not exist


def stamp_of(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y%m%d-%H%M%S")


def started(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=UTC).timestamp()


@dataclass(slots=True)
class Scratch:
    """Scratch objects by kind, ``{id: name}`` (a contact's name is its email)."""

    stamp: str = ""
    objects: dict[str, dict[str, str]] = field(
        default_factory=lambda: {kind: {} for kind, _ in KINDS}
    )

    @property
    def name(self) -> str:
        return PREFIX + self.stamp

    def email(self, letter: str) -> str:
        return f"{self.name}-{letter}@{DOMAIN}"

    def add(self, kind: str, ident: str, name: str) -> None:
        if ident.isdigit():  # an id goes into a path: digits only
            self.objects[kind][ident] = name

    def of_run(self, stamp: str) -> Scratch:
        """Only the objects of the run with this stamp."""
        name = PREFIX + stamp
        mine = Scratch(stamp)
        for kind, found in self.objects.items():
            mine.objects[kind] = {i: n for i, n in found.items() if n.startswith(name)}
        return mine

    def merge(self, other: Scratch) -> None:
        for kind, found in other.objects.items():
            self.objects[kind].update(found)

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


def find(client: Client, now: float, own: str = "", *, spare: bool = True) -> Found:
    """Every scratch object on the account, by name: this run's (stamp ``own``) and those of
    runs started more than :data:`IN_USE` seconds ago to delete; younger ones left alone
    (all to delete without ``spare``)."""
    found = Found()
    for kind, path, key, pattern, query in SEARCHED:
        pages = offset_pages(client, path, wire.objects(path), kind="doctor", params=query)
        for number, page in enumerate(pages, start=1):
            for item in page:
                matched = pattern.fullmatch(str(item.get(key) or "").strip().lower())
                if matched is None:
                    continue
                stamp = matched.group(1)
                young = spare and stamp != own and now - started(stamp) < IN_USE
                into = found.in_use if young else found.mine
                into.add(kind, wire.as_id(item.get("id")), matched.group(0))
            if number >= SEARCH_PAGES:
                break
    return found


def clean(client: Client, scratch: Scratch) -> Cleaned:
    """Delete every object of ``scratch`` (contacts, tags, fields, lists). A failure is
    recorded and the rest still tried; Ctrl-C stops it, and what was not deleted is said.
    A 404 is "already gone" only when it says so (an HTML 404 is a wrong path)."""
    done = Cleaned()
    todo = [(kind, path, i, n) for kind, path in KINDS for i, n in scratch.objects[kind].items()]
    for number, (kind, path, ident, name) in enumerate(todo):
        try:
            reply = client.request("DELETE", f"{path}/{ident}", kind="doctor_delete", accept=(404,))
        except SyncError as exc:
            done.left.append((kind, ident, name, str(exc)))
            continue
        except KeyboardInterrupt:
            done.interrupted = True
            done.left += [(k, i, n, "interrupted") for k, _, i, n in todo[number:]]
            break
        if reply.status == 404 and not wire.error_message(reply.body).startswith(GONE):
            done.left.append((kind, ident, name, "HTTP 404 without ActiveCampaign's answer"))
            continue
        done.deleted.add(kind, ident, name)
    return done


def _count(number: int, kind: str) -> str:
    return f"{number} {kind}" + ("" if number == 1 else "s")
