"""What a restore reports."""

from __future__ import annotations

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
