"""What a migration is, and the per-tenant record of which ones have run.

The record lives inside the tenant, `tenants/{t}/migrations/state`, so it is backed up
and restored with the documents it describes: a tenant restored to a backup from before
a migration gets that migration pending again, and the next window migrates the old
documents the restore brought back. Kept outside, a restore would leave old-shaped
documents marked as migrated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field

from shared.models import Model

STATE = ("migrations", "state")  # below tenants/{t}

Change = Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class Migration:
    """One numbered migration: `change` maps a document's fields to the fields to update
    (a Firestore `update`, so dotted paths work), or None when the document needs
    nothing. It must be idempotent: a document already migrated gives None."""

    name: str  # "0001_client_search_keys": the module's name without its "m"
    description: str
    collection: str  # a collection directly below the tenant, scanned in id order
    change: Change


class Applied(Model):
    applied_at: datetime
    scanned: int
    changed: int


class Running(Model):
    """A migration part-way: the last document id of its last committed batch."""

    migration: str
    started_at: datetime
    after: str | None = None
    scanned: int = 0
    changed: int = 0


class Failure(Model):
    migration: str
    at: datetime
    error: str  # the exception's type and message, for operations staff


class MigrationState(Model):
    applied: dict[str, Applied] = Field(default_factory=dict)
    running: Running | None = None
    failure: Failure | None = None

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> MigrationState:
        return cls.model_validate(data or {})

    def to_firestore(self) -> dict[str, Any]:
        return self.model_dump()  # datetimes stay timestamps


def migration_name(module: str) -> str:
    """`...migrations.m0001_client_search_keys` -> `0001_client_search_keys`."""
    return module.rsplit(".", 1)[-1].removeprefix("m")
