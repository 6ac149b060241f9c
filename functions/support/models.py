"""Request and response models of `support_api` (the owner's backups, restores, jobs)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import Field, model_validator

from functions.support.maintenance.backups.models import BackupSummary, RestoreReport
from functions.support.maintenance.jobstore import JobState, MaintenanceJob
from shared.models import SLUG, Model, Strict

STAMP = r"^\d{8}T\d{6}Z$"


class BackupList(Model):
    backups: list[BackupSummary]  # complete backups only, oldest first


class RestoreRequest(Strict):
    backup: str = Field(pattern=STAMP, description="A backup's stamp, as the list shows it")
    target_tenant_id: str | None = Field(
        default=None, pattern=SLUG, description="A new tenant id to restore into, for inspection"
    )
    dry_run: bool = Field(default=False, description="Only report what would change")
    now: bool = Field(
        default=False, description="An emergency: run at once, outside the tenant's window"
    )
    reason: str | None = Field(default=None, min_length=3, max_length=500)

    @model_validator(mode="after")
    def _emergency_has_reason(self) -> Self:
        if self.now and not (self.reason or "").strip():
            raise ValueError("an emergency restore (now) needs a reason")
        return self


class RestoreReply(Model):
    plan: RestoreReport  # per collection: added, changed, deleted (as of the request)
    job: MaintenanceJob | None = None  # None for a dry run


class JobQuery(Strict):
    tenant_id: str | None = Field(default=None, pattern=SLUG)


class JobList(Model):
    jobs: list[MaintenanceJob]  # newest first


class ExportStatus(Model):
    """A whole-tenant export as its administrator sees it."""

    id: str
    state: JobState  # queued, running (with counts), done (with the link), failed
    documents: int
    files: int
    accounts: int
    requested_at: datetime
    finished_at: datetime | None = None
    download_url: str | None = None  # a fresh signed link, valid 15 minutes
    download_expires_at: datetime | None = None


class ExportReceived(Model):
    export_received_at: datetime
