"""What a restore reports, and what the owner's list says of a backup."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.models import Model


class Changes(Model):
    added: int = 0
    changed: int = 0
    deleted: int = 0


class RestoreReport(Model):
    tenant_id: str = ""
    backup: str = ""
    target_tenant_id: str = ""
    dry_run: bool = True
    collections: dict[str, Changes] = Field(default_factory=dict)
    objects: Changes = Changes()
    accounts: int = 0  # accounts written or deleted
    accounts_told: int = 0  # accounts created again, e-mailed a link to choose a password
    left_out_erased: int = 0  # documents of clients and users erased since


class BackupSummary(Model):
    stamp: str
    taken_at: datetime
    collections: dict[str, int]
    documents: int
    objects: int
    accounts: int
    size_bytes: int  # every part and object of the backup, as stored
