"""Seeding: the lists and custom fields a workspace's sandbox exports need.

Existing lists keep their members (a list whose id exists is only renamed) and existing
fields are reused, so seeding twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.manifests.project import Project

from .store import Store


@dataclass(frozen=True, slots=True)
class Seeded:
    lists: tuple[tuple[int, str], ...]
    fields: tuple[tuple[str, int], ...]  # (perstag, id)


def seed(store: Store, lists: Iterable[tuple[int, str]], perstags: Iterable[str]) -> Seeded:
    """Create the lists (with these ids) and custom fields (by perstag) if missing."""
    summaries = {s.id: s.name for s in store.list_summaries()}
    made = []
    for list_id, name in lists:
        if summaries.get(list_id) is None:
            store.create_list(name, list_id)
        made.append((list_id, summaries.get(list_id) or name))
    fields = tuple((tag, store.ensure_field(tag)) for tag in dict.fromkeys(perstags))
    return Seeded(tuple(made), fields)


def seed_project(store: Store, project: Project) -> Seeded:
    """Seed what the project's exports to sandbox connections need (list ids, perstags)."""
    exports = [
        e
        for e in project.exports.values()
        if e.connection in project.destinations and project.destinations[e.connection].is_sandbox
    ]
    lists = {e.list_id: e.name for e in sorted(exports, key=lambda e: e.list_id)}
    perstags = [tag for e in exports for tag in e.mapping.fields]
    return seed(store, lists.items(), perstags)
