"""Pydantic models of the manifests (SPEC §1): the boundary where typos become errors.

Models are frozen and forbid unknown keys. Connections are discriminated on ``type``.
Validators here check one document at a time; cross-references (export -> connection,
segments; segment -> source) are checked by the loader, which knows every document.

Secrets: ``api_key`` and a source's ``url`` (postgres, sql) may only hold *deferred* environment
references, written ``${env:NAME}`` after Jinja rendering (``env_var('NAME')`` renders to
that). They are resolved with :func:`engine.manifests.secrets.resolve_env` where the value is
needed (plan/apply), so ``sync validate`` never needs a secret and a key never sits in a
model's repr.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from engine.contacts import STANDARD_FIELDS

from .secrets import ENV_REF

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
SANDBOX_HOST = "sandbox"
DEFAULT_RATE_LIMIT = 5.0
DEFAULT_MAX_PROFILES = 1_000_000

Name = Annotated[str, Field(pattern=NAME_PATTERN, description="lower-case letters, digits, - _")]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


# ----------------------------------------------------------------------------- connections


def is_loopback(hostname: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` and ``[::1]``: the only hosts reached over plain HTTP."""
    bare = hostname.strip("[]")
    if bare == "localhost":
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False


def split_host(host: str) -> tuple[str, int | None]:
    """``example.api-us1.com`` -> (name, None); ``127.0.0.1:8080`` -> (name, 8080)."""
    match = re.fullmatch(r"(\[[0-9a-fA-F:]+\]|[^:/\s\[\]]+)(?::(\d{1,5}))?", host)
    if not match:
        raise ValueError(host)
    return match.group(1), int(match.group(2)) if match.group(2) else None


def check_host(host: str) -> str:
    """Validate a REST endpoint hostname; errors say what to write instead."""
    if host == SANDBOX_HOST:
        return host
    suggestion = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", host)
    suggestion = re.sub(r"/+$", "", suggestion)
    suggestion = re.sub(r"/api/3$", "", suggestion).rstrip("/")
    if suggestion != host:
        raise ValueError(
            f"host must be the hostname only, without a scheme or path: write "
            f"'host: {suggestion}' instead of '{host}'"
        )
    try:
        name, port = split_host(host)
    except ValueError:
        raise ValueError(
            f"host '{host}' is not a hostname; write the REST endpoint hostname from "
            "ActiveCampaign's Settings > Developer, e.g. 'mycompany.api-us1.com'"
        ) from None
    if port is not None and not is_loopback(name):
        raise ValueError(
            f"host '{host}': a port is only allowed on loopback hosts (localhost, 127.0.0.1, "
            "[::1]); ActiveCampaign is always reached on https port 443"
        )
    return host


class ActiveCampaignConnection(Model):
    """Where exports go: one ActiveCampaign account (or the embedded sandbox)."""

    name: Name
    type: Literal["activecampaign"]
    display_name: str | None = None
    host: str = Field(description="REST endpoint hostname, without https:// (or 'sandbox')")
    api_key: str | None = Field(
        default=None, description="\"{{ env_var('AC_API_KEY') }}\"; not needed for the sandbox"
    )
    usable_by: tuple[Literal["admins", "contributors"], ...] = ("admins",)
    data_privacy_consent: StrictBool = Field(
        default=False, description="The 'I agree': data leaves the compliance boundary"
    )
    rate_limit: float = Field(default=DEFAULT_RATE_LIMIT, gt=0, le=DEFAULT_RATE_LIMIT)

    _check_host = field_validator("host")(classmethod(lambda cls, v: check_host(v)))

    @field_validator("api_key")
    @classmethod
    def _key_from_env(cls, value: str | None) -> str | None:
        if value is not None and not ENV_REF.fullmatch(value):
            raise ValueError(
                "api_key must come from an environment variable, never a literal (it would "
                "be committed to git): write api_key: \"{{ env_var('AC_API_KEY') }}\""
            )
        return value

    @field_validator("usable_by")
    @classmethod
    def _usable_by_not_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("usable_by needs at least one of: admins, contributors")
        return tuple(dict.fromkeys(value))

    @model_validator(mode="after")
    def _key_unless_sandbox(self) -> ActiveCampaignConnection:
        if self.host != SANDBOX_HOST and self.api_key is None:
            raise ValueError(
                f"connection '{self.name}' to {self.host} needs "
                "api_key: \"{{ env_var('AC_API_KEY') }}\""
            )
        return self

    @property
    def is_sandbox(self) -> bool:
        return self.host == SANDBOX_HOST


class DuckDBSource(Model):
    """A DuckDB database file (or in-memory, for segments that only read CSV/Parquet)."""

    name: Name
    type: Literal["duckdb"]
    path: str | None = None
    description: str | None = None


class SQLiteSource(Model):
    """A SQLite database file, opened read-only."""

    name: Name
    type: Literal["sqlite"]
    path: str
    description: str | None = None


class PostgresSource(Model):
    """A PostgreSQL database; the password comes from ``env_var`` inside the URL."""

    name: Name
    type: Literal["postgres"]
    url: str = Field(description="postgresql://user@host/db; password via env_var")
    description: str | None = None


class SQLSource(Model):
    """Any database SQLAlchemy speaks (a dialect extra installed); password via ``env_var``."""

    name: Name
    type: Literal["sql"]
    url: str = Field(
        description="SQLAlchemy URL, e.g. mysql+pymysql://user:{{ env_var('PW') }}@host/db"
    )
    description: str | None = None


Source = DuckDBSource | SQLiteSource | PostgresSource | SQLSource
Connection = Annotated[
    ActiveCampaignConnection | DuckDBSource | SQLiteSource | PostgresSource | SQLSource,
    Field(discriminator="type"),
]

# ----------------------------------------------------------------------------- segments


class Segment(Model):
    """A named SQL query over a source connection; its rows are the segment's members."""

    name: Name
    source: str
    description: str | None = None
    query: str = Field(min_length=1)
    key: str | None = Field(
        default=None,
        min_length=1,
        description="a column of the query that identifies a row to you (e.g. customer_id): "
        "invalid rows are reported by it",
    )


# ----------------------------------------------------------------------------- exports

PERSTAG = re.compile(r"^[A-Za-z0-9_]{1,255}$")


class FieldMapping(Model):
    """Columns of the segments' rows -> ActiveCampaign contact fields."""

    email: str = Field(min_length=1, description="column holding the email address")
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    fields: dict[str, str] = Field(
        default_factory=dict, description="custom fields: PERSTAG -> column"
    )
    tags: tuple[str, ...] = Field(default=(), description="tags every exported contact carries")

    @field_validator("fields")
    @classmethod
    def _perstags(cls, value: dict[str, str]) -> dict[str, str]:
        normalised: dict[str, str] = {}
        for tag, column in value.items():
            if not PERSTAG.fullmatch(tag):
                raise ValueError(
                    f"custom field '{tag}': a personalization tag has only letters, digits "
                    "and _ (ActiveCampaign shows it as %TAG%)"
                )
            normalised[tag.upper()] = column
        return normalised

    def columns(self) -> dict[str, str]:
        """Plan field name -> source column, for every mapped value."""
        out = {"email": self.email}
        for key in STANDARD_FIELDS:
            column = getattr(self, key)
            if column:
                out[key] = column
        out.update({f"fields.{tag}": column for tag, column in self.fields.items()})
        return out


@dataclass(frozen=True, slots=True)
class RemovalLimit:
    """``10%`` (of the list's active members) or a count such as ``500``."""

    value: float
    percent: bool

    def allows(self, removals: int, active_members: int) -> bool:
        if self.percent:
            return removals <= active_members * self.value / 100
        return removals <= self.value

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.percent else f"{int(self.value)}"


def parse_removal_limit(raw: object) -> RemovalLimit:
    if isinstance(raw, bool):
        raise ValueError("max_removals is a percentage like '10%' or a count like 500")
    if isinstance(raw, int):
        if raw < 0:
            raise ValueError("max_removals cannot be negative")
        return RemovalLimit(float(raw), percent=False)
    text = str(raw).strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", text)
    if match:
        value = float(match.group(1))
        if value > 100:
            raise ValueError(f"max_removals {text} is more than 100%; use a value from 0% to 100%")
        return RemovalLimit(value, percent=True)
    if text.isdigit():
        return RemovalLimit(float(text), percent=False)
    raise ValueError(f"max_removals '{text}' is neither a percentage like '10%' nor a count")


class Limits(Model):
    max_profiles: PositiveInt = DEFAULT_MAX_PROFILES
    max_removals: str | int = Field(default="10%", description="'10%' or a count")

    @field_validator("max_removals")
    @classmethod
    def _removals(cls, value: str | int) -> str | int:
        parse_removal_limit(value)
        return value

    @property
    def removal_limit(self) -> RemovalLimit:
        return parse_removal_limit(self.max_removals)


def check_cron(expression: str) -> str:
    from croniter import croniter

    fields = expression.split()
    if not expression.strip().startswith("@") and len(fields) != 5:
        raise ValueError(
            f"schedule '{expression}' has {len(fields)} fields; write five, in UTC: minute "
            "hour day-of-month month day-of-week, e.g. '0 6 * * *' (seconds are not "
            "supported: a sixth field would be read as something else)"
        )
    if not croniter.is_valid(expression):
        raise ValueError(
            f"schedule '{expression}' is not a valid cron expression "
            "(five fields, UTC: minute hour day-of-month month day-of-week, e.g. '0 6 * * *')"
        )
    return expression


class Export(Model):
    """Segments -> one ActiveCampaign list, with field mapping and safety limits."""

    name: Name
    connection: str
    list_id: PositiveInt
    segments: tuple[str, ...] = Field(min_length=1)
    mapping: FieldMapping
    mode: Literal["upsert", "mirror"] = "upsert"
    clear_nulls: StrictBool = False
    limits: Limits = Field(default_factory=Limits)
    schedule: str | None = Field(default=None, description="cron, UTC")
    enabled: StrictBool = True
    priority: StrictInt | None = Field(
        default=None,
        description="when exports on one account map the same field, the higher priority's "
        "value is written for a person both want",
    )
    description: str | None = None

    _check_cron = field_validator("schedule")(
        classmethod(lambda cls, v: None if v is None else check_cron(v))
    )


# ----------------------------------------------------------------------------- sync.yaml


class Teams(Model):
    """GitHub team handles behind the ``usable_by`` roles, for CODEOWNERS."""

    admins: str | None = Field(default=None, description="e.g. '@acme/marketing-ops-admins'")
    contributors: str | None = Field(default=None, description="e.g. '@acme/marketing'")


DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
DURATION_UNITS = {"d": 86_400, "h": 3_600, "m": 60}


def parse_duration(raw: str) -> int:
    """``7d``, ``12h``, ``90m`` -> seconds."""
    found = DURATION.fullmatch(raw)
    if not found or int(found.group(1)) <= 0:
        raise ValueError(
            f"'{raw}' is not a duration: write a whole number and d, h or m, e.g. '7d'"
        )
    return int(found.group(1)) * DURATION_UNITS[found.group(2)]


class StateSettings(Model):
    """``state:`` in sync.yaml: where list snapshots live (SPEC §7)."""

    store: Literal["local", "postgres"] = Field(
        default="local", description="local: files in .sync/state/; postgres: tables"
    )
    url: str | None = Field(
        default=None,
        description="postgres only: \"{{ env_var('SYNC_STATE_URL') }}\" (a secret)",
    )
    full_refresh_every: str = Field(
        default="7d", description="a full read of each list at least this often: 7d, 12h"
    )

    @field_validator("full_refresh_every")
    @classmethod
    def _refresh(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("url")
    @classmethod
    def _url_from_env(cls, value: str | None) -> str | None:
        if value is not None and not ENV_REF.search(value):
            raise ValueError(
                "url must come from an environment variable (it holds a password and would "
                "be committed to git): write url: \"{{ env_var('SYNC_STATE_URL') }}\""
            )
        return value

    @model_validator(mode="after")
    def _url_with_postgres(self) -> StateSettings:
        if self.store == "postgres" and self.url is None:
            raise ValueError(
                "state.store postgres needs url: \"{{ env_var('SYNC_STATE_URL') }}\" "
                "(postgresql://USER:PASSWORD@HOST/DB of a database for the snapshots)"
            )
        if self.store == "local" and self.url is not None:
            raise ValueError("state.url is for store: postgres; remove it, or set store: postgres")
        return self

    @property
    def refresh_seconds(self) -> int:
        return parse_duration(self.full_refresh_every)


class Settings(Model):
    """``sync.yaml``: project settings."""

    vars: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    teams: Teams = Field(default_factory=Teams)
    state: StateSettings = Field(default_factory=StateSettings)
