"""Errors and diagnostics.

Every error the product raises on purpose derives from :class:`SyncError`. A ``SyncError``
is a *user error*: the CLI prints its message (never a traceback) and exits 1. Anything
else that escapes is a bug: the CLI prints a short notice, and the traceback with
``--debug``.

::

    SyncError                       one clear message; exit 1
    ├── ManifestError               manifests are wrong: carries every Diagnostic at once
    ├── ConfigError                 a value needed now is missing (env var, var, option)
    │   └── UnknownFieldError       a mapped custom field (perstag) does not exist on the account
    ├── SourceError                 a segment query failed, or its columns do not fit the mapping
    ├── DestinationError            ActiveCampaign (or the sandbox) said no, or could not be reached
    │   ├── TransientError          worth retrying: 429, 502/503/504, timeouts, dropped connections
    │   └── PermanentError          not worth retrying
    │       ├── AuthError           403: the API key was rejected
    │       ├── PaymentError        402: the account has a payment issue
    │       ├── NotFoundError       404 with a JSON body: e.g. the list does not exist
    │       ├── EndpointError       HTML 404: the host is not an ActiveCampaign API endpoint
    │       └── UnreachableError    DNS or connection failure after retries
    ├── StalePlanError              a saved plan no longer matches the list or the manifests
    │   ├── TamperedPlanError       its file is not what was saved (the digest disagrees)
    │   └── RefusedPlanError        a guard refuses it when checked again at apply time
    └── LockError                   another apply of the same export is running

A guard's refusal (limits, removals, consent, an emptied mirror) is not an exception: the
refused plan is still made and shown, with its reasons (``ExportPlan.refusals``), apply
never runs it, and the CLI exits 1.

Third-party exceptions are translated once, at the I/O boundary, with ``raise ... from exc``.
Messages name what is involved (file:line, export, list, host) and what to do; secrets never
appear in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in a workspace file. ``line`` and ``col`` are 1-based; 0 means unknown."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.path}:{self.line}:{self.col}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path

    @classmethod
    def of(cls, path: Path | str, line: int = 0, col: int = 0) -> Location:
        return cls(str(path), line, col)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """One problem a user can fix, at a place: printed as ``path:line:col: error: message``."""

    location: Location
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.value}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class SyncError(Exception):
    """Root of every error the product raises on purpose: a user error, exit 1."""


class ManifestError(SyncError):
    """The manifests have problems; every one of them is in ``diagnostics``."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(diagnostics))
        errors = sum(1 for d in self.diagnostics if d.is_error)
        super().__init__(f"{errors} problem(s) in the manifests")


class ConfigError(SyncError):
    """A value needed now is missing or wrong (an env var, a --var, a command-line option)."""


class UnknownFieldError(ConfigError):
    """Mapped custom fields that do not exist on the account; ``perstags`` as mapped. The
    pipeline, which knows the export, adds where the mapping is written."""

    def __init__(self, message: str, perstags: tuple[str, ...]) -> None:
        super().__init__(message)
        self.perstags = perstags


class SourceError(SyncError):
    """A segment's query failed, or its columns do not fit the export's mapping."""


class DestinationError(SyncError):
    """ActiveCampaign (or the sandbox) refused a request or could not be reached."""


class TransientError(DestinationError):
    """A failure worth retrying (429, 502/503/504, timeouts, dropped connections)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DestinationError):
    """A failure that retrying cannot fix."""


class AuthError(PermanentError):
    """403: the API key was rejected."""


class PaymentError(PermanentError):
    """402: the account has a payment issue."""


class NotFoundError(PermanentError):
    """404 with a JSON body: the resource (usually the list) does not exist."""


class EndpointError(PermanentError):
    """HTML 404: the host does not look like an ActiveCampaign API endpoint."""


class UnreachableError(PermanentError):
    """DNS or connection failure that persisted through the retries."""


class StalePlanError(SyncError):
    """A saved plan no longer matches the live list or the manifests."""


class TamperedPlanError(StalePlanError):
    """A saved plan file whose content is not what was saved (its digest disagrees)."""


class RefusedPlanError(StalePlanError):
    """A saved plan that a guard refuses when checked again at apply time."""


class LockError(SyncError):
    """Another apply of the same export holds the lock."""
