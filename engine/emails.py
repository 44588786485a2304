"""Email addresses: the contact key, and the format checks ActiveCampaign applies.

The key is the address trimmed and lower-cased (ActiveCampaign treats case variants as one
person). An address is sent only if ActiveCampaign will accept its format, because one
refused contact makes it reject a whole bulk-import request. Its documented rules (bulk
import): the part before ``@`` has at least one character; no special characters
``" ( ) , : ; < > @ [ \\ ]``; exactly one ``@``; a ``.`` in the domain with at least two
letters after the last one, with no special characters there.

Where those rules are silent this module is stricter, so that nothing the product sends is
refused for its format (a refused address is listed in the plan, with the reason, instead):

- no whitespace or control characters anywhere, and ASCII only (internationalised
  addresses are not part of ActiveCampaign's documented rules);
- no apostrophe: ActiveCampaign's own import-status example lists
  ``invalid'character@example.com`` among the failures;
- the local part neither starts nor ends with a dot nor holds two in a row; at most 64
  characters, the whole address at most 254 (RFC 5321);
- the domain is dot-separated labels of letters, digits and inner hyphens, and the last
  label (the top-level domain) is letters only, at least two.
"""

from __future__ import annotations

import re

MAX_LENGTH = 254
MAX_LOCAL = 64

_SPECIAL = set("\"(),:;<>[\\]'")
_LOCAL = r"[A-Za-z0-9!#$%&*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&*+/=?^_`{|}~-]+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_VALID = re.compile(
    rf"(?=.{{1,{MAX_LENGTH}}}$)(?=[^@]{{1,{MAX_LOCAL}}}@){_LOCAL}@(?:{_LABEL}\.)+[a-z]{{2,}}"
)
is_valid = _VALID.fullmatch
"""Fast check of a normalised address (a match object when valid); reasons: ``email_problem``."""
_DOMAIN_LABEL = re.compile(_LABEL)
_TLD = re.compile(r"[a-z]{2,}")


def normalise_email(raw: object) -> str | None:
    """The contact key: trimmed and lower-cased; ``None`` when missing or blank."""
    if raw is None:
        return None
    text = (raw if isinstance(raw, str) else str(raw)).strip().lower()
    return text or None


def email_problem(email: str) -> str | None:
    """``None`` when ActiveCampaign accepts ``email`` (already normalised), else a short reason."""
    return None if _VALID.fullmatch(email) else _reason(email)


def _reason(email: str) -> str:
    """Why ``email`` is refused: the first rule it breaks, in the order a person would check."""
    if not email:
        return "missing email"
    if any(ch.isspace() for ch in email):
        return "invalid email: contains whitespace"
    if not email.isascii() or not email.isprintable():
        return "invalid email: non-ASCII or control character"
    ats = email.count("@")
    if ats == 0:
        return "invalid email: no @"
    if ats > 1:
        return "invalid email: more than one @"
    local, _, domain = email.partition("@")
    special = sorted(_SPECIAL.intersection(email))
    if special:
        return f"invalid email: special character {special[0]!r}"
    if not local:
        return "invalid email: nothing before @"
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return "invalid email: misplaced dot before @"
    if len(email) > MAX_LENGTH:
        return f"invalid email: longer than {MAX_LENGTH} characters"
    if len(local) > MAX_LOCAL:
        return f"invalid email: more than {MAX_LOCAL} characters before @"
    return _domain_reason(domain)


def _domain_reason(domain: str) -> str:
    if "." not in domain:
        return "invalid email: no dot in the domain"
    labels = domain.split(".")
    if not _TLD.fullmatch(labels[-1]):
        return "invalid email: the domain must end with a dot and at least two letters"
    if not all(_DOMAIN_LABEL.fullmatch(label) for label in labels[:-1]):
        return "invalid email: malformed domain"
    return "invalid email"  # pragma: no cover - every failing case is named above
