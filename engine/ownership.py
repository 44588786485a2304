"""Fields belong to the contact, not to a list: the value of a field two exports share.

Two enabled exports on one account that map the same field rank by ``priority``
(:mod:`engine.manifests.shared` makes it required and distinct). For a person both want,
the field's value is the one of the highest-ranked export that has an opinion on it: a
value, or a blank with ``clear_nulls`` (a blank without it changes nothing, so it is no
opinion). A lower-ranked export plans that value instead of its own, and reports the
difference as a conflict, the way two rows of one export are (kept: the owner's value,
``export NAME``; dropped: its own). A person only the lower export wants gets its values.
So a run writes each shared field of a person once, with one value, and the next plan of
either export finds nothing to change.

Pure: the owners' wishes (:class:`Claims`) are built from their desired states by the
pipeline, which reads the segments of an owner that is not being planned itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from .contacts import FIELD_PREFIX, Conflict, Contact, DesiredState
from .diff import value_of


@dataclass(frozen=True, slots=True)
class Claims:
    """What one higher-ranked export wants for the fields it shares: per email, the values
    of ``fields`` in order (``None``: no opinion)."""

    export: str
    priority: int
    fields: tuple[str, ...]
    values: Mapping[str, tuple[str | None, ...]]
    clears: tuple[bool, ...]  # per field: a blank clears it (clear_nulls)


def claims_of(
    export: str, priority: int, desired: DesiredState, fields: Sequence[str], clear_nulls: bool
) -> Claims:
    """The claims of an export on ``fields`` (those it shares with lower-ranked ones)."""
    names = tuple(sorted(fields))
    values = {
        email: tuple(value_of(contact, name) for name in names)
        for email, contact in desired.contacts.items()
    }
    return Claims(export, priority, names, values, tuple(clear_nulls for _ in names))


def settle(
    export: str, mapped: Sequence[str], desired: DesiredState, owners: Sequence[Claims]
) -> DesiredState:
    """``desired`` (of ``export``, which maps the fields ``mapped``) with each shared field
    of each person the owners also want set to the highest-ranked owner's opinion, and the
    differences added to its conflicts."""
    ranked = [_only(c, set(mapped)) for c in sorted(owners, key=lambda c: -c.priority)]
    ranked = [c for c in ranked if c.fields]
    if not ranked:
        return desired
    contacts: dict[str, Contact] = {}
    conflicts: list[Conflict] = []
    changed = False
    for email, contact in desired.contacts.items():
        settled = _settle_one(export, contact, ranked, conflicts)
        changed = changed or settled is not contact
        contacts[email] = settled
    if not changed:
        return desired
    return replace(desired, contacts=contacts, conflicts=(*desired.conflicts, *conflicts))


def _only(claims: Claims, mapped: set[str]) -> Claims:
    """The claims on the fields ``mapped`` only."""
    keep = [i for i, name in enumerate(claims.fields) if name in mapped]
    if len(keep) == len(claims.fields):
        return claims
    return Claims(
        claims.export,
        claims.priority,
        tuple(claims.fields[i] for i in keep),
        {e: tuple(v[i] for i in keep) for e, v in claims.values.items()},
        tuple(claims.clears[i] for i in keep),
    )


def _settle_one(
    export: str, contact: Contact, ranked: Sequence[Claims], conflicts: list[Conflict]
) -> Contact:
    decided: dict[str, str | None] = {}
    for owner in ranked:
        wanted = owner.values.get(contact.email)
        if wanted is None:
            continue
        for name, value, clears in zip(owner.fields, wanted, owner.clears, strict=True):
            if name in decided or (_blank(value) and not clears):
                continue
            decided[name] = None if _blank(value) else value
            mine = value_of(contact, name)
            if not _blank(mine) and mine != decided[name]:
                conflicts.append(
                    Conflict(
                        contact.email,
                        name,
                        decided[name],
                        f"export {owner.export}",
                        mine,
                        f"export {export}",
                    )
                )
    if all(value_of(contact, n) == v for n, v in decided.items()):
        return contact
    return _with(contact, decided)


def _with(contact: Contact, values: Mapping[str, str | None]) -> Contact:
    standard = {k: v for k, v in values.items() if not k.startswith(FIELD_PREFIX)}
    custom = {k.removeprefix(FIELD_PREFIX): v for k, v in values.items() if k not in standard}
    fields = contact.fields
    if custom:
        merged = dict(fields)
        merged.update(custom)
        fields = Contact.make_fields(merged)
    return replace(
        contact,
        first_name=standard.get("first_name", contact.first_name),
        last_name=standard.get("last_name", contact.last_name),
        phone=standard.get("phone", contact.phone),
        fields=fields,
    )


def _blank(value: str | None) -> bool:
    return value is None or value == ""
